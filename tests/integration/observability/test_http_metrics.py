"""GET /metrics and the HTTP metrics: every response counted with its real status and route template."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get, post
from prometheus_client.parser import text_string_to_metric_families

from modelyard.app import create_app
from modelyard.lifespan import app_state
from modelyard.observability import metrics as m
from modelyard.settings import Settings
from tests.conftest import register_and_login, running

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return response.text


def app_with_probe_routes(settings: Settings) -> Litestar:
    @get("/api/v1/_probe/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("forced failure")

    @post("/api/v1/_probe/small", include_in_schema=False, request_max_body_size=16)
    async def small(request: Request[Any, Any, Any]) -> int:
        return len(await request.body())

    application = create_app(settings)
    application.register(boom)
    application.register(small)
    return application


async def test_metrics_endpoint_is_public_text_with_build_info(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(response.text, "modelyard_build_info", version=m.VERSION) == 1.0
    assert "# HELP modelyard_http_requests_total " in response.text


async def test_each_status_is_counted_once_under_its_route_template(settings: Settings) -> None:
    settings.app.rate_limit_per_minute = 0
    async with running(app_with_probe_routes(settings)) as application:
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            auth = await register_and_login(http)
            before = await scrape(http)
            assert (await http.get("/api/v1/auth/me")).status_code == 401
            assert (
                await http.get("/api/v1/auth/me", headers={"Authorization": "Bearer x"})
            ).status_code == 401
            assert (await http.get("/api/v1/no/such/path/665f1c2a9b1e8a3d4c5b6a79")).status_code == 404
            assert (await http.put("/api/v1/auth/me")).status_code == 405  # GET and DELETE only
            assert (
                await http.post("/api/v1/_probe/small", content=b"x" * 100, headers=auth)
            ).status_code == 413
            assert (await http.get("/api/v1/_probe/boom", headers=auth)).status_code == 500
            created = await http.post(
                "/api/v1/auth/register", json={"email": "m@example.com", "password": "p" * 10}
            )
            assert created.status_code == 201
            for _ in range(3):  # probes and scrapes are not traffic
                await http.get("/health/live")
                await http.get("/health/ready")
            after = await scrape(http)

    def delta(**labels: str) -> float:
        name = "modelyard_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(method="GET", route="/api/v1/auth/me", status_code="401") == 2
    assert delta(method="GET", route=m.UNMATCHED_ROUTE, status_code="404") == 1
    assert delta(method="PUT", route=m.UNMATCHED_ROUTE, status_code="405") == 1
    assert delta(method="POST", route="/api/v1/_probe/small", status_code="413") == 1
    assert delta(method="GET", route="/api/v1/_probe/boom", status_code="500") == 1
    assert delta(method="POST", route="/api/v1/auth/register", status_code="201") == 1
    routes = {
        dict(labels).get("route") for (name, labels) in samples(after) if name.startswith("modelyard_http_")
    }
    assert not any(r and (r.startswith(("/health", "/metrics")) or "665f1c2a" in r) for r in routes)
    timed = "modelyard_http_request_duration_seconds_count"
    assert (
        value(after, timed, method="GET", route="/api/v1/auth/me")
        - value(before, timed, method="GET", route="/api/v1/auth/me")
        == 2
    )
    assert value(after, "modelyard_http_requests_in_progress") == 0


async def test_rate_limited_requests_are_counted_as_429(settings: Settings) -> None:
    settings.app.rate_limit_per_minute = 2
    async with running(create_app(settings)) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            before = await scrape(http)
            codes = [(await http.get("/api/v1/auth/me")).status_code for _ in range(4)]
            after = await scrape(http)  # /metrics itself is not rate limited
    assert codes == [401, 401, 429, 429]
    name, labels = "modelyard_http_requests_total", {"method": "GET", "route": "/api/v1/auth/me"}
    assert (
        value(after, name, **labels, status_code="429") - value(before, name, **labels, status_code="429")
        == 2
    )
    assert (
        value(after, name, **labels, status_code="401") - value(before, name, **labels, status_code="401")
        == 2
    )
    assert value(after, name, **labels, status_code="200") == value(before, name, **labels, status_code="200")


async def test_exposition_passes_promtool_lint(app: Litestar, client: httpx.AsyncClient) -> None:
    # Give every process-local metric a series so the lint sees all of them.
    m.observe_training(problem_type="binary", status="succeeded", duration_seconds=12.0, algorithm="logistic")
    m.observe_prediction(problem_type="binary", kind="online", rows=3, duration_seconds=0.004)
    m.observe_dataset_upload(rows=150, size_bytes=4096)
    m.observe_llm_call(
        provider="openai", model="gpt-4o-mini", outcome="success", duration_seconds=1.2, prompt_tokens=10
    )
    await client.get("/api/v1/auth/me")
    await app_state(app).business.refresh()
    text = await scrape(client)
    exposed = {family.name for family in text_string_to_metric_families(text)}
    documented = {spec.name.removesuffix("_total") for spec in m.METRICS}
    assert documented <= exposed, documented - exposed
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr
