"""What an AutoML search covers: algorithms, metrics, the caller's options and the configurations tried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from modelyard.lib.schema import ProblemType

Algorithm = Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest", "lightgbm"]
ALGORITHMS: tuple[Algorithm, ...] = (
    "linear",
    "hist_gradient_boosting",
    "extra_trees",
    "random_forest",
    "lightgbm",
)
Metric = Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"]

DEFAULT_METRIC: dict[ProblemType, Metric] = {
    "binary": "roc_auc",
    "multiclass": "f1_macro",
    "regression": "rmse",
}
METRICS_FOR: dict[ProblemType, tuple[Metric, ...]] = {
    "binary": ("roc_auc", "log_loss", "accuracy", "f1_macro"),
    "multiclass": ("f1_macro", "log_loss", "accuracy"),
    "regression": ("rmse", "mae", "r2"),
}
LOWER_IS_BETTER = {"log_loss", "rmse", "mae"}

Configuration = tuple[Algorithm, dict[str, Any]]


@dataclass
class AutoMLOptions:
    target: str
    problem_type: ProblemType | None = None
    metric: Metric | None = None
    time_budget_s: float = 60.0
    cv_folds: int = 3
    test_size: float = 0.2
    algorithms: list[Algorithm] | None = None
    exclude_columns: list[str] = field(default_factory=list)
    random_seed: int = 0


def search_space(problem: ProblemType) -> list[Configuration]:
    """Configurations, cheapest first; the HistGradientBoosting default comes second, then
    LightGBM's defaults."""
    linear = (
        [{"C": 1.0}, {"C": 0.1}, {"C": 10.0}]
        if problem != "regression"
        else [
            {"alpha": 1.0},
            {"alpha": 10.0},
            {"alpha": 0.1},
        ]
    )
    return [
        ("linear", linear[0]),
        ("hist_gradient_boosting", {}),
        # LightGBM: a slow learning rate with early stopping, and its extremely randomised variant.
        ("lightgbm", {"learning_rate": 0.05}),
        ("lightgbm", {"learning_rate": 0.05, "extra_trees": True}),
        ("extra_trees", {"n_estimators": 150, "max_features": "sqrt", "min_samples_leaf": 1}),
        ("random_forest", {"n_estimators": 150, "max_features": "sqrt", "min_samples_leaf": 1}),
        ("linear", linear[1]),
        ("linear", linear[2]),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15, "min_samples_leaf": 10},
        ),
        ("extra_trees", {"n_estimators": 200, "max_features": 0.5, "min_samples_leaf": 2}),
        ("random_forest", {"n_estimators": 200, "max_features": 0.5, "min_samples_leaf": 3}),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 5, "l2_regularization": 1.0},
        ),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.03, "max_iter": 600, "max_leaf_nodes": 31, "l2_regularization": 0.1},
        ),
    ]


def allowed_configurations(
    options: AutoMLOptions, problem: ProblemType
) -> tuple[list[Configuration], set[str]]:
    """The search space restricted to the algorithms the caller allows, and that allowed set."""
    allowed: set[str] = set(options.algorithms or ALGORITHMS)
    return [(a, p) for a, p in search_space(problem) if a in allowed], allowed
