"""Latency and errors of MongoDB commands and object-store calls, by operation.

The database side runs against SecantusDB through the app's own client (its command listener);
the object-store side wraps a real filesystem store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from pymongo.errors import DuplicateKeyError, OperationFailure

from modelyard.lib.storage import FileObjectStore, ObjectNotFoundError, StorageError
from modelyard.lifespan import app_state
from modelyard.observability.dependencies import MeteredObjectStore
from modelyard.observability.metrics import REGISTRY
from tests.conftest import register_and_login
from tests.integration.observability.test_http_metrics import scrape, value

pytestmark = pytest.mark.integration

DB_COUNT = "modelyard_db_operation_duration_seconds_count"
DB_ERRORS = "modelyard_db_operation_errors_total"
STORE_COUNT = "modelyard_object_store_operation_duration_seconds_count"
STORE_SUM = "modelyard_object_store_operation_duration_seconds_sum"
STORE_ERRORS = "modelyard_object_store_operation_errors_total"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_database_commands_are_timed_and_failures_counted(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    headers = await register_and_login(client)
    finds = sample(DB_COUNT, operation="find")
    listed = await client.get("/api/v1/datasets", headers=headers)
    assert listed.status_code == 200
    assert sample(DB_COUNT, operation="find") > finds

    db = app_state(app).client[app_state(app).database_name]
    find_errors, insert_errors = sample(DB_ERRORS, operation="find"), sample(DB_ERRORS, operation="insert")
    with pytest.raises(OperationFailure):  # the server refuses the query: a failed command
        await db["datasets"].find_one({"$nope": 1})
    assert sample(DB_ERRORS, operation="find") == find_errors + 1
    await db["metric_probe"].insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):  # an answer the code relies on, not a failure
        await db["metric_probe"].insert_one({"_id": 1})
    assert sample(DB_ERRORS, operation="insert") == insert_errors
    other = sample(DB_COUNT, operation="other")
    await db.command("buildInfo")  # a command outside the known set shares `other`
    assert sample(DB_COUNT, operation="other") == other + 1

    text = await scrape(client)  # what Prometheus sees: by operation only, never a collection
    assert value(text, DB_ERRORS, operation="find") == find_errors + 1
    assert "metric_probe" not in text


async def slow_chunks(parts: int, pause: float) -> AsyncIterator[bytes]:
    for _ in range(parts):
        await asyncio.sleep(pause)  # a slow client sending its upload
        yield b"x" * 1024


async def test_object_store_calls_are_timed_without_the_clients_time(tmp_path: Path) -> None:
    store = MeteredObjectStore(FileObjectStore(tmp_path / "objects"))
    puts, put_seconds = sample(STORE_COUNT, operation="put"), sample(STORE_SUM, operation="put")
    assert await store.put("a/b", slow_chunks(4, 0.1)) == 4096
    assert sample(STORE_COUNT, operation="put") == puts + 1
    assert sample(STORE_SUM, operation="put") - put_seconds < 0.2  # the 0.4 s waiting for chunks excluded

    streams, stream_seconds = sample(STORE_COUNT, operation="stream"), sample(STORE_SUM, operation="stream")
    read = b""
    async for chunk in store.stream("a/b", chunk_size=1024):
        read += chunk
        await asyncio.sleep(0.1)  # a slow client reading the download
    assert read == b"x" * 4096
    assert sample(STORE_COUNT, operation="stream") == streams + 1
    assert sample(STORE_SUM, operation="stream") - stream_seconds < 0.2

    get_errors = sample(STORE_ERRORS, operation="get_bytes")
    with pytest.raises(ObjectNotFoundError):  # a missing key is an answer
        await store.get_bytes("a/missing")
    assert sample(STORE_ERRORS, operation="get_bytes") == get_errors

    (tmp_path / "file").write_text("not a directory")
    broken = MeteredObjectStore(FileObjectStore(tmp_path / "file"))
    ping_errors, put_errors = sample(STORE_ERRORS, operation="ping"), sample(STORE_ERRORS, operation="put")
    put_bytes_errors = sample(STORE_ERRORS, operation="put_bytes")
    with pytest.raises(StorageError):
        await broken.ping()
    with pytest.raises((OSError, StorageError)):
        await broken.put_bytes("k", b"data")
    assert sample(STORE_ERRORS, operation="ping") == ping_errors + 1
    assert sample(STORE_ERRORS, operation="put_bytes") == put_bytes_errors + 1
    assert sample(STORE_ERRORS, operation="put") == put_errors  # put_bytes is its own operation


async def test_a_stream_left_early_is_recorded_once_without_an_error(tmp_path: Path) -> None:
    store = MeteredObjectStore(FileObjectStore(tmp_path))
    await store.put_bytes("k", b"y" * 4096)
    streams, errors = sample(STORE_COUNT, operation="stream"), sample(STORE_ERRORS, operation="stream")
    stream = store.stream("k", chunk_size=1024)
    assert await anext(stream) == b"y" * 1024
    await stream.aclose()  # the client went away
    assert sample(STORE_COUNT, operation="stream") == streams + 1
    assert sample(STORE_ERRORS, operation="stream") == errors
    with pytest.raises(ObjectNotFoundError):
        await anext(store.stream("nothing"))
    assert sample(STORE_ERRORS, operation="stream") == errors
