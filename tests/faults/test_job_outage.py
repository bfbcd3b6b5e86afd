"""Jobs running while the database goes away and comes back: none stays `running`, none fails
for the outage, cancel works afterwards, and every one is final within lease + 30 s of the
database returning. The runner logs the outage once, not a traceback per poll."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from beanie import PydanticObjectId
from litestar import Litestar
from structlog.testing import capture_logs

from modelyard.app import create_app
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.jobs import JobContext, JobControl, JobRunner, request_cancel
from modelyard.lifespan import app_state
from modelyard.settings import Settings
from tests.conftest import running
from tests.faults.conftest import Dependency, ObjectStoreChoice

pytestmark = pytest.mark.integration

LEASE_S = 3.0
OUTAGE_S = 2 * LEASE_S  # longer than a lease: running jobs lose theirs
FINAL = {"succeeded", "failed", "cancelled"}


def spin(control: JobControl, seconds: float) -> None:
    """Worker-side work that stops only when cancelled (or after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        control.check()
        time.sleep(0.05)


@pytest.fixture
def object_store(tmp_path: Path) -> ObjectStoreChoice:
    return ObjectStoreChoice(f"file://{tmp_path / 'objects'}")  # these jobs store nothing


@pytest.fixture
async def app(fault_settings: Settings) -> AsyncIterator[Litestar]:
    async with running(create_app(fault_settings)) as application:
        await app_state(application).runner.stop()  # only the runner under test runs jobs
        yield application


def handler(db_down: asyncio.Event) -> Any:
    async def run(job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        first = job.outage_retries == 0
        if job.target == "finish-during-outage":
            await db_down.wait()  # its outcome is written while the database is away
            await asyncio.sleep(0.5)
        elif job.target == "read-during-outage" and first:
            await db_down.wait()
            await asyncio.sleep(0.5)
            await TrainingJobDocument.get_pymongo_collection().find_one({"_id": job.id})
        elif job.target == "outlive-the-lease" and first:
            await context.run_in_process(spin, 120)  # stopped when the lease is given up
        elif job.target == "cancel-afterwards":
            await context.run_in_process(spin, 120)  # stopped only by cancel
        return {}

    return run


async def statuses(owner: PydanticObjectId) -> dict[str, str]:
    jobs = await TrainingJobDocument.find({"owner_id": owner}).to_list()
    return {job.target: job.status for job in jobs}


async def wait_for(owner: PydanticObjectId, predicate: Any, within: float) -> dict[str, str]:
    deadline = time.monotonic() + within
    while True:
        try:
            seen = await statuses(owner)
            if predicate(seen):
                return seen
        except Exception:  # the client may still be reconnecting
            seen = {}
        assert time.monotonic() < deadline, f"not reached within {within} s: {seen}"
        await asyncio.sleep(0.2)


async def test_jobs_settle_after_a_database_outage(
    app: Litestar, mongodb: Dependency, tmp_path: Path
) -> None:
    owner = PydanticObjectId()
    targets = ["finish-during-outage", "read-during-outage", "outlive-the-lease", "cancel-afterwards"]
    jobs = [
        TrainingJobDocument(owner_id=owner, dataset_id=PydanticObjectId(), target=t, options={})
        for t in targets
    ]
    for job in jobs:
        await job.insert()
    db_down = asyncio.Event()
    pool = ProcessPoolExecutor(max_workers=2)
    runner = JobRunner(pool, concurrency=4, lease_seconds=LEASE_S, poll_interval=0.2, scratch_root=tmp_path)
    runner.register(TrainingJobDocument, handler(db_down))
    try:
        await runner.start()
        await wait_for(owner, lambda s: set(s.values()) == {"running"}, within=20)
        with capture_logs() as logs:
            mongodb.stop()
            db_down.set()
            await asyncio.sleep(OUTAGE_S)
            mongodb.start()
            returned = time.monotonic()
            # Cancel, once the database answers, the job that would otherwise never end.
            await wait_for(owner, lambda s: bool(s), within=30)
            await request_cancel(TrainingJobDocument, jobs[-1].id)  # type: ignore[arg-type]
            final = await wait_for(owner, lambda s: set(s.values()) <= FINAL, within=LEASE_S + 30)
            settled_after = time.monotonic() - returned
    finally:
        await runner.stop()
        pool.shutdown(wait=False, cancel_futures=True)

    print(f"every job final {settled_after:.1f} s after the database returned: {final}")
    assert final == {
        "finish-during-outage": "succeeded",
        "read-during-outage": "succeeded",
        "outlive-the-lease": "succeeded",
        "cancel-afterwards": "cancelled",
    }
    stored = {job.target: job for job in await TrainingJobDocument.find({"owner_id": owner}).to_list()}
    assert stored["read-during-outage"].outage_retries == 1
    assert stored["outlive-the-lease"].outage_retries == 1
    assert stored["finish-during-outage"].outage_retries == 0
    assert all(job.error is None for job in stored.values())
    events = [entry["event"] for entry in logs]
    assert events.count("job runner: dependency unavailable; jobs wait for it") <= 2, events
    assert "job runner iteration failed" not in events and "job heartbeat failed" not in events, events
