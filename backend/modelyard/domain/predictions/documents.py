"""Storage shape of batch prediction jobs (a kind of job: see lib/jobs.py)."""

from __future__ import annotations

from beanie import PydanticObjectId
from pymongo import ASCENDING, IndexModel

from modelyard.lib.jobs import JOB_INDEXES, JobDocument


class BatchPredictionJobDocument(JobDocument):
    model_id: PydanticObjectId
    filename: str | None = None
    input_key: str
    input_rows: int
    rows_scored: int = 0
    result_key: str | None = None
    result_bytes: int | None = None
    uploader: str | None = None
    """While the input is being stored: the process storing it (`lib.processes` tag). Such a job is
    neither shown nor run; once that process is dead the sweeper removes it with its objects."""

    class Settings:
        name = "batch_prediction_jobs"
        indexes = [*JOB_INDEXES, IndexModel([("model_id", ASCENDING)], name="model")]


def batch_prefix(job_id: PydanticObjectId | str) -> str:
    return f"batch-predictions/{job_id}/"
