"""Scoring a fitted pipeline: predictions, the search metric, the test metrics and residuals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    median_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline

from modelyard.domain.training.automl.space import Metric
from modelyard.lib.schema import ProblemType


def predictions(pipeline: Pipeline, X: pd.DataFrame, problem: ProblemType) -> tuple[Any, Any]:
    """(class probabilities or None for regression, predicted values) of `pipeline` on `X`."""
    if problem == "regression":
        return None, pipeline.predict(X)
    proba = pipeline.predict_proba(X)
    classes = pipeline.classes_
    return proba, classes[np.argmax(proba, axis=1)]


def metric_value(metric: Metric, y: Any, proba: Any, pred: Any, classes: Any) -> float:
    if metric == "roc_auc":
        if len(classes) == 2:
            return float(roc_auc_score(y, proba[:, 1]))
        return float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    if metric == "log_loss":
        return float(log_loss(y, proba, labels=classes))
    if metric == "f1_macro":
        return float(f1_score(y, pred, average="macro", labels=classes, zero_division=0))
    if metric == "accuracy":
        return float(accuracy_score(y, pred))
    if metric == "rmse":
        return float(root_mean_squared_error(y, pred))
    if metric == "mae":
        return float(mean_absolute_error(y, pred))
    return float(r2_score(y, pred))


def all_metrics(problem: ProblemType, y: Any, proba: Any, pred: Any, classes: Any) -> dict[str, float]:
    if problem == "regression":
        return {
            "rmse": float(root_mean_squared_error(y, pred)),
            "mae": float(mean_absolute_error(y, pred)),
            "median_absolute_error": float(median_absolute_error(y, pred)),
            "r2": float(r2_score(y, pred)),
        }
    out = {
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "precision_macro": float(precision_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "recall_macro": float(recall_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "log_loss": float(log_loss(y, proba, labels=classes)),
    }
    if problem == "binary":
        positive = classes[1]
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
        out["precision"] = float(precision_score(y, pred, pos_label=positive, zero_division=0))
        out["recall"] = float(recall_score(y, pred, pos_label=positive, zero_division=0))
        out["f1"] = float(f1_score(y, pred, pos_label=positive, zero_division=0))
    elif len(set(np.asarray(y).tolist())) == len(classes):
        out["roc_auc_ovr"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    return out


def residual_summary(y: Any, pred: Any) -> dict[str, float]:
    residuals = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)
    q = np.quantile(residuals, [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
    return {
        "mean": float(residuals.mean()),
        "std": float(residuals.std()),
        "min": float(q[0]),
        "p05": float(q[1]),
        "p25": float(q[2]),
        "median": float(q[3]),
        "p75": float(q[4]),
        "p95": float(q[5]),
        "max": float(q[6]),
    }
