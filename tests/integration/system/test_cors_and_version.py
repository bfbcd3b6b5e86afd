"""CORS is off unless origins are configured (MODELYARD_CORS_ORIGINS); every response names the version."""

from __future__ import annotations

import httpx
import pytest

from modelyard import __version__
from modelyard.app import create_app
from modelyard.settings import AppSettings, Settings
from tests.conftest import running

pytestmark = pytest.mark.integration

ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}


async def test_every_response_names_the_version(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/health/live"),
        await client.get("/api/v1/nope"),  # unmatched: answered outside the router
        await client.get("/api/v1/auth/me"),  # 401
    ):
        assert response.headers["modelyard-version"] == __version__


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options("/api/v1/datasets", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers


async def test_configured_origins_may_call_the_api(settings: Settings) -> None:
    settings.app = settings.app.model_copy(update={"cors_origins": f"{ORIGIN}, https://other.example.com"})
    async with running(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options("/api/v1/datasets", headers=PREFLIGHT)
            assert preflight.status_code in (200, 204)
            assert preflight.headers["access-control-allow-origin"] == ORIGIN
            assert "POST" in preflight.headers["access-control-allow-methods"]
            simple = await http.get("/health/live", headers={"Origin": ORIGIN})
            assert simple.headers["access-control-allow-origin"] == ORIGIN
            assert "modelyard-version" in simple.headers["access-control-expose-headers"].lower()
            stranger = await http.get("/health/live", headers={"Origin": "https://evil.example.com"})
            assert "access-control-allow-origin" not in stranger.headers


def test_the_setting_is_a_comma_separated_list() -> None:
    assert AppSettings(cors_origins=" https://a.example , ,https://b.example").cors_origin_list == [
        "https://a.example",
        "https://b.example",
    ]
    assert AppSettings().cors_origin_list == []
