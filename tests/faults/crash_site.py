"""What crash tests look at from outside the server: its database, object store and var/ directory,
on one storage backend; and the ways they catch work mid-step (park points, a half-sent upload)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import httpx

from tests.services.jobs import FINAL
from tests.services.server import RunningServer, start_server

SERVER_ENV = {
    "MODELYARD_PREDICTIONS_PREDICTION_COUNT_FLUSH_S": "1",
    "MODELYARD_JOBS_CONCURRENT_JOBS": "8",  # every parked job holds a slot
    "MODELYARD_PROCESS_WORKERS": "1",
    "MODELYARD_STORAGE_MULTIPART_CHUNK_BYTES": str(5 * 1024 * 1024),
    "MODELYARD_METRICS_REFRESH_SECONDS": "0.5",
    "MODELYARD_RATE_LIMIT_PER_MINUTE": "0",
    "MODELYARD_ANALYSIS_PROVIDER": "heuristic",
}
FLUSH_S = float(SERVER_ENV["MODELYARD_PREDICTIONS_PREDICTION_COUNT_FLUSH_S"])


@dataclass
class Site:
    """One deployment's data (database, object store, var/) that servers come and go on."""

    root: Path
    mongodb_url: str
    backend: str
    s3_endpoint: str | None = None

    def __post_init__(self) -> None:
        self.database = f"crash_{uuid.uuid4().hex[:12]}"
        self.park_dir = self.root / "parks"
        self.park_dir.mkdir(parents=True)
        if self.backend == "s3":
            self.bucket = f"crash-{uuid.uuid4().hex[:12]}"
            self._s3().create_bucket(Bucket=self.bucket)
            self.storage_url = f"s3://{self.bucket}"
        else:
            self.storage_url = f"file://{self.root / 'objects'}"

    @property
    def scratch(self) -> Path:
        return self.root / "var" / "tmp"

    @property
    def system_tmp(self) -> Path:
        return self.root / "system-tmp"

    @contextmanager
    def server(self, *, parked: bool = False) -> Iterator[RunningServer]:
        # The system's temporary directory of this site alone: what lands there is seen.
        env = {**SERVER_ENV, "TMPDIR": str(self.system_tmp)}
        self.system_tmp.mkdir(exist_ok=True)
        if self.s3_endpoint:
            env["MODELYARD_STORAGE_S3_ENDPOINT_URL"] = self.s3_endpoint
        with start_server(
            self.mongodb_url,
            self.root,
            database=self.database,
            storage_url=self.storage_url,
            extra_env=env,
            park_dir=self.park_dir if parked else None,
        ) as server:
            yield server

    # -- parks ----------------------------------------------------------------------------------

    def arm(self, step: str) -> None:
        (self.park_dir / f"arm-{step}").touch()

    def wait_parked(self, step: str, server: RunningServer, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.park_dir / f"parked-{step}").exists():
            assert server.process.poll() is None, server.log()
            assert time.monotonic() < deadline, f"nothing reached {step} within {timeout} s:\n{server.log()}"
            time.sleep(0.05)

    # -- what is left -----------------------------------------------------------------------------

    def stored_objects(self) -> list[str]:
        """Every object, and every partial write (a file store's `.part` files), by key."""
        if self.backend == "s3":
            listed = self._s3().list_objects_v2(Bucket=self.bucket).get("Contents", [])
            return sorted(item["Key"] for item in listed)
        root = self.root / "objects"
        return (
            sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
        )

    def unfinished_uploads(self) -> list[str]:
        """Writes a killed process left: S3 multipart uploads, or the file store's `.part` files."""
        if self.backend == "s3":
            uploads = self._s3().list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
            return sorted(upload["Key"] for upload in uploads)
        return [key for key in self.stored_objects() if key.endswith(".part")]

    def scratch_files(self) -> list[Path]:
        return sorted(p for p in self.scratch.rglob("*") if p.is_file()) if self.scratch.exists() else []

    def scratch_of(self, pid: int) -> Path:
        """The scratch directory of the server process `pid` (named `host:pid:token`)."""
        found = [d for d in self.scratch.iterdir() if d.name.split(":")[1:2] == [str(pid)]]
        assert len(found) == 1, list(self.scratch.iterdir())
        return found[0]

    def _s3(self) -> Any:
        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1")


def login(
    http: httpx.Client, email: str, *, register: bool, password: str = "crash-password"
) -> dict[str, str]:
    if register:
        registered = http.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert registered.status_code == 201, registered.text
    token = http.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def send_half_an_upload(base_url: str, headers: dict[str, str], data: bytes) -> socket.socket:
    """Start a dataset upload and send half its body; the server waits for the rest, its temporary
    file half-written. The caller keeps the socket open until the server is killed."""
    boundary = "crash-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    address = urlparse(base_url)
    request = (
        f"POST /api/v1/datasets HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + len(data) + len(tail)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((address.hostname, address.port))
    sock.sendall(request + head + data[: len(data) // 2])
    return sock


def wait_final(http: httpx.Client, urls: list[str], headers: dict[str, str], timeout: float) -> list[Any]:
    """Every job's document once all are final; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = [http.get(url, headers=headers).json() for url in urls]
        if all(job["status"] in FINAL for job in jobs):
            return jobs
        assert time.monotonic() < deadline, f"jobs not final within {timeout} s: {jobs}"
        time.sleep(0.2)
