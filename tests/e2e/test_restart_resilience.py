"""SIGKILL the server mid-training, start it again on the same data: nothing is stuck, lost or left over."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def _children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_killed_mid_training_the_job_finishes_after_restart(mongodb_url: str, tmp_path: Path) -> None:
    database = "e2e_sigkill"
    account = {"email": "killed@example.com", "password": "killed-password"}
    with start_server(mongodb_url, tmp_path, database=database) as server:
        http = httpx.Client(base_url=server.base_url, timeout=30)
        assert http.post("/api/v1/auth/register", json=account).status_code == 201
        token = http.post(
            "/api/v1/auth/token", data={"username": account["email"], "password": account["password"]}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        upload = http.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("churn.csv", to_csv(churn_frame(300)), "text/csv")},
        )
        assert upload.status_code == 201, upload.text
        dataset_id = upload.json()["id"]
        created = http.post(
            "/api/v1/training-jobs",
            headers=headers,
            json={"dataset_id": dataset_id, "target": "target", "time_budget_s": 10},
        )
        assert created.status_code == 202, created.text
        job_url = created.headers["location"]
        wait_for_job_sync(
            http, job_url, headers, timeout=60, interval=0.2, until=lambda job: job["status"] == "running"
        )
        workers = _children(server.process.pid)
        assert workers, "training should be running in a pool worker"
        server.process.send_signal(signal.SIGKILL)  # no shutdown hooks run: a crash
        server.process.wait(10)
        http.close()
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "pool workers outlived the killed server"
            time.sleep(0.2)

    with start_server(mongodb_url, tmp_path, database=database) as server:
        http = httpx.Client(base_url=server.base_url, timeout=30)
        token = http.post(
            "/api/v1/auth/token", data={"username": account["email"], "password": account["password"]}
        )
        assert token.status_code == 200, "the user was lost"
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert http.get(f"/api/v1/datasets/{dataset_id}", headers=headers).status_code == 200
        job = wait_for_job_sync(http, job_url, headers, timeout=120, interval=0.5)
        assert job["attempts"] == 2, job  # the interrupted run, then the one that finished
        assert job["status"] == "succeeded", job
        http.close()
        # The killed server's scratch directory (its job's table and control files) is gone; only the
        # running server's is left, empty now that the job is over.
        scratch = tmp_path / "var" / "tmp"
        assert [d.name.split(":")[1] for d in scratch.iterdir()] == [str(server.process.pid)]
        assert [p for p in scratch.rglob("*") if p.is_file()] == []
