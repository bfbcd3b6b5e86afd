"""The one job runner for long work (training, batch prediction, analysis) and what jobs are made of."""

from __future__ import annotations

from modelyard.lib.jobs.control import JobCancelledError, JobControl, RetryLaterError
from modelyard.lib.jobs.documents import JOB_INDEXES, JobDocument, problem_dict, request_cancel
from modelyard.lib.jobs.runner import JobContext, JobHandler, JobRunner
from modelyard.lib.schema import FINAL_STATUSES, JobStatus

__all__ = [
    "FINAL_STATUSES",
    "JOB_INDEXES",
    "JobCancelledError",
    "JobContext",
    "JobControl",
    "JobDocument",
    "JobHandler",
    "JobRunner",
    "JobStatus",
    "RetryLaterError",
    "problem_dict",
    "request_cancel",
]
