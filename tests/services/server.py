"""Start the real Modelyard server (uvicorn in a subprocess) on a free port, for e2e tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.services.processes import SUITE_OPERATION_TIMEOUT_MS, free_port, stop

TEST_JWT_SECRET = "e2e-secret-" + "e" * 40
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def start_server(
    mongodb_url: str | None,
    tmp_dir: Path,
    *,
    database: str | None = None,
    storage_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    command: tuple[str, ...] = ("serve",),
    timeout: float = 120.0,
    park_dir: Path | None = None,
) -> Iterator[RunningServer]:
    """Run `python -m modelyard serve` against `mongodb_url`; yields once /health/ready is 200.

    `timeout` only bounds a start that went wrong: under coverage on a loaded two-core machine
    the imports alone have taken over a minute.

    With `mongodb_url=None` and `command=("dev",)` the server starts its embedded database. With
    `park_dir`, it runs with park points a test arms there (`tests.services.parked_server`).
    """
    port = free_port()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MODELYARD_ENV": "test",
        "MODELYARD_HOST": "127.0.0.1",
        "MODELYARD_PORT": str(port),
        "MODELYARD_MONGODB_DATABASE": database or f"e2e_{port}",
        "MODELYARD_STORAGE_URL": storage_url or f"file://{tmp_dir / 'objects'}",
        "MODELYARD_VAR_DIR": str(tmp_dir / "var"),
        "MODELYARD_JWT_SECRET": TEST_JWT_SECRET,
        # Most servers here never profile or train; the train-and-predict flow runs warm.
        "MODELYARD_WARM_WORKERS": "false",
        # The suite's database is slow under load (see SUITE_OPERATION_TIMEOUT_MS).
        "MODELYARD_MONGODB_OPERATION_TIMEOUT_MS": str(SUITE_OPERATION_TIMEOUT_MS),
        # The parked server is a module of this repository's tests.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        **(extra_env or {}),
    }
    env.pop("MODELYARD_MONGODB_URL", None)
    if mongodb_url is not None:
        env["MODELYARD_MONGODB_URL"] = mongodb_url
    log_path = tmp_dir / f"server-{port}.log"
    launcher = (
        ["-m", "modelyard"] if park_dir is None else ["-m", "tests.services.parked_server", str(park_dir)]
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *launcher, *command], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(server.base_url + "/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready within {timeout} s:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        # SIGTERM: uvicorn shuts down gracefully, so subprocess coverage data is written.
        stop(process)
