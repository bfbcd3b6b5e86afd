"""What the job runner tells the metrics: each outcome it records, once, and each kind's queue."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import ValidationFailedError
from modelyard.lib.jobs import JobCancelledError, JobContext, JobRunner
from modelyard.lifespan import app_state

pytestmark = pytest.mark.integration


def training_job(owner: PydanticObjectId, target: str, **fields: Any) -> TrainingJobDocument:
    return TrainingJobDocument(
        owner_id=owner, dataset_id=PydanticObjectId(), target=target, options={}, **fields
    )


async def test_each_recorded_outcome_is_reported_once_by_kind(app: Litestar, tmp_path: Path) -> None:
    await app_state(app).runner.stop()  # only the runner below runs jobs
    owner = PydanticObjectId()
    for target in ("ok", "bad", "stop"):
        await training_job(owner, target).insert()
    # Left running by a process that is gone, after its last attempt: recovery fails it.
    long_ago = utcnow() - timedelta(hours=1)
    await training_job(
        owner, "orphan", status="running", attempts=3, claimed_by="elsewhere:1:x", lease_expires_at=long_ago
    ).insert()

    async def handler(job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        if job.target == "bad":
            raise ValidationFailedError("bad data")
        if job.target == "stop":
            raise JobCancelledError
        return {}

    reported: list[tuple[str, str]] = []
    pool = ProcessPoolExecutor(max_workers=1)
    runner = JobRunner(
        pool, poll_interval=0.01, scratch_root=tmp_path, on_finished=lambda *o: reported.append(o)
    )
    runner.register(TrainingJobDocument, handler)
    try:
        await runner.start()
        deadline = time.monotonic() + 30
        while len(reported) < 4:
            assert time.monotonic() < deadline, reported
            await asyncio.sleep(0.02)
    finally:
        await runner.stop()
        pool.shutdown(wait=False)
    assert sorted(reported) == [
        ("training", "cancelled"),
        ("training", "failed"),
        ("training", "failed"),
        ("training", "succeeded"),
    ]
    stored = {job.target: job.status for job in await TrainingJobDocument.find({"owner_id": owner}).to_list()}
    assert stored == {"ok": "succeeded", "bad": "failed", "stop": "cancelled", "orphan": "failed"}


async def test_queue_stats_count_queued_jobs_and_age_the_oldest(app: Litestar) -> None:
    runner = app_state(app).runner
    await runner.stop()  # nothing claims the jobs below
    owner = PydanticObjectId()
    now = utcnow()
    for minutes in (10, 3):
        await training_job(owner, "y", created_at=now - timedelta(minutes=minutes)).insert()
    await training_job(owner, "y", status="running", created_at=now - timedelta(hours=2)).insert()

    stats = await runner.queue_stats()

    assert set(stats) == {"training", "analysis", "batch_prediction"}
    assert stats["training"].queued == 2
    assert 600 <= stats["training"].oldest_age_seconds < 630  # the oldest queued, not the running one
    assert (stats["analysis"].queued, stats["analysis"].oldest_age_seconds) == (0, 0.0)
    assert AnalysisJobDocument.get_collection_name() == "analysis_jobs"
