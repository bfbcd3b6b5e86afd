"""Business metrics from MongoDB, read through each area's service, refreshed in the background and
served from a cache.

Every number here is computed from the database, which every worker process shares, so
any worker answering a scrape reports the same values: nothing is double counted when
several workers (or several replicas) run. Dashboards and rules therefore aggregate
these series with `max`, not `sum`.

Counters that must survive deletions (datasets created, models trained, predictions
made) are the usage counters that `workflows.usage` writes from the one usage tally.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from modelyard.domain.accounts.services import AccountService
from modelyard.domain.api_keys.services import ApiKeyService
from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.models.services import ModelService
from modelyard.domain.training.services import TrainingService
from modelyard.lib import tally
from modelyard.lib.health import Probe, check_readiness
from modelyard.lib.jobs import JobRunner, QueueStats
from modelyard.lib.schema import JOB_STATUSES, PROBLEM_TYPES
from modelyard.observability import metrics as m
from modelyard.observability.bounds import API_KEY_REQUEST_SERIES, API_KEY_STATES
from modelyard.workflows.monitoring import References
from modelyard.workflows.monitoring_metrics import (
    MonitoringSnapshot,
    monitoring_families,
    production_monitoring,
)
from modelyard.workflows.usage import UsageFlusher

log = structlog.get_logger("modelyard.metrics")

MAX_PRODUCTION_MODELS = 100
"""Bound on `modelyard_production_model_score`: the newest 100 production models (model ids are
user-controlled, so unbounded they would grow a series per model and metric); the metrics
reference documents it."""

WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}

T = TypeVar("T")


@dataclass(frozen=True)
class MetricSources:
    """The services the business numbers are read through."""

    accounts: AccountService
    datasets: DatasetService
    models: ModelService
    training: TrainingService
    usage: UsageFlusher
    api_keys: ApiKeyService
    jobs: JobRunner
    """Reads the queue of every kind of job it runs."""
    references: References | None = None
    """Production models' monitoring (drift, live performance); None leaves those metrics out."""


class _Snapshot:
    """The last values read from the database (kept when a later refresh fails)."""

    def __init__(self) -> None:
        self.users: int | None = None
        self.active: dict[str, int] = {}
        self.datasets: int | None = None
        self.models: dict[tuple[str, str], int] = {}
        self.jobs: dict[str, int] = {}
        self.queues: dict[str, QueueStats] = {}
        self.usage: dict[str, int] = {}
        self.scores: dict[tuple[str, str], float] = {}
        self.keys: dict[str, int] = {}
        self.keys_used: dict[str, int] = {}
        self.dependencies: dict[str, bool] = {}
        self.monitoring: MonitoringSnapshot | None = None
        self.refreshed_at: float | None = None
        self.refresh_seconds: float | None = None


