"""Saturation and dependency metrics: each server process's resources, its process pool, the model
cache, and every call to MongoDB and the object store.

Part of `definitions.METRICS`; the resources are sampled every second by `runtime.py` in each
worker process, the dependency calls recorded by `dependencies.py`.
"""

from __future__ import annotations

from modelyard.observability.bounds import DB_DURATION_BUCKETS, STORE_DURATION_BUCKETS
from modelyard.observability.spec import MetricSpec

RESOURCE_METRICS: list[MetricSpec] = [
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
        "modelyard_process_max_fds",
        "gauge",
        "The open-file-descriptor limit (soft `RLIMIT_NOFILE`, `ulimit -n`) of each live server process.",
        example_promql="max by (instance, pid) (modelyard_process_open_fds / modelyard_process_max_fds)",
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
        "modelyard_process_pool_workers",
        "gauge",
        "Processes of each server process's pool for CPU-heavy work (profiling, training, batch "
        "scoring, analysis signals); each server process has its own pool.",
        example_promql="sum by (instance) (modelyard_process_pool_workers)",
        multiprocess_mode="liveall",
    ),
    MetricSpec(
        "modelyard_process_pool_busy_workers",
        "gauge",
        "Pool workers running a task, per live server process.",
        example_promql="sum by (instance) (modelyard_process_pool_busy_workers) "
        "/ sum by (instance) (modelyard_process_pool_workers)",
        multiprocess_mode="liveall",
    ),
    MetricSpec(
        "modelyard_process_pool_queued_tasks",
        "gauge",
        "Tasks handed to the pool that wait for a free worker, per live server process: an upload's "
        "profiling waits here behind long trainings.",
        example_promql="max by (instance, pid) (modelyard_process_pool_queued_tasks)",
        multiprocess_mode="liveall",
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
    # Dependencies: every MongoDB command (a pymongo command listener) and every object-store call
    MetricSpec(
        "modelyard_db_operation_duration_seconds",
        "histogram",
        "Time of each MongoDB command sent, by operation (the command name: find, insert, update, "
        "findAndModify, aggregate, ...; any other is `other`), whether it succeeded or failed.",
        ("operation",),
        DB_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.95, sum by (le, operation) "
        "(rate(modelyard_db_operation_duration_seconds_bucket[5m])))",
    ),
    MetricSpec(
        "modelyard_db_operation_errors_total",
        "counter",
        "MongoDB commands that failed (network error, timeout, server error), by operation. A "
        "duplicate key or a collection that does not exist yet is an answer the code expects, not "
        "counted. While no server can be selected "
        "(the database is down) no command is sent: `modelyard_dependency_up` shows that.",
        ("operation",),
        example_promql="sum by (operation) (rate(modelyard_db_operation_errors_total[5m]))",
    ),
    MetricSpec(
        "modelyard_object_store_operation_duration_seconds",
        "histogram",
        "Time spent in the object store per call, by operation (the store interface's method: put, "
        "stream, get_range, delete_prefix, ...). Streamed reads and writes count only the time spent "
        "in the store, not the time waiting for the client that sends or receives the bytes.",
        ("operation",),
        STORE_DURATION_BUCKETS,
        example_promql="histogram_quantile(0.95, sum by (le, operation) "
        "(rate(modelyard_object_store_operation_duration_seconds_bucket[5m])))",
    ),
    MetricSpec(
        "modelyard_object_store_operation_errors_total",
        "counter",
        "Object-store calls that failed, by operation. Reading a key that does not exist is an "
        "answer, not counted.",
        ("operation",),
        example_promql="sum by (operation) (rate(modelyard_object_store_operation_errors_total[5m]))",
    ),
]
