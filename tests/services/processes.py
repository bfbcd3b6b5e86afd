"""Real service processes for tests: SecantusDB, moto S3 and our own server, each on a free port."""

from __future__ import annotations

import itertools
import os
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


# Under pytest-xdist each worker hands out ports from a block of its own, below the kernel's
# ephemeral range (32768+): a port chosen here is free until its service binds it, and in that
# window no other worker (nor an outgoing connection) can be given the same one.
_BLOCK_BASE, _BLOCK_SIZE, _BLOCKS = 20_000, 1_000, 12
_handed_out = itertools.count(random.randrange(_BLOCK_SIZE))


def _worker_index() -> int | None:
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(match[1]) % _BLOCKS if match else None


SUITE_OPERATION_TIMEOUT_MS = 20_000
"""The database operation bound the suite runs with (MODELYARD_MONGODB_OPERATION_TIMEOUT_MS).

The suite runs a pure-Python SecantusDB per xdist worker, three workers at once on two cores:
one operation can take seconds there, which a deployment's 1.5 s bound would turn into spurious
outages (jobs requeued, 503s). Tests of outages (tests/faults) use the real default."""


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (its own block per xdist worker, see above)."""
    worker = _worker_index()
    if worker is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(_BLOCK_SIZE):
        port = _BLOCK_BASE + worker * _BLOCK_SIZE + next(_handed_out) % _BLOCK_SIZE
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (or lingering): the next one
            return port
    raise RuntimeError(f"no free port in worker {worker}'s block")


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before listening")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{process.args!r} did not listen on {port} within {timeout} s")


def service_env() -> dict[str, str]:
    """Environment for peer services: no coverage hooks (they run no code of ours)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_moto(port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = port or free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=service_env(),
    )
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}"


def start_secantus(port: int | None = None, storage: str = ":memory:") -> tuple[subprocess.Popen[bytes], str]:
    """SecantusDB on `port` (a free one by default); fault tests restart it on the same port."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            str(VENV_BIN / "secantusd-py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            storage,
            "--log-level",
            "ERROR",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=service_env(),
    )
    wait_for_port(port, process)
    return process, f"mongodb://127.0.0.1:{port}"
