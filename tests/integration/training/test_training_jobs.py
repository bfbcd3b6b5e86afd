"""Training jobs over the API: train, poll, leaderboard, model; validation; cancel; restart recovery."""

from __future__ import annotations

import httpx
import pytest
from bson import ObjectId

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
    # The portfolio, then tuning (when the budget left room for it), and why the search stopped.
    assert "portfolio" in {c["stage"] for c in job["candidates"]} <= {"portfolio", "tuning", "ensemble"}
    stop = job["search_stop"]
    assert stop["reason"] in ("budget_spent", "converged") and stop["detail"], stop
    finished = {c["candidate"] for c in job["candidates"] if c["stage"] == "tuning" and c["status"] == "ok"}
    assert stop["tuning_trials"] == len(finished)  # a trial the budget cut short is not counted
    assert job["estimated_seconds_left"] == 0.0
    history = job["score_history"]
    assert history and [p["seconds"] for p in history] == sorted(p["seconds"] for p in history)
    assert [p["cv_score"] for p in history] == sorted(p["cv_score"] for p in history)  # roc_auc: up
    assert history[-1]["candidate"] == job["candidates"][0]["candidate"]

    model = (await client.get(f"/api/v1/models/{job['model_id']}", headers=auth_headers)).json()
    assert model["training_job_id"] == job["id"] and model["dataset_id"] == dataset_id
    assert 0.5 <= model["test_metrics"]["roc_auc"] <= 1.0
    assert model["confusion_matrix"]["labels"] == ["no", "yes"]
    assert {f["name"] for f in model["training_schema"]["features"]} == {"age", "city", "member", "signup"}
    assert {f["feature"] for f in model["feature_importance"]} == {"age", "city", "member", "signup"}
    assert model["inference_path"] == "compiled" and model["size_bytes"] > 0
    assert model["leaderboard"] == job["candidates"]
    assert model["search_stop"] == stop and model["cv_score"] == history[-1]["cv_score"]

    listed = (await client.get("/api/v1/training-jobs", headers=auth_headers)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]


async def test_a_converged_search_says_so(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    """One cheap family converges long before its budget: the job ends early and says why."""
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    job = await train(client, auth_headers, dataset_id, algorithms=["linear"], time_budget_s=300)
    assert job["status"] == "succeeded", job
    stop = job["search_stop"]
    assert stop["reason"] == "converged" and "over the last 30 trials" in stop["detail"], stop
    assert stop["seconds"] < 150 and stop["tuning_trials"] >= 30
    tuned = [c for c in job["candidates"] if c["stage"] == "tuning"]
    assert len(tuned) == stop["tuning_trials"] and all(set(c["params"]) == {"C"} for c in tuned)
    model = (await client.get(f"/api/v1/models/{job['model_id']}", headers=auth_headers)).json()
    assert model["search_stop"] == stop


async def test_a_model_stored_before_the_tuned_search_reads_and_serves(
    app: object, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    """Models and jobs recorded before the search said why it stopped (no `search_stop`, no score
    history, leaderboard rows without `stage`) still read, list and predict."""
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    job = await train(client, auth_headers, dataset_id, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    database = app_state(app).client[app_state(app).database_name]  # type: ignore[arg-type]
    await database["models"].update_one(
        {"_id": ObjectId(job["model_id"])}, {"$unset": {"search_stop": "", "leaderboard.$[].stage": ""}}
    )
    await database["training_jobs"].update_one(
        {"_id": ObjectId(job["id"])},
        {
            "$unset": {
                "search_stop": "",
                "score_history": "",
                "estimated_seconds_left": "",
                "candidates.$[].stage": "",
            }
        },
    )
    model = (await client.get(f"/api/v1/models/{job['model_id']}", headers=auth_headers)).json()
    assert model["search_stop"] is None and {c["stage"] for c in model["leaderboard"]} == {"portfolio"}
    old_job = (await client.get(f"/api/v1/training-jobs/{job['id']}", headers=auth_headers)).json()
    assert old_job["search_stop"] is None and old_job["score_history"] == []
    assert old_job["estimated_seconds_left"] is None
    record = {"age": 40.0, "city": "paris", "member": "true", "signup": "2021-06-01"}
    url = f"/api/v1/models/{job['model_id']}/predictions"
    served = await client.post(url, headers=auth_headers, json={"records": [record]})
    assert served.status_code == 200 and served.json()["predictions"][0]["prediction"] in ("yes", "no")


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
    # Cancelled during the tuning phase, after the portfolio.
    running = await wait_for_job(
        client,
        url,
        auth_headers,
        until=lambda job: any(c["stage"] == "tuning" for c in job["candidates"]),
        timeout=90,
    )
    assert running["status"] == "running" and running["search_stop"] is None
    assert running["score_history"] and 0 < running["estimated_seconds_left"] <= 120
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
