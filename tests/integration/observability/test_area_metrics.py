"""Each feature area records its metrics: the numbers move after the action, by the right amount.

One flow over the app's HTTP API: upload a dataset, train, predict online and in a batch,
analyse the dataset; after each step the process-local metric it should move is checked
(and, once flushed, the MongoDB-backed totals the business collectors serve).
"""

from __future__ import annotations

import asyncio
import io
import time

import httpx
import pytest
from litestar import Litestar

from modelyard.lifespan import app_state
from modelyard.observability.metrics import REGISTRY
from tests.conftest import register_and_login
from tests.integration.observability.test_http_metrics import scrape, value
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def finished_jobs(kind: str, expected: float) -> float:
    """`modelyard_jobs_finished_total` of `kind` once it reaches `expected`: the runner counts a job
    just after writing its outcome, which a poll of the job may see a moment earlier."""
    deadline = time.monotonic() + 5
    while (found := sample("modelyard_jobs_finished_total", kind=kind, status="succeeded")) < expected:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    return found


async def test_every_area_moves_its_metrics(app: Litestar, client: httpx.AsyncClient) -> None:
    headers = await register_and_login(client)

    # Datasets: one observation of rows and bytes per accepted upload.
    rows_count, rows_sum = (
        sample("modelyard_dataset_upload_rows_count"),
        sample("modelyard_dataset_upload_rows_sum"),
    )
    bytes_sum = sample("modelyard_dataset_upload_bytes_sum")
    data = to_csv(churn_frame(120))
    dataset_id = await upload_csv(client, headers, data)
    dataset = (await client.get(f"/api/v1/datasets/{dataset_id}", headers=headers)).json()
    assert sample("modelyard_dataset_upload_rows_count") == rows_count + 1
    assert sample("modelyard_dataset_upload_rows_sum") == rows_sum + 120
    assert (
        sample("modelyard_dataset_upload_bytes_sum")
        == bytes_sum + len(data)
        == bytes_sum + dataset["size_bytes"]
    )
    rejected = await client.post(
        "/api/v1/datasets", headers=headers, files={"file": ("x.csv", io.BytesIO(b"\x00\x01"), "text/csv")}
    )
    assert rejected.status_code >= 400
    assert sample("modelyard_dataset_upload_rows_count") == rows_count + 1  # a rejected upload is not counted

    # Training: one finished job, with its duration under the best model's algorithm.
    finished = {"problem_type": "binary", "status": "succeeded"}
    jobs_before = sample("modelyard_training_jobs_finished_total", **finished)
    kinds = ("training", "batch_prediction", "analysis")
    kinds_before = {k: sample("modelyard_jobs_finished_total", kind=k, status="succeeded") for k in kinds}
    job = await train(client, headers, dataset_id, time_budget_s=1, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    assert sample("modelyard_training_jobs_finished_total", **finished) == jobs_before + 1
    assert await finished_jobs("training", kinds_before["training"] + 1) == kinds_before["training"] + 1
    durations = REGISTRY.get_sample_value(
        "modelyard_training_duration_seconds_count", {"problem_type": "binary", "algorithm": "linear"}
    )
    assert durations is not None and durations >= 1
    model_id = job["model_id"]

    # Predictions: rows scored, online and batch.
    online = {"problem_type": "binary", "kind": "online"}
    online_before = sample("modelyard_predictions_total", **online)
    record = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}
    response = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=headers, json={"records": [record] * 4}
    )
    assert response.status_code == 200, response.text
    assert sample("modelyard_predictions_total", **online) == online_before + 4
    batch = {"problem_type": "binary", "kind": "batch"}
    batch_before = sample("modelyard_predictions_total", **batch)
    rows = to_csv(churn_frame(30, seed=3).drop(columns=["target"]))
    started = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers=headers,
        files={"file": ("rows.csv", io.BytesIO(rows), "text/csv")},
    )
    assert started.status_code == 202, started.text
    done = await wait_for_job(client, started.headers["location"], headers)
    assert done["status"] == "succeeded", done
    assert sample("modelyard_predictions_total", **batch) == batch_before + 30
    batches = kinds_before["batch_prediction"] + 1
    assert await finished_jobs("batch_prediction", batches) == batches

    # Analysis: one language-model call (the heuristic analyst in tests) per analysis.
    provenance = {"provider": "heuristic", "model": "rules", "outcome": "success"}
    llm_before = sample("modelyard_llm_requests_total", **provenance)
    started = await client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json={})
    assert started.status_code == 202, started.text
    analysis = await wait_for_job(client, started.headers["location"], headers)
    assert analysis["status"] == "succeeded", analysis
    assert (analysis["provenance"]["provider"], analysis["provenance"]["model"]) == ("heuristic", "rules")
    assert sample("modelyard_llm_requests_total", **provenance) == llm_before + 1
    assert await finished_jobs("analysis", kinds_before["analysis"] + 1) == kinds_before["analysis"] + 1

    # The MongoDB-backed totals (flushed by the refresh loop) saw the same events.
    await app_state(app).business.refresh()
    text = await scrape(client)
    assert value(text, "modelyard_datasets_created_total") == 1
    assert value(text, "modelyard_models_trained_total", problem_type="binary") == 1
    assert value(text, "modelyard_predictions_made_total") == 34
