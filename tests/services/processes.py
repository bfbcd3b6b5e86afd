"""Real service processes for tests: SecantusDB, moto S3 and our own server, each on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
