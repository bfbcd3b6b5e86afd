"""Explained online predictions over HTTP: the contributions add up to the output the prediction
came from, the model carries a SHAP summary, and the limits answer with problems."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from bson import ObjectId

from modelyard.lifespan import app_state
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration

GOOD = {"age": 41.5, "city": "paris", "member": "true", "signup": "2021-03-04"}
FEATURES = {"age", "city", "member", "signup"}


def check_additive(explanation: dict[str, Any]) -> None:
    shown = sum(c["contribution"] for c in explanation["contributions"])
    total = explanation["base_value"] + shown + explanation["other_contributions"]
    assert abs(total - explanation["output_value"]) <= 1e-6, explanation


async def test_explained_binary_predictions(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(400)))
    job = await train(client, auth_headers, dataset_id, algorithms=["hist_gradient_boosting"])
    assert job["status"] == "succeeded", job
    url = f"/api/v1/models/{job['model_id']}"

    model = (await client.get(url, headers=auth_headers)).json()
    summary = model["shap_summary"]
    # At least one chunk of 10 rows, the whole held-out split when the budget leaves time for it.
    assert summary["output"] == "log_odds" and 10 <= summary["rows"] <= model["rows_test"] == 80
    assert {f["feature"] for f in summary["features"]} == FEATURES
    means = [f["mean_abs_contribution"] for f in summary["features"]]
    assert means == sorted(means, reverse=True) and means[0] > 0
    assert {f["feature"] for f in model["feature_importance"]} == FEATURES  # still there, alongside

    records = [GOOD, {**GOOD, "city": "atlantis", "age": None}, {"age": 30}]
    plain = await client.post(url + "/predictions", headers=auth_headers, json={"records": records})
    response = await client.post(
        url + "/predictions?explain=true&explain_top=2", headers=auth_headers, json={"records": records}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scored"] == 2 and body["failed"] == 1
    for explained, unexplained in zip(body["predictions"][:2], plain.json()["predictions"][:2], strict=True):
        # Explaining changes nothing in the prediction itself.
        assert explained["prediction"] == unexplained["prediction"]
        assert explained["probabilities"] == pytest.approx(unexplained["probabilities"], abs=1e-12)
        assert unexplained["explanation"] is None
        explanation = explained["explanation"]
        assert explanation["output"] == "log_odds" and explanation["explained_class"] == "yes"
        check_additive(explanation)
        # The log-odds explained are those of the probability returned.
        probability = 1 / (1 + math.exp(-explanation["output_value"]))
        assert abs(probability - explained["probabilities"]["yes"]) <= 1e-9
        listed = explanation["contributions"]
        assert len(listed) == 2 and {c["feature"] for c in listed} <= FEATURES
        assert abs(listed[0]["contribution"]) >= abs(listed[1]["contribution"])
    first = body["predictions"][0]["explanation"]["contributions"]
    assert all(c["value"] == GOOD[c["feature"]] for c in first)  # the values as sent
    assert body["predictions"][2]["explanation"] is None and body["predictions"][2]["errors"]

    everything = await client.post(
        url + "/predictions?explain=true&explain_top=10", headers=auth_headers, json={"records": [GOOD]}
    )
    explanation = everything.json()["predictions"][0]["explanation"]
    assert len(explanation["contributions"]) == 4 and explanation["other_contributions"] == 0
    check_additive(explanation)

    too_many = await client.post(
        url + "/predictions?explain=true", headers=auth_headers, json={"records": [GOOD] * 101}
    )
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["location"] == "body.records"
    assert (
        await client.post(url + "/predictions", headers=auth_headers, json={"records": [GOOD] * 101})
    ).status_code == 200
    bad_top = await client.post(
        url + "/predictions?explain=true&explain_top=0", headers=auth_headers, json={"records": [GOOD]}
    )
    assert bad_top.status_code == 422 and "explain_top" in bad_top.text


async def test_explained_regression_and_linear_models(
    client: httpx.AsyncClient, auth_headers: dict[str, str], app: object
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(problem="regression")))
    forest = await train(client, auth_headers, dataset_id, algorithms=["random_forest"])
    linear = await train(client, auth_headers, dataset_id, algorithms=["linear"])
    for job in (forest, linear):
        assert job["status"] == "succeeded", job
        url = f"/api/v1/models/{job['model_id']}/predictions?explain=true"
        response = await client.post(url, headers=auth_headers, json={"records": [GOOD, {**GOOD, "age": 70}]})
        assert response.status_code == 200, response.text
        for record in response.json()["predictions"]:
            explanation = record["explanation"]
            assert explanation["output"] == "prediction" and explanation["explained_class"] is None
            check_additive(explanation)
            assert abs(explanation["output_value"] - record["prediction"]) <= 1e-6

    # A linear model stored before explanations existed has no training means to explain from:
    # it still serves, and says why it cannot explain.
    stored_before = await train(client, auth_headers, dataset_id, algorithms=["linear"], time_budget_s=1)
    models = app_state(app).client[app_state(app).database_name]["models"]  # type: ignore[arg-type]
    await models.update_one(
        {"_id": ObjectId(stored_before["model_id"])},
        {"$unset": {"explanation_means": "", "shap_summary": ""}},
    )
    url = f"/api/v1/models/{stored_before['model_id']}"
    assert (await client.get(url, headers=auth_headers)).json()["shap_summary"] is None
    old = await client.post(url + "/predictions?explain=true", headers=auth_headers, json={"records": [GOOD]})
    assert old.status_code == 409 and "train it again" in old.json()["detail"], old.text
    served = await client.post(url + "/predictions", headers=auth_headers, json={"records": [GOOD]})
    assert served.status_code == 200
