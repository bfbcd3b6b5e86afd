"""Webhooks against the real server and a real receiver: a finished training job and a promotion
are delivered, their Standard Webhooks signatures verify, a receiver's 500 is retried, and every
attempt is in the delivery log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.receiver import Received, webhook_receiver
from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def _types(received: list[Received]) -> list[str]:
    return [json.loads(r.body)["type"] for r in received]


def test_events_are_delivered_signed_retried_after_a_500_and_logged(mongodb_url: str, tmp_path: Path) -> None:
    env = {
        "MODELYARD_WARM_WORKERS": "true",
        "MODELYARD_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32",
        "MODELYARD_WEBHOOKS_FIRST_RETRY_S": "1",
    }
    with (
        webhook_receiver() as receiver,
        start_server(mongodb_url, tmp_path, extra_env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
    ):
        account = {"email": "hooks@example.com", "password": "hooks-password"}
        assert http.post("/api/v1/auth/register", json=account).status_code == 201
        token = http.post(
            "/api/v1/auth/token", data={"username": account["email"], "password": "hooks-password"}
        )
        user = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"url": receiver.url, "events": ["job.finished", "model.stage_changed"]}
        created = http.post("/api/v1/webhooks", headers=user, json=body)
        assert created.status_code == 201, created.text
        webhook: dict[str, Any] = created.json()
        verifier = Verifier(webhook["secret"])
        receiver.statuses = [500]  # the first delivery fails, its retry succeeds

        upload = http.post(
            "/api/v1/datasets", headers=user, files={"file": ("c.csv", to_csv(churn_frame(160)))}
        )
        job = http.post(
            "/api/v1/training-jobs",
            headers=user,
            json={"dataset_id": upload.json()["id"], "target": "target", "time_budget_s": 2},
        )
        finished = wait_for_job_sync(http, job.headers["location"], user)
        assert finished["status"] == "succeeded", finished
        first, retry = receiver.wait_for(lambda got: len(got) >= 2)[:2]

        assert (first.status, retry.status) == (500, 204)
        assert first.headers["webhook-id"] == retry.headers["webhook-id"]  # the same message, again
        assert first.headers["content-type"] == "application/json"
        for delivery in (first, retry):
            event = verifier.verify(delivery.body, delivery.headers)  # raises on a bad signature
            assert event["type"] == "job.finished"
            assert event["data"] == {
                **event["data"],
                "job_type": "training",
                "job_id": finished["id"],
                "status": "succeeded",
                "model_id": finished["model_id"],
                "url": f"/api/v1/training-jobs/{finished['id']}",
            }
        tampered = {**retry.headers, "webhook-signature": "v1,AAAA" + retry.headers["webhook-signature"][7:]}
        with pytest.raises(Exception, match="signature"):
            verifier.verify(retry.body, tampered)

        promoted = http.patch(
            f"/api/v1/models/{finished['model_id']}", headers=user, json={"stage": "production"}
        )
        assert promoted.status_code == 200, promoted.text
        received = receiver.wait_for(lambda got: "model.stage_changed" in _types(got))
        stage = next(r for r in received if json.loads(r.body)["type"] == "model.stage_changed")
        assert verifier.verify(stage.body, stage.headers)["data"] == {
            "model_id": finished["model_id"],
            "name": promoted.json()["name"],
            "previous_stage": "none",
            "stage": "production",
            "url": f"/api/v1/models/{finished['model_id']}",
        }

        log = http.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=user)
        assert log.status_code == 200, log.text
        by_type = {d["event_type"]: d for d in log.json()["items"]}
        job_delivery = by_type["job.finished"]
        assert (
            job_delivery["status"] == "succeeded"
            and job_delivery["message_id"] == first.headers["webhook-id"]
        )
        assert [a["status_code"] for a in job_delivery["attempts"]] == [500, 204]
        assert job_delivery["payload"] == json.loads(retry.body)
        assert [a["status_code"] for a in by_type["model.stage_changed"]["attempts"]] == [204]
    assert _types(receiver.received).count("job.finished") == 2  # delivered once after its retry
