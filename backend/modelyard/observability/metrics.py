"""Every metric Modelyard exposes, declared once.

`METRICS` is the single source of truth: the objects below are built from it, the
business collectors emit the `source="mongodb"` ones, and the docs' metrics reference
is rendered from it. Importing this module does no I/O (outside multiprocess mode) and
registers nothing in prometheus-client's global registry: process-local metrics live
in `REGISTRY`, a registry of our own.

Other areas record through the `observe_*` helpers at the bottom; they never touch the
metric objects directly, so label values stay bounded and names stay in one place.
"""

from __future__ import annotations

import os
from collections import Counter as _Tally
from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from modelyard import __version__
from modelyard.lib.schema import PROBLEM_TYPES

MetricKind = Literal["counter", "gauge", "histogram"]
MetricSource = Literal["process", "mongodb"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric, as the exposition and the docs' metrics reference show it."""

    name: str
    """Full exposed name (counters include `_total`)."""
    kind: MetricKind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    """Histogram upper bounds (`+Inf` implied)."""
    source: MetricSource = "process"
    """`process`: counted in each server process (aggregated across workers);
    `mongodb`: computed from the database by the business collectors, the same in every process."""
    example_promql: str = ""
    multiprocess_mode: str = "all"
    """Gauges only: how values of several worker processes combine."""


HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
TRAINING_DURATION_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
PREDICTION_DURATION_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
)
DATASET_ROWS_BUCKETS = (10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0)
DATASET_BYTES_BUCKETS = (1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)
LLM_DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

# Bounded label values. Anything else is recorded as "other" so a caller's typo or a
# client's odd method cannot grow the number of series.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TRAINING_OUTCOMES = ("succeeded", "failed", "cancelled")
PREDICTION_KINDS = ("online", "batch")
LLM_OUTCOMES = ("success", "error", "timeout", "invalid_output")
UNMATCHED_ROUTE = "<unmatched>"

