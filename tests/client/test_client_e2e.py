"""The Python client against the real server process: the whole journey and its error paths."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pandas as pd
import polars as pl
import pytest

from modelyard_client import (
    AsyncClient,
    Client,
    JobEvent,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from modelyard_client import models as m
from tests.client.conftest import CUSTOMERS, PASSWORD
from tests.client.transports import Recorder, RecordingTransport
from tests.services.server import TEST_JWT_SECRET, RunningServer

pytestmark = pytest.mark.e2e


def test_journey_upload_analyse_train_predict_batch(
    server: RunningServer, email: str, tmp_path: Path
) -> None:
    recorder = Recorder()
    with Client(server.base_url, transport=RecordingTransport(recorder)) as client:
        client.register(email, PASSWORD)
        token = client.login(email, PASSWORD)
        assert token.token_type == "bearer" and client.me().email == email

        seen: list[tuple[int, int | None]] = []
        dataset = client.datasets.upload(CUSTOMERS, progress=lambda sent, total: seen.append((sent, total)))
        assert dataset.rows == 400 and dataset.format == "csv"
        assert seen[-1] == (CUSTOMERS.stat().st_size, CUSTOMERS.stat().st_size)
        assert [d.id for d in client.datasets.iter(page_size=1)] == [dataset.id]
        profile = client.datasets.profile(dataset.id)
        assert any(c.pii for c in profile.column_profiles)
        assert client.datasets.preview(dataset.id, limit=3).rows[0][0] == 10000

        analysis = client.datasets.analyse(dataset.id, target="churned").wait(timeout=60)
        assert isinstance(analysis.result, m.DatasetAnalysisResult) and analysis.result.overview

        # Without the column the analysis flagged as a leak, the model raises no leakage finding.
        job = client.training.create(
            dataset.id, "churned", time_budget_s=2, exclude_columns=["customer_id", "account_closed"]
        )
        events: list[JobEvent[m.TrainingJob]] = []
        done = job.wait(timeout=120, poll_interval=0.2, on_event=events.append)
        assert done.status == "succeeded" and done.model_id and done.leakage_findings == []
        assert events[-1].status == "succeeded" and any(e.kind == "leaderboard" for e in events)

        model = client.models.promote(done.model_id, "production")
        assert model.stage == "production"
        records = pd.read_csv(CUSTOMERS).drop(columns=["churned"]).head(3)
        answer = client.models.predict(model.id, records)
        assert answer.scored == 3 and answer.predictions[2].index == 2
        assert client.models.predict(model.id, pl.from_pandas(records)).scored == 3
        explained = client.models.predict(model.id, records, explain=True, explain_top=2)
        assert [p.prediction for p in explained.predictions] == [p.prediction for p in answer.predictions]
        for item in explained.predictions:
            why = item.explanation
            assert why is not None and len(why.contributions) == 2 and why.explained_class == "yes"
            total = why.base_value + sum(c.contribution for c in why.contributions) + why.other_contributions
            assert abs(total - why.output_value) <= 1e-6

        out = tmp_path / "scored.csv"
        batch = client.models.score_file(model.id, CUSTOMERS, out, timeout=120)
        assert batch.rows_scored == 400
        assert len(pd.read_csv(out)) == 400

    # Every job was followed over its event stream, none was polled.
    for kind in ("analyses", "training-jobs", "batch-predictions"):
        assert len(recorder.paths("GET", f"/api/v1/{kind}/[0-9a-f]{{24}}/events")) == 1, kind
        assert recorder.paths("GET", f"/api/v1/{kind}/[0-9a-f]{{24}}") == [], kind


def test_errors_are_typed_with_problem_details(server: RunningServer, email: str) -> None:
    with Client(server.base_url) as client:
        with pytest.raises(ValidationFailed) as invalid:
            client.register(email, "short")
        assert invalid.value.errors and invalid.value.errors[0].location == "body.password"
        client.register(email, PASSWORD)
        with pytest.raises(Unauthorized):
            client.login(email, "wrong password!")
        client.login(email, PASSWORD)
        with pytest.raises(NotFound) as missing:
            client.models.get("0" * 24)
        assert missing.value.status == 404 and missing.value.request_id
        with pytest.raises(UnsupportedMediaType):
            client.datasets.upload(io.BytesIO(b"\x00\x01\x02 not a table"), filename="junk.csv")
        user_id = client.me().id
    with Client(server.base_url, token="not-a-jwt") as anonymous, pytest.raises(Unauthorized):
        anonymous.me()
    with Client(server.base_url, token=expired_token(user_id)) as stale, pytest.raises(Unauthorized) as old:
        stale.me()
    assert "expired" in (old.value.problem.detail or "")


def expired_token(user_id: str) -> str:
    """An access token of this server for `user_id` that expired five minutes ago."""
    now = datetime.now(UTC)
    claims = {"sub": user_id, "iat": now - timedelta(hours=2), "exp": now - timedelta(minutes=5)}
    return jwt.encode(claims, TEST_JWT_SECRET, "HS256")


async def test_async_client(server: RunningServer, email: str) -> None:
    async with AsyncClient(server.base_url) as client:
        await client.register(email, PASSWORD)
        await client.login(email, PASSWORD)
        dataset = await client.datasets.upload(CUSTOMERS, name="customers")
        assert dataset.name == "customers"
        assert [d.id async for d in client.datasets.iter()] == [dataset.id]
        with pytest.raises(NotFound):
            await client.datasets.get("0" * 24)
