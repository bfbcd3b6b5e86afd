"""Webhook events from the areas that cause them: jobs that finished, models that changed stage.

`job.finished`: jobs finish in whichever server process runs them (or are cancelled or failed
by a request or a restart), so every process looks for newly finished jobs of the owners who
have a `job.finished` webhook, every `interval` seconds, through the areas' services. Several
processes seeing the same job record one delivery: deliveries are unique per webhook and event
key. Looking back `overlap` seconds each time covers clock differences between processes.

`model.stage_changed`: recorded by the model update itself, through the hook the models area
declares (`StageChangeHook`), provided here.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from beanie import PydanticObjectId
from litestar.di import NamedDependency

from modelyard.domain.analysis.services import AnalysisService
from modelyard.domain.models.services import ModelRecord, StageChangeHook
from modelyard.domain.predictions.services import PredictionService
from modelyard.domain.training.services import TrainingService
from modelyard.domain.webhooks.services import WebhookService
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import unavailable_dependency

log = structlog.get_logger("modelyard.webhooks")

FinishedJobs = Callable[[datetime, Collection[PydanticObjectId]], Awaitable[Sequence[Any]]]
REMEMBERED = 10_000


def _problem(job: Any) -> Any:
    return job.error if job.status == "failed" else None


def training_event(job: Any) -> dict[str, Any]:
    return {"model_id": str(job.model_id) if job.model_id else None, "dataset_id": str(job.dataset_id)}


def analysis_event(job: Any) -> dict[str, Any]:
    return {
        "kind": job.kind,
        "dataset_id": str(job.dataset_id) if job.dataset_id else None,
        "model_id": str(job.model_id) if job.model_id else None,
    }


def batch_event(job: Any) -> dict[str, Any]:
    done = job.status == "succeeded" and job.result_key is not None
    return {
        "model_id": str(job.model_id),
        "result_url": f"/api/v1/batch-predictions/{job.id}/result" if done else None,
    }


class JobFinishedEvents:
    """Turns finished jobs into `job.finished` events for their owners' webhooks."""

    def __init__(
        self,
        webhooks: WebhookService,
        *,
        training: TrainingService,
        analyses: AnalysisService,
        predictions: PredictionService,
        interval: float = 2.0,
        overlap: float = 30.0,
        lookback: float = 600.0,
    ) -> None:
        self.webhooks = webhooks
        self.sources: list[tuple[str, str, FinishedJobs, Callable[[Any], dict[str, Any]]]] = [
            ("training", "/api/v1/training-jobs/", training.finished_since, training_event),
            ("analysis", "/api/v1/analyses/", analyses.finished_since, analysis_event),
            ("batch_prediction", "/api/v1/batch-predictions/", predictions.finished_since, batch_event),
        ]
        self.interval = interval
        self.overlap = timedelta(seconds=overlap)
        self.since = utcnow() - timedelta(seconds=lookback)
        """Jobs finished while no process looked (a restart) are still found within `lookback`."""
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def scan(self) -> int:
        """Record events for jobs finished since the last scan; how many deliveries were added."""
        started = utcnow()
        owners = await self.webhooks.subscribers("job.finished")
        added = 0
        if owners:
            for kind, path, finished_since, details in self.sources:
                for job in await finished_since(self.since - self.overlap, owners):
                    added += await self._emit(kind, path, job, details)
        self.since = started
        return added

    async def _emit(self, kind: str, path: str, job: Any, details: Callable[[Any], dict[str, Any]]) -> int:
        key = f"job.finished:{kind}:{job.id}"
        if key in self._seen:
            return 0
        data = {
            "job_type": kind,
            "job_id": str(job.id),
            "status": job.status,
            "url": f"{path}{job.id}",
            "error": _problem(job),
            **details(job),
        }
        added = await self.webhooks.emit(job.owner_id, "job.finished", key, data, job.finished_at or utcnow())
        self._seen[key] = None
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        return added

    async def run(self) -> None:
        """Scan forever, every `interval` seconds; a failed scan is retried at the next one."""
        while True:
            try:
                await self.scan()
            except Exception as exc:
                if unavailable_dependency(exc) is None:
                    log.exception("webhook job scan failed")
            await asyncio.sleep(self.interval)


def provide_stage_change_hook(webhook_service: NamedDependency[WebhookService]) -> StageChangeHook:
    """`stage_changed`: records `model.stage_changed` for the owner's webhooks."""

    async def stage_changed(owner_id: PydanticObjectId, model: ModelRecord, previous: str) -> None:
        data = {
            "model_id": str(model.id),
            "name": model.name,
            "previous_stage": previous,
            "stage": model.stage,
            "url": f"/api/v1/models/{model.id}",
        }
        key = f"model.stage_changed:{model.id}:{model.updated_at.isoformat()}"
        try:
            await webhook_service.emit(owner_id, "model.stage_changed", key, data, utcnow())
        except Exception as exc:
            # The change is made; losing its event during an outage beats answering 503 for it.
            if unavailable_dependency(exc) is None:
                raise
            log.warning("model stage change not recorded for webhooks", model_id=str(model.id))

    return stage_changed
