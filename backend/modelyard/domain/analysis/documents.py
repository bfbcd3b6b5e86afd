"""Storage shape of analyses: one job document per dataset analysis or model narrative."""

from __future__ import annotations

from typing import Any, Literal

from beanie import PydanticObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.jobs import JOB_INDEXES, JobDocument


class AnalysisJobDocument(JobDocument):
    kind: Literal["dataset", "model"]
    dataset_id: PydanticObjectId | None = None
    model_id: PydanticObjectId | None = None
    target_hint: str | None = None
    result: dict[str, Any] | None = None
    """A `DatasetAnalysisResult` (kind `dataset`) or a `ModelNarrative` (kind `model`) as plain data."""
    provenance: dict[str, Any] | None = None
    """A `Provenance` as plain data."""

    class Settings:
        name = "analysis_jobs"
        indexes = [
            *JOB_INDEXES,
            IndexModel(
                [("owner_id", ASCENDING), ("dataset_id", ASCENDING), ("created_at", DESCENDING)],
                name="owner_dataset_created",
            ),
            IndexModel(
                [("owner_id", ASCENDING), ("model_id", ASCENDING), ("created_at", DESCENDING)],
                name="owner_model_created",
            ),
        ]
