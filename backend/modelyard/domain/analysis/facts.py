"""`ModelFacts`: what a model narrative is written from (the trained model's held-out evaluation)."""

from __future__ import annotations

import msgspec

from modelyard.lib.schema import ProblemType


class FeatureWeight(msgspec.Struct, frozen=True):
    feature: str
    importance: float


class ResidualSummary(msgspec.Struct, frozen=True):
    mean_error: float
    """Mean of prediction minus actual: positive means the model overestimates."""
    mean_absolute_error: float
    p90_absolute_error: float | None = None


class LeaderboardEntry(msgspec.Struct, frozen=True):
    algorithm: str
    score: float


class ModelFacts(msgspec.Struct, kw_only=True):
    """What a narrative is written from: the trained model's evaluation on held-out data."""

    name: str
    algorithm: str
    problem_type: ProblemType
    target: str
    metric: str
    value: float
    baseline_value: float | None = None
    higher_is_better: bool = True
    metrics: dict[str, float] = {}
    feature_importance: list[FeatureWeight] = []
    train_rows: int | None = None
    test_rows: int | None = None
    class_labels: list[str] = []
    confusion_matrix: list[list[int]] = []
    """Rows are actual classes, columns predicted, in `class_labels` order."""
    residuals: ResidualSummary | None = None
    leaderboard: list[LeaderboardEntry] = []
