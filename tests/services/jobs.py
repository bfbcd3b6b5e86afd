"""Wait for a job (training, batch prediction, analysis) over the HTTP API: the one place tests poll.

A job's URL (the `Location` of its 202) answers its document; it is over when its status is
final. `until` waits for another state instead, e.g. `lambda job: job["status"] == "running"`.
Tests never look inside the job runner: what they wait for is what an API client can see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

FINAL = frozenset({"succeeded", "failed", "cancelled"})

Job = dict[str, Any]


def _done(job: Job, until: Callable[[Job], bool] | None) -> bool:
    return until(job) if until is not None else job["status"] in FINAL


def _read(response: httpx.Response) -> Job:
    assert response.status_code == 200, f"{response.request.url}: {response.status_code} {response.text}"
    job: Job = response.json()
    return job


async def wait_for_job(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    timeout: float = 120.0,
    interval: float = 0.1,
    until: Callable[[Job], bool] | None = None,
) -> Job:
    """Poll `url` until the job is final (or `until(job)` is true); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = _read(await client.get(url, headers=headers))
        if _done(job, until):
            return job
        assert time.monotonic() < deadline, f"job at {url} not done in {timeout} s: {job}"
        await asyncio.sleep(interval)


def wait_for_job_sync(
    http: httpx.Client,
    url: str,
    headers: dict[str, str],
    *,
    timeout: float = 120.0,
    interval: float = 0.3,
    until: Callable[[Job], bool] | None = None,
) -> Job:
    """`wait_for_job` for a blocking client (the e2e tests, against a server process)."""
    deadline = time.monotonic() + timeout
    while True:
        job = _read(http.get(url, headers=headers))
        if _done(job, until):
            return job
        assert time.monotonic() < deadline, f"job at {url} not done in {timeout} s: {job}"
        time.sleep(interval)


BARRIER_CSV = b"a,b,label\n" + b"".join(f"{i},{i % 3},{i % 2}\n".encode() for i in range(30))


async def wait_for_earlier_jobs(client: httpx.AsyncClient, *, timeout: float = 120.0) -> None:
    """Return once every job the runner had started has ended, seen through the API only.

    For an app whose runner runs one job at a time (`JobSettings(concurrent_jobs=1)`):
    a throwaway account queues an analysis behind whatever runs now; the runner claims it
    only when the job before it has ended (its handler returned, whatever it wrote is
    written). When the analysis is final, the account is deleted with everything it stored,
    so the barrier leaves no trace for the test's own assertions.
    """
    email = f"barrier-{time.monotonic_ns()}@example.com"
    password = "barrier-password"
    registered = await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    token = await client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    uploaded = await client.post(
        "/api/v1/datasets", headers=headers, files={"file": ("barrier.csv", BARRIER_CSV, "text/csv")}
    )
    assert uploaded.status_code == 201, uploaded.text
    started = await client.post(f"/api/v1/datasets/{uploaded.json()['id']}/analyses", headers=headers)
    assert started.status_code == 202, started.text
    await wait_for_job(client, started.headers["location"], headers, timeout=timeout)
    deleted = await client.delete("/api/v1/auth/me", headers=headers)
    assert deleted.status_code == 204, deleted.text
