"""Analysis tests share one app per module (a process pool costs a spawn) and one fake OpenAI server.

Each test sets the analysis configuration it needs with `configure`, which swaps the
app's analyst the way a restart with other settings would.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from modelyard.app import create_app
from modelyard.domain.analysis.services import build_analyst
from modelyard.lifespan import app_state
from modelyard.settings import AnalysisSettings, JobSettings
from tests.conftest import make_settings, register_and_login, running
from tests.services.jobs import wait_for_job
from tests.services.openai_server import FakeOpenAI


def customers_csv(rows: int = 120) -> bytes:
    """Deterministic churn data: an id, PII (email, name), features, a leaky copy of the label, the label."""
    lines = ["customer_id,email,full_name,age,plan,monthly_spend,churn_flag,churned"]
    plans = ["basic", "pro", "max"]
    for i in range(rows):
        churned = "true" if (i * 7) % 5 == 0 else "false"
        spend = "" if i % 17 == 0 else f"{20 + (i * 13) % 80}.5"
        lines.append(
            f"{1000 + i},user{i}@example.com,Ada Lovelace{i},{18 + (i * 11) % 60},{plans[i % 3]},{spend},"
            f"{churned},{churned}"
        )
    return ("\n".join(lines) + "\n").encode()


@dataclass
class AnalysisEnv:
    app: Litestar
    client: httpx.AsyncClient
    fake: FakeOpenAI

    def configure(self, **changes: Any) -> AnalysisSettings:
        """Use these analysis settings from now on (the fake server's URL unless told otherwise)."""
        values: dict[str, Any] = {
            "provider": "openai",
            "model": "fake-model",
            "openai_base_url": self.fake.base_url,
            "openai_api_key": "test-key",
            "timeout_s": 2.0,
            "max_retries": 2,
            "max_concurrent_per_user": 50,
            "max_per_hour_per_user": 500,
            "readiness_cache_s": 300.0,
        }
        values.update(changes)
        config = AnalysisSettings(**values)
        engine = app_state(self.app).analysis
        engine.config = config
        engine.settings.analysis = config
        engine.analyst = build_analyst(config)
        return config

    async def headers(self) -> dict[str, str]:
        return await register_and_login(self.client)

    async def upload(self, headers: dict[str, str], content: bytes | None = None) -> str:
        response = await self.client.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("customers.csv", content or customers_csv(), "text/csv")},
        )
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    async def start(self, headers: dict[str, str], dataset_id: str, **body: Any) -> httpx.Response:
        return await self.client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json=body)

    async def analyse(self, headers: dict[str, str], dataset_id: str, **body: Any) -> dict[str, Any]:
        response = await self.start(headers, dataset_id, **body)
        assert response.status_code == 202, response.text
        return await wait_for_job(self.client, response.headers["location"], headers, timeout=60)


@pytest.fixture(scope="module")
async def analysis_env(
    mongodb_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AnalysisEnv]:
    fake = FakeOpenAI().start()
    root = tmp_path_factory.mktemp(f"analysis-{uuid.uuid4().hex[:6]}")
    settings = make_settings(
        mongodb_url, f"file://{root / 'objects'}", var_dir=root / "var", process_workers=1
    )
    settings.jobs = JobSettings(poll_interval_s=0.05)
    settings.analysis = AnalysisSettings(provider="heuristic")
    try:
        async with running(create_app(settings)) as app:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield AnalysisEnv(app, client, fake)
    finally:
        fake.stop()


@pytest.fixture
def env(analysis_env: AnalysisEnv) -> AnalysisEnv:
    analysis_env.fake.reset()
    analysis_env.configure(provider="heuristic")
    return analysis_env