METRICS: list[MetricSpec] = [
    # HTTP (the outermost ASGI middleware; /metrics and /health/* are not counted)
    MetricSpec(
        "modelyard_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and response status code. Unknown paths "
        f"share the route `{UNMATCHED_ROUTE}`.",
        ("method", "route", "status_code"),
        example_promql='sum by (route) (rate(modelyard_http_requests_total{status_code=~"5.."}[5m]))',
    ),
    MetricSpec(
        "modelyard_http_request_duration_seconds",
        "histogram",
        "Time from receiving a request to sending the last byte of its response, by method and route.",
        ("method", "route"),
        HTTP_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.95, sum by (le, route) "
        "(rate(modelyard_http_request_duration_seconds_bucket[5m])))",
    ),
    MetricSpec(
        "modelyard_http_requests_in_progress",
        "gauge",
        "HTTP requests being handled right now (summed over worker processes).",
        example_promql="sum(modelyard_http_requests_in_progress)",
        multiprocess_mode="livesum",
    ),
    # ML: recorded by the training, prediction, dataset and analysis services
    MetricSpec(
        "modelyard_training_duration_seconds",
        "histogram",
        "Wall time of finished training jobs, by problem type and the algorithm of the best model "
        "(`none` when no model was produced).",
        ("problem_type", "algorithm"),
        TRAINING_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.5, sum by (le) "
        "(rate(modelyard_training_duration_seconds_bucket[1h])))",
    ),
    MetricSpec(
        "modelyard_training_jobs_finished_total",
        "counter",
        "Training jobs that reached a final status (succeeded, failed, cancelled), by problem type.",
        ("problem_type", "status"),
        example_promql="sum by (status) (increase(modelyard_training_jobs_finished_total[1h]))",
    ),
    MetricSpec(
        "modelyard_prediction_duration_seconds",
        "histogram",
        "Time to score one prediction request (online) or one batch job (batch), by problem type and kind.",
        ("problem_type", "kind"),
        PREDICTION_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.99, sum by (le) "
        '(rate(modelyard_prediction_duration_seconds_bucket{kind="online"}[5m])))',
    ),
    MetricSpec(
        "modelyard_predictions_total",
        "counter",
        "Rows scored by this server since it started, by problem type and kind (online or batch).",
        ("problem_type", "kind"),
        example_promql="sum by (kind) (rate(modelyard_predictions_total[5m]))",
    ),
    MetricSpec(
        "modelyard_dataset_upload_rows",
        "histogram",
        "Rows of each dataset accepted at upload.",
        buckets=DATASET_ROWS_BUCKETS,
        example_promql="histogram_quantile(0.5, sum by (le) "
        "(rate(modelyard_dataset_upload_rows_bucket[1d])))",
    ),
    MetricSpec(
        "modelyard_dataset_upload_bytes",
        "histogram",
        "Size of each uploaded dataset file, in bytes.",
        buckets=DATASET_BYTES_BUCKETS,
        example_promql="histogram_quantile(0.9, sum by (le) "
        "(rate(modelyard_dataset_upload_bytes_bucket[1d])))",
    ),
    MetricSpec(
        "modelyard_llm_requests_total",
        "counter",
        "Calls to the language model, by provider, model and outcome (success, error, timeout, "
        "invalid_output).",
        ("provider", "model", "outcome"),
        example_promql='sum(rate(modelyard_llm_requests_total{outcome!="success"}[10m])) '
        "/ sum(rate(modelyard_llm_requests_total[10m]))",
    ),
    MetricSpec(
        "modelyard_llm_request_duration_seconds",
        "histogram",
        "Latency of calls to the language model, by provider and model.",
        ("provider", "model"),
        LLM_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.95, sum by (le, model) "
        "(rate(modelyard_llm_request_duration_seconds_bucket[10m])))",
    ),
    MetricSpec(
        "modelyard_llm_tokens_total",
        "counter",
        "Tokens consumed by language-model calls, by provider, model and kind (prompt or completion).",
        ("provider", "model", "kind"),
        example_promql="sum by (kind) (increase(modelyard_llm_tokens_total[1d]))",
    ),
    # Business: computed from MongoDB by observability/collectors.py
    MetricSpec(
        "modelyard_registered_users",
        "gauge",
        "Accounts registered.",
        source="mongodb",
        example_promql="max(modelyard_registered_users)",
    ),
    MetricSpec(
        "modelyard_active_users",
        "gauge",
        "Accounts that made an authenticated request within the window (1d, 7d, 30d); activity is "
        "recorded with 15-minute resolution.",
        ("window",),
        source="mongodb",
        example_promql='max(modelyard_active_users{window="1d"})',
    ),
    MetricSpec(
        "modelyard_datasets_created_total",
        "counter",
        "Datasets uploaded since the database was created (deletions do not lower it).",
        source="mongodb",
        example_promql="max(increase(modelyard_datasets_created_total[7d]))",
    ),
    MetricSpec(
        "modelyard_datasets",
        "gauge",
        "Datasets currently stored.",
        source="mongodb",
        example_promql="max(modelyard_datasets)",
    ),
    MetricSpec(
        "modelyard_models_trained_total",
        "counter",
        "Models produced by successful training jobs since the database was created, by problem type.",
        ("problem_type",),
        source="mongodb",
        example_promql="max by (problem_type) (increase(modelyard_models_trained_total[7d]))",
    ),
    MetricSpec(
        "modelyard_models",
        "gauge",
        "Models currently stored, by problem type and stage (none, staging, production, archived).",
        ("problem_type", "stage"),
        source="mongodb",
        example_promql="sum by (stage) (max by (problem_type, stage) (modelyard_models))",
    ),
    MetricSpec(
        "modelyard_predictions_made_total",
        "counter",
        "Rows scored (online and batch) since the database was created, over every server process.",
        source="mongodb",
        example_promql="max(increase(modelyard_predictions_made_total[7d]))",
    ),
    MetricSpec(
        "modelyard_training_jobs",
        "gauge",
        "Training jobs by current status (queued, running, succeeded, failed, cancelled).",
        ("status",),
        source="mongodb",
        example_promql='max(modelyard_training_jobs{status="queued"})',
    ),
    MetricSpec(
        "modelyard_production_model_score",
        "gauge",
        "Held-out test score of each model in the `production` stage, by model id and metric name.",
        ("model_id", "metric"),
        source="mongodb",
        example_promql='min by (model_id) (modelyard_production_model_score{metric="roc_auc"})',
    ),
    MetricSpec(
        "modelyard_dependency_up",
        "gauge",
        "1 when the dependency (mongodb, object_store) passed its readiness probe at the last check, else 0.",
        ("dependency",),
        source="mongodb",
        example_promql="min by (dependency) (modelyard_dependency_up)",
    ),
    MetricSpec(
        "modelyard_business_metrics_refresh_timestamp_seconds",
        "gauge",
        "Unix time of the last successful refresh of the MongoDB-backed metrics.",
        source="mongodb",
        example_promql="time() - max(modelyard_business_metrics_refresh_timestamp_seconds)",
    ),
    MetricSpec(
        "modelyard_business_metrics_refresh_duration_seconds",
        "gauge",
        "How long the last refresh of the MongoDB-backed metrics took.",
        source="mongodb",
        example_promql="max(modelyard_business_metrics_refresh_duration_seconds)",
    ),
    MetricSpec(
        "modelyard_build_info",
        "gauge",
        "Always 1; the `version` label is the running Modelyard version.",
        ("version",),
        source="mongodb",
        example_promql="count by (version) (modelyard_build_info)",
    ),
]

