"""Model narratives end to end: train a real model, then explain it with each provider."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.analysis.conftest import AnalysisEnv
from tests.services.jobs import wait_for_job
from tests.services.openai_server import Reply

pytestmark = pytest.mark.integration


async def trained_model(env: AnalysisEnv, headers: dict[str, str]) -> str:
    dataset_id = await env.upload(headers)
    response = await env.client.post(
        "/api/v1/training-jobs",
        headers=headers,
        json={
            "dataset_id": dataset_id,
            "target": "churned",
            "time_budget_s": 5,
            "algorithms": ["linear"],
            "exclude_columns": ["churn_flag"],
        },
    )
    assert response.status_code == 202, response.text
    job = await wait_for_job(env.client, response.headers["location"], headers, timeout=120)
    assert job["status"] == "succeeded", job
    return str(job["model_id"])


async def narrate(env: AnalysisEnv, headers: dict[str, str], model_id: str) -> dict[str, Any]:
    response = await env.client.post(f"/api/v1/models/{model_id}/analyses", headers=headers)
    assert response.status_code == 202, response.text
    return await wait_for_job(env.client, response.headers["location"], headers, timeout=60)


async def test_model_narrative_with_both_providers(env: AnalysisEnv) -> None:
    headers = await env.headers()
    model_id = await trained_model(env, headers)

    done = await narrate(env, headers, model_id)
    assert done["status"] == "succeeded", done
    assert done["kind"] == "model" and done["model_id"] == model_id and done["result"] is None
    narrative = done["narrative"]
    quality = narrative["quality"]
    assert quality["metric"] == "accuracy" and quality["baseline_value"] is not None
    assert "most common class" in quality["explanation"] or quality["verdict"] == "suspicious"
    assert narrative["summary"] and narrative["next_steps"]
    assert done["provenance"]["provider"] == "heuristic"

    env.configure()
    answer = {
        "summary": "A linear model that beats guessing.",
        "quality": {
            "metric": "accuracy",
            "value": 0.8,
            "baseline_value": 0.75,
            "verdict": "fair",
            "explanation": "Slightly better than always predicting no.",
        },
        "drivers": [],
        "weaknesses": ["Misses many churners."],
        "next_steps": ["Add usage features."],
        "caveats": ["Small test set."],
    }
    env.fake.reset(Reply.json(answer))
    done = await narrate(env, headers, model_id)
    assert done["status"] == "succeeded" and done["narrative"] == answer
    assert done["provenance"]["provider"] == "openai"
    sent = env.fake.completions[0].body
    assert sent["response_format"]["json_schema"]["name"] == "model_narrative"
    assert "@example.com" not in env.fake.completions[0].raw

    page = (await env.client.get(f"/api/v1/models/{model_id}/analyses", headers=headers)).json()
    assert page["total"] == 2 and page["items"][0]["provenance"]["provider"] == "openai"
    other = await env.headers()
    assert (await env.client.post(f"/api/v1/models/{model_id}/analyses", headers=other)).status_code == 404
