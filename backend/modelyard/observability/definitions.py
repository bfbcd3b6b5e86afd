"""Every metric Modelyard exposes, declared once: `METRICS` and their specs (buckets and label values
are in `bounds.py`).

The single source of truth: `metrics.py` builds the process-local objects from it, the
business metrics emit the `source="mongodb"` ones, and the docs' metrics reference is
rendered from it. Plain data: importing it touches no prometheus-client state.
"""

from __future__ import annotations

from modelyard.lib.schema import PROBLEM_TYPES
from modelyard.observability.bounds import (
    API_KEY_REQUEST_SERIES,
    API_KEY_STATES,
    CACHE_RESULTS,
    DATASET_BYTES_BUCKETS,
    DATASET_ROWS_BUCKETS,
    DB_OPERATIONS,
    GC_GENERATIONS,
    HTTP_DURATION_BUCKETS,
    HTTP_METHODS,
    JOB_KINDS,
    JOB_OUTCOMES,
    LLM_DURATION_BUCKETS,
    LLM_OUTCOMES,
    LLM_TOKEN_KINDS,
    PREDICTION_DURATION_BUCKETS,
    PREDICTION_KINDS,
    STATUS_CLASSES,
    STORE_OPERATIONS,
    TRAINING_DURATION_BUCKETS,
    TRAINING_OUTCOMES,
    UNMATCHED_ROUTE,
)
from modelyard.observability.resource_metrics import RESOURCE_METRICS
from modelyard.observability.spec import MetricSpec

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
    # Jobs: recorded by the job runner of each server process
    MetricSpec(
        "modelyard_jobs_finished_total",
        "counter",
        "Jobs this server brought to a final status, by kind (training, analysis, batch_prediction) "
        "and status (succeeded, failed, cancelled). A job cancelled while still queued never ran and "
        "is not counted; a job handed back to the queue (a restart, an outage) is counted once, when "
        "it finally ends.",
        ("kind", "status"),
        example_promql="sum by (kind, status) (increase(modelyard_jobs_finished_total[1h]))",
    ),
    *RESOURCE_METRICS,
    # Business: computed from MongoDB by workflows/business_metrics.py
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
        "modelyard_job_queue_depth",
        "gauge",
        "Jobs waiting to be claimed (status `queued`), by kind; every kind is exported, 0 included.",
        ("kind",),
        source="mongodb",
        example_promql="max by (kind) (modelyard_job_queue_depth)",
    ),
    MetricSpec(
        "modelyard_job_queue_oldest_age_seconds",
        "gauge",
        "How long the oldest queued job of each kind has waited since it was created, at the last "
        "refresh; 0 when none waits.",
        ("kind",),
        source="mongodb",
        example_promql="max by (kind) (modelyard_job_queue_oldest_age_seconds)",
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
        "modelyard_model_drift_features",
        "gauge",
        "Features (and model outputs) of the 100 newest production models by drift status over the last "
        "24 hours (`ok`, `warn`, `drift`, `insufficient_data`; see the monitoring guide for thresholds).",
        ("status",),
        source="mongodb",
        example_promql='max(modelyard_model_drift_features{status="drift"})',
    ),
    MetricSpec(
        "modelyard_model_worst_feature_psi",
        "gauge",
        "Largest PSI of any input feature of each production model over the last 24 hours, by model id "
        "(the 100 newest production models only, as for `modelyard_production_model_score`).",
        ("model_id",),
        source="mongodb",
        example_promql="topk(5, max by (model_id) (modelyard_model_worst_feature_psi))",
    ),
    MetricSpec(
        "modelyard_model_live_performance",
        "gauge",
        "Each production model's metric on its last 24 hours of predictions that received feedback "
        "(`accuracy`, `roc_auc` or `rmse`), by model id and metric (the 100 newest production models).",
        ("model_id", "metric"),
        source="mongodb",
        example_promql='min by (model_id) (modelyard_model_live_performance{metric="accuracy"})',
    ),
    MetricSpec(
        "modelyard_model_feedback_delay_seconds",
        "gauge",
        "Median time from a production model's prediction to its feedback over the last 24 hours, by "
        "model id (the 100 newest production models).",
        ("model_id",),
        source="mongodb",
        example_promql="max by (model_id) (modelyard_model_feedback_delay_seconds)",
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

LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "method": (*sorted(HTTP_METHODS), "other"),
    "problem_type": (*PROBLEM_TYPES, "other"),
    "status_class": (*STATUS_CLASSES, "other"),
    "kind (jobs)": JOB_KINDS,
    "status (jobs)": JOB_OUTCOMES,
    "status (training)": TRAINING_OUTCOMES,
    "kind (predictions)": PREDICTION_KINDS,
    "outcome (LLM)": LLM_OUTCOMES,
    "kind (LLM tokens)": LLM_TOKEN_KINDS,
    "generation": GC_GENERATIONS,
    "result (model cache)": CACHE_RESULTS,
    "operation (database)": DB_OPERATIONS,
    "operation (object store)": STORE_OPERATIONS,
    "scope (API keys)": tuple(dict.fromkeys(scope for scope, _ in API_KEY_REQUEST_SERIES)),
    "outcome (API keys)": tuple(dict.fromkeys(outcome for _, outcome in API_KEY_REQUEST_SERIES)),
    "state (API keys)": API_KEY_STATES,
}
"""The fixed label value sets, for the metrics reference (anything else is recorded as `other`)."""
