"""The greedy ensemble over HTTP: on the leaderboard with its members and weights, the model it
becomes, served by the compiled path, and its explanations additive."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.integration.predictions.test_explanations import check_additive
from tests.integration.training.helpers import to_csv, train, upload_csv

pytestmark = pytest.mark.integration


def _linear_plus_interaction(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A linear trend (what a linear model gets right) plus an interaction (what trees get
    right): a blend of both beats either."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=(3, n))
    y = 3 * x1 + 4 * ((x2 > 0) & (x3 > 0)) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "target": y.round(4)})


async def test_an_ensemble_that_beats_every_configuration_becomes_the_model(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(_linear_plus_interaction()))
    job = await train(
        client, auth_headers, dataset_id, algorithms=["linear", "hist_gradient_boosting"], time_budget_s=20
    )
    assert job["status"] == "succeeded", job
    top = job["candidates"][0]
    assert top["algorithm"] == "ensemble" and top["stage"] == "ensemble" and top["rank"] == 1, top
    members = top["members"]
    assert len(members) >= 2 and abs(sum(m["weight"] for m in members) - 1) <= 1e-5
    by_candidate = {c["candidate"]: c for c in job["candidates"] if c["stage"] != "ensemble"}
    for member in members:
        row = by_candidate[member["candidate"]]
        assert row["algorithm"] == member["algorithm"] and row["params"] == member["params"]
        assert row["status"] == "ok" and top["cv_score"] < row["cv_score"]  # rmse: lower is better
    assert job["score_history"][-1]["candidate"] == top["candidate"]

    model = (await client.get(f"/api/v1/models/{job['model_id']}", headers=auth_headers)).json()
    assert model["algorithm"] == "ensemble" and model["params"] == {"members": members}
    assert model["cv_score"] == top["cv_score"] and model["inference_path"] == "compiled"
    assert model["shap_summary"]["output"] == "prediction"

    record = {"x1": 0.5, "x2": 1.0, "x3": 1.0}
    url = f"/api/v1/models/{job['model_id']}/predictions"
    plain = await client.post(url, headers=auth_headers, json={"records": [record]})
    explained = await client.post(url + "?explain=true", headers=auth_headers, json={"records": [record]})
    assert plain.status_code == 200 and explained.status_code == 200, explained.text
    prediction = explained.json()["predictions"][0]
    assert prediction["prediction"] == plain.json()["predictions"][0]["prediction"]
    check_additive(prediction["explanation"])
    assert abs(prediction["explanation"]["output_value"] - prediction["prediction"]) <= 1e-6
