"""Multipart uploads a killed writer left unfinished on S3 (moto_server over real HTTP): invisible to
listing, yet kept (and billed) until aborted. Deleting a prefix aborts those under it; the sweep
aborts stale ones under the store's prefix, never a fresh one nor another application's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import boto3
import pytest

from modelyard.lib.storage import S3ObjectStore

pytestmark = pytest.mark.integration


@pytest.fixture
async def bucket(s3_endpoint: str) -> AsyncIterator[str]:
    name = f"unfinished-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    yield name


def killed_writer(endpoint: str, bucket: str) -> Callable[[str], None]:
    """Start a multipart upload with one part under `key` and never finish it (as a SIGKILL would)."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def start(key: str) -> None:
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key)
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024)

    return start


def unfinished(endpoint: str, bucket: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    return sorted(u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


async def test_deleting_a_prefix_aborts_its_unfinished_uploads(s3_endpoint: str, bucket: str) -> None:
    store = S3ObjectStore(bucket, "app", endpoint_url=s3_endpoint)
    try:
        await store.put_bytes("datasets/a/table.parquet", b"table")
        start = killed_writer(s3_endpoint, bucket)
        start("app/datasets/a/original")
        start("app/datasets/b/original")
        assert await store.list("datasets/a/") == ["datasets/a/table.parquet"]  # listing hides it

        assert await store.delete_prefix("datasets/a/") == 1
        assert unfinished(s3_endpoint, bucket) == ["app/datasets/b/original"]
        assert await store.list() == []
    finally:
        await store.close()


async def test_stale_unfinished_uploads_are_aborted_foreign_ones_kept(s3_endpoint: str, bucket: str) -> None:
    store = S3ObjectStore(bucket, "app", endpoint_url=s3_endpoint)
    try:
        start = killed_writer(s3_endpoint, bucket)
        start("app/batch-predictions/j/result.csv")
        start("other-app/datasets/x/original")  # not under this store's prefix: not ours to judge
        # moto dates every multipart upload 2010-11-10 (its `Initiated` is a constant), so each one
        # is past the hour here; on S3 and MinIO a fresh upload (maybe still in flight) is kept.
        assert await store.remove_stale_partial(3600) == 1
        assert unfinished(s3_endpoint, bucket) == ["other-app/datasets/x/original"]
    finally:
        await store.close()
