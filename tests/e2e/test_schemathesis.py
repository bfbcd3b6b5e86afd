"""Schemathesis against the running server's own schema: no 5xx, responses match their documentation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.services.server import start_server

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_api_conforms_to_its_schema(mongodb_url: str, tmp_path: Path) -> None:
    # Rate limits off: the fuzzer sends hundreds of requests a minute from one address.
    with start_server(mongodb_url, tmp_path, extra_env={"MODELYARD_RATE_LIMIT_PER_MINUTE": "0"}) as server:
        credentials = {"username": "fuzz@example.com", "password": "fuzz-password"}
        httpx.post(
            server.base_url + "/api/v1/auth/register",
            json={"email": credentials["username"], "password": credentials["password"]},
        ).raise_for_status()
        token = httpx.post(server.base_url + "/api/v1/auth/token", data=credentials).json()["access_token"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                server.base_url + "/schema/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--workers",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            cwd=tmp_path,
        )
    summary = result.stdout[-5000:]
    print(summary)
    assert result.returncode == 0, (
        summary + result.stderr[-2000:] + "\n--- server log ---\n" + server.log()[-3000:]
    )
