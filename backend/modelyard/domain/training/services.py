"""Training rules: validate a request up front, queue the job, list, cancel and delete jobs.

With `jobs.py` (which runs a job), the only code that queries `TrainingJobDocument`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import structlog
from beanie import PydanticObjectId

from modelyard.domain.datasets.services import DatasetService, load_dataset_columns
from modelyard.domain.training.automl import DEFAULT_METRIC, METRICS_FOR
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.schemas import TrainingJobCreate
from modelyard.lib.db import find_owned
from modelyard.lib.errors import ConflictError, FieldError, NotFoundError, ValidationFailedError
from modelyard.lib.jobs import FINAL_STATUSES, JobRunner, request_cancel
from modelyard.lib.pagination import Window, newest_first
from modelyard.lib.schema import JOB_STATUSES, ProblemType
from modelyard.lib.storage import ObjectStore
from modelyard.ml.features import TrainingDataError, check_target
from modelyard.settings import Settings

log = structlog.get_logger("modelyard.training")
ACTIVE = ["queued", "running"]


def invalid(message: str, location: str) -> ValidationFailedError:
    return ValidationFailedError(message, errors=[FieldError(message, location)])


def _check_target_column(table: pa.Table, target: str, problem_type: Any, metric: str | None) -> ProblemType:
    frame = table.select([target]).to_pandas()
    try:
        problem = check_target(frame, target, problem_type)
    except TrainingDataError as exc:
        raise invalid(exc.message, exc.location) from None
    if metric is not None and metric not in METRICS_FOR[problem]:
        allowed = ", ".join(METRICS_FOR[problem])
        raise invalid(
            f"Metric {metric!r} does not apply to {problem} problems; use one of {allowed}.", "body.metric"
        )
    return problem


class TrainingService:
    """The caller's training jobs: create (validated against the dataset), read, list, cancel, delete."""

    def __init__(
        self, store: ObjectStore, settings: Settings, datasets: DatasetService, runner: JobRunner | None
    ) -> None:
        self.store = store
        self.settings = settings
        self.datasets = datasets
        self.runner = runner

    async def create(self, owner_id: PydanticObjectId, data: TrainingJobCreate) -> TrainingJobDocument:
        """Validate against the dataset (422 with the field at fault), then queue the job."""
        budget = data.time_budget_s or self.settings.training.default_time_budget_s
        maximum = self.settings.training.max_time_budget_s
        if budget > maximum:
            raise invalid(f"time_budget_s may be at most {maximum} seconds.", "body.time_budget_s")
        try:
            dataset = await self.datasets.get_owned(owner_id, data.dataset_id)
        except NotFoundError:
            raise invalid(f"No dataset with id {data.dataset_id}.", "body.dataset_id") from None
        if data.target not in dataset.columns:
            raise invalid(f"The dataset has no column {data.target!r}.", "body.target")
        unknown = [c for c in data.exclude_columns if c not in dataset.columns]
        if unknown:
            raise invalid(f"The dataset has no column {unknown[0]!r}.", "body.exclude_columns")
        if data.target in data.exclude_columns:
            raise invalid("The target cannot be excluded.", "body.exclude_columns")
        if all(c == data.target or c in data.exclude_columns for c in dataset.columns):
            message = "Every feature column is excluded; keep at least one column besides the target."
            raise invalid(message, "body.exclude_columns")
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
            metric=data.metric or DEFAULT_METRIC[problem],
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
        cursor: str | None = None,
    ) -> Window[TrainingJobDocument]:
        query: dict[str, Any] = {"owner_id": owner_id}
        if dataset_id is not None:
            if not PydanticObjectId.is_valid(dataset_id):
                return Window.empty(limit, offset)
            query["dataset_id"] = PydanticObjectId(dataset_id)
        if status is not None:
            query["status"] = status
        return await newest_first(TrainingJobDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def finished_since(
        self, since: datetime, owners: Collection[PydanticObjectId], limit: int = 500
    ) -> Sequence[TrainingJobDocument]:
        """The owners' jobs that reached a final status at or after `since` (oldest first)."""
        query = {
            "owner_id": {"$in": list(owners)},
            "status": {"$in": list(FINAL_STATUSES)},
            "finished_at": {"$gte": since},
        }
        return await TrainingJobDocument.find(query).sort("finished_at").limit(limit).to_list()

    async def get_owned(self, owner_id: PydanticObjectId, job_id: str) -> TrainingJobDocument:
        return await find_owned(TrainingJobDocument, owner_id, job_id, "training job")

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

    async def delete(self, owner_id: PydanticObjectId, job_id: str) -> None:
        """Remove one finished job's record (404 for unknown or foreign ids, 409 while it runs).

        The model it trained stays: a model needs nothing from its job."""
        job = await self.get_owned(owner_id, job_id)
        removed = await TrainingJobDocument.get_pymongo_collection().delete_one(
            {"_id": job.id, "status": {"$in": list(FINAL_STATUSES)}}
        )
        if not removed.deleted_count:  # queued or running (checked atomically with the delete)
            raise ConflictError(
                f"The training job is {job.status}; cancel it first "
                f"(POST /api/v1/training-jobs/{job_id}/cancel), then delete it once it reads cancelled."
            )

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

    async def count_by_status(self) -> dict[str, int]:
        """Training jobs by status, over every user (business metrics)."""
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        found: dict[str, int] = dict.fromkeys(JOB_STATUSES, 0)
        cursor = await TrainingJobDocument.get_pymongo_collection().aggregate(pipeline)
        async for row in cursor:
            found[str(row["_id"])] = found.get(str(row["_id"]), 0) + int(row["n"])
        return found
