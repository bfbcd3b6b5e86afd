"""The process-local metric objects, built from `definitions.METRICS`, and the `observe_*` helpers.

The business metrics emit the `source="mongodb"` definitions; the docs' metrics reference
is rendered from the same definitions. Importing this module does no I/O (outside multiprocess mode) and
registers nothing in prometheus-client's global registry: process-local metrics live
in `REGISTRY`, a registry of our own.

Other areas record through the `observe_*` helpers at the bottom; they never touch the
metric objects directly, so label values stay bounded and names stay in one place.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from modelyard import __version__
from modelyard.lib.schema import PROBLEM_TYPES
from modelyard.observability.bounds import (
    CACHE_RESULTS,
    DB_OPERATIONS,
    GC_GENERATIONS,
    HTTP_METHODS,
    JOB_KINDS,
    JOB_OUTCOMES,
    LLM_OUTCOMES,
    LLM_TOKEN_KINDS,
    PREDICTION_KINDS,
    STATUS_CLASSES,
    STORE_OPERATIONS,
    TRAINING_OUTCOMES,
    UNMATCHED_ROUTE,
)
from modelyard.observability.definitions import METRICS, SPECS
from modelyard.observability.spec import MetricSpec

VERSION = __version__

REGISTRY = CollectorRegistry(auto_describe=True)


def _build(spec: MetricSpec) -> MetricWrapperBase:
    labels = list(spec.labels)
    if spec.kind == "counter":
        return Counter(spec.name.removesuffix("_total"), spec.help, labels, registry=REGISTRY)
    if spec.kind == "histogram":
        assert spec.buckets is not None, spec.name
        return Histogram(spec.name, spec.help, labels, registry=REGISTRY, buckets=spec.buckets)
    return Gauge(
        spec.name,
        spec.help,
        labels,
        registry=REGISTRY,
        multiprocess_mode=spec.multiprocess_mode,  # type: ignore[arg-type]
    )


_OBJECTS = {spec.name: _build(spec) for spec in METRICS if spec.source == "process"}

HTTP_REQUESTS: Counter = _OBJECTS["modelyard_http_requests_total"]  # type: ignore[assignment]
HTTP_RESPONSES: Counter = _OBJECTS["modelyard_http_responses_total"]  # type: ignore[assignment]
HTTP_DURATION: Histogram = _OBJECTS["modelyard_http_request_duration_seconds"]  # type: ignore[assignment]
HTTP_IN_PROGRESS: Gauge = _OBJECTS["modelyard_http_requests_in_progress"]  # type: ignore[assignment]
TRAINING_DURATION: Histogram = _OBJECTS["modelyard_training_duration_seconds"]  # type: ignore[assignment]
TRAINING_FINISHED: Counter = _OBJECTS["modelyard_training_jobs_finished_total"]  # type: ignore[assignment]
PREDICTION_DURATION: Histogram = _OBJECTS["modelyard_prediction_duration_seconds"]  # type: ignore[assignment]
PREDICTIONS: Counter = _OBJECTS["modelyard_predictions_total"]  # type: ignore[assignment]
DATASET_ROWS: Histogram = _OBJECTS["modelyard_dataset_upload_rows"]  # type: ignore[assignment]
DATASET_BYTES: Histogram = _OBJECTS["modelyard_dataset_upload_bytes"]  # type: ignore[assignment]
LLM_REQUESTS: Counter = _OBJECTS["modelyard_llm_requests_total"]  # type: ignore[assignment]
LLM_DURATION: Histogram = _OBJECTS["modelyard_llm_request_duration_seconds"]  # type: ignore[assignment]
LLM_TOKENS: Counter = _OBJECTS["modelyard_llm_tokens_total"]  # type: ignore[assignment]
PROCESS_CPU: Counter = _OBJECTS["modelyard_process_cpu_seconds_total"]  # type: ignore[assignment]
PROCESS_MEMORY: Gauge = _OBJECTS["modelyard_process_resident_memory_bytes"]  # type: ignore[assignment]
PROCESS_FDS: Gauge = _OBJECTS["modelyard_process_open_fds"]  # type: ignore[assignment]
EVENT_LOOP_LAG: Gauge = _OBJECTS["modelyard_event_loop_lag_seconds"]  # type: ignore[assignment]
GC_COLLECTIONS: Counter = _OBJECTS["modelyard_python_gc_collections_total"]  # type: ignore[assignment]
CACHE_BYTES: Gauge = _OBJECTS["modelyard_model_cache_bytes"]  # type: ignore[assignment]
CACHE_ENTRIES: Gauge = _OBJECTS["modelyard_model_cache_entries"]  # type: ignore[assignment]
CACHE_LOOKUPS: Counter = _OBJECTS["modelyard_model_cache_lookups_total"]  # type: ignore[assignment]
JOBS_FINISHED: Counter = _OBJECTS["modelyard_jobs_finished_total"]  # type: ignore[assignment]
PROCESS_MAX_FDS: Gauge = _OBJECTS["modelyard_process_max_fds"]  # type: ignore[assignment]
POOL_WORKERS: Gauge = _OBJECTS["modelyard_process_pool_workers"]  # type: ignore[assignment]
POOL_BUSY: Gauge = _OBJECTS["modelyard_process_pool_busy_workers"]  # type: ignore[assignment]
POOL_QUEUED: Gauge = _OBJECTS["modelyard_process_pool_queued_tasks"]  # type: ignore[assignment]
DB_DURATION: Histogram = _OBJECTS["modelyard_db_operation_duration_seconds"]  # type: ignore[assignment]
DB_ERRORS: Counter = _OBJECTS["modelyard_db_operation_errors_total"]  # type: ignore[assignment]
STORE_DURATION: Histogram = _OBJECTS["modelyard_object_store_operation_duration_seconds"]  # type: ignore[assignment]
STORE_ERRORS: Counter = _OBJECTS["modelyard_object_store_operation_errors_total"]  # type: ignore[assignment]


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _bounded(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "other"


def _label(value: str | None, limit: int = 64) -> str:
    """A free-form but operator-controlled label value (algorithm, LLM model): trimmed, never empty."""
    return (value or "unknown")[:limit]


def status_class(status: int) -> str:
    """`2xx`..`5xx` (the pre-created values), `other` for anything outside 200-599."""
    return f"{status // 100}xx" if 200 <= status < 600 else "other"


def precreate_series(
    *,
    routes: Iterable[tuple[str, str]],
    algorithms: Iterable[str],
    llm_models: Iterable[tuple[str, str]],
    job_kinds: Iterable[str] = JOB_KINDS,
) -> None:
    """Create at 0 every series whose label values are known up front. Call once per worker process.

    A series born at its first event is never seen at 0, so Prometheus' `rate()` and
    `increase()` miss that event (1 of 1 when it happens once). With the series at 0 from
    the start, every event counts. `routes` are (method, route template) pairs from the
    route table; `algorithms` the estimator families training can pick; `llm_models` the
    (provider, model) pairs the analysis may call; `job_kinds` the kinds the runner runs.
    """
    _precreate_http(list(routes))
    for kind in job_kinds:
        for outcome in JOB_OUTCOMES:
            JOBS_FINISHED.labels(_bounded(kind, JOB_KINDS), outcome)
    for operation in DB_OPERATIONS:
        DB_DURATION.labels(operation)
        DB_ERRORS.labels(operation)
    for operation in STORE_OPERATIONS:
        STORE_DURATION.labels(operation)
        STORE_ERRORS.labels(operation)
    for problem in PROBLEM_TYPES:
        for outcome in TRAINING_OUTCOMES:
            TRAINING_FINISHED.labels(problem, outcome)
        for algorithm in (*algorithms, "none"):
            TRAINING_DURATION.labels(problem, _label(algorithm))
        for kind in PREDICTION_KINDS:
            PREDICTION_DURATION.labels(problem, kind)
            PREDICTIONS.labels(problem, kind)
    for generation in GC_GENERATIONS:
        GC_COLLECTIONS.labels(generation)
    for result in CACHE_RESULTS:
        CACHE_LOOKUPS.labels(result)
    for provider, model in llm_models:
        provider_label, model_label = _label(provider, 32), _label(model)
        LLM_DURATION.labels(provider_label, model_label)
        for outcome in LLM_OUTCOMES:
            LLM_REQUESTS.labels(provider_label, model_label, outcome)
        for kind in LLM_TOKEN_KINDS:
            LLM_TOKENS.labels(provider_label, model_label, kind)


def _precreate_http(routes: list[tuple[str, str]]) -> None:
    for method, route in routes:
        method_label = method if method in HTTP_METHODS else "other"
        HTTP_DURATION.labels(method_label, route)
        for status in STATUS_CLASSES:
            HTTP_RESPONSES.labels(method_label, route, status)
    for route in {route for _, route in routes}:  # a method the route lacks: 405, a 4xx
        for method in HTTP_METHODS:
            HTTP_RESPONSES.labels(method, route, "4xx")


def observe_training(
    *, problem_type: str, status: str, duration_seconds: float, algorithm: str | None = None
) -> None:
    """Record a training job that reached a final status.

    Call once per job, from the event-loop process, when it becomes succeeded/failed/cancelled.
    `algorithm` is the best model's estimator family (e.g. `hist_gradient_boosting`); None when
    no model was produced.
    """
    problem = _bounded(problem_type, PROBLEM_TYPES)
    outcome = _bounded(status, TRAINING_OUTCOMES)
    TRAINING_FINISHED.labels(problem, outcome).inc()
    TRAINING_DURATION.labels(problem, _label(algorithm or "none")).observe(max(0.0, duration_seconds))


def observe_prediction(*, problem_type: str, kind: str, rows: int, duration_seconds: float) -> None:
    """Record one scored request (`kind="online"`) or one finished batch job (`kind="batch"`).

    `rows` is the number of rows scored (records that failed validation excluded);
    `duration_seconds` the scoring time of the whole request or job.
    """
    problem = _bounded(problem_type, PROBLEM_TYPES)
    which = _bounded(kind, PREDICTION_KINDS)
    PREDICTION_DURATION.labels(problem, which).observe(max(0.0, duration_seconds))
    if rows > 0:
        PREDICTIONS.labels(problem, which).inc(rows)


def observe_job_finished(kind: str, status: str) -> None:
    """Record a job the runner brought to a final status (the runner's `on_finished` hook)."""
    JOBS_FINISHED.labels(_bounded(kind, JOB_KINDS), _bounded(status, JOB_OUTCOMES)).inc()


_DEPENDENCY_CHILDREN: dict[tuple[str, str], tuple[Histogram, Counter]] = {}
"""Labelled children by (dependency, operation): `labels()` costs more than the observation."""


def _dependency_children(dependency: str, operation: str) -> tuple[Histogram, Counter]:
    children = _DEPENDENCY_CHILDREN.get((dependency, operation))
    if children is None:
        duration, errors = (DB_DURATION, DB_ERRORS) if dependency == "db" else (STORE_DURATION, STORE_ERRORS)
        children = _DEPENDENCY_CHILDREN[(dependency, operation)] = (
            duration.labels(operation),
            errors.labels(operation),
        )
    return children


def observe_db_operation(operation: str, duration_seconds: float, *, failed: bool) -> None:
    """Record one MongoDB command (`operation` is its name; an unlisted one is `other`)."""
    duration, errors = _dependency_children("db", _bounded(operation, DB_OPERATIONS))
    duration.observe(max(0.0, duration_seconds))
    if failed:
        errors.inc()


def observe_store_operation(operation: str, duration_seconds: float, *, failed: bool) -> None:
    """Record one object-store call (`operation` is the interface method)."""
    duration, errors = _dependency_children("store", _bounded(operation, STORE_OPERATIONS))
    duration.observe(max(0.0, duration_seconds))
    if failed:
        errors.inc()


def observe_model_cache(*, hit: bool | None, entries: int, size_bytes: int) -> None:
    """Record the online-prediction model cache: a lookup (`hit` True/False; None: no lookup) and its size."""
    if hit is not None:
        CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()
    CACHE_ENTRIES.set(entries)
    CACHE_BYTES.set(size_bytes)


def observe_dataset_upload(*, rows: int, size_bytes: int) -> None:
    """Record a dataset accepted at upload (after parsing succeeded)."""
    DATASET_ROWS.observe(max(0, rows))
    DATASET_BYTES.observe(max(0, size_bytes))


def observe_llm_call(
    *,
    provider: str,
    model: str,
    outcome: str,
    duration_seconds: float,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> None:
    """Record one call to a language model (the built-in heuristic analyst is provider `heuristic`).

    `outcome`: success | error | timeout | invalid_output (the answer did not match the schema).
    """
    provider_label, model_label = _label(provider, 32), _label(model)
    LLM_REQUESTS.labels(provider_label, model_label, _bounded(outcome, LLM_OUTCOMES)).inc()
    LLM_DURATION.labels(provider_label, model_label).observe(max(0.0, duration_seconds))
    if prompt_tokens > 0:
        LLM_TOKENS.labels(provider_label, model_label, "prompt").inc(prompt_tokens)
    if completion_tokens > 0:
        LLM_TOKENS.labels(provider_label, model_label, "completion").inc(completion_tokens)


__all__ = [
    "METRICS",
    "REGISTRY",
    "SPECS",
    "UNMATCHED_ROUTE",
    "MetricSpec",
    "observe_dataset_upload",
    "observe_db_operation",
    "observe_job_finished",
    "observe_llm_call",
    "observe_model_cache",
    "observe_prediction",
    "observe_store_operation",
    "observe_training",
    "precreate_series",
    "status_class",
]
