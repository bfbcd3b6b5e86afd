"""Batch jobs whose input never finished storing (a killed upload): held back from the runner and
hidden, then removed with whatever of the input was written, at once when the process storing it
is known dead, else after an hour. tests/faults/crash_flow.py kills a real server for this."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.predictions.documents import BatchPredictionJobDocument, batch_prefix
from modelyard.domain.predictions.services import sweep_unstored_inputs
from modelyard.lib.background import stop_task
from modelyard.lib.clock import utcnow
from modelyard.lib.processes import process_tag
from modelyard.lifespan import app_state

pytestmark = pytest.mark.integration


async def held_job(app: Litestar, uploader: str, age: timedelta) -> PydanticObjectId:
    job_id = PydanticObjectId()
    job = BatchPredictionJobDocument(
        id=job_id,
        owner_id=PydanticObjectId(),
        model_id=PydanticObjectId(),
        input_key=batch_prefix(job_id) + "input.parquet",
        input_rows=3,
        uploader=uploader,
        not_before=utcnow() + timedelta(hours=2),
        created_at=utcnow() - age,
    )
    await job.insert()
    await app_state(app).store.put_bytes(job.input_key, b"part of an input")
    return job_id


async def stop_the_apps_own_sweeper() -> None:
    """The app sweeps once at start, in the background: on a loaded machine that first round can
    come after a test inserted its jobs, and remove them before the test's own sweep counts them."""
    (sweeper,) = [task for task in asyncio.all_tasks() if task.get_name() == "batch-input-sweeper"]
    await stop_task(sweeper)


async def test_unstored_inputs_of_other_hosts_go_after_an_hour(app: Litestar) -> None:
    await stop_the_apps_own_sweeper()
    store = app_state(app).store
    other_host = "another-host.example:4242:0badc0de"  # cannot be judged dead from here
    stale = await held_job(app, other_host, age=timedelta(hours=2))
    recent = await held_job(app, other_host, age=timedelta(minutes=5))
    storing_here = await held_job(app, process_tag(), age=timedelta(minutes=5))  # this live process

    assert await sweep_unstored_inputs(store) == 1

    remaining = {job.id for job in await BatchPredictionJobDocument.find_all().to_list()}
    assert remaining == {recent, storing_here}
    assert await store.list(batch_prefix(stale)) == []
    assert await store.list(batch_prefix(recent)) != []
