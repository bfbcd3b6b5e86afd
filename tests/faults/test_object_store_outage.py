"""A stopped S3 endpoint: uploads, downloads and previews answer 503 + Retry-After (never a 500),
nothing half-written stays behind, and the service recovers when the endpoint returns.

S3 only: the filesystem store is a local directory, with no endpoint to lose; its faults (a full
or unwritable disk) are the operator's, see the runbook's "Disk full". The other fault tests that
touch stored objects run on both backends (the `object_store` fixture)."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import boto3
import httpx
import pytest

from modelyard.app import create_app
from tests.conftest import PRODUCT_OPERATION_TIMEOUT_MS, make_settings, register_and_login, running
from tests.faults.conftest import Dependency, client_for

pytestmark = pytest.mark.integration

CSV = ("x,y\n" + "\n".join(f"{i},{i % 3}" for i in range(200))).encode()


def objects(endpoint: str, bucket: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture
async def s3_client(mongodb: Dependency, s3: Dependency, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    bucket = f"faults-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3.url, region_name="us-east-1").create_bucket(Bucket=bucket)
    settings = make_settings(
        mongodb.url,
        f"s3://{bucket}",
        s3_endpoint=s3.url,
        var_dir=tmp_path / "var",
        operation_timeout_ms=PRODUCT_OPERATION_TIMEOUT_MS,
    )
    async with running(create_app(settings)) as app, client_for(app) as http:
        http.bucket = bucket  # type: ignore[attr-defined]
        yield http


async def upload(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    files = {"file": ("d.csv", io.BytesIO(CSV), "text/csv")}
    async with asyncio.timeout(60):
        return await http.post("/api/v1/datasets", headers=headers, files=files)


async def test_stopped_object_store_is_a_503(s3_client: httpx.AsyncClient, s3: Dependency) -> None:
    headers = await register_and_login(s3_client)
    created = await upload(s3_client, headers)
    assert created.status_code == 201, created.text
    dataset = created.json()["id"]
    s3.stop()
    try:
        seen = {
            "upload": await upload(s3_client, headers),
            "download": await s3_client.get(f"/api/v1/datasets/{dataset}/download", headers=headers),
            "preview": await s3_client.get(f"/api/v1/datasets/{dataset}/preview", headers=headers),
        }
        summary = {name: response.status_code for name, response in seen.items()}
        for name, response in seen.items():
            assert response.status_code == 503, summary
            assert response.json()["type"].endswith("/service-unavailable"), (name, response.text)
            assert "object store" in response.json()["detail"], (name, response.text)
            assert int(response.headers["retry-after"]) >= 1
        listed = await s3_client.get("/api/v1/datasets", headers=headers)
        assert listed.status_code == 200 and listed.json()["total"] == 1, listed.text  # no half-made dataset
    finally:
        s3.start()
    bucket = s3_client.bucket  # type: ignore[attr-defined]
    boto3.client("s3", endpoint_url=s3.url, region_name="us-east-1").create_bucket(Bucket=bucket)
    deadline = time.monotonic() + 30
    while (again := await upload(s3_client, headers)).status_code != 201:
        assert again.status_code == 503 and time.monotonic() < deadline, again.text
        await asyncio.sleep(0.5)
    assert len(objects(s3.url, bucket)) >= 1
