"""GET /models/{id}/monitoring and POST /models/{id}/feedback over the API, with a trained model."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import numpy as np
import pytest
from litestar import Litestar

from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def records(n: int, seed: int, shift_age: float = 0.0) -> list[dict[str, Any]]:
    frame = churn_frame(n, seed=seed).drop(columns=["id", "target"])
    frame["age"] = frame["age"] + shift_age
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


async def predict(
    client: httpx.AsyncClient, headers: dict[str, str], model: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    response = await client.post(
        f"/api/v1/models/{model}/predictions", headers=headers, json={"records": rows}
    )
    assert response.status_code == 200, response.text
    return response.json()["predictions"]  # type: ignore[no-any-return]


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], model: str, window: str = "24h"
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/models/{model}/monitoring?window={window}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_drift_shows_on_the_shifted_feature_and_feedback_gives_live_accuracy(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame(600)))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    model = str(job["model_id"])
    flusher = app_state(app).monitoring.flusher

    empty = await report(client, headers, model)
    assert empty["status"] == "insufficient_data" and empty["rows"] == 0
    assert empty["reference"]["source"] == "training_split"
    assert {f["name"] for f in empty["features"]} == {"age", "city", "member", "signup"}

    same = await predict(client, headers, model, records(400, seed=1))
    assert all(p["prediction_id"] and len(p["prediction_id"]) == 24 for p in same)
    assert len({p["prediction_id"] for p in same}) == 400
    await flusher.flush()
    calm = await report(client, headers, model)
    assert calm["rows"] == 400
    assert {f["name"]: f["status"] for f in calm["features"]} == {
        n: "ok" for n in ("age", "city", "member", "signup")
    }

    await predict(client, headers, model, records(1000, seed=2, shift_age=30.0))
    await flusher.flush()
    moved = await report(client, headers, model)
    statuses = {f["name"]: f["status"] for f in moved["features"]}
    assert statuses["age"] == "drift" and moved["status"] == "drift"
    assert [n for n, s in statuses.items() if s != "ok"] == ["age"]
    age = next(f for f in moved["features"] if f["name"] == "age")
    assert age["psi"] > 0.15 and 0 < age["js_distance"] <= 1
    assert age["top_moved_bins"][0]["bin"].endswith("+inf)")
    assert moved["prediction"]["name"] == "prediction"

    # Feedback: 3 right, 1 wrong -> accuracy 0.75 exactly; a duplicate and an unknown id are reported.
    chosen = same[:4]
    actuals = [p["prediction"] for p in chosen[:3]] + ["no" if chosen[3]["prediction"] == "yes" else "yes"]
    items = [{"prediction_id": p["prediction_id"], "actual": a} for p, a in zip(chosen, actuals, strict=True)]
    sent = await client.post(f"/api/v1/models/{model}/feedback", headers=headers, json={"items": items})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"accepted": 4, "duplicates": 0, "unknown": []}
    flipped = {"prediction_id": chosen[0]["prediction_id"], "actual": "no" if actuals[0] == "yes" else "yes"}
    unknown = "0" * 24
    again = await client.post(
        f"/api/v1/models/{model}/feedback",
        headers=headers,
        json={"items": [flipped, {"prediction_id": unknown, "actual": "yes"}]},
    )
    assert again.json() == {"accepted": 0, "duplicates": 1, "unknown": [unknown]}
    live = (await report(client, headers, model, "1h"))["live_performance"]
    assert live["labelled_rows"] == 4 and live["metrics"]["accuracy"] == 0.75
    assert live["median_delay_seconds"] >= 0


async def test_monitoring_refuses_bad_input_and_other_users(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame()))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    model = str(job["model_id"])
    stranger = await register_and_login(client)
    for response in (
        await client.get(f"/api/v1/models/{model}/monitoring", headers=stranger),
        await client.post(
            f"/api/v1/models/{model}/feedback",
            headers=stranger,
            json={"items": [{"prediction_id": "x", "actual": "yes"}]},
        ),
    ):
        assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
    window = await client.get(f"/api/v1/models/{model}/monitoring?window=2d", headers=headers)
    assert window.status_code == 422 and window.headers["content-type"].startswith(PROBLEM)
    assert window.json()["errors"][0]["location"] == "query.window"
    wrong = await client.post(
        f"/api/v1/models/{model}/feedback",
        headers=headers,
        json={"items": [{"prediction_id": "a", "actual": "maybe"}]},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["location"] == "body.items[0].actual"
    too_many = [{"prediction_id": str(i), "actual": "yes"} for i in range(1001)]
    big = await client.post(f"/api/v1/models/{model}/feedback", headers=headers, json={"items": too_many})
    assert big.status_code == 422 and big.headers["content-type"].startswith(PROBLEM)
    assert big.json()["errors"][0]["location"] == "body.items"


async def test_batch_predictions_carry_ids_feed_the_sketches_and_take_feedback(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame(300)))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    model = str(job["model_id"])
    rows = to_csv(churn_frame(120, seed=5).drop(columns=["target"]))
    started = await client.post(
        f"/api/v1/models/{model}/batch-predictions",
        headers=headers,
        files={"file": ("rows.csv", io.BytesIO(rows), "text/csv")},
    )
    assert started.status_code == 202, started.text
    done = await wait_for_job(client, started.headers["location"], headers)
    assert done["status"] == "succeeded", done
    result = await client.get(f"/api/v1/batch-predictions/{done['id']}/result", headers=headers)
    table = list(csv.DictReader(io.StringIO(result.text)))
    ids = [row["prediction_id"] for row in table]
    assert ids == [f"{done['id']}-{i}" for i in range(120)]

    await app_state(app).monitoring.flusher.flush()
    monitored = await report(client, headers, model)
    assert monitored["rows"] == 120
    assert all(f["rows"] == 120 for f in monitored["features"])

    items = [{"prediction_id": row["prediction_id"], "actual": row["prediction"]} for row in table[:10]]
    sent = await client.post(f"/api/v1/models/{model}/feedback", headers=headers, json={"items": items})
    assert sent.json() == {"accepted": 10, "duplicates": 0, "unknown": []}
    live = (await report(client, headers, model))["live_performance"]
    assert live["labelled_rows"] == 10 and live["metrics"]["accuracy"] == 1.0


async def test_production_models_export_monitoring_metrics_and_deletion_drops_their_monitoring(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame(400)))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    model = str(job["model_id"])
    promoted = await client.patch(f"/api/v1/models/{model}", headers=headers, json={"stage": "production"})
    assert promoted.status_code == 200, promoted.text
    predicted = await predict(client, headers, model, records(600, seed=3, shift_age=30.0))
    state = app_state(app)
    await state.monitoring.flusher.flush()
    items = [{"prediction_id": p["prediction_id"], "actual": p["prediction"]} for p in predicted[:5]]
    sent = await client.post(f"/api/v1/models/{model}/feedback", headers=headers, json={"items": items})
    assert sent.json()["accepted"] == 5
    await state.business.refresh()
    text = state.business.exposition().decode()
    psi = float(
        next(
            line
            for line in text.splitlines()
            if line.startswith(f'modelyard_model_worst_feature_psi{{model_id="{model}"}}')
        ).split()[-1]
    )
    assert psi == max(
        f["psi"] for f in (await report(client, headers, model))["features"] if f["psi"] is not None
    )
    assert psi >= 0.15
    assert f'modelyard_model_live_performance{{metric="accuracy",model_id="{model}"}} 1.0' in text
    assert 'modelyard_model_drift_features{status="drift"}' in text

    assert (await client.delete(f"/api/v1/models/{model}", headers=headers)).status_code == 204
    collection = state.client[state.database_name]
    assert await collection["monitoring_sketches"].count_documents({"model_id": model}) == 0
    for kept in ("monitoring_predictions", "monitoring_feedback"):
        assert await collection[kept].count_documents({"model_id": model}) == 0
