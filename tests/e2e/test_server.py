"""The real server process over real HTTP: the README's register -> token -> me flow."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def test_readme_auth_flow_over_http(mongodb_url: str, tmp_path: Path) -> None:
    with start_server(mongodb_url, tmp_path) as server, httpx.Client(base_url=server.base_url) as http:
        assert http.get("/health/live").json() == {"status": "ok"}
        created = http.post(
            "/api/v1/auth/register", json={"email": "e2e@example.com", "password": "e2e-password"}
        )
        assert created.status_code == 201, created.text
        token = http.post(
            "/api/v1/auth/token", data={"username": "e2e@example.com", "password": "e2e-password"}
        )
        assert token.status_code == 200
        me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert me.status_code == 200 and me.json()["email"] == "e2e@example.com"
        assert me.headers["x-request-id"]
        spec = http.get("/schema/openapi.json").json()
        assert spec["info"]["title"] == "Modelyard API"


def test_production_without_secret_refuses_to_start(mongodb_url: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    env.update({"MODELYARD_ENV": "production", "MODELYARD_MONGODB_URL": mongodb_url})
    result = subprocess.run(
        [sys.executable, "-m", "modelyard", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "MODELYARD_JWT_SECRET is not set" in result.stderr
    env["MODELYARD_JWT_SECRET"] = "too-short"
    result = subprocess.run(
        [sys.executable, "-m", "modelyard", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "too short" in result.stderr
    assert "too-short" not in result.stderr  # the secret itself is never printed


def test_user_survives_restart(mongodb_url: str, tmp_path: Path) -> None:
    database = "e2e_restart"
    with start_server(mongodb_url, tmp_path, database=database) as server:
        response = httpx.post(
            server.base_url + "/api/v1/auth/register",
            json={"email": "keep@example.com", "password": "keep-password"},
        )
        assert response.status_code == 201
    with start_server(mongodb_url, tmp_path, database=database) as server:
        token = httpx.post(
            server.base_url + "/api/v1/auth/token",
            data={"username": "keep@example.com", "password": "keep-password"},
        )
        assert token.status_code == 200
