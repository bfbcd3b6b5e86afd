"""Analysis rules: start, read and list analysis jobs; run them; choose and fall back between analysts.

The only module that queries `AnalysisJobDocument`. Jobs run on the shared `JobRunner`
(lib/jobs.py): `AnalysisEngine.run_job` is the registered handler.

Failure policy (setting `fallback`, default on): when the language model fails after its
retries and one repair attempt, the heuristic analyst answers and the provenance says
`fallback_used: true` with the reason; with `fallback` off the job fails with a
`service-unavailable` problem that carries the same reason.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import msgspec
import structlog
from beanie import PydanticObjectId

from modelyard.domain.analysis import heuristic
from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.model_facts import load_model_facts, owned_model_dataset
from modelyard.domain.analysis.providers import (
    Analyst,
    AnalystFailure,
    Authored,
    DatasetRequest,
    ModelRequest,
)
from modelyard.domain.analysis.providers.heuristic import HeuristicAnalyst
from modelyard.domain.analysis.schemas import DatasetAnalysisResult, ModelNarrative
from modelyard.domain.analysis.signals import DataSignals, compute_signals
from modelyard.domain.datasets.schemas import DatasetProfile
from modelyard.domain.datasets.services import DatasetService
from modelyard.lib.clock import utcnow
from modelyard.lib.db import find_owned
from modelyard.lib.errors import AppError, ConflictError, FieldError, ValidationFailedError
from modelyard.lib.jobs import FINAL_STATUSES, JobContext, JobRunner
from modelyard.lib.pagination import Window, newest_first
from modelyard.lib.scratch import scratch_dir, scratch_root
from modelyard.lib.storage import ObjectStore, download
from modelyard.settings import AnalysisSettings, Settings

log = structlog.get_logger("modelyard.analysis")

SIGNAL_TARGETS = 2
ACTIVE = ("queued", "running")


class AnalysisRateLimitedError(AppError):
    kind = "rate-limited"


class AnalysisFailedError(AppError):
    """The language model failed and the fallback is off."""

    kind = "service-unavailable"


def build_analyst(settings: AnalysisSettings) -> Analyst:
    if settings.resolved_provider == "openai":
        from modelyard.domain.analysis.providers.openai import OpenAIAnalyst

        return OpenAIAnalyst(settings)
    return HeuristicAnalyst()


class AnalysisEngine:
    """Process-wide: the configured analyst, the heuristic fallback and the job handler."""

    def __init__(
        self, settings: Settings, store: ObjectStore, datasets: DatasetService, analyst: Analyst | None = None
    ) -> None:
        self.settings = settings
        self.config = settings.analysis
        self.store = store
        self.datasets = datasets
        self.analyst: Analyst = analyst or build_analyst(settings.analysis)
        self.heuristic = HeuristicAnalyst()

    async def probe(self) -> str:
        return await self.analyst.probe()

    async def close(self) -> None:
        await self.analyst.close()

    # -- authoring (with the fallback policy) ----------------------------------------------------

    async def author_dataset(self, request: DatasetRequest) -> Authored[DatasetAnalysisResult]:
        started = time.perf_counter()
        try:
            return await self.analyst.analyse_dataset(request)
        except AnalystFailure as failure:
            self._on_failure(failure)
            authored = await self.heuristic.analyse_dataset(
                request, fallback_reason=failure.reason, usage=failure.usage
            )
            return self._timed(authored, started)

    async def author_model(self, request: ModelRequest) -> Authored[ModelNarrative]:
        started = time.perf_counter()
        try:
            return await self.analyst.narrate_model(request)
        except AnalystFailure as failure:
            self._on_failure(failure)
            authored = await self.heuristic.narrate_model(
                request, fallback_reason=failure.reason, usage=failure.usage
            )
            return self._timed(authored, started)

    def _on_failure(self, failure: AnalystFailure) -> None:
        log.warning("analyst failed", reason=failure.reason, fallback=self.config.fallback)
        if not self.config.fallback:
            raise AnalysisFailedError(failure.reason) from failure

    @staticmethod
    def _timed(authored: Authored[Any], started: float) -> Authored[Any]:
        provenance = msgspec.structs.replace(
            authored.provenance, latency_ms=round((time.perf_counter() - started) * 1000, 2)
        )
        return Authored(authored.result, provenance)

    # -- the job ---------------------------------------------------------------------------------

    async def run_job(self, job: AnalysisJobDocument, context: JobContext) -> dict[str, Any]:
        if job.kind == "dataset":
            authored: Authored[Any] = await self._dataset_job(job, context)
        else:
            authored = await self._model_job(job, context)
        log.info(
            "analysis written",
            analysis_id=str(job.id),
            provider=authored.provenance.provider,
            fallback=authored.provenance.fallback_used,
        )
        return {
            "result": msgspec.to_builtins(authored.result),
            "provenance": msgspec.to_builtins(authored.provenance),
        }

    async def _dataset_job(
        self, job: AnalysisJobDocument, context: JobContext
    ) -> Authored[DatasetAnalysisResult]:
        dataset = await self.datasets.get_owned(job.owner_id, str(job.dataset_id))
        profile = msgspec.convert(dataset.profile, DatasetProfile)
        context.report(0.1, message="Checking columns against likely targets.")
        targets = [job.target_hint] if job.target_hint else []
        targets += [
            c.column for c in heuristic.rank_targets(profile)[:SIGNAL_TARGETS] if c.column not in targets
        ]
        signals = await self._signals(dataset.table_key, targets, context)
        context.check()
        context.report(0.5, message=f"Writing the analysis ({self.analyst.name}).")
        return await self.author_dataset(DatasetRequest(profile, signals, job.target_hint))

    async def _signals(self, table_key: str, targets: list[str], context: JobContext) -> DataSignals:
        if not targets:
            return DataSignals()
        async with scratch_dir(scratch_root(self.settings.app.var_dir), "analysis-") as work:
            path = work / "table.parquet"
            await download(self.store, table_key, path)
            raw = await context.run_in_process(compute_signals, str(path), targets)
        return msgspec.convert(raw, DataSignals)

    async def _model_job(self, job: AnalysisJobDocument, context: JobContext) -> Authored[ModelNarrative]:
        facts = await load_model_facts(self.store, job.owner_id, str(job.model_id))
        context.report(0.5, message=f"Writing the narrative ({self.analyst.name}).")
        return await self.author_model(ModelRequest(facts))


class AnalysisService:
    """Per request: start, read and list the caller's analyses."""

    def __init__(self, datasets: DatasetService, engine: AnalysisEngine, runner: JobRunner | None) -> None:
        self.datasets = datasets
        self.engine = engine
        self.config = engine.config
        self.runner = runner

    async def start_dataset_analysis(
        self, owner_id: PydanticObjectId, dataset_id: str, target: str | None
    ) -> AnalysisJobDocument:
        dataset = await self.datasets.get_owned(owner_id, dataset_id)
        if target is not None and target not in dataset.columns:
            raise ValidationFailedError(
                f"The dataset has no column named {target!r}.",
                errors=[FieldError(f"No column named {target!r}.", "body.target")],
            )
        await self._check_limits(owner_id)
        job = AnalysisJobDocument(
            owner_id=owner_id, kind="dataset", dataset_id=dataset.id, target_hint=target
        )
        return await self._enqueue(job)

    async def start_model_analysis(self, owner_id: PydanticObjectId, model_id: str) -> AnalysisJobDocument:
        dataset_id = await owned_model_dataset(self.engine.store, owner_id, model_id)
        await self._check_limits(owner_id)
        job = AnalysisJobDocument(
            owner_id=owner_id, kind="model", model_id=PydanticObjectId(model_id), dataset_id=dataset_id
        )
        return await self._enqueue(job)

    async def _enqueue(self, job: AnalysisJobDocument) -> AnalysisJobDocument:
        await job.insert()
        if self.runner is not None:
            self.runner.wake()
        return job

    async def _check_limits(self, owner_id: PydanticObjectId) -> None:
        active = await AnalysisJobDocument.find(
            {"owner_id": owner_id, "status": {"$in": list(ACTIVE)}}
        ).count()
        if active >= self.config.max_concurrent_per_user:
            raise AnalysisRateLimitedError(
                f"You have {active} analyses queued or running; at most "
                f"{self.config.max_concurrent_per_user} may run at once. Retry when one has finished.",
                headers={"Retry-After": "10"},
            )
        window_start = utcnow() - timedelta(hours=1)
        recent = AnalysisJobDocument.find({"owner_id": owner_id, "created_at": {"$gte": window_start}})
        if await recent.count() >= self.config.max_per_hour_per_user:
            oldest = (
                await AnalysisJobDocument.find({"owner_id": owner_id, "created_at": {"$gte": window_start}})
                .sort("+created_at")
                .first_or_none()
            )
            wait = 60
            if oldest is not None:
                created = oldest.created_at.replace(tzinfo=oldest.created_at.tzinfo or window_start.tzinfo)
                wait = max(1, int((created - window_start).total_seconds()) + 1)
            raise AnalysisRateLimitedError(
                f"You started {self.config.max_per_hour_per_user} analyses in the last hour, the limit; "
                f"Retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )

    async def finished_since(
        self, since: datetime, owners: Collection[PydanticObjectId], limit: int = 500
    ) -> list[AnalysisJobDocument]:
        """The owners' jobs that reached a final status at or after `since` (oldest first)."""
        query = {
            "owner_id": {"$in": list(owners)},
            "status": {"$in": list(FINAL_STATUSES)},
            "finished_at": {"$gte": since},
        }
        return await AnalysisJobDocument.find(query).sort("finished_at").limit(limit).to_list()

    async def get(self, owner_id: PydanticObjectId, analysis_id: str) -> AnalysisJobDocument:
        return await find_owned(AnalysisJobDocument, owner_id, analysis_id, "analysis")

    async def list_for_dataset(
        self,
        owner_id: PydanticObjectId,
        dataset_id: str,
        *,
        limit: int,
        offset: int,
        cursor: str | None = None,
    ) -> Window[AnalysisJobDocument]:
        dataset = await self.datasets.get_owned(owner_id, dataset_id)
        query = {"owner_id": owner_id, "dataset_id": dataset.id, "kind": "dataset"}
        return await newest_first(AnalysisJobDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def list_for_model(
        self, owner_id: PydanticObjectId, model_id: str, *, limit: int, offset: int, cursor: str | None = None
    ) -> Window[AnalysisJobDocument]:
        await owned_model_dataset(self.engine.store, owner_id, model_id)
        query = {"owner_id": owner_id, "model_id": PydanticObjectId(model_id), "kind": "model"}
        return await newest_first(AnalysisJobDocument, query, limit=limit, offset=offset, cursor=cursor)

    # -- deletion (called by DeletionService) ------------------------------------------------------
    # Analyses store no objects, so removing the records is the whole job. One still running
    # notices its record is gone at the next heartbeat and stops; its result is written nowhere.

    async def delete(self, owner_id: PydanticObjectId, analysis_id: str) -> None:
        """Remove one finished analysis (404 for unknown or foreign ids, 409 while it runs)."""
        job = await self.get(owner_id, analysis_id)
        removed = await AnalysisJobDocument.get_pymongo_collection().delete_one(
            {"_id": job.id, "status": {"$in": list(FINAL_STATUSES)}}
        )
        if not removed.deleted_count:
            raise ConflictError(
                f"The analysis is {job.status}; it finishes within a minute or so. Delete it once its "
                "status is succeeded or failed."
            )

    async def delete_for_dataset(self, owner_id: PydanticObjectId, dataset_id: str) -> int:
        """Remove the owner's analyses of a dataset (not the narratives of models trained on it)."""
        if not PydanticObjectId.is_valid(dataset_id):
            return 0
        return await self._delete(
            {"owner_id": owner_id, "kind": "dataset", "dataset_id": PydanticObjectId(dataset_id)}
        )

    async def delete_for_model(self, owner_id: PydanticObjectId, model_id: str) -> int:
        """Remove the owner's narratives of a model."""
        if not PydanticObjectId.is_valid(model_id):
            return 0
        return await self._delete(
            {"owner_id": owner_id, "kind": "model", "model_id": PydanticObjectId(model_id)}
        )

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> int:
        return await self._delete({"owner_id": owner_id})

    async def _delete(self, query: dict[str, Any]) -> int:
        result = await AnalysisJobDocument.get_pymongo_collection().delete_many(query)
        return int(result.deleted_count)
