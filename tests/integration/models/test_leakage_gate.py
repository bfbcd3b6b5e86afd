"""The leakage gate over HTTP: a planted leak shows on the running job, the finished job and the
model; promoting that model to production is a 409 listing the findings until acknowledged."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.integration.training.helpers import churn_frame, to_csv, upload_csv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration


async def test_planted_leak_is_flagged_and_gates_production(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    frame = churn_frame(1000, seed=3)
    # Recorded when the customer left: it restates the target.
    frame["account_closed"] = np.where(frame["target"] == "yes", "closed", "open")
    dataset_id = await upload_csv(client, auth_headers, to_csv(frame))
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 4, "algorithms": ["linear"]}
    created = await client.post("/api/v1/training-jobs", headers=auth_headers, json=body)
    assert created.status_code == 202, created.text
    location = created.headers["location"]

    # The column screen runs before the search: its findings are on the job while it runs.
    running = await wait_for_job(
        client,
        location,
        auth_headers,
        until=lambda job: job["status"] != "queued" and bool(job["leakage_findings"] or job["finished_at"]),
    )
    assert running["status"] == "running", running
    assert [(f["column"], f["kind"]) for f in running["leakage_findings"]] == [
        ("account_closed", "derived_from_target")
    ]

    job = await wait_for_job(client, location, auth_headers)
    assert job["status"] == "succeeded", job
    findings = job["leakage_findings"]
    assert [(f["column"], f["kind"]) for f in findings] == [
        ("account_closed", "derived_from_target"),
        (None, "implausible_test_score"),
    ]
    derived, score = findings
    assert derived["statistic"] == "class_mapping_purity" and derived["value"] == derived["threshold"] == 1.0
    assert "account_closed" in derived["detail"]
    assert score["statistic"] == "roc_auc" and score["value"] >= score["threshold"] == 0.999

    url = f"/api/v1/models/{job['model_id']}"
    got = await client.get(url, headers=auth_headers)
    model = got.json()
    assert model["leakage_findings"] == findings and model["leakage_acknowledged_at"] is None
    tag = got.headers["etag"]

    # Staging is fine; production without the acknowledgement is refused with the findings.
    staged = await client.patch(url, headers={**auth_headers, "If-Match": tag}, json={"stage": "staging"})
    assert staged.status_code == 200, staged.text
    tag = staged.headers["etag"]
    refused = await client.patch(url, headers={**auth_headers, "If-Match": tag}, json={"stage": "production"})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"].endswith("/conflict") and "acknowledge_leakage" in problem["detail"]
    assert [e["location"] for e in problem["errors"]] == ["column:account_closed", "test_metrics.roc_auc"]
    assert problem["errors"][0]["message"].startswith("derived_from_target: ")
    unchanged = await client.get(url, headers=auth_headers)
    assert unchanged.json()["stage"] == "staging" and unchanged.headers["etag"] == tag
    explicit_no = await client.patch(
        url, headers=auth_headers, json={"stage": "production", "acknowledge_leakage": False}
    )
    assert explicit_no.status_code == 409

    # Acknowledged, with the ETag handling as usual: a stale tag is still a 412.
    stale = await client.patch(
        url,
        headers={**auth_headers, "If-Match": got.headers["etag"]},
        json={"stage": "production", "acknowledge_leakage": True},
    )
    assert stale.status_code == 412
    promoted = await client.patch(
        url,
        headers={**auth_headers, "If-Match": tag},
        json={"stage": "production", "acknowledge_leakage": True},
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["stage"] == "production"
    assert promoted.json()["leakage_acknowledged_at"] is not None
    assert promoted.headers["etag"] != tag


async def test_clean_model_is_promoted_without_acknowledgement(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(400)))
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]}
    created = await client.post("/api/v1/training-jobs", headers=auth_headers, json=body)
    job = await wait_for_job(client, created.headers["location"], auth_headers)
    assert job["status"] == "succeeded" and job["leakage_findings"] == []
    url = f"/api/v1/models/{job['model_id']}"
    promoted = await client.patch(url, headers=auth_headers, json={"stage": "production"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["leakage_findings"] == [] and promoted.json()["leakage_acknowledged_at"] is None
