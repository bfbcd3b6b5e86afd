"""A whole account lifecycle over real HTTP, with S3 (moto) storage and SecantusDB:
register -> upload -> analyse -> train -> predict online and in batch -> /metrics shows it
-> delete the account -> nothing of it is left in MongoDB or the bucket, and a second
user's data and objects are untouched."""

from __future__ import annotations

import csv
import io
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from bson import ObjectId
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import start_server

pytestmark = pytest.mark.e2e

PASSWORD = "lifecycle-password"
RECORD = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}


def _login(http: httpx.Client, email: str) -> dict[str, str]:
    registered = http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when there are none)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def _metrics_until(http: httpx.Client, ready: Any, timeout: float = 30) -> str:
    """/metrics once `ready(text)` holds: business numbers are refreshed in the background."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get("/metrics")
        assert response.status_code == 200
        if ready(response.text) or time.monotonic() > deadline:
            return response.text
        time.sleep(0.3)


def _owned(database: Any, user_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every document, in every collection, that is the user or names the user as its owner."""
    oid = ObjectId(user_id)
    found = {}
    for name in database.list_collection_names():
        documents = list(database[name].find({"$or": [{"_id": oid}, {"owner_id": oid}]}))
        if documents:
            found[name] = documents
    return found


def test_account_lifecycle_over_s3(mongodb_url: str, s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"lifecycle-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)

    def objects() -> dict[str, str]:
        """Every object in the bucket, by key, with its ETag."""
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: item["ETag"] for item in listed}

    database_name = f"e2e_lifecycle_{uuid.uuid4().hex[:8]}"
    env = {
        "MODELYARD_STORAGE_S3_ENDPOINT_URL": s3_endpoint,
        "MODELYARD_ANALYSIS_PROVIDER": "heuristic",
        "MODELYARD_METRICS_REFRESH_SECONDS": "0.5",
        "MODELYARD_RATE_LIMIT_PER_MINUTE": "0",
    }
    with (
        start_server(
            mongodb_url, tmp_path, database=database_name, storage_url=f"s3://{bucket}", extra_env=env
        ) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
        MongoClient(mongodb_url) as mongo,
    ):
        database = mongo[database_name]
        alice = _login(http, "alice@example.com")
        bob = _login(http, "bob@example.com")
        alice_id = http.get("/api/v1/auth/me", headers=alice).json()["id"]
        bob_id = http.get("/api/v1/auth/me", headers=bob).json()["id"]

        # --- Alice: upload, analyse, train, predict online and in batch.
        upload = http.post(
            "/api/v1/datasets",
            headers=alice,
            files={"file": ("churn.csv", to_csv(churn_frame(200)), "text/csv")},
        )
        assert upload.status_code == 201, upload.text
        dataset = upload.json()["id"]
        started = http.post(f"/api/v1/datasets/{dataset}/analyses", headers=alice, json={"target": "target"})
        assert started.status_code == 202, started.text
        analysis = wait_for_job_sync(http, started.headers["location"], alice)
        assert analysis["status"] == "succeeded", analysis
        assert analysis["provenance"]["provider"] == "heuristic"
        assert analysis["result"]["target_suggestions"]

        created = http.post(
            "/api/v1/training-jobs",
            headers=alice,
            json={"dataset_id": dataset, "target": "target", "time_budget_s": 2},
        )
        assert created.status_code == 202, created.text
        job = wait_for_job_sync(http, created.headers["location"], alice)
        assert job["status"] == "succeeded", job
        model = job["model_id"]
        narrated = http.post(f"/api/v1/models/{model}/analyses", headers=alice)
        assert wait_for_job_sync(http, narrated.headers["location"], alice)["status"] == "succeeded"

        online = http.post(f"/api/v1/models/{model}/predictions", headers=alice, json={"records": [RECORD]})
        assert online.status_code == 200, online.text
        assert online.json()["predictions"][0]["prediction"] in ("yes", "no")
        rows = churn_frame(50, seed=9).drop(columns=["target"])
        batch = http.post(
            f"/api/v1/models/{model}/batch-predictions",
            headers=alice,
            files={"file": ("rows.csv", io.BytesIO(to_csv(rows)), "text/csv")},
        )
        assert batch.status_code == 202, batch.text
        done = wait_for_job_sync(http, batch.headers["location"], alice)
        assert done["status"] == "succeeded", done
        result = http.get(done["result_url"], headers=alice)
        assert result.status_code == 200
        assert len(list(csv.DictReader(io.StringIO(result.text)))) == 50

        # --- Bob: a dataset, an analysis and a model of his own.
        bob_upload = http.post(
            "/api/v1/datasets",
            headers=bob,
            files={"file": ("bob.csv", to_csv(churn_frame(120, seed=4)), "text/csv")},
        )
        assert bob_upload.status_code == 201, bob_upload.text
        bob_dataset = bob_upload.json()["id"]
        bob_analysis = http.post(f"/api/v1/datasets/{bob_dataset}/analyses", headers=bob)
        assert wait_for_job_sync(http, bob_analysis.headers["location"], bob)["status"] == "succeeded"
        bob_job = http.post(
            "/api/v1/training-jobs",
            headers=bob,
            json={
                "dataset_id": bob_dataset,
                "target": "target",
                "time_budget_s": 1,
                "algorithms": ["linear"],
            },
        )
        bob_model = wait_for_job_sync(http, bob_job.headers["location"], bob)["model_id"]
        assert bob_model

        # --- /metrics shows the activity: process counters and the database-backed business numbers.
        def settled(text: str) -> bool:
            # Usage counters reach the database on a flush, a moment after the model record.
            return (
                _metric(text, "modelyard_predictions_made_total") >= 51
                and _metric(text, "modelyard_models") == 2
                and _metric(text, "modelyard_models_trained_total", problem_type="binary") >= 2
            )

        metrics = _metrics_until(http, settled)
        assert _metric(metrics, "modelyard_dataset_upload_rows_count") == 2
        assert _metric(metrics, "modelyard_predictions_total", kind="online") == 1
        assert _metric(metrics, "modelyard_predictions_total", kind="batch") == 50
        assert _metric(metrics, "modelyard_training_jobs_finished_total", status="succeeded") == 2
        assert _metric(metrics, "modelyard_llm_requests_total", provider="heuristic", outcome="success") == 3
        assert _metric(metrics, "modelyard_registered_users") == 2
        assert _metric(metrics, "modelyard_datasets") == 2
        assert _metric(metrics, "modelyard_datasets_created_total") == 2
        assert _metric(metrics, "modelyard_models_trained_total", problem_type="binary") == 2
        assert _metric(metrics, "modelyard_predictions_made_total") == 51
        assert _metric(metrics, "modelyard_http_requests_total", method="POST", status_code="201") >= 4

        # --- What each user has stored, before the deletion.
        alice_ids = [dataset, model, done["id"]]
        stored = objects()
        alice_keys = [key for key in stored if any(i in key for i in alice_ids)]
        assert {key.split("/")[0] for key in alice_keys} == {"datasets", "models", "batch-predictions"}
        bob_objects = {key: etag for key, etag in stored.items() if bob_dataset in key or bob_model in key}
        assert len(bob_objects) == 3  # original upload, normalised table, model artifact
        assert set(stored) == set(alice_keys) | set(bob_objects)
        assert {
            "users",
            "datasets",
            "analysis_jobs",
            "training_jobs",
            "models",
            "batch_prediction_jobs",
        } <= set(_owned(database, alice_id))
        bob_documents = _owned(database, bob_id)

        # --- Alice deletes her account.
        deleted = http.delete("/api/v1/auth/me", headers=alice)
        assert deleted.status_code == 204, deleted.text
        assert http.get("/api/v1/auth/me", headers=alice).status_code == 401
        relogin = http.post(
            "/api/v1/auth/token", data={"username": "alice@example.com", "password": PASSWORD}
        )
        assert relogin.status_code == 401

        assert _owned(database, alice_id) == {}
        for collection in database.list_collection_names():  # nothing names her data either
            for field in ("dataset_id", "model_id"):
                assert (
                    database[collection].count_documents(
                        {field: {"$in": [ObjectId(dataset), ObjectId(model)]}}
                    )
                    == 0
                )
        assert objects() == bob_objects

        # --- Bob is untouched: same documents, same objects, everything still answers.
        assert _owned(database, bob_id) == bob_documents
        download = http.get(f"/api/v1/datasets/{bob_dataset}/download", headers=bob)
        assert download.status_code == 200 and download.content == to_csv(churn_frame(120, seed=4))
        assert http.get(bob_analysis.headers["location"], headers=bob).json()["status"] == "succeeded"
        predicted = http.post(
            f"/api/v1/models/{bob_model}/predictions", headers=bob, json={"records": [RECORD]}
        )
        assert predicted.status_code == 200 and predicted.json()["scored"] == 1

        # --- /metrics: current numbers drop with the account; counters of past activity do not.
        def updated(text: str) -> bool:
            return (
                _metric(text, "modelyard_registered_users") == 1
                and _metric(text, "modelyard_predictions_made_total") >= 52
            )

        after = _metrics_until(http, updated)
        assert _metric(after, "modelyard_registered_users") == 1
        assert _metric(after, "modelyard_datasets") == 1
        assert _metric(after, "modelyard_models") == 1
        assert _metric(after, "modelyard_datasets_created_total") == 2
        assert _metric(after, "modelyard_models_trained_total", problem_type="binary") == 2
        assert _metric(after, "modelyard_predictions_made_total") == 52
        assert _metric(after, "modelyard_http_requests_total", route="/api/v1/auth/me", method="DELETE") == 1
