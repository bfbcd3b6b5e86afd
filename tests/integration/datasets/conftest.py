"""Dataset tests share one app per module (a process pool costs a spawn); each test registers its own user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest
from litestar import Litestar

from modelyard.app import create_app
from tests.conftest import make_settings, register_and_login, running

MAX_UPLOAD = 12 * 1024 * 1024
PROBLEM = "application/problem+json"


@dataclass
class DatasetEnv:
    app: Litestar
    client: httpx.AsyncClient
    objects_root: Path | None
    bucket: str | None
    s3_endpoint: str | None

    async def headers(self) -> dict[str, str]:
        return await register_and_login(self.client)

    def stored_objects(self) -> list[str]:
        """Every object in the store: what a user's data left behind."""
        if self.bucket is not None:
            s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1")
            return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))
        assert self.objects_root is not None
        if not self.objects_root.exists():
            return []
        return sorted(
            str(p.relative_to(self.objects_root)) for p in self.objects_root.rglob("*") if p.is_file()
        )

    async def upload(
        self,
        headers: dict[str, str],
        content: bytes,
        filename: str = "data.csv",
        content_type: str = "text/csv",
        **fields: str,
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": (filename, content, content_type)},
            data=fields or None,
        )


async def _env(mongodb_url: str, root: Path, s3_endpoint: str | None = None) -> AsyncIterator[DatasetEnv]:
    bucket = None
    if s3_endpoint:
        bucket = f"datasets-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
        storage_url = f"s3://{bucket}"
    else:
        storage_url = f"file://{root / 'objects'}"
    settings = make_settings(
        mongodb_url,
        storage_url,
        s3_endpoint=s3_endpoint,
        var_dir=root / "var",
        process_workers=1,
        rate_limit_per_minute=0,
        max_upload_bytes=MAX_UPLOAD,
    )
    async with running(create_app(settings)) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
            yield DatasetEnv(
                application, client, None if s3_endpoint else root / "objects", bucket, s3_endpoint
            )


@pytest.fixture(scope="module")
async def env(mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatasetEnv]:
    async for value in _env(mongodb_url, tmp_path_factory.mktemp("datasets")):
        yield value


@pytest.fixture(scope="module", params=["file", "s3"])
async def any_env(
    request: pytest.FixtureRequest, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatasetEnv]:
    endpoint = request.getfixturevalue("s3_endpoint") if request.param == "s3" else None
    async for value in _env(mongodb_url, tmp_path_factory.mktemp("datasets"), endpoint):
        yield value
