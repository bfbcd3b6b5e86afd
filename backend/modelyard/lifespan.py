"""The one lifespan: builds every long-lived object of a server process into a typed `AppState`.

Order of construction is the order of the code below, and teardown is its reverse; no
area builds shared objects of its own. Handlers reach the state through the dependency
providers `create_app` registers (`app_providers`), never through `app.state` attributes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from pymongo import AsyncMongoClient
from threadpoolctl import threadpool_limits

from modelyard.domain.accounts.auth import UserCache
from modelyard.domain.accounts.documents import UserDocument
from modelyard.domain.accounts.services import AccountService
from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.jobs import register_analysis_jobs
from modelyard.domain.analysis.services import AnalysisEngine, AnalysisService
from modelyard.domain.api_keys.cache import ApiKeyCache
from modelyard.domain.api_keys.documents import ApiKeyDocument
from modelyard.domain.datasets.documents import DatasetDocument
from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.models.documents import ModelDocument
from modelyard.domain.models.services import ModelService
from modelyard.domain.monitoring.services import DOCUMENTS as MONITORING_DOCUMENTS
from modelyard.domain.monitoring.services import PREDICTION_RETENTION_DAYS, MonitoringService
from modelyard.domain.predictions.cache import ModelCache
from modelyard.domain.predictions.documents import BatchPredictionJobDocument
from modelyard.domain.predictions.jobs import BatchPredictionJobs, register_batch_prediction_jobs
from modelyard.domain.predictions.services import PredictionService, sweep_unstored_inputs
from modelyard.domain.training.automl import ALGORITHMS
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.jobs import TrainingJobs, register_training_jobs
from modelyard.domain.training.services import TrainingService
from modelyard.domain.webhooks.delivery import WebhookSender, register_webhook_jobs
from modelyard.domain.webhooks.documents import WebhookDeliveryDocument, WebhookDocument
from modelyard.domain.webhooks.services import WebhookService
from modelyard.lib.background import every, in_background
from modelyard.lib.db import connect_database, ping_database
from modelyard.lib.health import Probe
from modelyard.lib.idempotency import IdempotencyRecord
from modelyard.lib.jobs import JobRunner
from modelyard.lib.monitoring_tally import MonitoringTally
from modelyard.lib.outbound import parse_networks
from modelyard.lib.scratch import remove_leftovers, scratch_root
from modelyard.lib.storage import ObjectStore, create_object_store
from modelyard.lib.tally import UsageTally
from modelyard.lib.workers import ProcessPool, create_process_pool, default_worker_count
from modelyard.observability.dependencies import CommandMetrics, MeteredObjectStore
from modelyard.observability.metrics import observe_job_finished, precreate_series
from modelyard.observability.middleware import counted_routes
from modelyard.observability.multiprocess import mark_this_process_dead
from modelyard.observability.runtime import sample_runtime_forever
from modelyard.settings import Settings
from modelyard.workflows.business_metrics import BusinessMetrics, MetricSources
from modelyard.workflows.monitoring import MonitoringFlusher, References
from modelyard.workflows.usage import UsageFlusher
from modelyard.workflows.webhook_events import JobFinishedEvents

DOCUMENTS = [UserDocument, DatasetDocument, AnalysisJobDocument]
DOCUMENTS += [TrainingJobDocument, ModelDocument, BatchPredictionJobDocument, IdempotencyRecord]
DOCUMENTS += [ApiKeyDocument, WebhookDocument, WebhookDeliveryDocument, *MONITORING_DOCUMENTS]
WORKER_MODULES = (
    # What the process pool runs: profiling, training, batch scoring, analysis signals.
    "modelyard.domain.datasets.profiling",
    "modelyard.domain.training.worker",
    "modelyard.domain.predictions.batch",
    "modelyard.domain.analysis.signals",
)
STATE_KEY = "modelyard"
SWEEP_EVERY_S = 600.0
DELIVERY_CONCURRENCY = 8
"""Webhook deliveries one server process sends at once (each waits on the network, not a core)."""


@dataclass
class AppState:
    """Everything a server process holds for its lifetime."""

    settings: Settings
    store: ObjectStore
    client: AsyncMongoClient[dict[str, object]]
    pool: ProcessPool
    runner: JobRunner
    users: UserCache
    api_keys: ApiKeyCache
    tally: UsageTally
    model_cache: ModelCache
    analysis: AnalysisEngine
    probes: dict[str, Probe]
    business: BusinessMetrics
    webhooks: Webhooks
    monitoring: Monitoring

    @property
    def database_name(self) -> str:
        return self.settings.database.database


def app_state(app_or_state: Litestar | State) -> AppState:
    """The typed state of a running app (for providers and tests)."""
    state = app_or_state.state if isinstance(app_or_state, Litestar) else app_or_state
    return state[STATE_KEY]  # type: ignore[no-any-return]


def _from_state(attribute: str) -> Provide:
    def provide(state: State) -> Any:
        found: Any = app_state(state)
        for name in attribute.split("."):
            found = getattr(found, name)
        return found

    return Provide(provide, sync_to_thread=False)


def app_providers() -> dict[str, Provide]:
    """Dependencies read from the state, by the names handlers and area providers ask for."""
    names = {
        "object_store": "store",
        "process_pool": "pool",
        "job_runner": "runner",
        "user_cache": "users",
        "api_key_cache": "api_keys",
        "usage_tally": "tally",
        "model_cache": "model_cache",
        "analysis_engine": "analysis",
        "readiness_probes": "probes",
        "business_metrics": "business",
        "webhook_service": "webhooks.service",
        "monitoring_tally": "monitoring.tally",
        "monitoring_references": "monitoring.references",
    }
    return {name: _from_state(attribute) for name, attribute in names.items()}


def _job_runner(settings: Settings, pool: ProcessPoolExecutor) -> JobRunner:
    jobs = settings.jobs
    return JobRunner(
        pool,
        concurrency=jobs.concurrent_jobs or settings.app.process_workers or default_worker_count(),
        lease_seconds=jobs.lease_seconds,
        poll_interval=jobs.poll_interval_s,
        max_attempts=jobs.max_attempts,
        scratch_root=scratch_root(settings.app.var_dir),
        on_finished=observe_job_finished,
    )


@dataclass(frozen=True)
class Webhooks:
    """Webhook deliveries: a job runner of their own (a long training never holds them up; they
    only wait on the network), the service that records events, and the scan for finished jobs."""

    runner: JobRunner
    service: WebhookService
    job_events: JobFinishedEvents


async def _webhooks(
    settings: Settings, pool: ProcessPoolExecutor, stack: AsyncExitStack, sources: dict[str, Any]
) -> Webhooks:
    config = settings.webhooks
    allowed = parse_networks(config.allowed_networks)
    runner = JobRunner(
        pool,
        concurrency=DELIVERY_CONCURRENCY,
        lease_seconds=settings.jobs.lease_seconds,
        poll_interval=settings.jobs.poll_interval_s,
        max_attempts=settings.jobs.max_attempts,
        scratch_root=scratch_root(settings.app.var_dir),
        # No on_finished: deliveries are not among the job kinds the job metrics count (a delivery
        # waiting out its 24-hour retry window would read as a stuck queue).
    )
    client = httpx.AsyncClient(headers={"Accept": "*/*"})
    stack.push_async_callback(client.aclose)
    sender = WebhookSender(
        client,
        allowed=allowed,
        timeout_s=config.timeout_s,
        first_retry_s=config.first_retry_s,
        max_retry_delay_s=config.max_retry_delay_s,
        retry_window_s=config.retry_window_s,
    )
    register_webhook_jobs(runner, sender)
    service = WebhookService(allowed, config.max_per_user, runner)
    return Webhooks(runner, service, JobFinishedEvents(service, **sources))


@dataclass(frozen=True)
class Monitoring:
    """What predictions tell monitoring (in memory), its flusher, and the models' references."""

    tally: MonitoringTally
    flusher: MonitoringFlusher
    references: References


