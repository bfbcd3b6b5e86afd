"""A LightGBM model trained through the API: served online by the compiled path, in batch by
LightGBM itself, the two agreeing; explained predictions add up; the model carries a SHAP summary."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration

FEATURES = {"age", "city", "member", "signup"}


async def _batch_rows(
    client: httpx.AsyncClient, headers: dict[str, str], model_id: str, problem: str
) -> list[dict[str, str]]:
    batch = churn_frame(200, seed=5, problem=problem).drop(columns=["target"])
    created = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers=headers,
        files={"file": ("rows.csv", io.BytesIO(to_csv(batch)), "text/csv")},
    )
    assert created.status_code == 202, created.text
    done = await wait_for_job(client, created.headers["location"], headers)
    assert done["status"] == "succeeded" and done["rows_scored"] == 200, done
    result = await client.get(done["result_url"], headers=headers)
    return list(csv.DictReader(io.StringIO(result.text)))


def _records(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    records = []
    for row in rows:
        record: dict[str, Any] = {k: row[k] or None for k in ("city", "member", "signup")}
        record["age"] = float(row["age"]) if row["age"] else None
        records.append(record)
    return records


async def test_lightgbm_classifier_online_batch_and_explained(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(600)))
    job = await train(client, auth_headers, dataset_id, algorithms=["lightgbm"], time_budget_s=10)
    assert job["status"] == "succeeded", job
    # LightGBM configurations only; the winner may be an ensemble of them (blended in log-odds).
    tried = [m for c in job["candidates"] for m in (c["members"] or [c])]
    assert {row["algorithm"] for row in tried} == {"lightgbm"}
    url = f"/api/v1/models/{job['model_id']}"
    model = (await client.get(url, headers=auth_headers)).json()
    assert model["algorithm"] in {"lightgbm", "ensemble"} and model["inference_path"] == "compiled"
    summary = model["shap_summary"]
    assert summary["output"] == "log_odds" and {f["feature"] for f in summary["features"]} == FEATURES
    assert summary["features"][0]["feature"] in {"city", "age"}  # what the target is made of

    rows = await _batch_rows(client, auth_headers, job["model_id"], "binary")  # LightGBM's own predict
    records = _records(rows[:100])
    online = await client.post(url + "/predictions", headers=auth_headers, json={"records": records})
    assert online.status_code == 200, online.text
    body = online.json()
    assert body["inference_path"] == "compiled" and body["scored"] == 100
    for row, predicted in zip(rows, body["predictions"], strict=False):
        assert predicted["prediction"] == row["prediction"]
        for label in ("yes", "no"):
            assert abs(predicted["probabilities"][label] - float(row[f"probability_{label}"])) <= 1e-9

    explained = await client.post(
        url + "/predictions?explain=true&explain_top=10", headers=auth_headers, json={"records": records[:20]}
    )
    assert explained.status_code == 200, explained.text
    for predicted in explained.json()["predictions"]:
        explanation = predicted["explanation"]
        assert explanation["output"] == "log_odds" and explanation["explained_class"] == "yes"
        total = explanation["base_value"] + sum(c["contribution"] for c in explanation["contributions"])
        assert abs(total + explanation["other_contributions"] - explanation["output_value"]) <= 1e-6
        assert (
            abs(1 / (1 + math.exp(-explanation["output_value"])) - predicted["probabilities"]["yes"]) <= 1e-9
        )


async def test_lightgbm_regressor_online_and_batch(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(500, problem="regression")))
    job = await train(client, auth_headers, dataset_id, algorithms=["lightgbm"], time_budget_s=10)
    assert job["status"] == "succeeded", job
    url = f"/api/v1/models/{job['model_id']}"
    rows = await _batch_rows(client, auth_headers, job["model_id"], "regression")
    records = _records(rows[:50])
    online = await client.post(
        url + "/predictions?explain=true", headers=auth_headers, json={"records": records}
    )
    assert online.status_code == 200, online.text
    assert online.json()["inference_path"] == "compiled"
    for row, predicted in zip(rows, online.json()["predictions"], strict=False):
        assert predicted["prediction"] == float(row["prediction"])  # the same sums, bit for bit
        explanation = predicted["explanation"]
        assert explanation["output"] == "prediction"
        assert abs(explanation["output_value"] - predicted["prediction"]) <= 1e-6
