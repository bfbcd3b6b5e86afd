"""The batch-prediction job: score a stored input in the process pool, store the CSV result; and its
registration."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from modelyard.domain.models.services import ModelService
from modelyard.domain.predictions.batch import score_batch_in_worker
from modelyard.domain.predictions.documents import BatchPredictionJobDocument, batch_prefix
from modelyard.lib.errors import FieldError, NotFoundError, ValidationFailedError
from modelyard.lib.jobs import JobCancelledError, JobContext, JobRunner
from modelyard.lib.monitoring_tally import MonitoringTally
from modelyard.lib.scratch import scratch_dir
from modelyard.lib.storage import ObjectStore, download, file_chunks
from modelyard.lib.tally import UsageTally
from modelyard.observability.metrics import observe_prediction

RESULT = "result.csv"


class BatchPredictionJobs:
    """Runs batch-prediction jobs claimed by the job runner."""

    def __init__(
        self,
        store: ObjectStore,
        models: ModelService,
        tally: UsageTally,
        chunk_rows: int,
        scratch: Path,
        monitor: MonitoringTally | None = None,
    ) -> None:
        self.monitor = monitor
        self.store = store
        self.models = models
        self.tally = tally
        self.chunk_rows = chunk_rows
        self.scratch = scratch

    async def run(self, job: BatchPredictionJobDocument, context: JobContext) -> dict[str, Any]:
        """Job handler: score the stored input in the pool, store the CSV result.

        Idempotent: the result has one key per job and appears whole or not at all, so a job retried
        after a crash that followed the write ends with that result, neither scoring nor counting
        its rows again.
        """
        key = batch_prefix(job.id) + RESULT  # type: ignore[arg-type]
        if await self.store.exists(key):
            size = await self.store.size(key)
            return {"rows_scored": job.input_rows, "result_key": key, "result_bytes": size}
        started = time.perf_counter()
        try:
            model = await self.models.get_owned(job.owner_id, str(job.model_id))
        except NotFoundError:
            raise ValidationFailedError(
                "The model was deleted before the batch ran.",
                errors=[FieldError("The model was deleted before the batch ran.", "path.model_id")],
            ) from None
        prefix = batch_prefix(job.id)  # type: ignore[arg-type]
        async with scratch_dir(self.scratch, "batch-") as work:
            artifact, source, output = work / "model.skops", work / "input.parquet", work / "result.csv"
            await download(self.store, model.artifact_key, artifact)
            await download(self.store, job.input_key, source)
            context.check()
            scored = await context.run_in_process(
                score_batch_in_worker,
                str(artifact),
                model.training_schema,
                str(source),
                str(output),
                self.chunk_rows,
                model.drift_reference,
                str(job.id),
            )
            rows = scored.rows
            await _check_still_wanted(job)
            size = await self.store.put(key, file_chunks(output))
        try:
            # A deletion removes the record after the objects: checking after the write means either
            # the deletion removed this result, or this check sees the deletion and removes it.
            await _check_still_wanted(job)
        except JobCancelledError:
            await asyncio.shield(self.store.delete_prefix(prefix))
            raise
        self.tally.predicted(str(model.id), rows)
        if self.monitor is not None:
            self.monitor.add_batch(str(model.id), scored.counts, scored.records)
        observe_prediction(
            problem_type=model.problem_type,
            kind="batch",
            rows=rows,
            duration_seconds=time.perf_counter() - started,
        )
        return {"rows_scored": rows, "result_key": key, "result_bytes": size}


async def _check_still_wanted(job: BatchPredictionJobDocument) -> None:
    """Raise JobCancelledError when the batch job was cancelled or deleted."""
    raw = await BatchPredictionJobDocument.get_pymongo_collection().find_one(
        {"_id": job.id}, projection={"cancel_requested": 1}
    )
    if raw is None or raw.get("cancel_requested"):
        raise JobCancelledError


def register_batch_prediction_jobs(runner: JobRunner, jobs: BatchPredictionJobs) -> None:
    runner.register(BatchPredictionJobDocument, jobs.run)
