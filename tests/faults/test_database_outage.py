"""A stopped or frozen MongoDB, on both storage backends: every endpoint answers 503 + Retry-After within the
bound (never a 500, never a long hang), and the service recovers by itself when it returns."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.conftest import register_and_login
from tests.faults.conftest import Dependency

pytestmark = pytest.mark.integration

# The default bound (MODELYARD_MONGODB_REQUEST_TIMEOUT_MS) plus slack for a loaded test machine.
ANSWER_WITHIN_S = 2.0 + 1.5


Call = Callable[[], Awaitable[httpx.Response]]


async def timed(call: Call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    async with asyncio.timeout(60):
        response = await call()
    return response, time.monotonic() - started


def calls(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Call]:
    """One call per kind of database use: public write, token read, owned reads, writes, an upload."""
    email = f"outage-{uuid.uuid4().hex[:8]}@example.com"
    credentials = {"email": email, "password": "a-long-password"}
    some_id = "a" * 24
    csv = ("x,y\n" + "\n".join(f"{i},{i % 3}" for i in range(50))).encode()
    return {
        "register": lambda: http.post("/api/v1/auth/register", json=credentials),
        "token": lambda: http.post(
            "/api/v1/auth/token", data={"username": email, "password": "a-long-password"}
        ),
        "list datasets": lambda: http.get("/api/v1/datasets", headers=headers),
        "list jobs": lambda: http.get("/api/v1/training-jobs", headers=headers),
        "get dataset": lambda: http.get(f"/api/v1/datasets/{some_id}", headers=headers),
        "patch model": lambda: http.patch(f"/api/v1/models/{some_id}", headers=headers, json={"name": "n"}),
        "upload": lambda: http.post(
            "/api/v1/datasets", headers=headers, files={"file": ("d.csv", io.BytesIO(csv), "text/csv")}
        ),
    }


async def assert_unavailable(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    seen = {name: await timed(call) for name, call in calls(http, headers).items()}
    summary = {name: (r.status_code, round(elapsed, 2)) for name, (r, elapsed) in seen.items()}
    for name, (response, elapsed) in seen.items():
        assert response.status_code == 503, summary
        body = response.json()
        assert body["type"].endswith("/service-unavailable"), (name, body)
        assert "database" in body["detail"].lower(), (name, body)
        assert int(response.headers["retry-after"]) >= 1, name
        assert elapsed < ANSWER_WITHIN_S, summary


async def assert_recovers(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        response = await http.get("/api/v1/datasets", headers=headers)
        if response.status_code == 200:
            return
        assert response.status_code == 503, response.text
        assert time.monotonic() < deadline, "the service did not recover within 30 s of the DB returning"
        await asyncio.sleep(0.5)


async def test_stopped_database_is_a_quick_503(fault_client: httpx.AsyncClient, mongodb: Dependency) -> None:
    headers = await register_and_login(fault_client)
    mongodb.stop()
    try:
        await assert_unavailable(fault_client, headers)
    finally:
        mongodb.start()
    await assert_recovers(fault_client, headers)


async def test_frozen_database_is_a_quick_503(fault_client: httpx.AsyncClient, mongodb: Dependency) -> None:
    headers = await register_and_login(fault_client)
    mongodb.freeze()
    try:
        await assert_unavailable(fault_client, headers)
    finally:
        mongodb.thaw()
    await assert_recovers(fault_client, headers)
