"""Prediction rules: online scoring from the model cache, batch jobs.

The hot path reads no object store and writes no database: the model comes from the
in-process cache (its existence re-checked at most every REVALIDATE_SECONDS), and rows
scored are tallied in memory and flushed periodically.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from beanie import PydanticObjectId

from modelyard.domain.models.services import ModelRecord, ModelService
from modelyard.domain.predictions.cache import CachedModel, ModelCache
from modelyard.domain.predictions.documents import BatchPredictionJobDocument, batch_prefix
from modelyard.domain.predictions.explanations import add_explanations, not_explainable, too_many_to_explain
from modelyard.domain.predictions.monitored import monitor_scored
from modelyard.domain.predictions.schemas import MAX_EXPLAINED_RECORDS, PredictionResponse, RecordPrediction
from modelyard.lib.clock import utcnow
from modelyard.lib.db import find_owned
from modelyard.lib.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationFailedError,
    unavailable_dependency,
)
from modelyard.lib.jobs import FINAL_STATUSES, JobRunner, request_cancel
from modelyard.lib.monitoring_tally import MonitoringTally
from modelyard.lib.pagination import Window, newest_first
from modelyard.lib.processes import is_dead_process, process_tag
from modelyard.lib.scratch import scratch_dir, scratch_root
from modelyard.lib.storage import (
    ObjectStore,
    file_chunks,
    opened,
    storage_unavailable_while_deleting,
)
from modelyard.lib.tally import UsageTally
from modelyard.lib.uploads import ReceivedUpload
from modelyard.lib.workers import run_in_process
from modelyard.ml.artifacts import load_pipeline
from modelyard.ml.batching import MicroBatcher
from modelyard.ml.explain import Explained, NotExplainableError
from modelyard.ml.features import TrainingSchema
from modelyard.ml.scoring import (
    LoadedModel,
    Scored,
    coerce_records,
    explain_records,
    labels_of,
    predict_records,
    without_non_finite,
)
from modelyard.observability.metrics import observe_prediction
from modelyard.settings import Settings
from modelyard.tabular.conversion import convert_to_parquet
from modelyard.tabular.intake import ingest_limits, rejection_error, sniff_upload
from modelyard.tabular.limits import DatasetRejected

log = structlog.get_logger("modelyard.predictions")

REVALIDATE_SECONDS = 5.0
HELD_WHILE_STORING = timedelta(hours=2)
"""A new batch job is held back from the runner (`not_before`) until its input is stored; a job
whose upload died is removed before then (`ABANDONED_AFTER`)."""
ABANDONED_AFTER = timedelta(hours=1)
INLINE_RECORDS = 64
"""Requests up to this many records are scored on the event loop (well under a millisecond of
numpy on the compiled path); larger ones go to a thread."""


def _load(artifact: bytes, schema: dict[str, Any], explanation_means: list[float] | None) -> LoadedModel:
    return LoadedModel.build(
        load_pipeline(artifact),
        TrainingSchema.from_dict(schema),
        len(artifact),
        explanation_means=explanation_means,
    )


class PredictionService:
    """Online scoring from the model cache; the caller's batch-prediction jobs."""

    def __init__(
        self,
        store: ObjectStore,
        settings: Settings,
        cache: ModelCache,
        tally: UsageTally,
        pool: Any = None,
        runner: JobRunner | None = None,
        monitor: MonitoringTally | None = None,
    ) -> None:
        self.monitor = monitor
        self.store = store
        self.settings = settings
        self.cache = cache
        self.tally = tally
        self.pool = pool
        self.runner = runner
        self.models = ModelService(store)

    # -- online ------------------------------------------------------------------------------

    async def model(self, owner_id: PydanticObjectId, model_id: str) -> CachedModel:
        entry = self.cache.get(model_id)
        now = ModelCache.now()
        if entry is not None:
            if entry.owner_id != owner_id:
                raise NotFoundError(f"No model with id {model_id}.")
            if now - entry.checked_at < REVALIDATE_SECONDS:
                return entry
            # One request re-checks; those arriving meanwhile keep being served from the cache.
            previous, entry.checked_at = entry.checked_at, now
            try:
                exists = await self.models.exists(owner_id, model_id)
            except Exception as exc:
                if self._serve_through_outage(entry, now, exc):
                    return entry
                entry.checked_at = previous
                raise
            except BaseException:
                entry.checked_at = previous
                raise
            if exists:
                entry.confirmed_at = now
                return entry
            self.cache.evict(model_id)
            raise NotFoundError(f"No model with id {model_id}.")
        async with self.cache.lock(model_id):
            entry = self.cache.get(model_id, count=False)  # the lookup above counted the miss
            if entry is not None and entry.owner_id == owner_id:
                return entry
            document = await self.models.get_owned(owner_id, model_id)
            artifact = await self.models.read_artifact(document)
            loaded = await asyncio.to_thread(
                _load, artifact, document.training_schema, document.explanation_means
            )
            entry = CachedModel(loaded, document.owner_id, document.problem_type, ModelCache.now())
            if loaded.compiled is not None:
                entry.batcher = MicroBatcher(loaded.estimator, document.problem_type != "regression")
            self.cache.put(model_id, entry)
            return entry

    def _serve_through_outage(self, entry: CachedModel, now: float, exc: Exception) -> bool:
        """Keep a cached model in service while the database cannot be asked, for the grace the
        settings allow after it was last confirmed (then the caller's 503 stands)."""
        grace = self.settings.database.outage_grace_s
        if unavailable_dependency(exc) is None or now - entry.confirmed_at >= grace:
            return False
        log.warning("database unavailable; serving the cached model", error=type(exc).__name__)
        return True

    async def predict(
        self,
        owner_id: PydanticObjectId,
        model_id: str,
        records: list[dict[str, Any]],
        explain_top: int | None = None,
    ) -> PredictionResponse:
        """Score `records`; with `explain_top`, explain each one too (its largest contributions)."""
        if explain_top is not None and len(records) > MAX_EXPLAINED_RECORDS:
            raise too_many_to_explain(len(records), MAX_EXPLAINED_RECORDS)
        entry = await self.model(owner_id, model_id)
        started = time.perf_counter()
        explained: dict[int, Explained] = {}
        if explain_top is not None:
            try:  # TreeSHAP over every leaf: milliseconds to seconds, never on the event loop
                scored, explained = await asyncio.to_thread(explain_records, entry.model, records)
            except NotExplainableError as exc:
                raise not_explainable(exc) from None
        elif entry.batcher is not None and len(records) <= INLINE_RECORDS:
            scored = await _score_batched(entry, records)
        else:
            # The sklearn pipeline path costs milliseconds: never on the event loop.
            scored = await asyncio.to_thread(predict_records, entry.model, records)
        if not scored.valid:
            raise _nothing_scored(scored)
        response = _response(model_id, entry, scored, len(records))
        if explain_top is not None:
            add_explanations(
                response, entry.model.estimator, entry.problem_type, records, explained, explain_top
            )
        self.tally.predicted(model_id, len(scored.valid))
        monitor_scored(self.monitor, model_id, entry.problem_type, scored, response)
        observe_prediction(
            problem_type=entry.problem_type,
            kind="online",
            rows=len(scored.valid),
            duration_seconds=time.perf_counter() - started,
        )
        return response

    # -- batch -------------------------------------------------------------------------------

    async def create_batch(
        self, owner_id: PydanticObjectId, model: ModelRecord, upload: ReceivedUpload
    ) -> BatchPredictionJobDocument:
        """Check and normalise the upload (dataset ingestion rules), store it, queue the job.

        `model` is the owner's model, looked up before the upload was received.
        """
        job_id = PydanticObjectId()
        limits = ingest_limits(self.settings.app)
        sniffed = await sniff_upload(upload, limits)
        async with scratch_dir(scratch_root(self.settings.app.var_dir), "batch-input-") as work:
            target = work / "input.parquet"
            try:
                converted = await run_in_process(
                    self.pool, convert_to_parquet, upload.path, sniffed, target, limits
                )
            except DatasetRejected as exc:
                raise rejection_error(exc) from None
            required = [f["name"] for f in model.training_schema["features"]]
            missing = [c for c in required if c not in converted.columns]
            if missing:
                message = f"The file lacks columns the model needs: {', '.join(missing[:20])}."
                raise ValidationFailedError(message, errors=[FieldError(message, "body.file")])
            job = BatchPredictionJobDocument(
                id=job_id,
                owner_id=owner_id,
                model_id=model.id,
                filename=upload.filename,
                input_key=batch_prefix(job_id) + "input.parquet",
                input_rows=converted.rows,
                message="Queued.",
                uploader=process_tag(),
                not_before=utcnow() + HELD_WHILE_STORING,
            )
            await self._record_and_store(job, target)
        if self.runner is not None:
            self.runner.wake()
        return job

    async def finished_since(
        self, since: datetime, owners: Collection[PydanticObjectId], limit: int = 500
    ) -> list[BatchPredictionJobDocument]:
        """The owners' jobs that reached a final status at or after `since` (oldest first)."""
        query = {
            "owner_id": {"$in": list(owners)},
            "status": {"$in": list(FINAL_STATUSES)},
            "finished_at": {"$gte": since},
        }
        return await BatchPredictionJobDocument.find(query).sort("finished_at").limit(limit).to_list()

    async def _record_and_store(self, job: BatchPredictionJobDocument, source: Path) -> None:
        """Insert the job held back from the runner, store its input, then release it; on any
        failure remove both. Recorded first: a crash half-way leaves a held job the sweep removes
        with its objects (`sweep_unstored_inputs`), never an input that no job names."""
        await job.insert()
        try:
            await self.store.put(job.input_key, file_chunks(source))
            await BatchPredictionJobDocument.get_pymongo_collection().update_one(
                {"_id": job.id}, {"$set": {"uploader": None, "not_before": None}}
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._remove_batch(job.id))  # type: ignore[arg-type]
            raise
        job.uploader, job.not_before = None, None

    async def get_batch(self, owner_id: PydanticObjectId, job_id: str) -> BatchPredictionJobDocument:
        job = await find_owned(BatchPredictionJobDocument, owner_id, job_id, "batch prediction job")
        if job.uploader is not None:  # its input is still being stored
            raise NotFoundError(f"No batch prediction job with id {job_id}.")
        return job

    async def list_batches(
        self, owner_id: PydanticObjectId, model_id: str, limit: int, offset: int, cursor: str | None = None
    ) -> Window[BatchPredictionJobDocument]:
        model = await self.models.get_owned(owner_id, model_id)
        query = {"owner_id": owner_id, "model_id": model.id, "uploader": None}
        return await newest_first(
            BatchPredictionJobDocument, query, limit=limit, offset=offset, cursor=cursor
        )

    async def result_stream(self, job: BatchPredictionJobDocument) -> AsyncIterator[bytes]:
        """The result file of one of the caller's jobs (from `get_batch`); 409 until it succeeded."""
        if job.status != "succeeded" or job.result_key is None:
            raise ConflictError(
                f"The batch prediction job is {job.status}; its result exists once it succeeded."
            )
        return await opened(self.store.stream(job.result_key))

    # -- deletion ----------------------------------------------------------------------------

    async def delete_batch(self, owner_id: PydanticObjectId, job_id: str) -> None:
        """Remove one of the owner's batch jobs with its input and result (404 for unknown or foreign)."""
        job = await self.get_batch(owner_id, job_id)
        with storage_unavailable_while_deleting("the batch prediction"):
            await self._remove_batch(job.id)  # type: ignore[arg-type]

    async def delete_batches(self, owner_id: PydanticObjectId, model_id: str | None = None) -> int:
        """Remove the owner's batch jobs (of one model, or all of them); how many."""
        query: dict[str, Any] = {"owner_id": owner_id}
        if model_id is not None:
            if not PydanticObjectId.is_valid(model_id):
                return 0
            query["model_id"] = PydanticObjectId(model_id)
        collection = BatchPredictionJobDocument.get_pymongo_collection()
        ids = [raw["_id"] async for raw in collection.find(query, projection={"_id": 1})]
        for job_id in ids:
            await self._remove_batch(job_id)
        return len(ids)

    async def _remove_batch(self, job_id: PydanticObjectId) -> None:
        """Cancel, remove the objects, then the record: a failure half-way leaves a record to delete
        again, never objects nobody can reach. A running job that writes its result afterwards
        finds its record gone and removes what it wrote (see `run_batch`)."""
        await request_cancel(BatchPredictionJobDocument, job_id)
        await self.store.delete_prefix(batch_prefix(job_id))
        await BatchPredictionJobDocument.get_pymongo_collection().delete_one({"_id": job_id})

    def forget_model(self, model_id: str) -> None:
        """Stop serving a deleted model from this process's cache at once."""
        self.cache.evict(model_id)


