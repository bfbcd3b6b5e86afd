"""A job's /events stream (Server-Sent Events) and the Retry-After of its poll, over the API."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from litestar import Litestar

from modelyard.access_settings import EventSettings
from modelyard.lifespan import app_state
from modelyard.settings import Settings
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, upload_csv
from tests.services.jobs import wait_for_job
from tests.services.sse import Event, events

pytestmark = pytest.mark.integration

MAX_STREAM_S = 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.events = EventSettings(poll_interval_s=0.05, max_stream_s=MAX_STREAM_S, retry_after_s=3)
    return settings


def read(response: httpx.Response) -> list[Event]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return list(events(response.text.splitlines(keepends=True)))


async def start_analysis(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    dataset_id = await upload_csv(client, headers, to_csv(churn_frame(80)))
    created = await client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json={})
    assert created.status_code == 202, created.text
    return dataset_id, created.json()["id"]


async def test_an_analysis_streams_to_its_final_event_and_resumes_after_an_id(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    _, analysis_id = await start_analysis(client, auth_headers)
    url = f"/api/v1/analyses/{analysis_id}/events"
    stream = read(await client.get(url, headers=auth_headers))
    ids = [int(e.id or -1) for e in stream]
    assert ids == sorted(set(ids)) and ids[0] >= 0, ids  # monotonic, one event per revision
    assert stream[0].event == "status" and stream[0].retry == 2000
    assert stream[-1].event == "final" and stream[-1].json()["status"] == "succeeded"
    assert stream[-1].json()["result"]["target_suggestions"] is not None
    assert {e.event for e in stream[1:-1]} <= {"status", "progress"}
    assert (
        stream[-1].json()
        == (await client.get(f"/api/v1/analyses/{analysis_id}", headers=auth_headers)).json()
    )

    # Resuming from any earlier event gives the job as it is now, once: nothing the client had.
    resumed = read(await client.get(url, headers={**auth_headers, "Last-Event-ID": str(ids[0])}))
    assert [(e.event, e.id) for e in resumed] == [("final", str(ids[-1]))]
    # Resuming after the final event: nothing more will come (an EventSource stops on a 204).
    done = await client.get(url, headers={**auth_headers, "Last-Event-ID": str(ids[-1])})
    assert done.status_code == 204 and done.content == b""


async def test_a_queued_job_answers_retry_after_and_a_stream_ends_at_its_time_limit(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    await app_state(app).runner.stop()  # nothing runs: the analysis stays queued
    _, analysis_id = await start_analysis(client, auth_headers)
    polled = await client.get(f"/api/v1/analyses/{analysis_id}", headers=auth_headers)
    assert polled.json()["status"] == "queued" and polled.headers["retry-after"] == "3"

    started = time.monotonic()
    stream = read(await client.get(f"/api/v1/analyses/{analysis_id}/events", headers=auth_headers))
    assert MAX_STREAM_S <= time.monotonic() - started < MAX_STREAM_S + 5
    assert [(e.event, e.json()["status"]) for e in stream] == [("status", "queued")]


async def test_a_stream_says_when_its_job_is_deleted(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    await app_state(app).runner.stop()
    dataset_id, analysis_id = await start_analysis(client, auth_headers)
    watching = asyncio.create_task(client.get(f"/api/v1/analyses/{analysis_id}/events", headers=auth_headers))
    await asyncio.sleep(0.3)
    assert (await client.delete(f"/api/v1/datasets/{dataset_id}", headers=auth_headers)).status_code == 204
    stream = read(await watching)
    assert [e.event for e in stream] == ["status", "deleted"]
    assert stream[-1].json() == {"id": analysis_id}


async def test_a_finished_job_has_no_retry_after(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    _, analysis_id = await start_analysis(client, auth_headers)
    job = await wait_for_job(client, f"/api/v1/analyses/{analysis_id}", auth_headers)
    assert job["status"] == "succeeded"
    assert (
        "retry-after"
        not in (await client.get(f"/api/v1/analyses/{analysis_id}", headers=auth_headers)).headers
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/analyses/{}/events", "/api/v1/training-jobs/{}/events", "/api/v1/batch-predictions/{}/events"],
    ids=["analysis", "training", "batch"],
)
async def test_another_users_or_an_unknown_job_is_a_404(
    client: httpx.AsyncClient, auth_headers: dict[str, str], path: str
) -> None:
    if "analyses" in path:
        _, job_id = await start_analysis(client, auth_headers)
    else:
        job_id = "665f1c2a9b1e8a3d4c5b6a79"
    other = await register_and_login(client)
    response = await client.get(path.format(job_id), headers=other)
    assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


async def test_a_malformed_last_event_id_is_a_422(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    _, analysis_id = await start_analysis(client, auth_headers)
    response = await client.get(
        f"/api/v1/analyses/{analysis_id}/events", headers={**auth_headers, "Last-Event-ID": "abc"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "header.Last-Event-ID"
