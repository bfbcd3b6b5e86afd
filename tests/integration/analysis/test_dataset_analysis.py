"""Dataset analysis over HTTP with the heuristic analyst: job lifecycle, result, isolation, limits."""

from __future__ import annotations

import pytest

from tests.integration.analysis.conftest import AnalysisEnv
from tests.services.jobs import wait_for_job

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


async def test_heuristic_analysis_end_to_end(env: AnalysisEnv) -> None:
    headers = await env.headers()
    dataset_id = await env.upload(headers)
    response = await env.start(headers, dataset_id)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert response.headers["location"] == f"/api/v1/analyses/{queued['id']}"
    assert queued["status"] in ("queued", "running") and queued["kind"] == "dataset"

    done = await wait_for_job(env.client, response.headers["location"], headers, timeout=60)
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["error"] is None and done["narrative"] is None
    result = done["result"]
    assert result["target_suggestions"][0]["column"] == "churned"
    assert result["target_suggestions"][0]["problem_type"] == "binary"
    excluded = {e["column"]: e["reason_code"] for e in result["exclude_columns"]}
    assert excluded["customer_id"] == "identifier"
    assert excluded["churn_flag"] == "leakage"
    assert excluded["email"] == "pii"
    leakage = [f for f in result["findings"] if f["category"] == "leakage"]
    assert leakage and leakage[0]["severity"] == "critical" and "churn_flag" in leakage[0]["columns"]
    provenance = done["provenance"]
    assert provenance["provider"] == "heuristic" and provenance["model"] == "rules"
    assert provenance["fallback_used"] is False and provenance["fallback_reason"] is None
    assert provenance["token_usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    assert env.fake.requests == []  # the heuristic analyst never calls out


async def test_target_hint_is_checked_and_used(env: AnalysisEnv) -> None:
    headers = await env.headers()
    dataset_id = await env.upload(headers)
    response = await env.start(headers, dataset_id, target="no_such_column")
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["location"] == "body.target"
    done = await env.analyse(headers, dataset_id, target="plan")
    assert done["result"]["target_suggestions"][0]["column"] == "plan"
    assert done["result"]["target_suggestions"][0]["problem_type"] == "multiclass"


async def test_history_is_paged_newest_first_and_owner_only(env: AnalysisEnv) -> None:
    headers = await env.headers()
    dataset_id = await env.upload(headers)
    first = await env.analyse(headers, dataset_id)
    second = await env.analyse(headers, dataset_id)
    page = (await env.client.get(f"/api/v1/datasets/{dataset_id}/analyses?limit=1", headers=headers)).json()
    assert page["total"] == 2 and page["limit"] == 1 and [i["id"] for i in page["items"]] == [second["id"]]
    page = (await env.client.get(f"/api/v1/datasets/{dataset_id}/analyses?offset=1", headers=headers)).json()
    assert [i["id"] for i in page["items"]] == [first["id"]]

    other = await env.headers()
    for response in (
        await env.client.get(f"/api/v1/analyses/{first['id']}", headers=other),
        await env.client.get(f"/api/v1/datasets/{dataset_id}/analyses", headers=other),
        await env.start(other, dataset_id),
        await env.client.get("/api/v1/analyses/665f1c2a9b1e8a3d4c5b6a79", headers=headers),
        await env.client.post("/api/v1/models/665f1c2a9b1e8a3d4c5b6a79/analyses", headers=headers),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    unauthenticated = await env.client.get(f"/api/v1/analyses/{first['id']}")
    assert unauthenticated.status_code == 401


async def test_per_user_rate_limit_is_a_429_problem(env: AnalysisEnv) -> None:
    env.configure(provider="heuristic", max_per_hour_per_user=2)
    headers = await env.headers()
    dataset_id = await env.upload(headers)
    for _ in range(2):
        assert (await env.start(headers, dataset_id)).status_code == 202
    refused = await env.start(headers, dataset_id)
    assert refused.status_code == 429 and refused.headers["content-type"].startswith(PROBLEM)
    assert int(refused.headers["retry-after"]) > 0
    assert "last hour" in refused.json()["detail"]
    # Another user is not affected.
    other = await env.headers()
    assert (await env.start(other, await env.upload(other))).status_code == 202


async def test_concurrency_limit(env: AnalysisEnv) -> None:
    env.configure(provider="heuristic", max_concurrent_per_user=1)
    headers = await env.headers()
    dataset_id = await env.upload(headers)
    first = await env.start(headers, dataset_id)
    assert first.status_code == 202
    second = await env.start(headers, dataset_id)
    if second.status_code == 202:  # the first finished in between: nothing to assert about limits
        pytest.skip("first analysis finished before the second request")
    assert second.status_code == 429 and "at once" in second.json()["detail"]
    await wait_for_job(env.client, first.headers["location"], headers, timeout=60)
    assert (await env.start(headers, dataset_id)).status_code == 202


async def test_readiness_reports_the_heuristic_provider(env: AnalysisEnv) -> None:
    body = (await env.client.get("/health/ready")).json()
    check = next(c for c in body["checks"] if c["name"] == "analysis")
    assert check["ok"] is True and check["detail"].startswith("heuristic")