async def sweep_unstored_inputs(store: ObjectStore, older_than: timedelta = ABANDONED_AFTER) -> int:
    """Remove batch jobs whose input was never stored, and what of it was: their uploader, a
    process of this host, is dead, or they are older than `older_than`. How many."""
    collection = BatchPredictionJobDocument.get_pymongo_collection()
    cutoff = utcnow() - older_than
    held = collection.find({"uploader": {"$ne": None}}, projection={"uploader": 1, "created_at": 1})
    abandoned = [
        raw["_id"] async for raw in held if raw["created_at"] < cutoff or is_dead_process(raw["uploader"])
    ]
    for job_id in abandoned:
        await store.delete_prefix(batch_prefix(job_id))
        await collection.delete_one({"_id": job_id, "uploader": {"$ne": None}})
    if abandoned:
        log.warning("batch predictions whose input was never stored removed", count=len(abandoned))
    return len(abandoned)


async def _score_batched(entry: CachedModel, records: list[dict[str, Any]]) -> Scored:
    """The compiled path through the model's micro-batcher."""
    model = entry.model
    assert model.compiled is not None and entry.batcher is not None
    columns, valid, errors, warnings, ignored = coerce_records(model, records)
    labels: list[Any] = []
    proba = None
    if valid:
        out = await entry.batcher.submit(model.compiled.transform(columns, len(valid)))
        labels, proba = labels_of(model, out)
    return without_non_finite(Scored(labels, proba, valid, errors, warnings, ignored, columns))


