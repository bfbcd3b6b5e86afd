"""The `openai` provider over real HTTP: the official client against a local OpenAI-compatible server.

Covers success, 429 then success, repeated 500 (fallback, or failure with fallback off),
timeouts, invalid JSON, schema violations, unknown columns, empty choices, the privacy of
what is sent, token usage and the readiness cache.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelyard.observability.metrics import REGISTRY
from tests.integration.analysis.conftest import AnalysisEnv
from tests.services.openai_server import Reply

pytestmark = pytest.mark.integration


def model_answer(**changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "overview": "Customer records with a churn label; mostly clean.",
        "findings": [
            {
                "category": "leakage",
                "severity": "critical",
                "title": "churn_flag copies the label",
                "detail": "churn_flag equals churned in every row.",
                "columns": ["churn_flag", "churned"],
            }
        ],
        "target_suggestions": [
            {"column": "churned", "problem_type": "binary", "reason": "A yes/no outcome named like a label."}
        ],
        "preprocessing": [{"action": "impute", "columns": ["monthly_spend"], "reason": "It has gaps."}],
        "exclude_columns": [{"column": "customer_id", "reason_code": "identifier", "reason": "An id."}],
        "caveats": ["Based on a profile, not the business meaning."],
    }
    answer.update(changes)
    return answer


def llm_requests(model: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "modelyard_llm_requests_total", {"provider": "openai", "model": model, "outcome": outcome}
    )
    return value or 0.0


async def test_success_records_provenance_and_token_usage(env: AnalysisEnv) -> None:
    env.configure(max_tokens=1500)
    env.fake.reset(Reply.json(model_answer(), prompt_tokens=321, completion_tokens=123))
    before = llm_requests("fake-model", "success")
    tokens_before = REGISTRY.get_sample_value(
        "modelyard_llm_tokens_total", {"provider": "openai", "model": "fake-model", "kind": "prompt"}
    )
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))

    assert done["status"] == "succeeded", done
    assert done["result"] == model_answer()
    provenance = done["provenance"]
    assert provenance["provider"] == "openai" and provenance["model"] == "fake-model"
    assert provenance["prompt_version"] and provenance["attempts"] == 1
    assert provenance["fallback_used"] is False
    assert provenance["token_usage"] == {"prompt_tokens": 321, "completion_tokens": 123, "total_tokens": 444}
    assert provenance["latency_ms"] > 0

    [request] = env.fake.completions
    body = request.body
    assert body["model"] == "fake-model" and body["max_tokens"] == 1500
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    assert schema["schema"]["type"] == "object" and schema["schema"]["additionalProperties"] is False
    assert set(schema["schema"]["required"]) == set(model_answer())
    assert request.headers.get("authorization") == "Bearer test-key"
    assert llm_requests("fake-model", "success") == before + 1
    tokens_after = REGISTRY.get_sample_value(
        "modelyard_llm_tokens_total", {"provider": "openai", "model": "fake-model", "kind": "prompt"}
    )
    assert tokens_after == (tokens_before or 0) + 321


async def test_429_then_success_is_retried_by_the_client(env: AnalysisEnv) -> None:
    env.configure()
    env.fake.reset(Reply.error(429, "slow down"), Reply.json(model_answer()))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded" and done["provenance"]["provider"] == "openai"
    assert len(env.fake.completions) == 2
    assert done["provenance"]["attempts"] == 1


async def test_repeated_500_falls_back_to_the_heuristic_analyst(env: AnalysisEnv) -> None:
    env.configure(max_retries=2)
    env.fake.reset(Reply.error(500, "upstream exploded"))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded"
    assert len(env.fake.completions) == 3  # one call and two retries
    provenance = done["provenance"]
    assert provenance["provider"] == "heuristic" and provenance["fallback_used"] is True
    assert (
        "HTTP 500" in provenance["fallback_reason"] and "upstream exploded" in provenance["fallback_reason"]
    )
    assert done["result"]["target_suggestions"][0]["column"] == "churned"


async def test_repeated_500_without_fallback_fails_clearly(env: AnalysisEnv) -> None:
    env.configure(max_retries=1, fallback=False)
    env.fake.reset(Reply.error(503, "overloaded"))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "failed" and done["result"] is None
    error = done["error"]
    assert error["type"].endswith("/service-unavailable") and error["status"] == 503
    assert "HTTP 503" in error["detail"] and "after 1 retries" in error["detail"]
    assert len(env.fake.completions) == 2


async def test_timeout_falls_back(env: AnalysisEnv) -> None:
    env.configure(timeout_s=0.3, max_retries=1)
    env.fake.reset(Reply(content=json.dumps(model_answer()), delay_s=1.0))
    before = llm_requests("fake-model", "timeout")
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded"
    assert done["provenance"]["fallback_used"] is True
    assert "did not answer within 0.3 s" in done["provenance"]["fallback_reason"]
    assert len(env.fake.completions) == 2
    assert llm_requests("fake-model", "timeout") == before + 1


async def test_invalid_json_gets_one_repair(env: AnalysisEnv) -> None:
    env.configure()
    env.fake.reset(Reply(content='{"overview": "cut off'), Reply.json(model_answer()))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded" and done["provenance"]["provider"] == "openai"
    assert done["provenance"]["attempts"] == 2
    assert done["provenance"]["token_usage"]["total_tokens"] == 2 * 200
    first, repair = env.fake.completions
    messages = repair.body["messages"]
    assert messages[-2] == {"role": "assistant", "content": '{"overview": "cut off'}
    assert "not valid JSON" in messages[-1]["content"]
    assert len(messages) == len(first.body["messages"]) + 2


async def test_schema_violations_twice_fall_back(env: AnalysisEnv) -> None:
    env.configure()
    bad = model_answer(
        target_suggestions=[{"column": "churned", "problem_type": "clustering", "reason": "x"}]
    )
    env.fake.reset(Reply.json(bad), Reply.json(model_answer(extra_field=1)))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded"
    provenance = done["provenance"]
    assert provenance["fallback_used"] is True and provenance["attempts"] == 2
    assert "does not match the schema" in provenance["fallback_reason"]
    assert provenance["token_usage"]["total_tokens"] == 400  # the failed attempts' tokens still count
    assert "does not match the schema" in env.fake.completions[1].body["messages"][-1]["content"]


async def test_unknown_columns_are_repaired(env: AnalysisEnv) -> None:
    env.configure()
    invented = model_answer(exclude_columns=[{"column": "ssn", "reason_code": "pii", "reason": "x"}])
    env.fake.reset(Reply.json(invented), Reply.json(model_answer()))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["provenance"]["provider"] == "openai" and done["provenance"]["attempts"] == 2
    assert "columns that do not exist: ssn" in env.fake.completions[1].body["messages"][-1]["content"]


async def test_empty_choices_fall_back_after_a_second_try(env: AnalysisEnv) -> None:
    env.configure()
    env.fake.reset(Reply(empty_choices=True))
    headers = await env.headers()
    done = await env.analyse(headers, await env.upload(headers))
    assert done["status"] == "succeeded"
    assert done["provenance"]["fallback_used"] is True
    assert "no choices" in done["provenance"]["fallback_reason"]
    assert len(env.fake.completions) == 2


async def test_pii_values_never_leave_the_server(env: AnalysisEnv) -> None:
    env.configure(send_samples=True)
    env.fake.reset(Reply.json(model_answer()))
    headers = await env.headers()
    await env.analyse(headers, await env.upload(headers))
    [request] = env.fake.completions
    sent = request.raw
    brief = json.loads(request.body["messages"][1]["content"].split("\n", 1)[1])
    columns = {c["name"]: c for c in brief["column_profiles"]}
    # Column names and aggregates are sent; values of PII columns are not, not even masked.
    assert columns["email"]["pii"] == ["email"] and "values" in columns["email"]
    assert "top_values" not in columns["email"] and "sample_values" not in columns["email"]
    for needle in ("@example.com", "user1@", "u***@", "Lovelace", "L*******"):
        assert needle not in sent, needle
    # Masked samples of ordinary columns are sent when allowed.
    assert ["basic", 40] in columns["plan"]["top_values"]


async def test_send_samples_false_sends_no_row_values(env: AnalysisEnv) -> None:
    env.configure(send_samples=False)
    env.fake.reset(Reply.json(model_answer()))
    headers = await env.headers()
    await env.analyse(headers, await env.upload(headers))
    [request] = env.fake.completions
    sent = request.body["messages"][1]["content"]
    for value in ('"basic"', '"pro"', "@example.com", "Lovelace", '"1000"', '"true"', '"false"'):
        assert value not in sent, value
    brief = json.loads(sent.split("\n", 1)[1])
    assert all("top_values" not in c and "sample_values" not in c for c in brief["column_profiles"])


async def test_readiness_reports_openai_and_caches_the_probe(env: AnalysisEnv) -> None:
    env.configure(readiness_cache_s=300)
    for _ in range(3):
        body = (await env.client.get("/health/ready")).json()
        check = next(c for c in body["checks"] if c["name"] == "analysis")
        assert check["ok"] is True
        assert check["detail"].startswith(f"openai fake-model at {env.fake.base_url}: reachable")
    assert [r.path for r in env.fake.requests] == ["/v1/models"]


async def test_readiness_with_an_unreachable_endpoint(env: AnalysisEnv) -> None:
    env.configure(openai_base_url="http://127.0.0.1:9/v1", fallback=True)
    check = next(
        c for c in (await env.client.get("/health/ready")).json()["checks"] if c["name"] == "analysis"
    )
    assert check["ok"] is True and "fall back to the heuristic" in check["detail"]
    env.configure(openai_base_url="http://127.0.0.1:9/v1", fallback=False)
    response = await env.client.get("/health/ready")
    assert response.status_code == 503
    assert any(e["location"] == "analysis" for e in response.json()["errors"])
