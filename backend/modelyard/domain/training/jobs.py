"""The training job: load the dataset, search in the process pool, store the model; and its registration."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import structlog
from beanie import PydanticObjectId

from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.models.services import ModelService
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.services import invalid
from modelyard.domain.training.worker import train_in_worker
from modelyard.lib.errors import NotFoundError
from modelyard.lib.jobs import JobCancelledError, JobContext, JobRunner
from modelyard.lib.scratch import scratch_dir
from modelyard.lib.storage import ObjectStore, download
from modelyard.lib.tally import MODELS_TRAINED, UsageTally
from modelyard.ml.features import TrainingDataError
from modelyard.observability.metrics import observe_training

log = structlog.get_logger("modelyard.training")


class TrainingJobs:
    """Runs training jobs claimed by the job runner."""

    def __init__(
        self,
        store: ObjectStore,
        datasets: DatasetService,
        models: ModelService,
        tally: UsageTally,
        scratch: Path,
    ) -> None:
        self.store = store
        self.datasets = datasets
        self.models = models
        self.tally = tally
        self.scratch = scratch

    async def run(self, job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        """Job handler: train, record the model, count the outcome.

        Idempotent: a job retried after a crash that followed its model's insert (before the job
        recorded it) ends with that model, neither training nor counting it again.
        """
        recorded = await self.models.trained_by(job.id)  # type: ignore[arg-type]
        if recorded is not None:
            log.info("training job retried: its model was recorded", model_id=str(recorded.id))
            names = ("problem_type", "metric", "leaderboard", "leakage_findings", "search_stop")
            fields = {name: getattr(recorded, name) for name in names}
            return _outcome(recorded.id, {**fields, "training_schema": recorded.training_schema})  # type: ignore[arg-type]
        started = time.monotonic()
        try:
            fields = await self._train(job, context)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                observe_training(
                    problem_type=job.problem_type or "unknown",
                    status="cancelled" if isinstance(exc, JobCancelledError) else "failed",
                    duration_seconds=time.monotonic() - started,
                )
            raise
        observe_training(
            problem_type=fields["problem_type"],
            status="succeeded",
            duration_seconds=time.monotonic() - started,
            algorithm=fields.pop("_algorithm"),
        )
        self.tally.count(MODELS_TRAINED + fields["problem_type"])
        return fields

    async def _train(self, job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        try:
            dataset = await self.datasets.get_owned(job.owner_id, str(job.dataset_id))
        except NotFoundError:
            raise invalid("The dataset was deleted before training started.", "body.dataset_id") from None
        context.report(0.01, message="Loading the dataset")
        async with scratch_dir(self.scratch, "training-") as work:
            result = await self._search(job, context, dataset.table_key, work)
        artifact: bytes = result.pop("artifact")
        await self._check_still_wanted(job)
        model = await self.models.register_trained(
            owner_id=job.owner_id,
            dataset_id=job.dataset_id,
            training_job_id=job.id,  # type: ignore[arg-type]
            name=f"{dataset.name} · {job.target} · {result['algorithm']}"[:200],
            target=job.target,
            result=result,
            artifact=artifact,
        )
        try:
            # Deleting the dataset or the account cancels (or removes) this job before it removes
            # models, so checking after the insert closes the race: either the deletion sees this
            # model, or this check sees the deletion and takes the model back.
            await self._check_still_wanted(job)
        except BaseException:
            try:
                await asyncio.shield(self.models.discard(model))
            except Exception:
                log.exception("could not take back the model of a cancelled job", model_id=str(model.id))
            raise
        return {**_outcome(model.id, result), "_algorithm": result["algorithm"]}  # type: ignore[arg-type]

    async def _search(
        self, job: TrainingJobDocument, context: JobContext, table_key: str, work: Path
    ) -> dict[str, Any]:
        """The AutoML search in the pool; the worker reads the table from a file, so nothing large
        goes through the API process."""
        table_path = work / "table.parquet"
        await download(self.store, table_key, table_path)
        context.check()
        options = {"target": job.target, **job.options}
        try:
            return await context.run_in_process(train_in_worker, str(table_path), options)
        except TrainingDataError as exc:
            raise invalid(exc.message, exc.location) from None

    async def _check_still_wanted(self, job: TrainingJobDocument) -> None:
        """Raise JobCancelledError when the job was cancelled or removed, or its dataset deleted."""
        raw = await TrainingJobDocument.get_pymongo_collection().find_one(
            {"_id": job.id}, projection={"cancel_requested": 1}
        )
        if raw is None or raw.get("cancel_requested"):
            raise JobCancelledError
        try:
            await self.datasets.get_owned(job.owner_id, str(job.dataset_id))
        except NotFoundError:
            raise JobCancelledError from None


def _outcome(model_id: PydanticObjectId, result: dict[str, Any]) -> dict[str, Any]:
    """The job's fields for a trained model, from the training result (or the model's record)."""
    return {
        "model_id": model_id,
        "problem_type": result["problem_type"],
        "metric": result["metric"],
        "candidates": result["leaderboard"],
        "dropped_columns": result["training_schema"]["dropped"],
        "leakage_findings": result["leakage_findings"],
        "search_stop": result["search_stop"],
        "estimated_seconds_left": 0.0,
        # A retried job's model does not keep the score history: the job keeps the last one it had.
        **({"score_history": result["score_history"]} if "score_history" in result else {}),
    }


def register_training_jobs(runner: JobRunner, jobs: TrainingJobs) -> None:
    runner.register(TrainingJobDocument, jobs.run)
