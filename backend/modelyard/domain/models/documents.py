"""Storage shape of the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.clock import utcnow
from modelyard.lib.schema import ProblemType

Stage = Literal["none", "staging", "production", "archived"]


class ModelDocument(Document):
    owner_id: PydanticObjectId
    dataset_id: PydanticObjectId
    training_job_id: PydanticObjectId
    name: str
    description: str | None = None
    stage: Stage = "none"
    problem_type: ProblemType
    target: str
    metric: str
    greater_is_better: bool
    algorithm: str
    params: dict[str, Any] = Field(default_factory=dict)
    cv_score: float | None = None
    cv_std: float | None = None
    test_metrics: dict[str, float] = Field(default_factory=dict)
    confusion: dict[str, Any] | None = None
    residuals: dict[str, float] | None = None
    feature_importance: list[dict[str, Any]] = Field(default_factory=list)
    leakage_findings: list[dict[str, Any]] = Field(default_factory=list)
    """The training job's leakage findings (none on models trained before the gate existed)."""
    leakage_acknowledged_at: datetime | None = None
    """When the owner promoted the model to production despite its leakage findings."""
    shap_summary: dict[str, Any] | None = None
    """Mean |SHAP contribution| per input column on held-out rows (None before explanations)."""
    explanation_means: list[float] | None = None
    """Linear models: each encoded feature's training mean, the base of their explanations."""
    leaderboard: list[dict[str, Any]] = Field(default_factory=list)
    drift_reference: dict[str, Any] | None = None
    """The monitoring reference (`ml.drift`): set at training; None on models trained before it,
    until monitoring derives one from the dataset."""
    search_stop: dict[str, Any] | None = None
    """When and why the search stopped (None on models trained before it said so)."""
    training_schema: dict[str, Any]
    rows_train: int
    rows_test: int
    training_seconds: float
    artifact_key: str
    artifact_bytes: int
    inference_path: Literal["compiled", "pipeline"]
    prediction_count: int = 0
    last_prediction_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "models"
        indexes = [
            IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_newest"),
            IndexModel([("owner_id", ASCENDING), ("dataset_id", ASCENDING)], name="owner_dataset"),
            IndexModel([("owner_id", ASCENDING), ("stage", ASCENDING)], name="owner_stage"),
            # One model per training job: a job retried after a crash that followed the insert
            # reuses the model instead of recording a second one.
            IndexModel([("training_job_id", ASCENDING)], name="one_model_per_job", unique=True),
        ]


def model_prefix(model_id: PydanticObjectId | str) -> str:
    return f"models/{model_id}/"
