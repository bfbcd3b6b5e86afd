"""Job handles on the real server: they follow the job's event stream (not polling), resume a
dropped stream with Last-Event-ID, poll when there is no stream; and API keys of limited scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest

from modelyard_client import AsyncClient, Client, Forbidden, JobEvent, Unauthorized
from modelyard_client import models as m
from tests.client.conftest import CUSTOMERS, PASSWORD
from tests.client.transports import AsyncRecordingTransport, Recorder, RecordingTransport
from tests.services.server import RunningServer

pytestmark = pytest.mark.e2e

ID = "[0-9a-f]{24}"
LEAKS = ["customer_id", "email", "account_closed"]


@dataclass
class Account:
    token: str
    dataset_id: str
    model_id: str


@pytest.fixture(scope="module")
def account(server: RunningServer) -> Iterator[Account]:
    """One account with the customers dataset and a model trained on it."""
    with Client(server.base_url) as client:
        email = f"keys-{uuid.uuid4().hex[:8]}@example.com"
        client.register(email, PASSWORD)
        token = client.login(email, PASSWORD).access_token
        dataset = client.datasets.upload(CUSTOMERS)
        job = client.training.create(dataset.id, "churned", time_budget_s=2, exclude_columns=LEAKS)
        done = job.wait(timeout=180)
        assert done.model_id
        yield Account(token, dataset.id, done.model_id)


def test_a_dropped_stream_resumes_after_its_last_event(server: RunningServer, account: Account) -> None:
    recorder = Recorder(cut_streams=1)
    with Client(server.base_url, token=account.token, transport=RecordingTransport(recorder)) as client:
        job = client.training.create(account.dataset_id, "churned", time_budget_s=2, exclude_columns=LEAKS)
        events: list[JobEvent[m.TrainingJob]] = []
        done = job.wait(timeout=180, on_event=events.append)
    assert done.status == "succeeded" and done.model_id
    streams = recorder.paths("GET", f"/api/v1/training-jobs/{ID}/events")
    assert len(streams) >= 2, recorder.sent
    # The first connection was cut after its first event; the reconnect asked for what came after it.
    assert streams[0].last_event_id is None
    assert streams[1].last_event_id == events[0].event_id and events[0].kind == "status"
    revisions = [int(e.event_id) for e in events if e.event_id is not None]
    assert len(revisions) == len(events) and revisions == sorted(revisions)
    assert any(e.kind == "leaderboard" for e in events) and events[-1].status == "succeeded"
    assert recorder.paths("GET", f"/api/v1/training-jobs/{ID}") == []  # never polled


def test_without_a_stream_the_handle_polls(server: RunningServer, account: Account) -> None:
    recorder = Recorder(no_stream=True)
    with Client(server.base_url, token=account.token, transport=RecordingTransport(recorder)) as client:
        first = client.datasets.analyse(account.dataset_id, target="churned")
        events: list[JobEvent[m.Analysis]] = []
        analysis = first.wait(timeout=120, poll_interval=0.2, on_event=events.append)
        assert analysis.status == "succeeded" and analysis.result is not None
        assert events[-1].status == "succeeded" and all(e.event_id is None for e in events)
        # The client remembers the server has no stream: the next job polls straight away.
        second = client.models.batch_predict(account.model_id, CUSTOMERS).wait(timeout=120, poll_interval=0.2)
        assert second.status == "succeeded" and second.rows_scored == 400
    assert len(recorder.paths("GET", f"/api/v1/(analyses|batch-predictions)/{ID}/events")) == 1
    assert recorder.paths("GET", f"/api/v1/analyses/{ID}")
    assert recorder.paths("GET", f"/api/v1/batch-predictions/{ID}")


async def test_async_handles_follow_and_resume_streams(server: RunningServer, account: Account) -> None:
    recorder = Recorder(cut_streams=1)
    transport = AsyncRecordingTransport(recorder)
    async with AsyncClient(server.base_url, token=account.token, transport=transport) as client:
        job = await client.models.batch_predict(account.model_id, CUSTOMERS)
        events: list[JobEvent[m.BatchPredictionJob]] = []
        done = await job.wait(timeout=120, on_event=events.append)
    assert done.status == "succeeded" and done.rows_scored == 400
    streams = recorder.paths("GET", f"/api/v1/batch-predictions/{ID}/events")
    assert len(streams) >= 2 and streams[1].last_event_id == events[0].event_id
    assert recorder.paths("GET", f"/api/v1/batch-predictions/{ID}") == []


def test_a_predict_only_key(server: RunningServer, account: Account) -> None:
    with Client(server.base_url, token=account.token) as owner:
        key = owner.api_keys.create("scoring", ["predict"], model_ids=[account.model_id])
        assert key.secret and key.secret.startswith("myk_") and key.scopes == ["predict"]
        assert [k.id for k in owner.api_keys.iter()] == [key.id]

    recorder = Recorder()
    with Client(server.base_url, api_key=key.secret, transport=RecordingTransport(recorder)) as machine:
        records = pd.read_csv(CUSTOMERS).drop(columns=["churned"]).head(2)
        assert machine.models.predict(account.model_id, records).scored == 2
        # A batch prediction and its event stream are within the predict scope.
        batch = machine.models.batch_predict(account.model_id, CUSTOMERS).wait(timeout=120)
        assert batch.rows_scored == 400
        assert recorder.paths("GET", f"/api/v1/batch-predictions/{ID}/events")
        with pytest.raises(Forbidden) as refused:
            machine.datasets.list()
        assert refused.value.status == 403 and "read" in (refused.value.problem.detail or "")
        with pytest.raises(Forbidden):
            machine.training.create(account.dataset_id, "churned")

    with Client(server.base_url, token=account.token) as owner:
        owner.api_keys.delete(key.id)
    with Client(server.base_url, api_key=key.secret) as revoked, pytest.raises(Unauthorized):
        revoked.models.predict(account.model_id, [{"plan": "basic"}])
