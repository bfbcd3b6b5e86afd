"""A training job followed over Server-Sent Events against the real server, interrupted and resumed
with Last-Event-ID."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.server import start_server
from tests.services.sse import Event, events

pytestmark = pytest.mark.e2e


def stream(
    http: httpx.Client, url: str, headers: dict[str, str], stop_after: int | None = None
) -> list[Event]:
    """The events of one connection, read as they arrive; closed by us after `stop_after` events."""
    received: list[Event] = []
    with http.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in events(response.iter_lines()):
            received.append(event)
            if stop_after is not None and len(received) >= stop_after:
                break  # the connection drops here, as a client's network would
    return received


def test_a_training_job_streams_to_completion_and_resumes_after_a_dropped_connection(
    mongodb_url: str, tmp_path: Path
) -> None:
    env = {"MODELYARD_WARM_WORKERS": "true", "MODELYARD_EVENTS_POLL_INTERVAL_S": "0.2"}
    with (
        start_server(mongodb_url, tmp_path, extra_env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
    ):
        account = {"email": "events@example.com", "password": "events-password"}
        assert http.post("/api/v1/auth/register", json=account).status_code == 201
        token = http.post(
            "/api/v1/auth/token", data={"username": account["email"], "password": "events-password"}
        )
        user = {"Authorization": f"Bearer {token.json()['access_token']}"}
        upload = http.post(
            "/api/v1/datasets", headers=user, files={"file": ("c.csv", to_csv(churn_frame(400)))}
        )
        assert upload.status_code == 201, upload.text
        body = {"dataset_id": upload.json()["id"], "target": "target", "time_budget_s": 4}
        created = http.post("/api/v1/training-jobs", headers=user, json=body)
        assert created.status_code == 202, created.text
        job_url = created.headers["location"]
        polled = http.get(job_url, headers=user)
        assert polled.json()["status"] in ("queued", "running") and polled.headers["retry-after"] == "2"

        first = stream(http, job_url + "/events", user, stop_after=2)
        assert first[0].event == "status" and first[0].retry == 2000
        assert all(e.event != "final" for e in first), [e.event for e in first]
        resumed = stream(http, job_url + "/events", {**user, "Last-Event-ID": first[-1].id or ""})

        ids = [int(e.id or -1) for e in first + resumed]
        assert ids == sorted(set(ids)), ids  # nothing received twice, in revision order
        assert int(resumed[0].id or -1) > int(first[-1].id or -1)
        final = resumed[-1]
        assert final.event == "final" and final.json()["status"] == "succeeded", final
        assert final.json()["model_id"] and final.json()["progress"] == 1.0
        assert all(e.event != "final" for e in resumed[:-1])
        kinds = {e.event for e in first + resumed}
        assert "leaderboard" in kinds and kinds <= {"status", "progress", "leaderboard", "final"}, kinds
        progress = [e.json()["progress"] for e in first + resumed if e.json()["status"] == "running"]
        assert progress == sorted(progress) and 0 < max(progress) < 1, progress
        board = [e for e in first + resumed if e.event == "leaderboard"]
        assert all(e.json()["candidates"] for e in board)

        done = http.get(job_url, headers=user)
        assert done.json() == final.json() and "retry-after" not in done.headers
        again = http.get(job_url + "/events", headers={**user, "Last-Event-ID": final.id or ""})
        assert again.status_code == 204
