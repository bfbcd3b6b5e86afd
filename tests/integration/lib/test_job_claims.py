"""Two job runners (two server processes) racing for the same queued jobs never both run one."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.jobs import JobContext, JobRunner
from modelyard.lifespan import app_state

pytestmark = pytest.mark.integration


async def test_racing_runners_run_each_job_exactly_once(app: Litestar, tmp_path: Path) -> None:
    await app_state(app).runner.stop()  # only the two runners below compete
    owner = PydanticObjectId()
    jobs = [
        TrainingJobDocument(owner_id=owner, dataset_id=PydanticObjectId(), target="y", options={})
        for _ in range(12)
    ]
    for job in jobs:
        await job.insert()

    ran: dict[str, list[str]] = {}

    def handler(name: str) -> Any:
        async def run(job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
            ran.setdefault(str(job.id), []).append(name)
            await asyncio.sleep(0.01)  # both runners are busy at once
            return {}

        return run

    pool = ProcessPoolExecutor(max_workers=1)
    runners = [JobRunner(pool, concurrency=3, poll_interval=0.01, scratch_root=tmp_path) for _ in range(2)]
    for index, runner in enumerate(runners):
        runner.register(TrainingJobDocument, handler(f"runner-{index}"))
    try:
        await asyncio.gather(*(runner.start() for runner in runners))
        deadline = time.monotonic() + 30
        while await TrainingJobDocument.find({"owner_id": owner, "status": {"$ne": "succeeded"}}).count():
            assert time.monotonic() < deadline, "jobs not done"
            await asyncio.sleep(0.05)
    finally:
        await asyncio.gather(*(runner.stop() for runner in runners))
        pool.shutdown(wait=False)

    assert sorted(ran) == sorted(str(job.id) for job in jobs)
    assert all(len(names) == 1 for names in ran.values()), f"a job ran twice: {ran}"
    stored = await TrainingJobDocument.find({"owner_id": owner}).to_list()
    assert {job.status for job in stored} == {"succeeded"}
    assert all(job.attempts == 1 for job in stored), "a job was claimed twice"
