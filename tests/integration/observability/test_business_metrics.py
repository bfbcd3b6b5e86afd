"""Business metrics computed from MongoDB: served from a cache, refreshed in the background."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bson import ObjectId
from litestar import Litestar

from modelyard.lib.storage import StorageError
from modelyard.lib.tally import DATASETS_CREATED, MODELS_TRAINED
from modelyard.lifespan import app_state
from modelyard.workflows.business_metrics import MAX_PRODUCTION_MODELS, BusinessMetrics
from tests.conftest import register_and_login
from tests.integration.observability.test_http_metrics import samples, scrape, value

pytestmark = pytest.mark.integration


async def test_before_any_refresh_only_build_info_and_no_fake_zeros(app: Litestar) -> None:
    fresh = BusinessMetrics(app_state(app).business.areas)
    text = fresh.exposition().decode()
    assert "modelyard_build_info" in text and "modelyard_registered_users" not in text


async def test_numbers_come_from_the_database(app: Litestar, client: httpx.AsyncClient) -> None:
    await app_state(app).runner.stop()  # the raw job records below are counted, not claimed
    await register_and_login(client)
    await register_and_login(client)
    db = app_state(app).client[app_state(app).database_name]
    long_ago = datetime.now(UTC) - timedelta(days=10)
    await db["users"].insert_one(
        {"email": "old@example.com", "password_hash": "x", "last_active_at": long_ago}
    )
    await db["datasets"].insert_many(
        [{"name": f"d{i}", "status": "ready"} for i in range(4)]
        + [{"name": "half-stored", "status": "uploading"}, {"name": "going", "status": "deleting"}]
    )
    production = ObjectId()
    await db["models"].insert_many(
        [
            # Each model comes from its own training job (one model per job is a unique index).
            {"problem_type": "binary", "stage": "none", "training_job_id": ObjectId()},
            {"problem_type": "binary", "stage": "none", "training_job_id": ObjectId()},
            {
                "_id": production,
                "training_job_id": ObjectId(),
                "problem_type": "regression",
                "stage": "production",
                "test_metrics": {"r2": 0.81, "rmse": 3.5, "confusion": [[1, 2]], "note": "x"},
            },
        ]
    )
    now = datetime.now(UTC)
    waited = [timedelta(minutes=5), timedelta(minutes=2), timedelta(0)]  # the oldest waits 5 minutes
    await db["training_jobs"].insert_many(
        [{"status": "queued", "created_at": now - age} for age in waited]
        + [{"status": "running", "created_at": now - timedelta(hours=1)}]
    )
    await db["batch_prediction_jobs"].insert_one(
        {"status": "succeeded", "created_at": now - timedelta(days=1)}
    )
    tally = app_state(app).tally  # what predictions, uploads and training jobs add to
    tally.predicted(str(production), 7)
    tally.count(DATASETS_CREATED)
    tally.count(MODELS_TRAINED + "regression")

    await app_state(app).business.refresh()
    text = await scrape(client)

    assert value(text, "modelyard_registered_users") == 3
    assert value(text, "modelyard_active_users", window="1d") == 2
    assert value(text, "modelyard_active_users", window="30d") == 3
    assert value(text, "modelyard_datasets") == 4
    assert value(text, "modelyard_models", problem_type="binary", stage="none") == 2
    assert value(text, "modelyard_training_jobs", status="queued") == 3
    assert value(text, "modelyard_training_jobs", status="failed") == 0
    # Each kind's queue, 0 included; the age is the oldest queued job's, not the running one's.
    assert value(text, "modelyard_job_queue_depth", kind="training") == 3
    assert value(text, "modelyard_job_queue_depth", kind="batch_prediction") == 0
    assert 'modelyard_job_queue_depth{kind="analysis"} 0.0' in text
    assert 300 <= value(text, "modelyard_job_queue_oldest_age_seconds", kind="training") < 330
    assert 'modelyard_job_queue_oldest_age_seconds{kind="batch_prediction"} 0.0' in text
    assert value(text, "modelyard_production_model_score", model_id=str(production), metric="r2") == 0.81
    assert value(text, "modelyard_production_model_score", model_id=str(production), metric="rmse") == 3.5
    assert value(text, "modelyard_predictions_made_total") == 7
    assert value(text, "modelyard_datasets_created_total") == 1
    assert value(text, "modelyard_models_trained_total", problem_type="regression") == 1
    assert value(text, "modelyard_models_trained_total", problem_type="binary") == 0
    assert value(text, "modelyard_dependency_up", dependency="mongodb") == 1
    assert value(text, "modelyard_business_metrics_refresh_timestamp_seconds") > 0
    # Tallies went to the database once: they add up over workers and survive a restart.
    assert (await db["usage_counters"].find_one({"_id": "predictions"}))["value"] == 7
    assert (await db["models"].find_one({"_id": production}))["prediction_count"] == 7
    await app_state(app).business.refresh()
    assert value(await scrape(client), "modelyard_predictions_made_total") == 7


async def test_scrape_serves_the_cache_and_never_queries(app: Litestar, client: httpx.AsyncClient) -> None:
    await register_and_login(client)
    await app_state(app).business.refresh()
    await register_and_login(client)
    assert value(await scrape(client), "modelyard_registered_users") == 1
    await app_state(app).business.refresh()
    assert value(await scrape(client), "modelyard_registered_users") == 2


async def test_failed_dependency_is_reported_as_down(app: Litestar, client: httpx.AsyncClient) -> None:
    await register_and_login(client)
    business = app_state(app).business
    await business.refresh()

    async def broken() -> None:
        raise StorageError("bucket unreachable")

    business.probes = {**business.probes, "object_store": broken}
    await business.refresh()
    text = await scrape(client)
    assert value(text, "modelyard_dependency_up", dependency="object_store") == 0
    assert value(text, "modelyard_dependency_up", dependency="mongodb") == 1
    assert value(text, "modelyard_registered_users") == 1


async def test_background_loop_refreshes_on_its_interval(app: Litestar, client: httpx.AsyncClient) -> None:
    business = BusinessMetrics(app_state(app).business.areas, interval_seconds=0.05)
    task = asyncio.create_task(business.run())
    try:
        await register_and_login(client)
        for _ in range(100):
            if b"modelyard_registered_users 1.0" in business.exposition():
                break
            await asyncio.sleep(0.05)
        assert b"modelyard_registered_users 1.0" in business.exposition()
    finally:
        task.cancel()


async def test_production_scores_are_bounded_to_the_newest_models(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """`model_id` is user-controlled: only the newest MAX_PRODUCTION_MODELS production models are exported."""
    await register_and_login(client)
    db = app_state(app).client[app_state(app).database_name]
    ids = [ObjectId() for _ in range(MAX_PRODUCTION_MODELS + 5)]  # ascending: the last are the newest
    await db["models"].insert_many(
        [
            {
                "_id": model_id,
                "training_job_id": ObjectId(),
                "problem_type": "binary",
                "stage": "production",
                "test_metrics": {"roc_auc": 0.9},
            }
            for model_id in ids
        ]
    )
    await app_state(app).business.refresh()
    text = await scrape(client)
    exported = {
        dict(labels)["model_id"]
        for name, labels in samples(text)
        if name == "modelyard_production_model_score"
    }
    assert exported == {str(model_id) for model_id in ids[-MAX_PRODUCTION_MODELS:]}
