"""Online predictions from a cached model keep being served while the database is down, for the
documented grace (MODELYARD_MONGODB_OUTAGE_GRACE_S), then answer 503; they recover by themselves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from modelyard.app import create_app
from modelyard.settings import DatabaseSettings
from tests.conftest import PRODUCT_OPERATION_TIMEOUT_MS, make_settings, register_and_login, running
from tests.faults.conftest import Dependency, ObjectStoreChoice, client_for
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration

GRACE_S = 12.0
RECORD = {"age": 41.5, "city": "paris", "member": "true", "signup": "2021-03-04"}


@pytest.fixture
async def client(
    mongodb: Dependency, object_store: ObjectStoreChoice, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        mongodb.url,
        object_store.url,
        s3_endpoint=object_store.s3_endpoint,
        var_dir=tmp_path / "var",
        operation_timeout_ms=PRODUCT_OPERATION_TIMEOUT_MS,
    )
    settings.database = DatabaseSettings(
        url=mongodb.url, database=settings.database.database, timeout_ms=3000, outage_grace_s=GRACE_S
    )
    async with running(create_app(settings)) as app, client_for(app) as http:
        yield http


async def predict(http: httpx.AsyncClient, headers: dict[str, str], model_id: str) -> httpx.Response:
    async with asyncio.timeout(30):
        return await http.post(
            f"/api/v1/models/{model_id}/predictions", headers=headers, json={"records": [RECORD]}
        )


async def test_cached_model_is_served_through_an_outage(
    client: httpx.AsyncClient, mongodb: Dependency
) -> None:
    headers = await register_and_login(client)
    job = await train(client, headers, await upload_csv(client, headers, to_csv(churn_frame())))
    assert job["status"] == "succeeded", job
    model_id = job["model_id"]
    assert (await predict(client, headers, model_id)).status_code == 200  # now cached
    mongodb.stop()
    stopped = time.monotonic()
    try:
        served: list[tuple[float, int]] = []
        # Past the 5 s existence re-check, well inside the grace.
        while time.monotonic() - stopped < GRACE_S - 4:
            response = await predict(client, headers, model_id)
            served.append((round(time.monotonic() - stopped, 1), response.status_code))
            await asyncio.sleep(0.5)
        assert served[-1][0] > 6 and all(status == 200 for _, status in served), served
        await asyncio.sleep(max(0.0, GRACE_S + 1 - (time.monotonic() - stopped)))
        late = await predict(client, headers, model_id)
        assert late.status_code == 503, late.text  # the grace is a bound, not forever
        assert late.headers["retry-after"]
    finally:
        mongodb.start()
    deadline = time.monotonic() + 30
    while (response := await predict(client, headers, model_id)).status_code != 200:
        assert response.status_code == 503 and time.monotonic() < deadline, response.text
        await asyncio.sleep(0.5)
