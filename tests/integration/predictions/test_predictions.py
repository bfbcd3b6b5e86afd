"""Online and batch predictions with a trained model, for classification and regression."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration

GOOD = {"age": 41.5, "city": "paris", "member": "true", "signup": "2021-03-04"}


async def test_online_and_batch_classification(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(problem="multiclass")))
    job = await train(client, auth_headers, dataset_id)
    assert job["status"] == "succeeded", job
    model_id = job["model_id"]
    records = [
        GOOD,
        {**GOOD, "city": "atlantis", "extra": 1},  # unseen category: scored with a warning
        {"age": 30, "city": "nice", "member": "false"},  # missing column
        {**GOOD, "age": "old"},  # wrong type
        {**GOOD, "age": None, "city": None, "signup": None},  # nulls are imputed
    ]
    response = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=auth_headers, json={"records": records}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["inference_path"] == "compiled" and body["problem_type"] == "multiclass"
    assert body["scored"] == 3 and body["failed"] == 2 and body["ignored_columns"] == ["extra"], body
    first, unseen, missing, wrong, nulls = body["predictions"]
    assert first["prediction"] in {"low", "mid", "high"}
    assert set(first["probabilities"]) == {"low", "mid", "high"}
    assert abs(sum(first["probabilities"].values()) - 1) < 1e-9
    assert "unseen category 'atlantis'" in unseen["warnings"][0] and unseen["prediction"]
    assert missing["prediction"] is None and "missing required column 'signup'" in missing["errors"][0]
    assert "expects a number" in wrong["errors"][0]
    assert nulls["prediction"] in {"low", "mid", "high"}

    # When no record can be scored the answer is a 422 with the same per-record problems.
    all_bad = await client.post(
        f"/api/v1/models/{model_id}/predictions",
        headers=auth_headers,
        json={"records": [{"age": 30, "city": "nice", "member": "false"}, {**GOOD, "age": "old"}]},
    )
    assert all_bad.status_code == 422, all_bad.text
    problem = all_bad.json()
    assert problem["type"].endswith("/validation-error") and "None of the 2 records" in problem["detail"]
    by_record = {e["location"]: e["message"] for e in problem["errors"]}
    assert "missing required column 'signup'" in by_record["body.records[0]"]
    assert "expects a number" in by_record["body.records[1]"]

    too_many = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=auth_headers, json={"records": [GOOD] * 1001}
    )
    assert too_many.status_code == 422
    empty = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=auth_headers, json={"records": []}
    )
    assert empty.status_code == 422

    batch = churn_frame(250, seed=3, problem="multiclass").drop(columns=["target"])
    created = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers=auth_headers,
        files={"file": ("rows.csv", io.BytesIO(to_csv(batch)), "text/csv")},
    )
    assert created.status_code == 202, created.text
    assert created.json()["input_rows"] == 250
    early = await client.get(f"/api/v1/batch-predictions/{created.json()['id']}/result", headers=auth_headers)
    assert early.status_code in (200, 409)
    done = await wait_for_job(client, created.headers["location"], auth_headers)
    assert done["status"] == "succeeded" and done["rows_scored"] == 250, done
    result = await client.get(done["result_url"], headers=auth_headers)
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert len(rows) == 250
    assert {
        "id",
        "age",
        "city",
        "prediction",
        "probability_low",
        "probability_mid",
        "probability_high",
    } <= set(rows[0])
    # The batch agrees with online predictions for the same rows.
    sample = [{k: rows[i][k] or None for k in ("city", "member", "signup")} for i in range(5)]
    for i, record in enumerate(sample):
        record["age"] = float(rows[i]["age"]) if rows[i]["age"] else None
    online = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=auth_headers, json={"records": sample}
    )
    assert [p["prediction"] for p in online.json()["predictions"]] == [
        rows[i]["prediction"] for i in range(5)
    ]

    missing_column = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers=auth_headers,
        files={"file": ("rows.csv", io.BytesIO(to_csv(batch.drop(columns=["city"]))), "text/csv")},
    )
    assert missing_column.status_code == 422 and "city" in missing_column.json()["detail"]
    not_tabular = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers=auth_headers,
        files={"file": ("rows.csv", io.BytesIO(b"\x00\x01\x02garbage" * 50), "text/csv")},
    )
    assert not_tabular.status_code in (415, 422)
    sent = 0

    async def big_binary() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="rows.csv"\r\n\r\n'
        for _ in range(40):  # 10 MB, 256 KB at a time
            sent += 1
            yield bytes(range(256)) * 1024
        yield b"\r\n--XyZ--\r\n"

    refused_early = await client.post(
        f"/api/v1/models/{model_id}/batch-predictions",
        headers={**auth_headers, "content-type": "multipart/form-data; boundary=XyZ"},
        content=big_binary(),
    )
    assert refused_early.status_code == 415 and sent <= 2  # on the first 256 KB, not after 10 MB

    # Prediction counts are aggregated in memory and flushed (not written per request).
    await app_flush(client)
    model = (await client.get(f"/api/v1/models/{model_id}", headers=auth_headers)).json()
    assert model["prediction_count"] == 3 + 5 + 250


async def app_flush(client: httpx.AsyncClient) -> None:
    """What the periodic flusher does, now rather than in a few seconds."""
    from modelyard.lifespan import app_state

    await app_state(client._transport.app).business.areas.usage.flush()  # type: ignore[attr-defined]


async def test_regression_and_isolation(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(problem="regression")))
    job = await train(client, auth_headers, dataset_id, algorithms=["linear", "hist_gradient_boosting"])
    assert job["status"] == "succeeded" and job["problem_type"] == "regression" and job["metric"] == "rmse"
    model_id = job["model_id"]
    model = (await client.get(f"/api/v1/models/{model_id}", headers=auth_headers)).json()
    assert model["residuals"] and model["confusion_matrix"] is None
    assert {"rmse", "mae", "r2"} <= set(model["test_metrics"])
    # Only the allowed families (an ensemble row, when one wins a place, blends only them).
    tried = [m for c in model["leaderboard"] for m in (c["members"] or [c])]
    assert all(c["algorithm"] in ("linear", "hist_gradient_boosting") for c in tried)
    response = await client.post(
        f"/api/v1/models/{model_id}/predictions", headers=auth_headers, json={"records": [GOOD]}
    )
    prediction = response.json()["predictions"][0]
    assert isinstance(prediction["prediction"], float) and prediction["probabilities"] is None

    other = await register_and_login(client)
    for method, url, kwargs in [
        ("GET", f"/api/v1/models/{model_id}", {}),
        ("PATCH", f"/api/v1/models/{model_id}", {"json": {"stage": "production"}}),
        ("DELETE", f"/api/v1/models/{model_id}", {}),
        ("POST", f"/api/v1/models/{model_id}/predictions", {"json": {"records": [GOOD]}}),
        ("GET", f"/api/v1/models/{model_id}/batch-predictions", {}),
        (
            "POST",
            f"/api/v1/models/{model_id}/batch-predictions",
            {"files": {"file": ("r.csv", io.BytesIO(b"age,city\n1,paris\n"), "text/csv")}},
        ),
        ("GET", f"/api/v1/training-jobs/{job['id']}", {}),
        ("POST", f"/api/v1/training-jobs/{job['id']}/cancel", {}),
    ]:
        response = await client.request(method, url, headers=other, **kwargs)
        assert response.status_code == 404, (method, url, response.text)
    assert (await client.get("/api/v1/models", headers=other)).json()["total"] == 0
    refused = await client.post(
        "/api/v1/training-jobs", headers=other, json={"dataset_id": dataset_id, "target": "target"}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["location"] == "body.dataset_id"
    # The owner still has everything.
    assert (await client.get(f"/api/v1/models/{model_id}", headers=auth_headers)).status_code == 200


async def test_out_of_range_numbers_are_per_record_errors(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(problem="regression")))
    job = await train(client, auth_headers, dataset_id, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    records = [
        GOOD,
        {**GOOD, "age": 10**400},  # an integer beyond the float range
        {**GOOD, "age": 1.25},  # becomes 1e309 below: a float literal beyond the range (json.dumps
        {**GOOD, "age": -2.25},  # cannot write one), and -1e309
        {**GOOD, "age": 1e308},
        {**GOOD, "age": -1e308},
    ]
    body = json.dumps({"records": records}).encode().replace(b"1.25", b"1e309").replace(b"-2.25", b"-1e309")
    response = await client.post(
        f"/api/v1/models/{job['model_id']}/predictions",
        headers={**auth_headers, "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 200, response.text
    result = response.json()
    predictions = result["predictions"]
    assert isinstance(predictions[0]["prediction"], float)
    for beyond in predictions[1:4]:
        assert beyond["errors"] == ["column 'age' is outside the range of a 64-bit float"], beyond
    for record in predictions:
        # Either a finite prediction or an error: never a null counted as scored.
        assert (record.get("prediction") is not None) != bool(record.get("errors")), record
    assert result["scored"] == sum(1 for r in predictions if r.get("prediction") is not None), result
    assert result["scored"] + result["failed"] == len(records)
