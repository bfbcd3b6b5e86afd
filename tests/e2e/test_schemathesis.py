"""Schemathesis against the running server's own schema: no 5xx, responses match their documentation.

Before the run the test creates real resources (a dataset, a trained model, a batch prediction,
an analysis) and hands their ids to Schemathesis (`schemathesis.toml` reads them from the
environment), so operations on `/{id}` paths are exercised on things that exist instead of
answering 404. Delete operations get throwaway resources of their own, and
`DELETE /auth/me` runs with a second account's token, so the fuzz user and its data live
through the whole run.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import start_server

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")


def _token(http: httpx.Client, email: str, password: str) -> str:
    http.post("/api/v1/auth/register", json={"email": email, "password": password}).raise_for_status()
    token = http.post("/api/v1/auth/token", data={"username": email, "password": password})
    token.raise_for_status()
    return str(token.json()["access_token"])


def _done(http: httpx.Client, response: httpx.Response, headers: dict[str, str]) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job = wait_for_job_sync(http, response.headers["location"], headers, timeout=120)
    assert job["status"] == "succeeded", job
    return job


def _seed(http: httpx.Client, headers: dict[str, str]) -> dict[str, str]:
    """Real resources of the fuzz user; the environment variables schemathesis.toml reads."""

    def upload(name: str) -> str:
        files = {"file": (name, to_csv(churn_frame(60)), "text/csv")}
        response = http.post("/api/v1/datasets", headers=headers, files=files)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def train(dataset_id: str) -> dict[str, Any]:
        body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]}
        return _done(http, http.post("/api/v1/training-jobs", headers=headers, json=body), headers)

    def batch(model_id: str) -> str:
        rows = to_csv(churn_frame(20, seed=2).drop(columns=["target"]))
        files = {"file": ("rows.csv", io.BytesIO(rows), "text/csv")}
        response = http.post(f"/api/v1/models/{model_id}/batch-predictions", headers=headers, files=files)
        return str(_done(http, response, headers)["id"])

    dataset = upload("fuzz.csv")
    job = train(dataset)
    model = str(job["model_id"])
    analysis = _done(http, http.post(f"/api/v1/datasets/{dataset}/analyses", headers=headers), headers)
    spare_model = str(train(dataset)["model_id"])
    return {
        "FUZZ_DATASET_ID": dataset,
        "FUZZ_MODEL_ID": model,
        "FUZZ_TRAINING_JOB_ID": str(job["id"]),
        "FUZZ_BATCH_PREDICTION_ID": batch(model),
        "FUZZ_ANALYSIS_ID": str(analysis["id"]),
        # Deleted by the run: each delete operation gets a resource nothing else uses.
        "FUZZ_DELETABLE_DATASET_ID": upload("deletable.csv"),
        "FUZZ_DELETABLE_MODEL_ID": spare_model,
        "FUZZ_DELETABLE_BATCH_PREDICTION_ID": batch(model),
    }


def test_api_conforms_to_its_schema(mongodb_url: str, tmp_path: Path) -> None:
    # Rate limits off: the fuzzer sends hundreds of requests a minute from one address.
    with (
        start_server(mongodb_url, tmp_path, extra_env={"MODELYARD_RATE_LIMIT_PER_MINUTE": "0"}) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
    ):
        token = _token(http, "fuzz@example.com", "fuzz-password")
        ids = _seed(http, {"Authorization": f"Bearer {token}"})
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
        env.update(ids)
        env["FUZZ_TOKEN"] = token
        env["FUZZ_DELETABLE_USER_TOKEN"] = _token(http, "fuzz-leaver@example.com", "fuzz-password")
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                server.base_url + "/schema/openapi.json",
                "--checks",
                "all",
                "--workers",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
            cwd=tmp_path,
        )
        summary = result.stdout[-5000:]
        print(summary)
        assert result.returncode == 0, (
            summary + result.stderr[-2000:] + "\n--- server log ---\n" + server.log()[-3000:]
        )
        # The run used the seeded ids: the fuzz user's model answered, the spare one was deleted.
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get(f"/api/v1/models/{ids['FUZZ_MODEL_ID']}", headers=headers).status_code == 200
        assert (
            http.get(f"/api/v1/models/{ids['FUZZ_DELETABLE_MODEL_ID']}", headers=headers).status_code == 404
        )
        deleted = http.get(f"/api/v1/datasets/{ids['FUZZ_DELETABLE_DATASET_ID']}", headers=headers)
        assert deleted.status_code == 404
        leaver = {"Authorization": f"Bearer {env['FUZZ_DELETABLE_USER_TOKEN']}"}
        assert http.get("/api/v1/auth/me", headers=leaver).status_code == 401