def _nothing_scored(scored: Scored) -> ValidationFailedError:
    """No record could be scored: a 422 with each record's problems, located by its index."""
    errors = [
        FieldError(problem, f"body.records[{index}]")
        for index, problems in sorted(scored.errors.items())
        for problem in problems
    ]
    return ValidationFailedError(
        f"None of the {len(scored.errors)} records could be scored; `errors` says why for each.",
        errors=errors,
    )


def _response(model_id: str, entry: CachedModel, scored: Scored, total: int) -> PredictionResponse:
    results: list[RecordPrediction] = []
    position = {index: i for i, index in enumerate(scored.valid)}
    classes = None
    if scored.probabilities is not None:
        classes = [str(c) for c in entry.model.estimator.classes_]
    for index in range(total):
        warnings = scored.warnings.get(index)
        if index in scored.errors:
            results.append(RecordPrediction(index=index, errors=scored.errors[index], warnings=warnings))
            continue
        i = position[index]
        probabilities = None
        if scored.probabilities is not None and classes is not None:
            row = scored.probabilities[i]
            probabilities = {label: float(p) for label, p in zip(classes, row, strict=True)}
        results.append(
            RecordPrediction(
                index=index, prediction=scored.labels[i], probabilities=probabilities, warnings=warnings
            )
        )
    return PredictionResponse(
        model_id=model_id,
        problem_type=entry.problem_type,
        inference_path=entry.model.path,
        predictions=results,
        scored=len(scored.valid),
        failed=len(scored.errors),
        ignored_columns=scored.ignored_columns,
    )