SPECS: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}
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


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# Business counters persisted in MongoDB: the helpers tally here, the collectors' refresh
# loop adds the tallies to the database (`$inc`) and clears them. A prediction therefore
# costs no database write on the request path, and totals survive restarts and add up
# over every worker process.
PENDING_USAGE: _Tally[str] = _Tally()
USAGE_DATASETS_CREATED = "datasets_created"
USAGE_PREDICTIONS = "predictions"
USAGE_MODELS_TRAINED = "models_trained:"  # + problem type


def _bounded(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "other"


def _label(value: str | None, limit: int = 64) -> str:
    """A free-form but operator-controlled label value (algorithm, LLM model): trimmed, never empty."""
    return (value or "unknown")[:limit]


def observe_training(
    *, problem_type: str, status: str, duration_seconds: float, algorithm: str | None = None
) -> None:
    """Record a training job that reached a final status.

    Call once per job, from the event-loop process, when it becomes succeeded/failed/cancelled.
    `algorithm` is the best model's estimator family (e.g. `hist_gradient_boosting`); None when
    no model was produced. A succeeded job also counts one model trained (persisted).
    """
    problem = _bounded(problem_type, PROBLEM_TYPES)
    outcome = _bounded(status, TRAINING_OUTCOMES)
    TRAINING_FINISHED.labels(problem, outcome).inc()
    TRAINING_DURATION.labels(problem, _label(algorithm or "none")).observe(max(0.0, duration_seconds))
    if outcome == "succeeded":
        PENDING_USAGE[USAGE_MODELS_TRAINED + problem] += 1


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
        PENDING_USAGE[USAGE_PREDICTIONS] += rows


def observe_dataset_upload(*, rows: int, size_bytes: int) -> None:
    """Record a dataset accepted at upload (after parsing succeeded)."""
    DATASET_ROWS.observe(max(0, rows))
    DATASET_BYTES.observe(max(0, size_bytes))
    PENDING_USAGE[USAGE_DATASETS_CREATED] += 1


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
    "observe_llm_call",
    "observe_prediction",
    "observe_training",
]
