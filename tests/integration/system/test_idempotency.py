"""Idempotency-Key on creating POSTs (#15): a retry replays the first answer instead of creating twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import msgspec
import pytest
from bson import ObjectId
from litestar import Litestar

from modelyard.domain.training.schemas import TrainingJobCreate
from modelyard.lib.clock import utcnow
from modelyard.lib.idempotency import fingerprint
from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, upload_csv

pytestmark = pytest.mark.integration


def keys(app: Litestar) -> object:
    return app_state(app).client[app_state(app).database_name]["idempotency_keys"]


async def test_a_retried_training_job_is_created_once(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]}
    headers = {**auth_headers, "Idempotency-Key": "train-7f3c2a9b"}
    first = await client.post("/api/v1/training-jobs", headers=headers, json=body)
    again = await client.post("/api/v1/training-jobs", headers=headers, json=body)
    assert first.status_code == again.status_code == 202, again.text
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    listed = (await client.get("/api/v1/training-jobs", headers=auth_headers)).json()
    assert listed["total"] == 1

    other = await client.post("/api/v1/training-jobs", headers=headers, json={**body, "time_budget_s": 2})
    assert other.status_code == 422
    assert other.json()["errors"][0]["location"] == "header.Idempotency-Key"

    # Keys are per user: someone else's identical key is a different key.
    bob = await register_and_login(client)
    bob_dataset = await upload_csv(client, bob, to_csv(churn_frame()))
    bob_job = await client.post(
        "/api/v1/training-jobs",
        headers={**bob, "Idempotency-Key": "train-7f3c2a9b"},
        json={**body, "dataset_id": bob_dataset},
    )
    assert bob_job.status_code == 202 and bob_job.json()["id"] != first.json()["id"]


async def test_a_failed_request_stores_nothing_and_a_running_one_is_a_409(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    headers = {**auth_headers, "Idempotency-Key": "retry-after-fixing"}
    wrong = {"dataset_id": dataset_id, "target": "no_such_column", "time_budget_s": 1}
    assert (await client.post("/api/v1/training-jobs", headers=headers, json=wrong)).status_code == 422
    fixed = {**wrong, "target": "target"}
    assert (await client.post("/api/v1/training-jobs", headers=headers, json=fixed)).status_code == 202

    owner = ObjectId((await client.get("/api/v1/auth/me", headers=auth_headers)).json()["id"])
    # What the server records for this very request while a first attempt is still being handled.
    same_request = fingerprint(msgspec.json.encode(msgspec.convert(fixed, TrainingJobCreate)))
    await keys(app).insert_one(  # type: ignore[attr-defined]
        {
            "owner_id": owner,
            "key": "in-flight",
            "operation": "/api/v1/training-jobs",
            "fingerprint": same_request,
            "state": "in_progress",
            "headers": {},
            "created_at": utcnow(),
        }
    )
    busy = await client.post(
        "/api/v1/training-jobs", headers={**auth_headers, "Idempotency-Key": "in-flight"}, json=fixed
    )
    assert busy.status_code == 409 and busy.headers["retry-after"] == "1", busy.text
    # A record from more than 24 hours ago no longer holds its key.
    await keys(app).update_one(  # type: ignore[attr-defined]
        {"key": "in-flight"}, {"$set": {"created_at": utcnow() - timedelta(hours=25)}}
    )
    freed = await client.post(
        "/api/v1/training-jobs", headers={**auth_headers, "Idempotency-Key": "in-flight"}, json=fixed
    )
    assert freed.status_code == 202


async def test_concurrent_duplicates_create_one_job(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]}
    headers = {**auth_headers, "Idempotency-Key": "double-click"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/training-jobs", headers=headers, json=body) for _ in range(4))
    )
    assert {a.status_code for a in answers} <= {202, 409}
    created = {a.json()["id"] for a in answers if a.status_code == 202}
    assert len(created) == 1
    conflict = [a for a in answers if a.status_code == 409]
    assert all(a.headers["retry-after"] == "1" for a in conflict)
    listed = (await client.get("/api/v1/training-jobs", headers=auth_headers)).json()
    assert listed["total"] == 1


async def test_a_retried_upload_is_stored_once(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = {**auth_headers, "Idempotency-Key": "upload-20261129-a"}
    data = to_csv(churn_frame(60))
    first = await client.post("/api/v1/datasets", headers=headers, files={"file": ("churn.csv", data)})
    again = await client.post("/api/v1/datasets", headers=headers, files={"file": ("churn.csv", data)})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert (await client.get("/api/v1/datasets", headers=auth_headers)).json()["total"] == 1
    changed = await client.post(
        "/api/v1/datasets", headers=headers, files={"file": ("churn.csv", to_csv(churn_frame(61)))}
    )
    assert changed.status_code == 422


async def test_a_malformed_key_is_refused(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/training-jobs",
        headers={**auth_headers, "Idempotency-Key": "has space"},
        json={"dataset_id": "665f1c2a9b1e8a3d4c5b6a79", "target": "churned"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "header.Idempotency-Key"
