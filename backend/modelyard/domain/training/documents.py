"""Storage shape of training jobs (a kind of job: see lib/jobs.py)."""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.jobs import JOB_INDEXES, JobDocument
from modelyard.lib.schema import ProblemType


class TrainingJobDocument(JobDocument):
    dataset_id: PydanticObjectId
    target: str
    options: dict[str, Any]
    """The request's search options (problem_type, metric, time_budget_s, cv_folds, ...)."""
    problem_type: ProblemType | None = None
    metric: str | None = None
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    """The live leaderboard, refreshed while the job runs."""
    model_id: PydanticObjectId | None = None
    dropped_columns: list[dict[str, str]] = Field(default_factory=list)
    leakage_findings: list[dict[str, Any]] = Field(default_factory=list)
    """The leakage gate's findings: the column screen's while the job runs, then the test score's."""
    score_history: list[dict[str, Any]] = Field(default_factory=list)
    """The best cross-validated score over time, refreshed while the job runs."""
    estimated_seconds_left: float | None = None
    """The search's estimate of the time left, refreshed while the job runs."""
    search_stop: dict[str, Any] | None = None
    """When and why the search stopped."""

    class Settings:
        name = "training_jobs"
        indexes = [
            *JOB_INDEXES,
            IndexModel(
                [("owner_id", ASCENDING), ("dataset_id", ASCENDING), ("created_at", DESCENDING)],
                name="owner_dataset_created",
            ),
        ]
