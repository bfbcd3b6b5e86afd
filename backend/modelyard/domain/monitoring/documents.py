"""Storage shape of monitoring: hourly sketches and recent predictions (private to the area)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel


class SketchDocument(Document):
    """One model's binned counts of one hour, `$inc`-ed by every server process's flush (so they add
    up exactly across processes). `id` is `<model id>:<hour>`."""

    id: str  # type: ignore[assignment]
    model_id: str
    hour: datetime
    counts: dict[str, Any] = Field(default_factory=dict)
    """`f<i>.<bin>` for the reference's i-th feature, `p.<bin>` for the output, `rows.0`."""

    class Settings:
        name = "monitoring_sketches"
        indexes = [IndexModel([("model_id", ASCENDING), ("hour", ASCENDING)], name="model_hour")]


class PredictionBatchDocument(Document):
    """One flush's predictions of one model, kept for feedback: ids, outputs and times in parallel
    arrays (one document per flush, not per prediction: the database does little work per
    prediction), never the inputs. `id` is `<model id>:<first prediction id>`."""

    id: str  # type: ignore[assignment]
    model_id: str
    at: datetime
    ids: list[str]
    labels: list[Any]
    scores: list[float | None]
    times: list[datetime]

    class Settings:
        name = "monitoring_predictions"
        indexes = [
            IndexModel([("model_id", ASCENDING), ("ids", ASCENDING)], name="model_ids"),
            IndexModel([("at", ASCENDING)], name="at"),
        ]


class FeedbackDocument(Document):
    """A prediction with its true outcome (`id` is the prediction id: the first actual stands)."""

    id: str  # type: ignore[assignment]
    model_id: str
    label: Any = None
    score: float | None = None
    at: datetime
    actual: Any = None
    feedback_at: datetime

    class Settings:
        name = "monitoring_feedback"
        indexes = [IndexModel([("model_id", ASCENDING), ("at", ASCENDING)], name="model_at")]