def _monitoring(
    settings: Settings, store: ObjectStore, models: ModelService, datasets: DatasetService, pool: Any
) -> Monitoring:
    tally, references = MonitoringTally(), References(store, models, datasets, pool)
    retention = settings.predictions.monitoring_retention_days
    flusher = MonitoringFlusher(tally, references, MonitoringService(), retention, PREDICTION_RETENTION_DAYS)
    return Monitoring(tally, flusher, references)


@dataclass(frozen=True)
class Credentials:
    """What authentication and the app-wide key guard hold before the lifespan starts (create_app
    builds them), shared with the state: the user and key caches, and the usage tally key uses go to."""

    users: UserCache
    api_keys: ApiKeyCache
    tally: UsageTally


async def _open(settings: Settings, credentials: Credentials, stack: AsyncExitStack) -> AppState:
    """Connect the dependencies and build the areas' long-lived objects; `stack` undoes it."""
    # Before anything of this process writes there: what killed processes left goes first.
    await asyncio.to_thread(remove_leftovers, scratch_root(settings.app.var_dir))
    store = MeteredObjectStore(  # every call timed, by operation
        create_object_store(
            settings.storage.url,
            endpoint_url=settings.storage.s3_endpoint_url,
            region=settings.storage.s3_region,
            part_size=settings.storage.multipart_chunk_bytes,
        )
    )
    stack.push_async_callback(store.close)
    mongodb_url = settings.database.url or f"mongodb://127.0.0.1:{settings.database.embedded_port}"
    client = await connect_database(
        mongodb_url,
        settings.database.database,
        DOCUMENTS,
        timeout_ms=settings.database.timeout_ms,
        operation_timeout_ms=settings.database.operation_timeout_ms,
        event_listeners=[CommandMetrics()],  # every command timed, by operation
    )
    stack.push_async_callback(client.close)
    pool = create_process_pool(
        settings.app.process_workers or None, preload=WORKER_MODULES, warm=settings.app.warm_workers
    )
    stack.callback(pool.shutdown, wait=False, cancel_futures=True)
    runner, tally = _job_runner(settings, pool), credentials.tally
    datasets, models = DatasetService(store, pool, settings, tally), ModelService(store)
    engine = AnalysisEngine(settings, store, datasets)
    stack.push_async_callback(engine.close)
    scratch = scratch_root(settings.app.var_dir)
    register_training_jobs(runner, TrainingJobs(store, datasets, models, tally, scratch))
    chunk_rows = settings.predictions.batch_chunk_rows
    monitoring = _monitoring(settings, store, models, datasets, pool)
    batches = BatchPredictionJobs(store, models, tally, chunk_rows, scratch, monitoring.tally)
    register_batch_prediction_jobs(runner, batches)
    register_analysis_jobs(runner, engine)
    probes: dict[str, Probe] = {
        "mongodb": lambda: ping_database(client),
        "object_store": store.ping,
        "analysis": engine.probe,
    }
    key_service = credentials.api_keys.service
    usage = UsageFlusher(tally, models, client[settings.database.database], key_service)
    training = TrainingService(store, settings, datasets, runner)
    sources = MetricSources(
        AccountService(), datasets, models, training, usage, key_service, runner, monitoring.references
    )
    business = BusinessMetrics(sources, probes, interval_seconds=settings.metrics.refresh_seconds)
    model_cache = ModelCache(settings.predictions.model_cache_bytes)
    predictions = PredictionService(store, settings, model_cache, tally, pool, runner, monitoring.tally)
    finished = {"training": training, "analyses": AnalysisService(datasets, engine, runner)}
    webhooks = await _webhooks(settings, pool, stack, {**finished, "predictions": predictions})
    users, keys = credentials.users, credentials.api_keys
    parts = (pool, runner, users, keys, tally, model_cache, engine, probes, business, webhooks)
    return AppState(settings, store, client, *parts, monitoring)


