"""Problem details for framework-level errors, request ids, health probes."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from modelyard.lib.storage import StorageError
from modelyard.lifespan import app_state
from modelyard.settings import Settings
from tests.conftest import running

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


async def test_unknown_route_is_problem_404_with_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["type"].endswith("/not-found") and problem["status"] == 404
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_client_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "req-12345678"})
    assert response.headers["x-request-id"] == "req-12345678"
    hostile = await client.get("/health/live", headers={"X-Request-ID": "bad id\n"})
    assert hostile.headers["x-request-id"] != "bad id\n"


async def test_wrong_method_is_problem_405(client: httpx.AsyncClient) -> None:
    # /auth/me answers GET and DELETE; nothing answers PUT.
    response = await client.put("/api/v1/auth/me")
    assert response.status_code == 405
    assert response.json()["type"].endswith("/method-not-allowed")


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readiness_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    checks = {c["name"]: c["ok"] for c in response.json()["checks"]}
    assert checks == {"mongodb": True, "object_store": True, "analysis": True}


async def test_readiness_names_the_failed_check(app: Litestar, client: httpx.AsyncClient) -> None:
    async def broken() -> None:
        raise StorageError("bucket 'x' is not reachable")

    app_state(app).probes["object_store"] = broken
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert [e["location"] for e in problem["errors"]] == ["object_store"]
    assert "not reachable" in problem["detail"]


async def test_unhandled_error_is_500_without_stack_trace(settings: Settings) -> None:
    from litestar import get

    from modelyard.app import create_app

    @get("/health/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals")

    application = create_app(settings)
    application.register(boom)
    async with running(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/health/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_rate_limit_is_problem_429(settings: Settings) -> None:
    from modelyard.app import create_app

    settings.app.rate_limit_per_minute = 3
    application = create_app(settings)
    async with running(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            codes = [(await http.get("/api/v1/auth/me")).status_code for _ in range(4)]
            last = await http.get("/api/v1/auth/me")
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
    assert last.headers["content-type"].startswith(PROBLEM)
    assert last.json()["type"].endswith("/rate-limited")
    assert int(last.headers["retry-after"]) >= 0


async def test_docs_pages_and_assets_are_served_locally(client: httpx.AsyncClient) -> None:
    swagger = await client.get("/docs")
    assert swagger.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in swagger.text
    assert "http" not in swagger.text.split("<script")[1].split(">")[0]  # no CDN script src
    redoc = await client.get("/docs/redoc")
    assert redoc.status_code == 200 and "/docs/assets/redoc.standalone.js" in redoc.text
    bundle = await client.get("/docs/assets/redoc.standalone.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    missing = await client.get("/docs/assets/../../etc/passwd")
    assert missing.status_code == 404


async def test_openapi_json_and_yaml(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["BearerToken"]["type"] == "oauth2"
    yaml = await client.get("/schema/openapi.yaml")
    assert yaml.status_code == 200 and "openapi: 3.1" in yaml.text
