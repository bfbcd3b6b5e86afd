"""Fault tests own their dependencies: a SecantusDB and a moto server each test may stop, freeze
(SIGSTOP) and restart on the same port. Every wait here is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import pytest
from litestar import Litestar

from modelyard.app import create_app
from modelyard.settings import Settings
from tests.conftest import PRODUCT_OPERATION_TIMEOUT_MS, make_settings, running
from tests.services.processes import start_moto, start_secantus, stop


@dataclass
class Dependency:
    """A peer process tests can stop, freeze and bring back on the same address."""

    kind: str
    storage: Path
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    port: int = 0
    frozen: bool = field(default=False)

    def start(self) -> None:
        if self.kind == "mongodb":
            self.process, self.url = start_secantus(self.port or None, storage=str(self.storage))
        else:
            self.process, self.url = start_moto(self.port or None)
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()
            stop(self.process)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.process is not None and self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False


@pytest.fixture
def mongodb(tmp_path: Path) -> Iterator[Dependency]:
    # On disk, so a stopped and restarted database still knows the test's users.
    db = Dependency("mongodb", tmp_path / "mongo")
    db.storage.mkdir()
    db.start()
    try:
        yield db
    finally:
        db.stop()


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[Dependency]:
    server = Dependency("s3", tmp_path / "unused")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ObjectStoreChoice:
    url: str
    s3_endpoint: str | None = None


@pytest.fixture(params=["file", "s3"])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStoreChoice:
    """Both storage backends: the filesystem store, and a bucket of the suite's moto server (which
    these tests leave running; test_object_store_outage stops a moto of its own)."""
    if request.param == "file":
        return ObjectStoreChoice(f"file://{tmp_path / 'objects'}")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return ObjectStoreChoice(f"s3://{bucket}", endpoint)


@pytest.fixture
def fault_settings(mongodb: Dependency, object_store: ObjectStoreChoice, tmp_path: Path) -> Settings:
    return make_settings(
        mongodb.url,
        object_store.url,
        s3_endpoint=object_store.s3_endpoint,
        var_dir=tmp_path / "var",
        operation_timeout_ms=PRODUCT_OPERATION_TIMEOUT_MS,
    )


@pytest.fixture
async def fault_client(fault_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(fault_settings)) as app, client_for(app) as http:
        yield http


def client_for(app: Litestar) -> httpx.AsyncClient:
    # The read timeout bounds every call of a fault test: nothing here may hang.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30.0
    )
