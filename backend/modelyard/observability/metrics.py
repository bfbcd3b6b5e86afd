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

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from modelyard import __version__
from modelyard.lib.schema import PROBLEM_TYPES
from modelyard.observability.definitions import (
    LLM_OUTCOMES,
    METRICS,
    PREDICTION_KINDS,
    SPECS,
    TRAINING_OUTCOMES,
    UNMATCHED_ROUTE,
    MetricSpec,
)

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
    "observe_llm_call",
    "observe_prediction",
    "observe_training",
]
