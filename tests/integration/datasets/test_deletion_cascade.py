"""Deleting a dataset takes its analyses and stops its training; models trained on it keep serving."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from litestar import Litestar

from modelyard.domain.models.services import ModelService
from modelyard.lifespan import app_state
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration

RECORD = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}


async def test_deleting_a_dataset_removes_its_analyses_and_cancels_its_training(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame()))
    analysis = await client.post(f"/api/v1/datasets/{dataset}/analyses", headers=headers)
    assert (await wait_for_job(client, analysis.headers["location"], headers))["status"] == "succeeded"
    finished = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    model = finished["model_id"]
    narrative = await client.post(f"/api/v1/models/{model}/analyses", headers=headers)
    assert (await wait_for_job(client, narrative.headers["location"], headers))["status"] == "succeeded"
    running = await client.post(
        "/api/v1/training-jobs",
        headers=headers,
        json={"dataset_id": dataset, "target": "target", "time_budget_s": 120},
    )
    await wait_for_job(client, running.headers["location"], headers, until=lambda j: j["status"] == "running")

    deleted = await client.delete(f"/api/v1/datasets/{dataset}", headers=headers)
    assert deleted.status_code == 204

    assert (await client.get(f"/api/v1/datasets/{dataset}", headers=headers)).status_code == 404
    assert (await client.get(analysis.headers["location"], headers=headers)).status_code == 404
    stopped = await wait_for_job(client, running.headers["location"], headers, timeout=30)
    assert stopped["status"] == "cancelled" and stopped["model_id"] is None
    assert [k for k in await app_state(app).store.list("") if dataset in k] == []

    # What was trained on it stays and keeps working, narrative included.
    kept = (await client.get(f"/api/v1/training-jobs/{finished['id']}", headers=headers)).json()
    assert kept["status"] == "succeeded" and kept["model_id"] == model
    got = await client.get(f"/api/v1/models/{model}", headers=headers)
    assert got.status_code == 200 and got.json()["dataset_id"] == dataset
    predicted = await client.post(
        f"/api/v1/models/{model}/predictions", headers=headers, json={"records": [RECORD]}
    )
    assert predicted.status_code == 200 and predicted.json()["scored"] == 1
    assert (await client.get(narrative.headers["location"], headers=headers)).status_code == 200
    assert await app_state(app).store.list(f"models/{model}/")

    # Another user's id and the deleted one are both 404; a malformed one is a 422 that says where.
    for target in (dataset, "665f1c2a9b1e8a3d4c5b6a79"):
        assert (await client.delete(f"/api/v1/datasets/{target}", headers=headers)).status_code == 404
    malformed = await client.delete("/api/v1/datasets/not-an-id", headers=headers)
    assert malformed.status_code == 422
    assert [e["location"] for e in malformed.json()["errors"]] == ["path.dataset_id"]


async def test_a_training_finishing_while_its_dataset_is_deleted_keeps_no_model(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame()))
    real_create = ModelService.create
    deletions: list[int] = []

    async def delete_dataset_first(self: ModelService, document: Any) -> Any:
        deletions.append((await client.delete(f"/api/v1/datasets/{dataset}", headers=headers)).status_code)
        return await real_create(self, document)

    monkeypatch.setattr(ModelService, "create", delete_dataset_first)
    created = await client.post(
        "/api/v1/training-jobs",
        headers=headers,
        json={"dataset_id": dataset, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]},
    )
    job = await wait_for_job(client, created.headers["location"], headers)
    assert deletions == [204]
    assert job["status"] == "cancelled" and job["model_id"] is None
    assert (await client.get("/api/v1/models", headers=headers)).json()["total"] == 0
    deadline = time.monotonic() + 10
    while await app_state(app).store.list(""):  # the artifact is removed as the job ends
        assert time.monotonic() < deadline, await app_state(app).store.list("")
        await asyncio.sleep(0.1)