def build_lifespan(settings: Settings, credentials: Credentials) -> Any:
    """The app's lifespan: open everything, start the runner and the background loops, yield."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Online scoring runs here, a row or a few at a time: one OpenMP/BLAS thread per server
        # process avoids oversubscribing the cores (CPU-heavy work runs in the pinned process pool).
        threadpool_limits(1)
        async with AsyncExitStack() as stack:
            stack.callback(mark_this_process_dead)
            state = await _open(settings, credentials, stack)
            app.state[STATE_KEY] = state
            engine = state.analysis
            precreate_series(  # in every worker: each one's series start at 0
                routes=counted_routes(app),
                algorithms=(*ALGORITHMS, "ensemble"),  # the winner may be an ensemble of them
                llm_models={(a.name, a.model) for a in (engine.analyst, engine.heuristic)},
                job_kinds=state.runner.kinds,
            )
            await state.runner.start()  # recovers jobs a dead process left running
            stack.push_async_callback(state.runner.stop)
            await state.webhooks.runner.start()
            stack.push_async_callback(state.webhooks.runner.stop)
            events = state.webhooks.job_events.run()
            await stack.enter_async_context(in_background(events, name="webhook-job-events"))
            usage = state.business.areas.usage
            flush_every = settings.predictions.prediction_count_flush_s
            await stack.enter_async_context(in_background(usage.run(flush_every), name="usage-flusher"))
            await stack.enter_async_context(in_background(state.business.run(), name="business-metrics"))
            monitor = state.monitoring.flusher.run(flush_every)
            await stack.enter_async_context(in_background(monitor, name="monitoring-flusher"))
            sampler = sample_runtime_forever(state.pool)
            await stack.enter_async_context(in_background(sampler, name="runtime-metrics"))
            # What crashed processes left half-stored: at start, then every SWEEP_EVERY_S.
            sweep = every(SWEEP_EVERY_S, state.business.areas.datasets.sweep_abandoned, "dataset sweep")
            await stack.enter_async_context(in_background(sweep, name="dataset-sweeper"))
            inputs = every(
                SWEEP_EVERY_S, functools.partial(sweep_unstored_inputs, state.store), "batch sweep"
            )
            await stack.enter_async_context(in_background(inputs, name="batch-input-sweeper"))
            yield

    return lifespan
