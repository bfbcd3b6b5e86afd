"""Training rules: validate a request up front, queue the job, run it, record the model.

The only module that queries `TrainingJobDocument`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyarrow as pa
import structlog
from beanie import PydanticObjectId

from modelyard.domain.datasets.documents import DatasetDocument
from modelyard.domain.datasets.services import DatasetService, load_dataset_columns
from modelyard.domain.models.documents import ModelDocument, model_prefix
from modelyard.domain.models.services import ModelService
from modelyard.domain.training.automl import DEFAULT_METRIC, METRICS_FOR
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.schemas import TrainingJobCreate
from modelyard.domain.training.worker import train_in_worker
from modelyard.lib.errors import ConflictError, FieldError, NotFoundError, ValidationFailedError
from modelyard.lib.jobs import FINAL_STATUSES, JobCancelledError, JobContext, JobRunner, request_cancel
from modelyard.lib.pagination import newest_first
from modelyard.lib.storage import ObjectStore, download, scratch_dir
from modelyard.ml.features import TrainingDataError, check_target
from modelyard.settings import Settings

log = structlog.get_logger("modelyard.training")
ACTIVE = ["queued", "running"]


def _invalid(message: str, location: str) -> ValidationFailedError:
    return ValidationFailedError(message, errors=[FieldError(message, location)])


def _check_target_column(table: pa.Table, target: str, problem_type: Any, metric: str | None) -> str:
    frame = table.select([target]).to_pandas()
    try:
        problem = check_target(frame, target, problem_type)
    except TrainingDataError as exc:
        raise _invalid(exc.message, exc.location) from None
    if metric is not None and metric not in METRICS_FOR[problem]:
        allowed = ", ".join(METRICS_FOR[problem])
        raise _invalid(
            f"Metric {metric!r} does not apply to {problem} problems; use one of {allowed}.", "body.metric"
        )
    return problem


class TrainingService:
    def __init__(
        self, store: ObjectStore, settings: Settings, datasets: DatasetService, runner: JobRunner | None
    ) -> None:
        self.store = store
        self.settings = settings
        self.datasets = datasets
        self.runner = runner
        self.models = ModelService(store)

    async def create(self, owner_id: PydanticObjectId, data: TrainingJobCreate) -> TrainingJobDocument:
        """Validate against the dataset (422 with the field at fault), then queue the job."""
        budget = data.time_budget_s or self.settings.training.default_time_budget_s
        maximum = self.settings.training.max_time_budget_s
        if budget > maximum:
            raise _invalid(f"time_budget_s may be at most {maximum} seconds.", "body.time_budget_s")
        try:
            dataset = await self.datasets.get_owned(owner_id, data.dataset_id)
        except NotFoundError:
            raise _invalid(f"No dataset with id {data.dataset_id}.", "body.dataset_id") from None
        if data.target not in dataset.columns:
            raise _invalid(f"The dataset has no column {data.target!r}.", "body.target")
        unknown = [c for c in data.exclude_columns if c not in dataset.columns]
        if unknown:
            raise _invalid(f"The dataset has no column {unknown[0]!r}.", "body.exclude_columns")
        if data.target in data.exclude_columns:
            raise _invalid("The target cannot be excluded.", "body.exclude_columns")
        table = await load_dataset_columns(self.store, dataset, [data.target])
        problem = await asyncio.to_thread(
            _check_target_column, table, data.target, data.problem_type, data.metric
        )
        options = {
            "problem_type": data.problem_type,
            "metric": data.metric,
            "time_budget_s": budget,
            "cv_folds": data.cv_folds,
            "test_size": data.test_size,
            "algorithms": data.algorithms,
            "exclude_columns": list(data.exclude_columns),
            "random_seed": data.random_seed,
        }
        job = TrainingJobDocument(
            owner_id=owner_id,
            dataset_id=dataset.id,
            target=data.target,
            options=options,
            problem_type=problem,
            metric=data.metric or DEFAULT_METRIC[problem],  # type: ignore[index]
            message="Queued.",
        )
        await job.insert()
        if self.runner is not None:
            self.runner.wake()
        return job

    async def list(
        self,
        owner_id: PydanticObjectId,
        *,
        dataset_id: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[TrainingJobDocument], int]:
        query: dict[str, Any] = {"owner_id": owner_id}
        if dataset_id is not None:
            if not PydanticObjectId.is_valid(dataset_id):
                return [], 0
            query["dataset_id"] = PydanticObjectId(dataset_id)
        if status is not None:
            query["status"] = status
        return await newest_first(TrainingJobDocument, query, limit, offset)

    async def get_owned(self, owner_id: PydanticObjectId, job_id: str) -> TrainingJobDocument:
        not_found = NotFoundError(f"No training job with id {job_id}.")
        if not PydanticObjectId.is_valid(job_id):
            raise not_found
        job = await TrainingJobDocument.find_one({"_id": PydanticObjectId(job_id), "owner_id": owner_id})
        if job is None:
            raise not_found
        return job

    async def cancel(self, owner_id: PydanticObjectId, job_id: str) -> TrainingJobDocument:
        job = await self.get_owned(owner_id, job_id)
        if job.status in FINAL_STATUSES:
            raise ConflictError(
                f"The training job already {job.status}; only queued or running jobs can be cancelled."
            )
        await request_cancel(TrainingJobDocument, job.id)  # type: ignore[arg-type]
        if self.runner is not None:
            self.runner.wake()
        return await self.get_owned(owner_id, job_id)

    # -- deletion (called by DeletionService) ----------------------------------------------

    async def cancel_for_dataset(self, owner_id: PydanticObjectId, dataset_id: str) -> int:
        """Cancel the owner's queued and running jobs on a dataset being deleted; how many.

        Their records stay (as `cancelled`), like finished jobs and the models they produced.
        """
        if not PydanticObjectId.is_valid(dataset_id):
            return 0
        return await self._cancel_all(
            {"owner_id": owner_id, "dataset_id": PydanticObjectId(dataset_id), "status": {"$in": ACTIVE}}
        )

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> int:
        """Cancel the owner's queued and running jobs, then remove every job record (account deletion).

        A running job notices within a poll interval and stops; one that finishes in between
        finds its record gone and removes the model it just stored (see `_check_still_wanted`).
        """
        await self._cancel_all({"owner_id": owner_id, "status": {"$in": ACTIVE}})
        result = await TrainingJobDocument.get_pymongo_collection().delete_many({"owner_id": owner_id})
        if self.runner is not None:
            self.runner.wake()
        return int(result.deleted_count)

    async def _cancel_all(self, query: dict[str, Any]) -> int:
        collection = TrainingJobDocument.get_pymongo_collection()
        ids = [raw["_id"] async for raw in collection.find(query, projection={"_id": 1})]
        for job_id in ids:
            await request_cancel(TrainingJobDocument, job_id)
        if ids and self.runner is not None:
            self.runner.wake()
        return len(ids)

    # -- the job ---------------------------------------------------------------------------

    async def run_job(self, job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        """Job handler: load the dataset, search in the process pool, store artifact and model."""
        started = time.monotonic()
        from modelyard.observability.metrics import observe_training

        try:
            fields = await self._train(job, context)
        except BaseException as exc:
            status = "cancelled" if type(exc).__name__ == "JobCancelledError" else "failed"
            if not isinstance(exc, asyncio.CancelledError):
                observe_training(
                    problem_type=job.problem_type or "unknown",
                    status=status,
                    duration_seconds=time.monotonic() - started,
                )
            raise
        observe_training(
            problem_type=fields["problem_type"],
            status="succeeded",
            duration_seconds=time.monotonic() - started,
            algorithm=fields.pop("_algorithm"),
        )
        return fields

    async def _train(self, job: TrainingJobDocument, context: JobContext) -> dict[str, Any]:
        try:
            dataset: DatasetDocument = await self.datasets.get_owned(job.owner_id, str(job.dataset_id))
        except NotFoundError:
            raise _invalid("The dataset was deleted before training started.", "body.dataset_id") from None
        context.report(0.01, message="Loading the dataset")
        async with scratch_dir("modelyard-training-") as work:
            # The worker reads the table from a file: nothing large goes through the API process.
            table_path = work / "table.parquet"
            await download(self.store, dataset.table_key, table_path)
            context.check()
            options = {"target": job.target, **job.options}
            try:
                result = await context.run_in_process(train_in_worker, str(table_path), options)
            except TrainingDataError as exc:
                raise _invalid(exc.message, exc.location) from None
        model_id = PydanticObjectId()
        key = model_prefix(model_id) + "pipeline.skops"
        artifact: bytes = result.pop("artifact")
        await self._check_still_wanted(job)
        await self.store.put_bytes(key, artifact)
        model = ModelDocument(
            id=model_id,
            owner_id=job.owner_id,
            dataset_id=job.dataset_id,
            training_job_id=job.id,
            name=f"{dataset.name} · {job.target} · {result['algorithm']}"[:200],
            problem_type=result["problem_type"],
            target=job.target,
            metric=result["metric"],
            greater_is_better=result["greater_is_better"],
            algorithm=result["algorithm"],
            params=result["params"],
            cv_score=result["cv_score"],
            cv_std=result["cv_std"],
            test_metrics=result["test_metrics"],
            confusion=result["confusion"],
            residuals=result["residuals"],
            feature_importance=result["feature_importance"],
            leaderboard=result["leaderboard"],
            training_schema=result["training_schema"],
            rows_train=result["rows_train"],
            rows_test=result["rows_test"],
            training_seconds=round(result["total_seconds"], 3),
            artifact_key=key,
            artifact_bytes=len(artifact),
            inference_path=result["inference_path"],
        )
        try:
            await self.models.create(model)
            # Deleting the dataset or the account cancels (or removes) this job before it removes
            # models, so checking after the insert closes the race: either the deletion sees this
            # model, or this check sees the deletion and takes the model back.
            await self._check_still_wanted(job)
        except BaseException:
            try:
                await asyncio.shield(self.models.discard(model))
            except Exception:
                log.exception("could not take back the model of a cancelled job", model_id=str(model_id))
            raise
        return {
            "model_id": model_id,
            "problem_type": result["problem_type"],
            "metric": result["metric"],
            "candidates": result["leaderboard"],
            "dropped_columns": result["training_schema"]["dropped"],
            "_algorithm": result["algorithm"],
        }

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
