"""Deleting finished jobs: training jobs and analyses (#15). Running ones are a 409 with a hint."""

from __future__ import annotations

import httpx
import pytest
from bson import ObjectId
from litestar import Litestar

from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration


async def test_a_training_job_is_deleted_once_finished_and_its_model_stays(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(400)))
    created = await client.post(
        "/api/v1/training-jobs",
        headers=auth_headers,
        json={"dataset_id": dataset_id, "target": "target", "time_budget_s": 120},
    )
    url = created.headers["location"]
    await wait_for_job(client, url, auth_headers, until=lambda job: job["status"] == "running")
    running = await client.delete(url, headers=auth_headers)
    assert running.status_code == 409, running.text
    job_id = url.rsplit("/", 1)[1]
    assert f"cancel it first (POST /api/v1/training-jobs/{job_id}/cancel)" in running.json()["detail"]
    assert (await client.post(url + "/cancel", headers=auth_headers)).status_code == 202
    assert (await wait_for_job(client, url, auth_headers, timeout=30))["status"] == "cancelled"

    other = await register_and_login(client)
    assert (await client.delete(url, headers=other)).status_code == 404  # another user's job
    assert (await client.delete(url, headers=auth_headers)).status_code == 204
    assert (await client.get(url, headers=auth_headers)).status_code == 404
    assert (await client.delete(url, headers=auth_headers)).status_code == 404

    done = await train(client, auth_headers, dataset_id, time_budget_s=1, algorithms=["linear"])
    assert done["status"] == "succeeded", done
    deleted = await client.delete(f"/api/v1/training-jobs/{done['id']}", headers=auth_headers)
    assert deleted.status_code == 204
    model = await client.get(f"/api/v1/models/{done['model_id']}", headers=auth_headers)
    assert model.status_code == 200 and model.json()["training_job_id"] == done["id"]


async def test_an_analysis_is_deleted_once_finished_and_refused_while_running(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    created = await client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=auth_headers)
    url = created.headers["location"]
    assert (await wait_for_job(client, url, auth_headers))["status"] == "succeeded"
    analysis_id = url.rsplit("/", 1)[1]

    # The same analysis seen while a worker still holds it (a state a fast analysis leaves quickly).
    analyses = app_state(app).client[app_state(app).database_name]["analysis_jobs"]
    await analyses.update_one({"_id": ObjectId(analysis_id)}, {"$set": {"status": "running"}})
    refused = await client.delete(url, headers=auth_headers)
    assert refused.status_code == 409 and "running" in refused.json()["detail"]
    await analyses.update_one({"_id": ObjectId(analysis_id)}, {"$set": {"status": "succeeded"}})

    other = await register_and_login(client)
    assert (await client.delete(url, headers=other)).status_code == 404
    assert (await client.delete(url, headers=auth_headers)).status_code == 204
    assert (await client.get(url, headers=auth_headers)).status_code == 404