class BusinessMetrics:
    """MongoDB-backed metrics; `exposition()` is cached text, so a scrape never waits on a query."""

    def __init__(
        self,
        areas: MetricSources,
        probes: dict[str, Probe] | None = None,
        interval_seconds: float = 15.0,
    ) -> None:
        self.areas = areas
        self.probes = probes if probes is not None else {}
        self.interval_seconds = interval_seconds
        self._snapshot = _Snapshot()
        self._exposition = self._render()

    def exposition(self) -> bytes:
        return self._exposition

    async def refresh(self) -> None:
        """Flush pending usage tallies, re-read every number, and re-render the cached exposition."""
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # a failed flush keeps its counts for the next one
            await self.areas.usage.flush()
        snap = self._snapshot
        now = datetime.now(UTC)
        failures: list[BaseException] = []

        async def attempt(work: Awaitable[T]) -> T | None:
            try:
                return await work
            except Exception as exc:  # one failed query must not hide the others' values
                failures.append(exc)
                return None

        # Tasks first, awaited after: the queries run concurrently.
        users_task = asyncio.ensure_future(attempt(self.areas.accounts.count()))
        active_task = asyncio.ensure_future(attempt(self._active(now)))
        datasets_task = asyncio.ensure_future(attempt(self.areas.datasets.count_live()))
        models_task = asyncio.ensure_future(attempt(self.areas.models.count_by_problem_and_stage()))
        jobs_task = asyncio.ensure_future(attempt(self.areas.training.count_by_status()))
        usage_task = asyncio.ensure_future(attempt(self.areas.usage.totals()))
        queues_task = asyncio.ensure_future(attempt(self.areas.jobs.queue_stats()))
        scores_task = asyncio.ensure_future(
            attempt(self.areas.models.production_scores(MAX_PRODUCTION_MODELS))
        )
        keys_task = asyncio.ensure_future(attempt(self._keys(now)))
        monitoring_task = asyncio.ensure_future(attempt(self._monitoring()))
        readiness = await check_readiness(self.probes) if self.probes else None
        if (users := await users_task) is not None:
            snap.users = users
        if (active := await active_task) is not None:
            snap.active = active
        if (datasets := await datasets_task) is not None:
            snap.datasets = datasets
        if (models := await models_task) is not None:
            snap.models = models
        if (jobs := await jobs_task) is not None:
            snap.jobs = jobs
        if (usage := await usage_task) is not None:
            snap.usage = usage
        if (queues := await queues_task) is not None:
            snap.queues = queues
        if (scores := await scores_task) is not None:
            snap.scores = scores
        if (keys := await keys_task) is not None:
            snap.keys, snap.keys_used = keys
        if (monitoring := await monitoring_task) is not None:
            snap.monitoring = monitoring
        if readiness is not None:
            snap.dependencies = {check.name: check.ok for check in readiness.checks}
        if failures:
            log.warning("business metrics refresh incomplete", errors=[repr(f)[:200] for f in failures])
        else:
            snap.refreshed_at = time.time()
            snap.refresh_seconds = time.perf_counter() - started
        self._exposition = self._render()

    async def run(self) -> None:
        """Refresh forever, every `interval_seconds`."""
        while True:
            try:
                await self.refresh()
            except Exception:  # never let the loop die: the next round may succeed
                log.exception("business metrics refresh failed")
            await asyncio.sleep(self.interval_seconds)

    async def _active(self, now: datetime) -> dict[str, int]:
        counts = await asyncio.gather(
            *(self.areas.accounts.count_active_since(now - span) for span in WINDOWS.values())
        )
        return dict(zip(WINDOWS, counts, strict=True))

    async def _monitoring(self) -> MonitoringSnapshot | None:
        if self.areas.references is None:
            return None
        return await production_monitoring(self.areas.models, self.areas.references, MAX_PRODUCTION_MODELS)

    async def _keys(self, now: datetime) -> tuple[dict[str, int], dict[str, int]]:
        by_state = await self.areas.api_keys.count_by_state(now)
        used = await asyncio.gather(
            *(self.areas.api_keys.count_used_since(now - span) for span in WINDOWS.values())
        )
        return by_state, dict(zip(WINDOWS, used, strict=True))

    def _families(self) -> list[Metric]:
        snap, spec = self._snapshot, m.SPECS
        families: list[Metric] = []

        def gauge(name: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, spec[name].help, labels=list(labels))
            families.append(family)
            return family

        def counter(name: str, labels: tuple[str, ...] = ()) -> CounterMetricFamily:
            family = CounterMetricFamily(name, spec[name].help, labels=list(labels))
            families.append(family)
            return family

        gauge("modelyard_build_info", ("version",)).add_metric([m.VERSION], 1)
        dependencies = gauge("modelyard_dependency_up", ("dependency",))
        for name, ok in sorted(snap.dependencies.items()):
            dependencies.add_metric([name], 1.0 if ok else 0.0)
        if snap.refreshed_at is not None:
            gauge("modelyard_business_metrics_refresh_timestamp_seconds").add_metric([], snap.refreshed_at)
            gauge("modelyard_business_metrics_refresh_duration_seconds").add_metric(
                [], snap.refresh_seconds or 0.0
            )
        if snap.users is None:  # nothing read yet: report no business numbers rather than zeros
            return families
        gauge("modelyard_registered_users").add_metric([], snap.users)
        active = gauge("modelyard_active_users", ("window",))
        for window, count in snap.active.items():
            active.add_metric([window], count)
        if snap.datasets is not None:
            gauge("modelyard_datasets").add_metric([], snap.datasets)
        counter("modelyard_datasets_created_total").add_metric([], snap.usage.get(tally.DATASETS_CREATED, 0))
        trained = counter("modelyard_models_trained_total", ("problem_type",))
        problem_types = sorted(
            {*PROBLEM_TYPES}
            | {k.removeprefix(tally.MODELS_TRAINED) for k in snap.usage if k.startswith(tally.MODELS_TRAINED)}
        )
        for problem in problem_types:
            trained.add_metric([problem], snap.usage.get(tally.MODELS_TRAINED + problem, 0))
        models = gauge("modelyard_models", ("problem_type", "stage"))
        for (problem, stage), count in sorted(snap.models.items()):
            models.add_metric([problem, stage], count)
        counter("modelyard_predictions_made_total").add_metric([], snap.usage.get(tally.PREDICTIONS, 0))
        jobs = gauge("modelyard_training_jobs", ("status",))
        for status in sorted({*JOB_STATUSES, *snap.jobs}):  # every status, 0 included: see the rules
            jobs.add_metric([status], snap.jobs.get(status, 0))
        depth = gauge("modelyard_job_queue_depth", ("kind",))
        oldest = gauge("modelyard_job_queue_oldest_age_seconds", ("kind",))
        for kind, queue in sorted(snap.queues.items()):  # every kind the runner runs, 0 included
            depth.add_metric([kind], queue.queued)
            oldest.add_metric([kind], queue.oldest_age_seconds)
        scores = gauge("modelyard_production_model_score", ("model_id", "metric"))
        for (model_id, metric), value in sorted(snap.scores.items()):
            scores.add_metric([model_id, metric], value)
        self._key_families(gauge, counter)
        if snap.monitoring is not None:
            monitoring_families(snap.monitoring, gauge)
        return families

    def _key_families(
        self,
        gauge: Callable[[str, tuple[str, ...]], GaugeMetricFamily],
        counter: Callable[[str, tuple[str, ...]], CounterMetricFamily],
    ) -> None:
        snap = self._snapshot
        requests = counter("modelyard_api_key_requests_total", ("scope", "outcome"))
        for scope, outcome in API_KEY_REQUEST_SERIES:
            key = f"{tally.API_KEY_REQUESTS}{scope}:{outcome}"
            requests.add_metric([scope, outcome], snap.usage.get(key, 0))
        keys = gauge("modelyard_api_keys", ("state",))
        for state in API_KEY_STATES:
            keys.add_metric([state], snap.keys.get(state, 0))
        used = gauge("modelyard_api_keys_used", ("window",))
        for window, count in snap.keys_used.items():
            used.add_metric([window], count)

    def _render(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Fixed(self._families()))
        return generate_latest(registry)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families
