"""One contract, two backends: the filesystem store and S3 (moto_server over real HTTP)."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelyard.lib.storage import (
    FileObjectStore,
    ObjectNotFoundError,
    ObjectStore,
    RangeReader,
    S3ObjectStore,
    StorageError,
    create_object_store,
)

pytestmark = pytest.mark.integration

PART = 5 * 1024 * 1024  # S3's smallest multipart part


def make_bucket(endpoint: str) -> str:
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["file", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    if request.param == "file":
        backend: ObjectStore = FileObjectStore(tmp_path / "objects")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        backend = S3ObjectStore(make_bucket(endpoint), "prefix", endpoint_url=endpoint, part_size=PART)
    yield backend
    await backend.close()


async def chunks(total: int, size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield bytes([sent // size % 251]) * n
        sent += n


async def test_put_get_stream_size_delete(store: ObjectStore) -> None:
    written = await store.put("datasets/a/original", chunks(3000, 1000))
    assert written == 3000
    assert await store.size("datasets/a/original") == 3000
    assert await store.exists("datasets/a/original")
    data = await store.get_bytes("datasets/a/original")
    assert len(data) == 3000
    streamed = b"".join([c async for c in store.stream("datasets/a/original", chunk_size=700)])
    assert streamed == data
    await store.delete("datasets/a/original")
    assert not await store.exists("datasets/a/original")
    await store.delete("datasets/a/original")  # idempotent


async def test_large_object_goes_in_parts_and_round_trips(store: ObjectStore) -> None:
    total = 4 * PART + 123_457  # > 20 MB: five parts on S3
    assert await store.put("big/object", chunks(total)) == total
    digest_in = b"".join([c async for c in chunks(total)])
    digest_out = b"".join([c async for c in store.stream("big/object")])
    assert digest_out == digest_in


async def test_ranged_reads(store: ObjectStore) -> None:
    data = bytes(range(256)) * 1000
    await store.put_bytes("ranges/blob", data)
    assert await store.get_range("ranges/blob", 0, 10) == data[:10]
    assert await store.get_range("ranges/blob", 1000, 5000) == data[1000:6000]
    assert await store.get_range("ranges/blob", len(data) - 3, 100) == data[-3:]  # short at the end
    assert await store.get_range("ranges/blob", len(data) + 10, 5) == b""
    with pytest.raises(ObjectNotFoundError):
        await store.get_range("ranges/missing", 0, 10)


async def test_range_reader_lets_pyarrow_read_a_few_row_groups(store: ObjectStore) -> None:
    table = pa.table({"n": list(range(100_000)), "s": [f"v{i}" for i in range(100_000)]})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=10_000)
    await store.put_bytes("ranges/table.parquet", sink.getvalue())
    reader = RangeReader(store, "ranges/table.parquet", len(sink.getvalue()), asyncio.get_running_loop())
    group = await asyncio.to_thread(lambda: pq.ParquetFile(reader).read_row_group(7))
    assert group.column("n").to_pylist() == list(range(70_000, 80_000))


async def test_missing_object_errors(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError):
        await store.get_bytes("nope/missing")
    with pytest.raises(ObjectNotFoundError):
        await store.size("nope/missing")
    with pytest.raises(ObjectNotFoundError):
        async for _ in store.stream("nope/missing"):
            pass


async def test_list_and_delete_prefix(store: ObjectStore) -> None:
    for key in ("u1/d1/original", "u1/d1/table.parquet", "u1/d2/original", "u2/d3/original"):
        await store.put_bytes(key, b"x")
    assert await store.list("u1/d1/") == ["u1/d1/original", "u1/d1/table.parquet"]
    assert await store.delete_prefix("u1/") == 3
    assert await store.list("") == ["u2/d3/original"]


async def test_failed_write_leaves_nothing(store: ObjectStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a" * PART
        yield b"b" * PART
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await store.put("partial/object", broken())
    assert not await store.exists("partial/object")
    assert await store.list("partial/") == []


async def test_ping_ok(store: ObjectStore) -> None:
    await store.ping()


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "."])
async def test_rejects_unsafe_keys(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put_bytes(key, b"x")


async def test_s3_misconfiguration_is_a_ping_failure_not_a_crash(s3_endpoint: str) -> None:
    missing_bucket = S3ObjectStore("no-such-bucket", endpoint_url=s3_endpoint)
    with pytest.raises(StorageError, match="not reachable"):
        await missing_bucket.ping()
    await missing_bucket.close()
    nowhere = S3ObjectStore("b", endpoint_url="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(StorageError):
        await nowhere.ping()
    await nowhere.close()


def test_storage_urls() -> None:
    assert isinstance(create_object_store("file://var/objects"), FileObjectStore)
    assert str(create_object_store("file:///srv/objects").root) == "/srv/objects"  # type: ignore[attr-defined]
    s3 = create_object_store("s3://bucket/some/prefix", endpoint_url="http://x")
    assert isinstance(s3, S3ObjectStore) and s3.bucket == "bucket" and s3.prefix == "some/prefix/"
    for bad in ("s3://", "ftp://host/x", "var/objects"):
        with pytest.raises(ValueError):
            create_object_store(bad)


def test_unwritable_directory_fails_ping(tmp_path: Path) -> None:
    import asyncio

    if os.geteuid() == 0:
        target = tmp_path / "file-not-dir"
        target.write_text("x")
        store = FileObjectStore(target)  # a file where the directory should be
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        store = FileObjectStore(ro)
    with pytest.raises(StorageError):
        asyncio.run(store.ping())
