"""Over real HTTP against the real server process: upload -> train -> predict -> batch -> download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def test_upload_train_predict_batch_download(mongodb_url: str, tmp_path: Path) -> None:
    with (
        start_server(mongodb_url, tmp_path, extra_env={"MODELYARD_WARM_WORKERS": "true"}) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        account = {"email": "analyst@example.com", "password": "analyst-password"}
        assert http.post("/api/v1/auth/register", json=account).status_code == 201
        token = http.post(
            "/api/v1/auth/token", data={"username": account["email"], "password": account["password"]}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        upload = http.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("churn.csv", to_csv(churn_frame(200)), "text/csv")},
        )
        assert upload.status_code == 201, upload.text
        created = http.post(
            "/api/v1/training-jobs",
            headers=headers,
            json={"dataset_id": upload.json()["id"], "target": "target", "time_budget_s": 2},
        )
        assert created.status_code == 202, created.text
        job = wait_for_job_sync(http, created.headers["location"], headers)
        assert job["status"] == "succeeded", job

        record = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}
        online = http.post(
            f"/api/v1/models/{job['model_id']}/predictions", headers=headers, json={"records": [record]}
        )
        assert online.status_code == 200, online.text
        assert online.json()["predictions"][0]["prediction"] in ("yes", "no")

        rows = churn_frame(50, seed=9).drop(columns=["target"])
        batch = http.post(
            f"/api/v1/models/{job['model_id']}/batch-predictions",
            headers=headers,
            files={"file": ("rows.csv", io.BytesIO(to_csv(rows)), "text/csv")},
        )
        assert batch.status_code == 202, batch.text
        done = wait_for_job_sync(http, batch.headers["location"], headers)
        assert done["status"] == "succeeded", done
        result = http.get(done["result_url"], headers=headers)
        assert result.status_code == 200
        table = list(csv.DictReader(io.StringIO(result.text)))
        assert len(table) == 50 and all(r["prediction"] in ("yes", "no") for r in table)
        assert abs(float(table[0]["probability_no"]) + float(table[0]["probability_yes"]) - 1) < 1e-9
