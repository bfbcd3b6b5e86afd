"""Two job runners (two server processes) racing for the same queued jobs never both run one."""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.jobs import JobContext, JobRunner
from modelyard.lifespan import app_state

pytestmark = pytest.mark.integration


async def _never_called(context: JobContext) -> None:  # pragma: no cover - claims only
    raise AssertionError("the race test claims jobs without running them")


async def test_racing_runners_claim_each_job_exactly_once(app: Litestar, tmp_path: Path) -> None:
    await app_state(app).runner.stop()  # only the two runners below compete
    owner = PydanticObjectId()
    jobs = [
        TrainingJobDocument(owner_id=owner, dataset_id=PydanticObjectId(), target="y", options={})
        for _ in range(6)
    ]
    for job in jobs:
        await job.insert()

    pool = ProcessPoolExecutor(max_workers=1)
    runners = [JobRunner(pool, work_dir=tmp_path) for _ in range(2)]
    for index, runner in enumerate(runners):
        runner.worker_id = f"host-{index}:{index}:test"  # two distinct processes
        runner.register(TrainingJobDocument, _never_called)
    try:
        # Both runners ask at the same moment, more often than there are jobs.
        claims = await asyncio.gather(*(runners[i % 2]._claim() for i in range(10)))
    finally:
        pool.shutdown(wait=False)

    claimed = [claim[1] for claim in claims if claim is not None]
    assert sorted(str(job.id) for job in claimed) == sorted(str(job.id) for job in jobs)
    stored = await TrainingJobDocument.find({"owner_id": owner}).to_list()
    assert {job.status for job in stored} == {"running"}
    assert all(job.attempts == 1 for job in stored), "a job was claimed twice"
    assert {job.claimed_by for job in stored} <= {runner.worker_id for runner in runners}
