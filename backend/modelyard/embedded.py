"""The embedded MongoDB-compatible server (SecantusDB) that `modelyard-server dev` runs beside the API.

SecantusDB is GPL-2.0 and a dev dependency: it runs as a separate process and is
never imported by the application.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def find_daemon() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError(
            "secantusd-py was not found: install the dev extra (`pip install -e '.[dev]'`) "
            "or set MODELYARD_MONGODB_URL to an existing MongoDB."
        )
    return found


class EmbeddedMongo:
    """Start SecantusDB on 127.0.0.1:`port` with its data in `storage`, and stop it cleanly."""

    def __init__(
        self, storage: Path | str, port: int, host: str = "127.0.0.1", log_file: Path | None = None
    ) -> None:
        self.storage = storage
        self.port = port
        self.host = host
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}"

    def start(self) -> None:
        if port_open(self.host, self.port):
            raise RuntimeError(
                f"port {self.port} is already in use: another embedded database may still be running "
                "(stop it, or set MODELYARD_MONGODB_EMBEDDED_PORT)"
            )
        if isinstance(self.storage, Path):
            self.storage.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab") if self.log_file else subprocess.DEVNULL
        self.process = subprocess.Popen(  # noqa: S603 - our own daemon, fixed arguments
            [
                find_daemon(),
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--storage-path",
                str(self.storage),
                "--log-level",
                "WARNING",
            ],
            stdout=log,
            stderr=subprocess.STDOUT if self.log_file else subprocess.DEVNULL,
            # Its own process group: a terminal Ctrl-C reaches us, and we stop it in order.
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedded database exited at start (code {self.process.returncode})")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the embedded database did not listen on {self.port} within {STARTUP_TIMEOUT_S} s"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
