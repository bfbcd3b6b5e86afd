"""The one job runner for long work (training, batch prediction, analysis) and what jobs are made of."""

from __future__ import annotations

from modelyard.lib.jobs.context import JobContext
from modelyard.lib.jobs.control import JobCancelledError, JobControl, RetryLaterError
from modelyard.lib.jobs.documents import JOB_INDEXES, JobDocument, problem_dict, request_cancel
from modelyard.lib.jobs.queues import QueueStats, job_kind
from modelyard.lib.jobs.runner import FinishedHook, JobHandler, JobRunner
from modelyard.lib.schema import FINAL_STATUSES, JobStatus

__all__ = [
    "FINAL_STATUSES",
    "JOB_INDEXES",
    "FinishedHook",
    "JobCancelledError",
    "JobContext",
    "JobControl",
    "JobDocument",
    "JobHandler",
    "JobRunner",
    "JobStatus",
    "QueueStats",
    "RetryLaterError",
    "job_kind",
    "problem_dict",
    "request_cancel",
]
