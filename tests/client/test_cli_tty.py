"""`modelyard train` on a terminal: the live leaderboard and bar, and what Ctrl-C offers.

The CLI runs in a pseudo-terminal (stdin, stdout and stderr on the pty's slave end), as in a
user's shell: rich sees a terminal and draws the live view, and the Ctrl-C prompt can be answered.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.client.conftest import CUSTOMERS, PASSWORD
from tests.client.test_cli_e2e import Cli
from tests.services.server import RunningServer

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\r")
PROMPT = "Cancel the training job or detach from it?"


class Terminal:
    """The CLI as a child process on a pseudo-terminal; reads everything it draws."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self.master, self.screen = master, ""
        env = {**env, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modelyard_client", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)

    def read_until(self, pattern: str, timeout: float = 120.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.text()):
                return found
            if not self._read(0.2) and self.process.poll() is not None:
                break
        raise AssertionError(f"{pattern!r} not drawn within {timeout} s; screen:\n{self.text()[-3000:]}")

    def text(self) -> str:
        return ANSI.sub("", self.screen)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 120.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.05):
            pass
        os.close(self.master)
        if self.process.poll() is None:
            self.process.kill()
            raise AssertionError(f"the CLI did not exit; screen:\n{self.text()[-3000:]}")
        return self.process.returncode

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.screen += chunk.decode(errors="replace")
        return bool(chunk)


@pytest.fixture
def dataset_id(cli: Cli, email: str) -> str:
    cli("login", "--register", "--email", email, "--password", PASSWORD)
    cli("datasets", "upload", str(CUSTOMERS))
    [dataset] = cli.json("datasets", "list")
    return str(dataset["id"])


@pytest.fixture
def cli(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.base_url, tmp_path / "config")


def api(server: RunningServer, cli: Cli, method: str, path: str) -> httpx.Response:
    """Call the API with the token `modelyard login` stored."""
    stored = json.loads((Path(cli.env["XDG_CONFIG_HOME"]) / "modelyard" / "config.json").read_text())
    headers = {"Authorization": f"Bearer {stored['token']}"}
    return httpx.request(method, f"{server.base_url}/api/v1{path}", headers=headers)


def job_status(server: RunningServer, cli: Cli, job_id: str) -> str:
    return str(api(server, cli, "GET", f"/training-jobs/{job_id}").json()["status"])


def start_training(cli: Cli, dataset_id: str) -> tuple[Terminal, str]:
    terminal = Terminal(
        ["train", dataset_id, "--target", "churned", "--budget", "60", "--exclude", "customer_id"], cli.env
    )
    job_id = terminal.read_until(r"Training job ([0-9a-f]{24}) started")[1]
    terminal.read_until(r"of 60s budget")  # the live bar against the budget is on screen
    return terminal, job_id


def test_live_view_then_ctrl_c_cancels(server: RunningServer, cli: Cli, dataset_id: str) -> None:
    terminal, job_id = start_training(cli, dataset_id)
    terminal.read_until(r"rank.+algorithm.+cv score")  # the live leaderboard table
    terminal.process.send_signal(signal.SIGINT)
    terminal.read_until(re.escape(PROMPT))
    terminal.type("c\n")
    assert terminal.finish() == 3  # documented: a job failed or was cancelled
    assert f"Cancelling training job {job_id}" in terminal.text()
    deadline = time.monotonic() + 60
    while (status := job_status(server, cli, job_id)) != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == "cancelled"


def test_ctrl_c_detaches_and_the_job_keeps_running(server: RunningServer, cli: Cli, dataset_id: str) -> None:
    terminal, job_id = start_training(cli, dataset_id)
    terminal.process.send_signal(signal.SIGINT)
    terminal.read_until(re.escape(PROMPT))
    terminal.type("d\n")
    assert terminal.finish() == 0
    assert f"modelyard train --attach {job_id}" in terminal.text()
    assert job_status(server, cli, job_id) in {"queued", "running"}
    assert (
        api(server, cli, "POST", f"/training-jobs/{job_id}/cancel").status_code == 202
    )  # leave nothing running
