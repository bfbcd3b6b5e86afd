"""Training jobs over the API: train, poll, leaderboard, model; validation; cancel; restart recovery."""

from __future__ import annotations

import httpx
import pytest

from modelyard.lifespan import app_state
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration


async def test_binary_training_produces_an_evaluated_model(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    job = await train(client, auth_headers, dataset_id)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0 and job["problem_type"] == "binary" and job["metric"] == "roc_auc"
    assert job["candidates"] and job["candidates"][0]["rank"] == 1
    assert {"name": "id", "reason": "identifier-like: distinct integer per row"} in job["dropped_columns"]

    model = (await client.get(f"/api/v1/models/{job['model_id']}", headers=auth_headers)).json()
    assert model["training_job_id"] == job["id"] and model["dataset_id"] == dataset_id
    assert 0.5 <= model["test_metrics"]["roc_auc"] <= 1.0
    assert model["confusion_matrix"]["labels"] == ["no", "yes"]
    assert {f["name"] for f in model["training_schema"]["features"]} == {"age", "city", "member", "signup"}
    assert {f["feature"] for f in model["feature_importance"]} == {"age", "city", "member", "signup"}
    assert model["inference_path"] == "compiled" and model["size_bytes"] > 0
    assert model["leaderboard"] == job["candidates"]

    listed = (await client.get("/api/v1/training-jobs", headers=auth_headers)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]


async def test_validation_errors_name_the_field(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    frame = churn_frame(60)
    frame["one_class"] = "same"
    frame["mostly_missing"] = ["a", "b"] * 10 + [None] * 40
    frame["rare_class"] = ["a"] * 30 + ["b"] * 29 + ["c"]
    frame["text_target"] = "x" + frame["id"].astype(str)
    dataset_id = await upload_csv(client, auth_headers, to_csv(frame))
    small_id = await upload_csv(client, auth_headers, to_csv(churn_frame(60).head(15)))
    cases = [
        ({"dataset_id": "665f1c2a9b1e8a3d4c5b6a79", "target": "target"}, "body.dataset_id", "No dataset"),
        ({"dataset_id": dataset_id, "target": "nope"}, "body.target", "no column"),
        (
            {"dataset_id": dataset_id, "target": "target", "exclude_columns": ["ghost"]},
            "body.exclude_columns",
            "ghost",
        ),
        ({"dataset_id": dataset_id, "target": "one_class"}, "body.target", "single value"),
        ({"dataset_id": dataset_id, "target": "mostly_missing"}, "body.target", "more than 50%"),
        ({"dataset_id": dataset_id, "target": "rare_class"}, "body.target", "fewer than 2 rows"),
        (
            {"dataset_id": dataset_id, "target": "city", "problem_type": "regression"},
            "body.problem_type",
            "numeric",
        ),
        ({"dataset_id": small_id, "target": "target"}, "body.target", "at least 20"),
        ({"dataset_id": dataset_id, "target": "target", "metric": "rmse"}, "body.metric", "does not apply"),
        ({"dataset_id": dataset_id, "target": "target", "time_budget_s": 0}, "time_budget_s", ""),
    ]
    for body, location, text in cases:
        response = await client.post("/api/v1/training-jobs", headers=auth_headers, json=body)
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert any(location in (e.get("location") or "") for e in problem["errors"]), (body, problem)
        assert text in problem["detail"], (body, problem)
    listed = (await client.get("/api/v1/training-jobs", headers=auth_headers)).json()
    assert listed["total"] == 0  # nothing was queued


async def test_cancel_stops_a_running_job(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(400)))
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 120}
    created = await client.post("/api/v1/training-jobs", headers=auth_headers, json=body)
    url = created.headers["location"]
    await wait_for_job(
        client, url, auth_headers, until=lambda job: job["status"] == "running" and job["candidates"]
    )
    response = await client.post(url + "/cancel", headers=auth_headers)
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    job = await wait_for_job(client, url, auth_headers, timeout=30)
    assert job["status"] == "cancelled" and job["model_id"] is None
    again = await client.post(url + "/cancel", headers=auth_headers)
    assert again.status_code == 409
    models = (await client.get("/api/v1/models", headers=auth_headers)).json()
    assert models["total"] == 0


async def test_jobs_left_running_by_a_dead_process_are_requeued_or_failed(
    app: object, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    from datetime import timedelta

    from modelyard.domain.training.documents import TrainingJobDocument
    from modelyard.lib.clock import utcnow

    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    created = await client.post(
        "/api/v1/training-jobs",
        headers=auth_headers,
        json={"dataset_id": dataset_id, "target": "target", "time_budget_s": 1},
    )
    template = await TrainingJobDocument.get(created.json()["id"])
    assert template is not None
    await wait_for_job(client, created.headers["location"], auth_headers)
    # Two jobs a crashed server left `running`: its lease ran out long ago.
    stale = {
        "status": "running",
        "claimed_by": "gone-host:4242:dead",
        "lease_expires_at": utcnow() - timedelta(minutes=5),
        "progress": 0.4,
        "model_id": None,
    }
    retry = template.model_copy(update={"id": None, "attempts": 1, **stale})
    exhausted = template.model_copy(update={"id": None, "attempts": 3, **stale})
    await retry.insert()
    await exhausted.insert()
    await app_state(app).runner.recover()  # what a restart does first

    failed = await wait_for_job(client, f"/api/v1/training-jobs/{exhausted.id}", auth_headers)
    assert failed["status"] == "failed" and "interrupted 3 times" in failed["error"]["detail"]
    assert failed["error"]["status"] == 500
    done = await wait_for_job(client, f"/api/v1/training-jobs/{retry.id}", auth_headers)
    assert done["status"] == "succeeded" and done["attempts"] == 2 and done["model_id"]
