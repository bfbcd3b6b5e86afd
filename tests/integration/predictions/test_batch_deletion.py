"""DELETE /batch-predictions/{id}, and deleting a model with its batch predictions and narratives."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_earlier_jobs, wait_for_job

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


async def start_batch(client: httpx.AsyncClient, headers: dict[str, str], model: str) -> httpx.Response:
    rows = to_csv(churn_frame(40, seed=7).drop(columns=["target"]))
    response = await client.post(
        f"/api/v1/models/{model}/batch-predictions",
        headers=headers,
        files={"file": ("rows.csv", io.BytesIO(rows), "text/csv")},
    )
    assert response.status_code == 202, response.text
    return response


async def trained_model(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    dataset = await upload_csv(client, headers, to_csv(churn_frame()))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    return dataset, str(job["model_id"])


@pytest.fixture
def settings(settings: Any) -> Any:
    """One job at a time, so `wait_for_earlier_jobs` can tell when a job cut off by a deletion ended."""
    settings.jobs = settings.jobs.model_copy(update={"concurrent_jobs": 1})
    return settings


async def test_delete_a_batch_prediction(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    _, model = await trained_model(client, headers)
    kept = await start_batch(client, headers, model)
    gone = await start_batch(client, headers, model)
    for response in (kept, gone):
        assert (await wait_for_job(client, response.headers["location"], headers))["status"] == "succeeded"
    store = app_state(app).store
    gone_id = gone.json()["id"]
    assert sorted(await store.list(f"batch-predictions/{gone_id}/")) == [
        f"batch-predictions/{gone_id}/input.parquet",
        f"batch-predictions/{gone_id}/result.csv",
    ]

    stranger = await register_and_login(client)
    refused = await client.delete(f"/api/v1/batch-predictions/{gone_id}", headers=stranger)
    assert refused.status_code == 404 and refused.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(f"/api/v1/batch-predictions/{gone_id}", headers=headers)).status_code == 200

    deleted = await client.delete(f"/api/v1/batch-predictions/{gone_id}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/batch-predictions/{gone_id}", headers=headers)).status_code == 404
    result = await client.get(f"/api/v1/batch-predictions/{gone_id}/result", headers=headers)
    assert result.status_code == 404
    listed = (await client.get(f"/api/v1/models/{model}/batch-predictions", headers=headers)).json()
    assert [job["id"] for job in listed["items"]] == [kept.json()["id"]]
    assert await store.list(f"batch-predictions/{gone_id}/") == []
    assert await store.list(f"batch-predictions/{kept.json()['id']}/")

    for job_id in (gone_id, "665f1c2a9b1e8a3d4c5b6a79"):
        again = await client.delete(f"/api/v1/batch-predictions/{job_id}", headers=headers)
        assert again.status_code == 404 and again.json()["type"].endswith("/not-found")
    malformed = await client.delete("/api/v1/batch-predictions/not-an-id", headers=headers)
    assert malformed.status_code == 422 and malformed.json()["type"].endswith("/validation-error")


async def test_a_batch_finishing_during_its_deletion_leaves_no_result(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is deleted just as it writes its result: the result it then writes is removed."""
    headers = auth_headers
    _, model = await trained_model(client, headers)
    store = app_state(app).store
    real_put = store.put
    deletions: list[int] = []

    async def delete_job_first(key: str, chunks: AsyncIterable[bytes]) -> int:
        if key.endswith("/result.csv"):
            job_id = key.split("/")[1]
            response = await client.delete(f"/api/v1/batch-predictions/{job_id}", headers=headers)
            deletions.append(response.status_code)
        return int(await real_put(key, chunks))

    monkeypatch.setattr(store, "put", delete_job_first)
    batch = await start_batch(client, headers, model)
    deadline = time.monotonic() + 60
    while not deletions:
        assert time.monotonic() < deadline, "the batch never wrote its result"
        await asyncio.sleep(0.1)
    await wait_for_earlier_jobs(client)
    assert deletions == [204]
    assert (await client.get(batch.headers["location"], headers=headers)).status_code == 404
    assert await store.list("batch-predictions/") == []


async def test_deleting_a_model_removes_its_batch_predictions_and_narratives(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset, model = await trained_model(client, headers)
    batch = await start_batch(client, headers, model)
    assert (await wait_for_job(client, batch.headers["location"], headers))["status"] == "succeeded"
    narrative = await client.post(f"/api/v1/models/{model}/analyses", headers=headers)
    assert (await wait_for_job(client, narrative.headers["location"], headers))["status"] == "succeeded"
    analysis = await client.post(f"/api/v1/datasets/{dataset}/analyses", headers=headers)
    assert (await wait_for_job(client, analysis.headers["location"], headers))["status"] == "succeeded"
    store = app_state(app).store
    assert await store.list(f"batch-predictions/{batch.json()['id']}/")

    deleted = await client.delete(f"/api/v1/models/{model}", headers=headers)
    assert deleted.status_code == 204
    for url in (f"/api/v1/models/{model}", batch.headers["location"], narrative.headers["location"]):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404, url
    assert await store.list(f"batch-predictions/{batch.json()['id']}/") == []
    assert await store.list(f"models/{model}/") == []

    # The dataset, its analysis and the training job that made the model are not the model's.
    assert (await client.get(f"/api/v1/datasets/{dataset}", headers=headers)).status_code == 200
    assert (await client.get(analysis.headers["location"], headers=headers)).status_code == 200
    jobs: dict[str, Any] = (await client.get("/api/v1/training-jobs", headers=headers)).json()
    assert jobs["total"] == 1 and jobs["items"][0]["model_id"] == model
