"""Every metric Modelyard exposes, declared once: `METRICS`, their specs, buckets and label values.

The single source of truth: `metrics.py` builds the process-local objects from it, the
business metrics emit the `source="mongodb"` ones, and the docs' metrics reference is
rendered from it. Plain data: importing it touches no prometheus-client state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


# Fine steps between 1 and 10 s (a bucket's quantile is interpolated inside it: with only 5 and 10,
# requests that all took 5.0-5.5 s showed p50/p95/p99 = 7.5/9.75/9.95 s).
HTTP_DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    2.5,
    3.0,
    4.0,
    5.0,
    6.0,
    7.5,
    10.0,
    15.0,
    30.0,
)
TRAINING_DURATION_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
# Sub-10 ms resolution: a compiled tree scores a row in well under a millisecond.
PREDICTION_DURATION_BUCKETS = (
    0.0005,
    0.001,
    0.0015,
    0.002,
    0.003,
    0.004,
    0.005,
    0.0075,
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
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
"""Pre-created for every route and method, so the first 5xx of a route is counted (see below)."""
LLM_TOKEN_KINDS = ("prompt", "completion")
GC_GENERATIONS = ("0", "1", "2")
CACHE_RESULTS = ("hit", "miss")
API_KEY_STATES = ("active", "expired")
API_KEY_REQUEST_SERIES = (("read", "allowed"), ("predict", "allowed"), ("none", "forbidden"))

METRICS: list[MetricSpec] = [
    # HTTP (the outermost ASGI middleware; /metrics and /health/* are not counted)
    MetricSpec(
        "modelyard_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and response status code. Unknown paths "
        f"share the route `{UNMATCHED_ROUTE}`.",
        ("method", "route", "status_code"),
        example_promql='sum by (status_code) (rate(modelyard_http_requests_total{status_code=~"4.."}[5m]))',
    ),
    MetricSpec(
        "modelyard_http_responses_total",
        "counter",
        "HTTP responses by method, route template and status class (2xx, 3xx, 4xx, 5xx; `other` for "
        "anything else). Every route x method x class series exists at 0 from process start, so "
        "`rate()`/`increase()` count the first response of each class; use it for ratios, counts and "
        "alerts, and `modelyard_http_requests_total` for the exact codes (a code's series is born at "
        "its first response, whose increase Prometheus cannot see).",
        ("method", "route", "status_class"),
        example_promql='sum by (route) (rate(modelyard_http_responses_total{status_class="5xx"}[5m]))',
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
    # Saturation: sampled every second by observability/runtime.py in each worker process
    MetricSpec(
        "modelyard_process_cpu_seconds_total",
        "counter",
        "CPU time (user + system) used by the server processes, summed over workers (process pool "
        "children excluded).",
        example_promql="sum by (instance) (rate(modelyard_process_cpu_seconds_total[5m]))",
    ),
    MetricSpec(
        "modelyard_process_resident_memory_bytes",
        "gauge",
        "Resident memory of each live server process (a `pid` label per worker in multiprocess mode).",
        example_promql="max by (instance, pid) (modelyard_process_resident_memory_bytes)",
        multiprocess_mode="liveall",
    ),
    MetricSpec(
        "modelyard_process_open_fds",
        "gauge",
        "Open file descriptors of each live server process (`pid` label per worker in multiprocess mode).",
        example_promql="max by (instance, pid) (modelyard_process_open_fds)",
        multiprocess_mode="liveall",
    ),
    MetricSpec(
        "modelyard_event_loop_lag_seconds",
        "gauge",
        "How late the event loop woke a 1-second timer at the last sample, per live process: time the "
        "loop spent on something else (blocking code on the request path).",
        example_promql="max(modelyard_event_loop_lag_seconds)",
        multiprocess_mode="liveall",
    ),
    MetricSpec(
        "modelyard_python_gc_collections_total",
        "counter",
        "Garbage-collector runs of the server processes, by generation (0, 1, 2), summed over workers.",
        ("generation",),
        example_promql="sum by (generation) (rate(modelyard_python_gc_collections_total[5m]))",
    ),
    MetricSpec(
        "modelyard_model_cache_bytes",
        "gauge",
        "Artifact bytes of the models held by the online-prediction cache, summed over workers.",
        example_promql="sum by (instance) (modelyard_model_cache_bytes)",
        multiprocess_mode="livesum",
    ),
    MetricSpec(
        "modelyard_model_cache_entries",
        "gauge",
        "Models held by the online-prediction cache, summed over workers.",
        example_promql="sum by (instance) (modelyard_model_cache_entries)",
        multiprocess_mode="livesum",
    ),
    MetricSpec(
        "modelyard_model_cache_lookups_total",
        "counter",
        "Online-prediction model lookups, by result: `hit` (served from the cache) or `miss` (loaded).",
        ("result",),
        example_promql='sum(rate(modelyard_model_cache_lookups_total{result="hit"}[5m])) '
        "/ sum(rate(modelyard_model_cache_lookups_total[5m]))",
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
        "Held-out test score of each model in the `production` stage, by model id and metric name "
        "(the 100 newest production models only: model ids are user-controlled).",
        ("model_id", "metric"),
        source="mongodb",
        example_promql='min by (model_id) (modelyard_production_model_score{metric="roc_auc"})',
    ),
    MetricSpec(
        "modelyard_api_key_requests_total",
        "counter",
        "Requests made with an API key, by the key scope that let them through (`read`, `predict`) and "
        "outcome: `allowed`, or `forbidden` (scope `none`: a 403). Per-key counts: `use_count` in the API.",
        ("scope", "outcome"),
        source="mongodb",
        example_promql='sum by (scope) (rate(modelyard_api_key_requests_total{outcome="allowed"}[5m]))',
    ),
    MetricSpec(
        "modelyard_api_keys",
        "gauge",
        "API keys stored, by state (`active`, `expired`); revoked keys are deleted.",
        ("state",),
        source="mongodb",
        example_promql='max(modelyard_api_keys{state="active"})',
    ),
    MetricSpec(
        "modelyard_api_keys_used",
        "gauge",
        "API keys that authenticated a request within the window (1d, 7d, 30d).",
        ("window",),
        source="mongodb",
        example_promql='max(modelyard_api_keys_used{window="1d"})',
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
