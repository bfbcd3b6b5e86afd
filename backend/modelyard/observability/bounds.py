"""Histogram buckets and the bounded label values of every metric.

Every label takes its values from a fixed set (or from the route table, the configured language
model, the estimator families): a value outside its set is recorded as `other`, so no caller,
user or typo can grow the number of series. The metrics reference lists these sets.
"""

from __future__ import annotations

# Fine steps between 1 and 10 s (a bucket's quantile is interpolated inside it: with only 5 and 10,
# requests that all took 5.0-5.5 s showed p50/p95/p99 = 7.5/9.75/9.95 s).
HTTP_DURATION_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0)
HTTP_DURATION_BUCKETS += (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0, 15.0, 30.0)
TRAINING_DURATION_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
# Sub-10 ms resolution: a compiled tree scores a row in well under a millisecond.
PREDICTION_DURATION_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005)
PREDICTION_DURATION_BUCKETS += (0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PREDICTION_DURATION_BUCKETS += (60.0, 300.0)
DATASET_ROWS_BUCKETS = (10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0)
DATASET_BYTES_BUCKETS = (1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)
LLM_DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
# A MongoDB command on a local network takes well under a millisecond; `timeoutMS` (1.5 s by
# default) bounds it while serving.
DB_DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Object-store calls: a local file in a millisecond, an S3 request in tens, a large part in seconds.
STORE_DURATION_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5)
STORE_DURATION_BUCKETS += (1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
"""Pre-created for every route and method, so the first 5xx of a route is counted."""
TRAINING_OUTCOMES = ("succeeded", "failed", "cancelled")
JOB_OUTCOMES = TRAINING_OUTCOMES
"""The final statuses of a job."""
JOB_KINDS = ("training", "analysis", "batch_prediction")
"""The kinds of jobs the runner runs (their collection names without `_jobs`)."""
PREDICTION_KINDS = ("online", "batch")
LLM_OUTCOMES = ("success", "error", "timeout", "invalid_output")
LLM_TOKEN_KINDS = ("prompt", "completion")
GC_GENERATIONS = ("0", "1", "2")
CACHE_RESULTS = ("hit", "miss")
API_KEY_STATES = ("active", "expired")
API_KEY_REQUEST_SERIES = (("read", "allowed"), ("predict", "allowed"), ("none", "forbidden"))
"""(scope that let a keyed request through, outcome): `none` is a key refused (403)."""
DB_OPERATIONS: tuple[str, ...] = ("find", "getMore", "insert", "update", "delete", "findAndModify")
DB_OPERATIONS += ("aggregate", "count", "distinct", "createIndexes", "listIndexes", "listCollections")
DB_OPERATIONS += ("ping", "other")
"""MongoDB command names (the first key of the command document); any other command is `other`.
Never a collection or database name."""
STORE_OPERATIONS: tuple[str, ...] = ("put", "put_bytes", "stream", "get_bytes", "get_range", "size")
STORE_OPERATIONS += ("exists", "delete", "delete_prefix", "list", "remove_stale_partial", "ping")
"""The methods of the object-store interface (`lib/storage/base.py`); never a key or a bucket."""
