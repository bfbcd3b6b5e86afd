"""Grafana dashboards as code (grafana-foundation-sdk 11.x).

    python observability/grafana/dashboards.py           # regenerate dashboards/*.json
    python observability/grafana/dashboards.py --check   # fail if the committed JSON is stale

The panels are declared as data (`DASHBOARDS`) so tests can run every query against a
real Prometheus. Business series come from MongoDB and are identical in every process
and replica: they are aggregated with `max`, never `sum`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    FieldColorModeId,
    Threshold,
    ThresholdsMode,
    VariableOption,
    VariableRefresh,
)

OUT_DIR = Path(__file__).parent / "dashboards"
RUNBOOK_BASE = "https://modelyard.dev/docs/runbook/alerts/"
RUNBOOK_INDEX = "https://modelyard.dev/docs/runbook/"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
REFRESH = "30s"

PanelKind = Literal["timeseries", "stat", "piechart"]


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = "__auto"


@dataclass(frozen=True)
class PanelSpec:
    title: str
    kind: PanelKind
    queries: tuple[Query, ...]
    description: str
    unit: str = "short"
    width: int = 12
    height: int = 8
    runbook: str | None = None
    """Alert name in kebab case; the panel links to that runbook page."""
    thresholds: tuple[tuple[float | None, str], ...] = ((None, "blue"),)
    """Stat panels: (from value, colour) steps, the first from minus infinity; alert thresholds."""
    truth: str | None = None
    """A count panel: the name of the event count it must equal (the live-truth test checks it)."""


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str
    description: str
    panels: list[PanelSpec] = field(default_factory=list)


# Every query is narrowed to the dashboard's `job` and `instance` variables. Raw series get both
# matchers; recording-rule series (`level:metric:operation`) are aggregated by job only.
_RAW_SERIES = re.compile(r"(?<![\w:$])(modelyard_[a-z0-9_]+|up)\b(\{[^}]*\})?(?!\()")
_RULE_SERIES = re.compile(r"(?<![\w:])([a-z_]+:modelyard_[a-z0-9_]+:[a-z0-9_]+)(\{[^}]*\})?")
JOB = 'job=~"$job"'
INSTANCE = 'instance=~"$instance"'


def _narrow(match: re.Match[str], matchers: str) -> str:
    existing = (match.group(2) or "{}")[1:-1].strip()
    return match.group(1) + "{" + ", ".join(filter(None, (matchers, existing))) + "}"


def q(expr: str, legend: str = "__auto") -> Query:
    expr = " ".join(expr.split())
    expr = _RAW_SERIES.sub(lambda match: _narrow(match, f"{JOB}, {INSTANCE}"), expr)
    expr = _RULE_SERIES.sub(lambda match: _narrow(match, JOB), expr)
    return Query(expr, legend)


COUNTED = (
    " A whole number that equals what happened: the counter's difference over the window, not "
    "`increase()`, which extrapolates to the window's edges (it read 4.03 for 4 datasets and 54 for "
    "53 rows). A series born inside the window counts in full; across a restart inside the window, "
    "`round(increase())` takes over."
)


def counted(metric: str, window: str) -> str:
    """Exact events of each `metric` series over `window` (see `COUNTED`); aggregate the result."""
    return (
        f"(({metric} - {metric} offset {window}) unless (resets({metric}[{window}]) > 0))"
        f" or (round(increase({metric}[{window}])) and (resets({metric}[{window}]) > 0))"
        f" or ({metric} unless {metric} offset {window})"
    )


OK_BAD = ((None, "red"), (1.0, "green"))
"""1 healthy, 0 failing (API up, dependencies ready)."""


RATE = "$__rate_interval"

SYSTEM = DashboardSpec(
    "modelyard-system",
    "Modelyard / System health",
    "HTTP traffic, latency and errors of the Modelyard API, and the readiness of its dependencies.",
    [
        PanelSpec(
            "Requests per second",
            "stat",
            (q(f"sum(rate(modelyard_http_responses_total[{RATE}]))", "req/s"),),
            "All API requests (health probes and scrapes excluded).",
            "reqps",
            width=4,
            height=4,
        ),
        PanelSpec(
            "Requests (time range)",
            "stat",
            (q(f"sum({counted('modelyard_http_responses_total', '$__range')})", "requests"),),
            "API requests answered over the dashboard's time range (health probes and scrapes excluded)."
            + COUNTED,
            width=4,
            height=4,
            truth="requests",
        ),
        PanelSpec(
            "5xx ratio (5m)",
            "stat",
            (q("max(job:modelyard_http_5xx_ratio:rate5m)", "5xx ratio"),),
            "Share of all requests answered with a 5xx status over 5 minutes, against the 0.5% "
            "error budget of the 99.5% availability SLO: orange above 1.5% (3x the budget's rate, "
            "the ticket's threshold over a day), red above 7.2% (14.4x, the page's threshold over an hour).",
            "percentunit",
            width=4,
            height=4,
            runbook="modelyard-error-budget-burn",
            thresholds=((None, "green"), (0.015, "orange"), (0.072, "red")),
        ),
        PanelSpec(
            "p95 latency (5m)",
            "stat",
            (q("max(job:modelyard_http_request_duration_seconds:p95_5m)", "p95"),),
            "95th percentile of request duration over all routes; orange above 1 s, the latency SLO's "
            "bound. What pages is the share of requests slower than 1 s (`Requests slower than 1 s`, "
            "the latency budget burn), not this percentile.",
            "s",
            width=4,
            height=4,
            runbook="modelyard-latency-budget-burn",
            thresholds=((None, "green"), (1.0, "orange")),
        ),
        PanelSpec(
            "In-progress requests",
            "stat",
            (q("sum(modelyard_http_requests_in_progress)", "in progress"),),
            "Requests being handled right now, over all worker processes.",
            width=4,
            height=4,
        ),
        PanelSpec(
            "API up",
            "stat",
            (q("min(up)", "up"),),
            "1 when Prometheus can scrape every Modelyard target; 0 (red) pages after 2 minutes.",
            width=4,
            height=4,
            runbook="modelyard-down",
            thresholds=OK_BAD,
        ),
        PanelSpec(
            "Dependencies ready",
            "stat",
            (q("min by (dependency) (modelyard_dependency_up)", "{{dependency}}"),),
            "1 when the dependency passes its readiness probe (checked with every metrics refresh); "
            "0 (red) pages after 2 minutes.",
            width=4,
            height=4,
            runbook="modelyard-not-ready",
            thresholds=OK_BAD,
        ),
        PanelSpec(
            "Business metrics age",
            "stat",
            (q("time() - max(modelyard_business_metrics_refresh_timestamp_seconds)", "age"),),
            "Seconds since the MongoDB-backed numbers were last refreshed (every 15 s by default). "
            "The stale alert pages a ticket when this stays above 300 s for 5 minutes.",
            "s",
            width=4,
            height=4,
            runbook="modelyard-business-metrics-stale",
            thresholds=((None, "green"), (60.0, "orange"), (300.0, "red")),
        ),
        PanelSpec(
            "Latency p50 / p95 / p99",
            "timeseries",
            tuple(
                q(
                    f"histogram_quantile({quantile}, sum by (le) "
                    f"(rate(modelyard_http_request_duration_seconds_bucket[{RATE}])))",
                    f"p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.95, 0.99)
            ),
            "Request duration percentiles over all routes.",
            "s",
            runbook="modelyard-latency-budget-burn",
        ),
        PanelSpec(
            "p95 latency by route",
            "timeseries",
            (q("max by (route) (job_route:modelyard_http_request_duration_seconds:p95_5m)", "{{route}}"),),
            "95th percentile of request duration per route template, over 5 minutes.",
            "s",
        ),
        PanelSpec(
            "Throughput by route",
            "timeseries",
            (q(f"sum by (route) (rate(modelyard_http_responses_total[{RATE}]))", "{{route}}"),),
            "Requests per second per route template; unknown paths share `<unmatched>`.",
            "reqps",
        ),
        PanelSpec(
            "Error ratio (5xx / all)",
            "timeseries",
            (q("max(job:modelyard_http_5xx_ratio:rate5m)", "5xx ratio"),),
            "Share of all requests answered with a 5xx status, over 5 minutes.",
            "percentunit",
            runbook="modelyard-error-budget-burn",
        ),
        PanelSpec(
            "5xx by status",
            "timeseries",
            (
                q(
                    "sum by (status_code) "
                    f'(rate(modelyard_http_requests_total{{status_code=~"5.."}}[{RATE}]))',
                    "{{status_code}}",
                ),
            ),
            "Server errors per second, by exact status code. A code's series is born at its first "
            "response, which `rate()` cannot see: the status-class panels count every one.",
            "reqps",
            runbook="modelyard-error-budget-burn",
        ),
        PanelSpec(
            "4xx by status",
            "timeseries",
            (
                q(
                    "sum by (status_code) "
                    f'(rate(modelyard_http_requests_total{{status_code=~"4.."}}[{RATE}]))',
                    "{{status_code}}",
                ),
            ),
            "Client errors per second, by exact status code (401 authentication, 404 unknown, "
            "413 too large, 429 rate limited, 422 invalid input). A code's first response is not in "
            "`rate()`: the status-class panels count every one.",
            "reqps",
        ),
        PanelSpec(
            "Status-class mix",
            "piechart",
            (
                q(
                    f"sum by (status_class) ({counted('modelyard_http_responses_total', '$__range')})",
                    "{{status_class}}",
                ),
            ),
            "Responses by status class (2xx, 3xx, 4xx, 5xx) over the dashboard's time range. By class, "
            "not exact code: the class series exist from process start, so no first response is lost."
            + COUNTED,
            truth="responses_by_class",
        ),
        PanelSpec(
            "In-progress requests over time",
            "timeseries",
            (q("sum(modelyard_http_requests_in_progress)", "in progress"),),
            "Concurrent requests; a steady climb means requests are stuck.",
        ),
        PanelSpec(
            "CPU per instance",
            "timeseries",
            (
                q(
                    f"sum by (instance) (rate(modelyard_process_cpu_seconds_total[{RATE}]))",
                    "{{instance}}",
                ),
            ),
            "CPU cores used by the server processes of each instance (all workers; the process pool "
            "that trains and scores batches is not included).",
        ),
        PanelSpec(
            "Resident memory per worker",
            "timeseries",
            (q("max by (instance, pid) (modelyard_process_resident_memory_bytes)", "{{instance}} {{pid}}"),),
            "Resident memory of each server process; a steady climb is a leak (the model cache is bounded).",
            "bytes",
        ),
        PanelSpec(
            "Open file descriptors per worker",
            "timeseries",
            (q("max by (instance, pid) (modelyard_process_open_fds)", "{{instance}} {{pid}}"),),
            "Open files and sockets of each server process; a climb towards the limit (`ulimit -n`) "
            "ends in failed connections.",
        ),
        PanelSpec(
            "Event-loop lag",
            "timeseries",
            (q("max by (instance, pid) (modelyard_event_loop_lag_seconds)", "{{instance}} {{pid}}"),),
            "How late each worker's event loop woke a 1-second timer: above ~50 ms, something blocks the "
            "loop and every request on that worker waits. A 5-minute average above 100 ms for 5 minutes "
            "opens a ticket (ModelyardEventLoopLagHigh).",
            "s",
            runbook="modelyard-event-loop-lag-high",
        ),
        PanelSpec(
            "GC collections",
            "timeseries",
            (
                q(
                    f"sum by (generation) (rate(modelyard_python_gc_collections_total[{RATE}]))",
                    "gen {{generation}}",
                ),
            ),
            "Python garbage-collector runs per second, by generation; frequent generation-2 runs "
            "pause every request of the worker.",
            "ops",
        ),
        PanelSpec(
            "Requests slower than 1 s (5m)",
            "stat",
            (q("max(job:modelyard_http_slow_ratio:rate5m)", "slow"),),
            "Share of requests that took more than 1 s over 5 minutes, against the 1% budget of the "
            "latency SLO (99% within 1 s): orange above 3% (3x the budget's rate, the ticket's threshold "
            "over a day), red above 14.4% (the page's threshold over an hour).",
            "percentunit",
            width=4,
            height=4,
            runbook="modelyard-latency-budget-burn",
            thresholds=((None, "green"), (0.03, "orange"), (0.144, "red")),
        ),
        PanelSpec(
            "Process pool",
            "timeseries",
            (
                q(
                    "sum by (instance, pid) (modelyard_process_pool_busy_workers)",
                    "busy {{instance}} {{pid}}",
                ),
                q(
                    "sum by (instance, pid) (modelyard_process_pool_queued_tasks)",
                    "waiting {{instance}} {{pid}}",
                ),
                q("sum by (instance, pid) (modelyard_process_pool_workers)", "workers {{instance}} {{pid}}"),
            ),
            "Each server process's pool for CPU work (profiling, training, batch scoring): workers "
            "running a task, tasks waiting for one, and the pool's size. Tasks waiting for 15 minutes "
            "open a ticket (ModelyardProcessPoolBackedUp): uploads wait behind long trainings.",
            runbook="modelyard-process-pool-backed-up",
        ),
        PanelSpec(
            "File descriptors used (of the limit)",
            "stat",
            (
                q(
                    "max by (instance, pid) (modelyard_process_open_fds / modelyard_process_max_fds)",
                    "{{instance}} {{pid}}",
                ),
            ),
            "Share of its open-file limit (`ulimit -n`) each server process holds: orange above 80%, "
            "red above 90%, which pages after 5 minutes (ModelyardFileDescriptorsNearLimit).",
            "percentunit",
            width=6,
            height=4,
            runbook="modelyard-file-descriptors-near-limit",
            thresholds=((None, "green"), (0.8, "orange"), (0.9, "red")),
        ),
        PanelSpec(
            "Database latency p95 by operation",
            "timeseries",
            (
                q(
                    "histogram_quantile(0.95, sum by (le, operation) "
                    f"(rate(modelyard_db_operation_duration_seconds_bucket[{RATE}])))",
                    "{{operation}}",
                ),
            ),
            "95th percentile of MongoDB command time, by operation (the command: find, insert, "
            "findAndModify, aggregate, ...), as the driver measures it.",
            "s",
        ),
        PanelSpec(
            "Database errors by operation",
            "timeseries",
            (
                q(
                    f"sum by (operation) (rate(modelyard_db_operation_errors_total[{RATE}]))",
                    "{{operation}}",
                ),
            ),
            "MongoDB commands that failed per second (network errors, timeouts, server errors). While "
            "the database is down no command is sent: see `Dependencies ready`.",
            "ops",
        ),
        PanelSpec(
            "Object-store latency p95 by operation",
            "timeseries",
            (
                q(
                    "histogram_quantile(0.95, sum by (le, operation) "
                    f"(rate(modelyard_object_store_operation_duration_seconds_bucket[{RATE}])))",
                    "{{operation}}",
                ),
            ),
            "95th percentile of time spent in the object store per call, by operation (put, stream, "
            "get_range, ...); streamed uploads and downloads exclude the client's time.",
            "s",
        ),
        PanelSpec(
            "Object-store errors by operation",
            "timeseries",
            (
                q(
                    f"sum by (operation) (rate(modelyard_object_store_operation_errors_total[{RATE}]))",
                    "{{operation}}",
                ),
            ),
            "Object-store calls that failed per second (a missing key is an answer, not an error).",
            "ops",
        ),
    ],
)

ML = DashboardSpec(
    "modelyard-ml",
    "Modelyard / ML operations",
    "Training jobs, predictions, dataset sizes and language-model calls.",
    [
        PanelSpec(
            "Training jobs finished (24h)",
            "stat",
            (q(f"sum({counted('modelyard_training_jobs_finished_total', '24h')})", "jobs"),),
            "Training jobs that reached a final status in the last 24 hours." + COUNTED,
            width=6,
            height=4,
            truth="training_jobs_finished",
        ),
        PanelSpec(
            "Rows predicted (24h)",
            "stat",
            (q(f"sum({counted('modelyard_predictions_total', '24h')})", "rows"),),
            "Rows scored online and in batch in the last 24 hours." + COUNTED,
            width=6,
            height=4,
            truth="rows_predicted",
        ),
        PanelSpec(
            "Datasets uploaded (24h)",
            "stat",
            (q(f"max({counted('modelyard_datasets_created_total', '24h')})", "datasets"),),
            "Datasets accepted at upload in the last 24 hours (from the database)." + COUNTED,
            width=6,
            height=4,
            truth="datasets_created",
        ),
        PanelSpec(
            "LLM tokens (24h)",
            "stat",
            (q(f"sum({counted('modelyard_llm_tokens_total', '24h')})", "tokens"),),
            "Prompt and completion tokens used in the last 24 hours." + COUNTED,
            width=6,
            height=4,
            truth="llm_tokens",
        ),
        PanelSpec(
            "Training duration p50 / p95",
            "timeseries",
            tuple(
                q(
                    f"histogram_quantile({quantile}, sum by (le) "
                    "(rate(modelyard_training_duration_seconds_bucket[1h])))",
                    f"p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.95)
            ),
            "Wall time of finished training jobs over the last hour.",
            "s",
        ),
        PanelSpec(
            "Training job outcomes (1h)",
            "timeseries",
            (
                q(
                    f"sum by (status) ({counted('modelyard_training_jobs_finished_total', '1h')})",
                    "{{status}}",
                ),
            ),
            "Training jobs finished in the hour before each point, by outcome." + COUNTED,
            runbook="modelyard-training-failure-ratio-high",
            truth="training_jobs_by_status",
        ),
        PanelSpec(
            "Training jobs by status",
            "timeseries",
            (q("max by (status) (modelyard_training_jobs)", "{{status}}"),),
            "Training jobs in each status, from the database. A growing `queued` line is a backlog.",
            runbook="modelyard-training-backlog-growing",
        ),
        PanelSpec(
            "Training failure ratio (1h)",
            "timeseries",
            (q("max(job:modelyard_training_failure_ratio:1h)", "failed / finished"),),
            "Share of training jobs finished in the last hour that failed.",
            "percentunit",
            runbook="modelyard-training-failure-ratio-high",
        ),
        PanelSpec(
            "Online prediction latency p50 / p99",
            "timeseries",
            tuple(
                q(
                    f"histogram_quantile({quantile}, sum by (le) "
                    f'(rate(modelyard_prediction_duration_seconds_bucket{{kind="online"}}[{RATE}])))',
                    f"p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.99)
            ),
            "Scoring time of online prediction requests. Alert when p99 stays above 0.5 s.",
            "s",
            runbook="modelyard-high-prediction-latency",
        ),
        PanelSpec(
            "Prediction throughput",
            "timeseries",
            (q(f"sum by (kind) (rate(modelyard_predictions_total[{RATE}]))", "{{kind}}"),),
            "Rows scored per second, online and batch.",
            "rowsps",
        ),
        PanelSpec(
            "Production model scores",
            "timeseries",
            (q("max by (model_id, metric) (modelyard_production_model_score)", "{{model_id}} {{metric}}"),),
            "Held-out test score of each model in the production stage.",
            runbook="modelyard-production-model-score-low",
        ),
        PanelSpec(
            "Dataset size at upload (rows)",
            "timeseries",
            tuple(
                q(
                    f"histogram_quantile({quantile}, sum by (le) "
                    "(rate(modelyard_dataset_upload_rows_bucket[1d])))",
                    f"p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.9)
            ),
            "Median and 90th percentile of uploaded datasets' row counts over the last day.",
        ),
        PanelSpec(
            "Dataset size at upload (bytes)",
            "timeseries",
            tuple(
                q(
                    f"histogram_quantile({quantile}, sum by (le) "
                    "(rate(modelyard_dataset_upload_bytes_bucket[1d])))",
                    f"p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.9)
            ),
            "Median and 90th percentile of uploaded file sizes over the last day.",
            "bytes",
        ),
        PanelSpec(
            "LLM calls by outcome",
            "timeseries",
            (q(f"sum by (outcome) (rate(modelyard_llm_requests_total[{RATE}]))", "{{outcome}}"),),
            "Language-model calls per second: success, error, timeout, invalid output.",
            "reqps",
        ),
        PanelSpec(
            "LLM error ratio (10m)",
            "timeseries",
            (q("max(job:modelyard_llm_error_ratio:rate10m)", "errors / calls"),),
            "Share of language-model calls that did not succeed.",
            "percentunit",
            runbook="modelyard-llm-error-ratio-high",
        ),
        PanelSpec(
            "LLM latency p95",
            "timeseries",
            (
                q(
                    "histogram_quantile(0.95, sum by (le, model) "
                    f"(rate(modelyard_llm_request_duration_seconds_bucket[{RATE}])))",
                    "{{model}}",
                ),
            ),
            "95th percentile of language-model call latency, by model.",
            "s",
        ),
        PanelSpec(
            "LLM tokens per hour",
            "timeseries",
            (q(f"sum by (kind) ({counted('modelyard_llm_tokens_total', '1h')})", "{{kind}}"),),
            "Prompt and completion tokens used in the hour before each point." + COUNTED,
            truth="llm_tokens_by_kind",
        ),
        PanelSpec(
            "Model cache",
            "timeseries",
            (
                q("sum(modelyard_model_cache_bytes)", "bytes held"),
                q("sum(modelyard_model_cache_entries)", "models held"),
            ),
            "Models held by the online-prediction cache (bounded by bytes, "
            "`MODELYARD_PREDICTIONS_MODEL_CACHE_BYTES`) over all workers.",
        ),
        PanelSpec(
            "Model cache hit ratio",
            "timeseries",
            (
                q(
                    f'sum(rate(modelyard_model_cache_lookups_total{{result="hit"}}[{RATE}])) '
                    f"/ sum(rate(modelyard_model_cache_lookups_total[{RATE}]))",
                    "hits / lookups",
                ),
            ),
            "Share of online predictions served by an already loaded model; a low ratio means models "
            "are loaded again and again (the cache is too small for the models in use).",
            "percentunit",
        ),
        PanelSpec(
            "Job queue depth by kind",
            "timeseries",
            (q("max by (kind) (modelyard_job_queue_depth)", "{{kind}}"),),
            "Jobs waiting to start, by kind (training, analysis, batch prediction), from the database: "
            "the same in every process, so `max`, never `sum`.",
        ),
        PanelSpec(
            "Oldest queued job by kind",
            "stat",
            (q("max by (kind) (modelyard_job_queue_oldest_age_seconds)", "{{kind}}"),),
            "How long the oldest queued job of each kind has waited (0: none waits): orange above 30 "
            "minutes, red above an hour, which pages after 5 minutes (ModelyardJobQueueOldestAgeHigh).",
            "s",
            width=6,
            height=4,
            runbook="modelyard-job-queue-oldest-age-high",
            thresholds=((None, "green"), (1800.0, "orange"), (3600.0, "red")),
        ),
        PanelSpec(
            "Job outcomes by kind (1h)",
            "timeseries",
            (
                q(
                    f"sum by (kind, status) ({counted('modelyard_jobs_finished_total', '1h')})",
                    "{{kind}} {{status}}",
                ),
            ),
            "Jobs of every kind (training, analysis, batch prediction) finished in the hour before each "
            "point, by final status." + COUNTED,
            truth="jobs_by_kind_and_status",
        ),
        PanelSpec(
            "Worst feature drift (PSI, 24h)",
            "timeseries",
            (q("max by (model_id) (modelyard_model_worst_feature_psi)", "{{model_id}}"),),
            "Largest input-feature PSI of each production model over the last 24 hours: 0.05 is `warn`, "
            "0.15 `drift` (ModelyardFeatureDrift fires after an hour above it).",
            runbook="modelyard-feature-drift",
        ),
        PanelSpec(
            "Features by drift status",
            "timeseries",
            (q("max by (status) (modelyard_model_drift_features)", "{{status}}"),),
            "Features and outputs of production models by drift status over the last 24 hours.",
            runbook="modelyard-feature-drift",
        ),
        PanelSpec(
            "Live performance vs training",
            "timeseries",
            (
                q(
                    "max by (model_id, metric) (modelyard_model_live_performance)",
                    "{{model_id}} {{metric}} live",
                ),
                q(
                    "max by (model_id, metric) "
                    '(modelyard_production_model_score{metric=~"accuracy|roc_auc"})',
                    "{{model_id}} {{metric}} at training",
                ),
            ),
            "Each production model's metric on predictions that received feedback (24h) next to its "
            "held-out score at training.",
            runbook="modelyard-live-performance-drop",
        ),
        PanelSpec(
            "Feedback delay (median, 24h)",
            "timeseries",
            (q("max by (model_id) (modelyard_model_feedback_delay_seconds)", "{{model_id}}"),),
            "Median time from a prediction to its feedback: live performance lags by at least this.",
            "s",
        ),
    ],
)

BUSINESS = DashboardSpec(
    "modelyard-business",
    "Modelyard / Business",
    "Users, datasets, models and predictions, computed from the database "
    "(correct across restarts and workers).",
    [
        PanelSpec(
            "Registered users",
            "stat",
            (q("max(modelyard_registered_users)", "users"),),
            "Accounts registered.",
            width=4,
            height=4,
            truth="users",
        ),
        PanelSpec(
            "Daily active users",
            "stat",
            (q('max(modelyard_active_users{window="1d"})', "DAU"),),
            "Accounts that made an authenticated request in the last 24 hours.",
            width=4,
            height=4,
        ),
        PanelSpec(
            "Datasets created (7d)",
            "stat",
            (q(f"max({counted('modelyard_datasets_created_total', '7d')})", "datasets"),),
            "Datasets uploaded in the last 7 days." + COUNTED,
            width=4,
            height=4,
            truth="datasets_created",
        ),
        PanelSpec(
            "Models trained (7d)",
            "stat",
            (
                q(
                    f"sum(max by (problem_type) ({counted('modelyard_models_trained_total', '7d')}))",
                    "models",
                ),
            ),
            "Models produced by successful training jobs in the last 7 days." + COUNTED,
            width=4,
            height=4,
            truth="models_trained",
        ),
        PanelSpec(
            "Predictions (7d)",
            "stat",
            (q(f"max({counted('modelyard_predictions_made_total', '7d')})", "rows"),),
            "Rows scored in the last 7 days." + COUNTED,
            width=4,
            height=4,
            truth="rows_predicted",
        ),
        PanelSpec(
            "Users week over week",
            "stat",
            (
                q(
                    "(max(modelyard_registered_users) - max(modelyard_registered_users offset 1w))"
                    " / max(modelyard_registered_users offset 1w)",
                    "growth",
                ),
            ),
            "Growth of registered users against the same time last week.",
            "percentunit",
            width=4,
            height=4,
            thresholds=((None, "orange"), (0.0, "green")),
        ),
        PanelSpec(
            "Active users (DAU / WAU / MAU)",
            "timeseries",
            (q("max by (window) (modelyard_active_users)", "{{window}}"),),
            "Accounts active within 1, 7 and 30 days.",
        ),
        PanelSpec(
            "Registered users and stored datasets",
            "timeseries",
            (
                q("max(modelyard_registered_users)", "users"),
                q("max(modelyard_datasets)", "datasets stored"),
            ),
            "Totals over time, from the database.",
        ),
        PanelSpec(
            "Problem-type mix (models trained)",
            "piechart",
            (q("round(max by (problem_type) (modelyard_models_trained_total))", "{{problem_type}}"),),
            "Models trained since the start, by problem type.",
        ),
        PanelSpec(
            "Models by stage",
            "piechart",
            (q("sum by (stage) (max by (problem_type, stage) (modelyard_models))", "{{stage}}"),),
            "Models currently stored, by registry stage.",
        ),
        PanelSpec(
            "Daily totals",
            "timeseries",
            (
                q(f"max({counted('modelyard_datasets_created_total', '1d')})", "datasets created"),
                q(
                    f"sum(max by (problem_type) ({counted('modelyard_models_trained_total', '1d')}))",
                    "models trained",
                ),
                q(f"max({counted('modelyard_predictions_made_total', '1d')})", "predictions"),
            ),
            "Datasets, models and predictions in the day before each point." + COUNTED,
        ),
        PanelSpec(
            "Predictions week over week",
            "stat",
            (
                q(
                    "max(increase(modelyard_predictions_made_total[7d]))"
                    " / max(increase(modelyard_predictions_made_total[7d] offset 1w)) - 1",
                    "growth",
                ),
            ),
            "Rows scored in the last 7 days against the 7 days before.",
            "percentunit",
            thresholds=((None, "orange"), (0.0, "green")),
        ),
    ],
)

DASHBOARDS = [SYSTEM, ML, BUSINESS]


def _links(spec: PanelSpec) -> list[dash.DashboardLink]:
    if not spec.runbook:
        return []
    return [dash.DashboardLink("Runbook").type(DashboardLinkType.LINK).url(RUNBOOK_BASE + spec.runbook + "/")]


def _targets(spec: PanelSpec) -> list[prometheus.Dataquery]:
    targets = []
    for index, query in enumerate(spec.queries):
        target = (
            prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(chr(ord("A") + index))
        )
        targets.append(target.instant() if spec.kind == "piechart" else target.range())
    return targets


def _thresholds(spec: PanelSpec) -> dash.ThresholdsConfig:
    steps = [Threshold(value=value, color=color) for value, color in spec.thresholds]
    return dash.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def _panel(spec: PanelSpec, panel_id: int) -> stat.Panel | timeseries.Panel | piechart.Panel:
    panel: stat.Panel | timeseries.Panel | piechart.Panel
    if spec.kind == "stat":
        panel = (
            stat.Panel()
            .graph_mode(common_model.BigValueGraphMode.AREA)
            .reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]))
            .thresholds(_thresholds(spec))
            .color_scheme(dash.FieldColor().mode(FieldColorModeId.THRESHOLDS))
        )
    elif spec.kind == "piechart":
        panel = (
            piechart.Panel()
            .reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]))
            .legend(
                piechart.PieChartLegendOptions()
                .show_legend(True)
                .placement(common_model.LegendPlacement.RIGHT)
            )
        )
    else:
        panel = timeseries.Panel().fill_opacity(10).line_width(1)
    panel = (
        panel.id(panel_id)  # stable: position in the spec, so links to a panel keep working
        .title(spec.title)
        .description(spec.description)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .span(spec.width)
        .height(spec.height)
        .targets(_targets(spec))  # type: ignore[arg-type]
    )
    links = _links(spec)
    if links:
        panel = panel.links(links)  # type: ignore[arg-type]
    return panel


def _variable(name: str, label: str, query: str) -> dash.QueryVariable:
    """A multi-value label variable with "All" (`.*`), read from the build-info series."""
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


FIRING_ALERTS = (
    dash.AnnotationQuery()
    .name("Firing alerts")
    .datasource(DATASOURCE)
    .enable(True)
    .icon_color("red")
    .expr('ALERTS{alertstate="firing", job=~"$job"}')
)
"""Marks when a Modelyard alert fired (Prometheus' `ALERTS` series), on every time-series panel."""


def build(spec: DashboardSpec) -> dict[str, object]:
    board = (
        dash.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(["modelyard"])
        .refresh(REFRESH)
        .time("now-6h", "now")
        .timezone("browser")
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(dash.DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(_variable("job", "Job", "label_values(modelyard_build_info, job)"))
        .with_variable(
            _variable("instance", "Instance", 'label_values(modelyard_build_info{job=~"$job"}, instance)')
        )
        .annotation(FIRING_ALERTS)
        .link(
            dash.DashboardLink("Runbook")
            .type(DashboardLinkType.LINK)
            .url(RUNBOOK_INDEX)
            .icon("doc")
            .target_blank(True)
        )
        .link(
            dash.DashboardLink("Modelyard dashboards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(["modelyard"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )
    # Ids are positions: add panels at the end, so alert annotations and links keep their panel.
    for panel_id, panel_spec in enumerate(spec.panels, start=1):
        board = board.with_panel(_panel(panel_spec, panel_id))
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))  # type: ignore[no-any-return]


def render(spec: DashboardSpec) -> str:
    return json.dumps(build(spec), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for spec in DASHBOARDS:
        path = OUT_DIR / f"{spec.uid}.json"
        text = render(spec)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale dashboards (run `just dashboards`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
