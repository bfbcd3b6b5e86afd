"""Business metrics from MongoDB, refreshed in the background and served from a cache.

Users come through Beanie (`UserDocument`); the other areas' collections are read with
plain pymongo queries against the names below, so the collectors work before those
collections (or their Documents) exist: an absent collection counts as empty.

Every number here is computed from the database, which every worker process shares, so
any worker answering a scrape reports the same values: nothing is double counted when
several workers (or several replicas) run. Dashboards and rules therefore aggregate
these series with `max`, not `sum`.

Counters that must survive deletions (datasets created, models trained, predictions
made) live in the `usage_counters` collection: the `observe_*` helpers in metrics.py
tally in memory and the refresh loop adds the tallies with `$inc`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.asynchronous.database import AsyncDatabase

from modelyard.domain.accounts.documents import UserDocument
from modelyard.lib.background import in_background
from modelyard.lib.health import Probe, check_readiness
from modelyard.lib.schema import JOB_STATUSES, PROBLEM_TYPES
from modelyard.observability import metrics as m

log = structlog.get_logger("modelyard.metrics")

# Collections and fields of other areas that the collectors read. Keep in step with their Documents.
DATASETS_COLLECTION = "datasets"
MODELS_COLLECTION = "models"
TRAINING_JOBS_COLLECTION = "training_jobs"
USAGE_COLLECTION = "usage_counters"
# Datasets being stored or removed have `status: "uploading"` / `"deleting"` (DatasetDocument);
# a `deleted_at` marks older soft deletes.
LIVE_DATASETS_FILTER: dict[str, Any] = {"status": {"$nin": ["uploading", "deleting"]}, "deleted_at": None}
# Where a model document keeps its held-out scores ({metric name: number}); the first dict found wins.
MODEL_SCORE_FIELDS = ("test_metrics", "metrics")
MAX_PRODUCTION_MODELS = 500

WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}

T = TypeVar("T")


class _Snapshot:
    """The last values read from the database (kept when a later refresh fails)."""

    def __init__(self) -> None:
        self.users: int | None = None
        self.active: dict[str, int] = {}
        self.datasets: int | None = None
        self.models: dict[tuple[str, str], int] = {}
        self.jobs: dict[str, int] = {}
        self.usage: dict[str, int] = {}
        self.scores: dict[tuple[str, str], float] = {}
        self.dependencies: dict[str, bool] = {}
        self.refreshed_at: float | None = None
        self.refresh_seconds: float | None = None


class BusinessMetrics:
    """MongoDB-backed metrics; `exposition()` is cached text, so a scrape never waits on a query."""

    def __init__(
        self,
        database: AsyncDatabase[Any],
        probes: Mapping[str, Probe] | None = None,
        interval_seconds: float = 15.0,
    ) -> None:
        self.database = database
        self.probes = dict(probes or {})
        self.interval_seconds = interval_seconds
        self._snapshot = _Snapshot()
        self._exposition = self._render()

    def exposition(self) -> bytes:
        return self._exposition

    async def refresh(self) -> None:
        """Flush pending usage tallies, re-read every number, and re-render the cached exposition."""
        started = time.perf_counter()
        await self._flush_usage()
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
        users_task = asyncio.ensure_future(attempt(UserDocument.count()))
        active_task = asyncio.ensure_future(attempt(self._active(now)))
        datasets_task = asyncio.ensure_future(
            attempt(self.database[DATASETS_COLLECTION].count_documents(LIVE_DATASETS_FILTER))
        )
        models_task = asyncio.ensure_future(attempt(self._models()))
        jobs_task = asyncio.ensure_future(attempt(self._jobs()))
        usage_task = asyncio.ensure_future(attempt(self._usage()))
        scores_task = asyncio.ensure_future(attempt(self._scores()))
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
        if (scores := await scores_task) is not None:
            snap.scores = scores
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

    async def _flush_usage(self) -> None:
        pending = {key: n for key, n in m.PENDING_USAGE.items() if n > 0}
        collection = self.database[USAGE_COLLECTION]
        for key, count in pending.items():
            await collection.update_one({"_id": key}, {"$inc": {"value": count}}, upsert=True)
            m.PENDING_USAGE[key] -= count

    async def _active(self, now: datetime) -> dict[str, int]:
        counts = await asyncio.gather(
            *(
                UserDocument.find(UserDocument.last_active_at >= now - span).count()
                for span in WINDOWS.values()
            )
        )
        return dict(zip(WINDOWS, counts, strict=True))

    async def _models(self) -> dict[tuple[str, str], int]:
        pipeline = [{"$group": {"_id": {"p": "$problem_type", "s": "$stage"}, "n": {"$sum": 1}}}]
        found: dict[tuple[str, str], int] = {}
        cursor = await self.database[MODELS_COLLECTION].aggregate(pipeline)
        async for row in cursor:
            key = (str(row["_id"].get("p") or "unknown"), str(row["_id"].get("s") or "none"))
            found[key] = found.get(key, 0) + int(row["n"])
        return found

    async def _jobs(self) -> dict[str, int]:
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        found: dict[str, int] = dict.fromkeys(JOB_STATUSES, 0)
        cursor = await self.database[TRAINING_JOBS_COLLECTION].aggregate(pipeline)
        async for row in cursor:
            found[str(row["_id"])] = found.get(str(row["_id"]), 0) + int(row["n"])
        return found

    async def _usage(self) -> dict[str, int]:
        found: dict[str, int] = {}
        async for row in self.database[USAGE_COLLECTION].find({}):
            found[str(row["_id"])] = int(row.get("value", 0))
        return found

    async def _scores(self) -> dict[tuple[str, str], float]:
        projection = dict.fromkeys(MODEL_SCORE_FIELDS, 1)
        cursor = self.database[MODELS_COLLECTION].find({"stage": "production"}, projection)
        found: dict[tuple[str, str], float] = {}
        async for doc in cursor.limit(MAX_PRODUCTION_MODELS):
            scores: dict[str, Any] = next(
                (doc[f] for f in MODEL_SCORE_FIELDS if isinstance(doc.get(f), dict)), {}
            )
            for metric, value in scores.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    found[(str(doc["_id"]), str(metric))] = float(value)
        return found

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
        counter("modelyard_datasets_created_total").add_metric(
            [], snap.usage.get(m.USAGE_DATASETS_CREATED, 0)
        )
        trained = counter("modelyard_models_trained_total", ("problem_type",))
        problem_types = sorted(
            {*PROBLEM_TYPES}
            | {
                k.removeprefix(m.USAGE_MODELS_TRAINED)
                for k in snap.usage
                if k.startswith(m.USAGE_MODELS_TRAINED)
            }
        )
        for problem in problem_types:
            trained.add_metric([problem], snap.usage.get(m.USAGE_MODELS_TRAINED + problem, 0))
        models = gauge("modelyard_models", ("problem_type", "stage"))
        for (problem, stage), count in sorted(snap.models.items()):
            models.add_metric([problem, stage], count)
        counter("modelyard_predictions_made_total").add_metric([], snap.usage.get(m.USAGE_PREDICTIONS, 0))
        jobs = gauge("modelyard_training_jobs", ("status",))
        for status, count in sorted(snap.jobs.items()):
            jobs.add_metric([status], count)
        scores = gauge("modelyard_production_model_score", ("model_id", "metric"))
        for (model_id, metric), value in sorted(snap.scores.items()):
            scores.add_metric([model_id, metric], value)
        return families

    def _render(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Fixed(self._families()))
        return generate_latest(registry)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def business_metrics_lifespan(
    interval_seconds: float,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan hook (add it after the one that connects the database)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        state = app.state
        business = BusinessMetrics(
            state.db_client[state.database_name],
            state.readiness_probes,
            interval_seconds=interval_seconds,
        )
        state.business_metrics = business
        try:
            async with in_background(business.run(), name="business-metrics"):
                yield
        finally:
            with contextlib.suppress(Exception):  # keep tallies of the last seconds
                await asyncio.wait_for(business._flush_usage(), 2.0)
            from modelyard.observability.multiprocess import mark_this_process_dead

            mark_this_process_dead()

    return lifespan
