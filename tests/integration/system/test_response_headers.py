"""The response headers the spec documents are the ones the server sends (#15)."""

from __future__ import annotations

import httpx
import pytest

from modelyard.app import create_app
from modelyard.settings import Settings
from tests.conftest import register_and_login, running
from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.openapi import generated_spec

pytestmark = pytest.mark.integration

SPEC = generated_spec()


def documented(path: str, method: str, status: str) -> set[str]:
    return set(SPEC["paths"][path][method]["responses"][status].get("headers", {}))


def test_every_created_or_accepted_response_documents_location() -> None:
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            for status in set(op.get("responses", {})) & {"201", "202"}:
                assert "Location" in documented(path, method, status), (method, path, status)
            for status in set(op.get("responses", {})) & {"429", "503"}:
                assert "Retry-After" in documented(path, method, status), (method, path, status)


async def test_location_request_id_version_and_rate_limit_headers_are_sent(
    client: httpx.AsyncClient,
) -> None:
    email, password = "headers@example.com", "a-long-password"
    registered = await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201 and registered.headers["location"] == "/api/v1/auth/me"
    assert {"x-request-id", "modelyard-version", "ratelimit-remaining", "ratelimit-limit"} <= set(
        registered.headers
    )
    assert {"Location", "X-Request-ID", "RateLimit-Remaining"} <= documented(
        "/api/v1/auth/register", "post", "201"
    )
    headers = await register_and_login(client)
    uploaded = await client.post(
        "/api/v1/datasets", headers=headers, files={"file": ("churn.csv", to_csv(churn_frame(60)))}
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.headers["location"] == f"/api/v1/datasets/{uploaded.json()['id']}"
    assert (await client.get(uploaded.headers["location"], headers=headers)).status_code == 200
    body = {"dataset_id": uploaded.json()["id"], "target": "target", "time_budget_s": 60}
    created = await client.post("/api/v1/training-jobs", headers=headers, json=body)
    assert created.status_code == 202
    cancelled = await client.post(created.headers["location"] + "/cancel", headers=headers)
    assert cancelled.status_code == 202 and cancelled.headers["location"] == created.headers["location"]


async def test_a_rate_limited_request_says_when_to_retry(settings: Settings) -> None:
    settings.app = settings.app.model_copy(update={"rate_limit_per_minute": 2})
    async with running(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = [await http.get("/api/v1/auth/me") for _ in range(3)]
    limited = answers[-1]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Retry-After" in documented("/api/v1/auth/me", "get", "429")
