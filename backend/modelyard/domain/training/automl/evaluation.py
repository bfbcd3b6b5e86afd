"""The winner refit on the whole training split and judged on the held-out test split.

Test metrics, the confusion matrix (classification) or residual summary (regression), the SHAP
summary and permutation importance of each input column within what is left of the time budget.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline

from modelyard.domain.training.automl.data import TrainingSplit
from modelyard.domain.training.automl.metrics import all_metrics, metric_value, predictions, residual_summary
from modelyard.domain.training.automl.pipelines import build_pipeline
from modelyard.domain.training.automl.space import Metric
from modelyard.lib.schema import ProblemType
from modelyard.ml.ensemble import MarginBlend, fit_blend
from modelyard.ml.explain import ModelExplainer, NotExplainableError, explanation_summary
from modelyard.ml.lightgbm_trees import CompiledLightGBM
from modelyard.ml.trees import CompiledEnsemble, NotCompilableError, compile_estimator


@dataclass
class TestEvaluation:
    """The refit pipeline and how it did on the test split."""

    pipeline: Pipeline
    refit_seconds: float
    test_metrics: dict[str, float]
    confusion: dict[str, Any] | None
    residuals: dict[str, float] | None


def refit(split: TrainingSplit, algorithm: str, params: dict[str, Any], seed: int) -> Pipeline:
    """`algorithm` fitted on the whole training split; an ensemble's members each refit there
    (rather than keeping their fold models: see the training guide for the measurements)."""
    if algorithm != "ensemble":
        pipeline = build_pipeline(split.schema, algorithm, params, seed)  # type: ignore[arg-type]
        pipeline.fit(split.X_train, split.y_train)
        return pipeline
    members = [build_pipeline(split.schema, m["algorithm"], m["params"], seed) for m in params["members"]]
    weights = [float(m["weight"]) for m in params["members"]]
    classes = np.unique(split.y_train) if split.classify else None
    return fit_blend(members, weights, split.X_train, split.y_train, classes)


def refit_and_test(split: TrainingSplit, algorithm: str, params: dict[str, Any], seed: int) -> TestEvaluation:
    """Fit `algorithm` (or the ensemble) on the whole training split and score it on the test split.

    Records the classes in `split.schema` for classification.
    """
    refit_started = time.monotonic()
    pipeline = refit(split, algorithm, params, seed)
    refit_seconds = time.monotonic() - refit_started
    proba, pred = predictions(pipeline, split.X_test, split.problem)
    classes = pipeline.classes_ if split.classify else None
    test_metrics = all_metrics(split.problem, split.y_test, proba, pred, classes)
    confusion = None
    residuals = None
    if split.classify:
        assert classes is not None
        split.schema.classes = [_plain(c) for c in classes]
        matrix = confusion_matrix(split.y_test, pred, labels=classes)
        confusion = {"labels": [_plain(c) for c in classes], "matrix": matrix.tolist()}
    else:
        residuals = residual_summary(split.y_test, pred)
    return TestEvaluation(pipeline, refit_seconds, test_metrics, confusion, residuals)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def permutation_importance(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: Any,
    metric: Metric,
    greater: bool,
    seed: int,
    deadline: float,
    max_rows: int = 1000,
    max_repeats: int = 5,
) -> list[dict[str, Any]]:
    """Permutation importance of each input column on the test split, within `deadline`.

    Importance is how much the metric worsens when the column's values are shuffled
    (positive: the model relies on it). Repeats and rows shrink to fit the time left. Each
    repeat scores every column's shuffled copy in one prediction call (a pipeline call has a
    fixed cost of several milliseconds, which per-column calls paid once per column).
    """
    problem: ProblemType = "regression" if not hasattr(pipeline, "classes_") else "binary"
    classes = getattr(pipeline, "classes_", None)
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        X, y = X.iloc[:max_rows], y[:max_rows]

    def score(frame: pd.DataFrame, labels: Any, scored_by: Metric) -> float:
        proba, pred = predictions(pipeline, frame, problem)
        return metric_value(scored_by, labels, proba, pred, classes)

    t0 = time.monotonic()
    try:
        base = score(X, y, metric)
    except ValueError:  # e.g. roc_auc on a test split missing a class
        metric, greater = ("rmse", False) if classes is None else ("accuracy", True)
        base = score(X, y, metric)
    one = max(time.monotonic() - t0, 1e-4)
    columns = list(X.columns)
    affordable = (deadline - time.monotonic()) / (one * max(1, len(columns)))
    repeats = int(max(1, min(max_repeats, affordable)))
    if affordable < 1 and len(X) > 100:
        keep = max(100, int(len(X) * max(affordable, 0.1)))
        X, y = X.iloc[:keep], y[:keep]
        base = score(X, y, metric)
    drops: dict[str, list[float]] = {str(name): [] for name in columns}
    for _ in range(repeats):
        shuffled = []
        for name in columns:
            copy = X.copy()
            copy[name] = X[name].to_numpy()[rng.permutation(len(X))]
            shuffled.append(copy)
        proba, pred = predictions(pipeline, pd.concat(shuffled, ignore_index=True), problem)
        for j, name in enumerate(columns):
            part = slice(j * len(X), (j + 1) * len(X))
            value = metric_value(metric, y, None if proba is None else proba[part], pred[part], classes)
            drops[str(name)].append(base - value if greater else value - base)
    rows = [
        {"feature": name, "importance": float(np.mean(d)), "std": float(np.std(d))}
        for name, d in drops.items()
    ]
    return sorted(rows, key=lambda r: r["importance"], reverse=True)


SHAP_SUMMARY_ROWS = 500
SHAP_CHUNK_ROWS = 10
SHAP_SECONDS_PER_PATH_STEP = 2e-6
"""Building TreeSHAP's leaf paths costs about 0.25-0.75 us per (leaf, depth) step on one quiet core
(measured on extra trees of 0.2-1 M steps); counted as 2 us per leaf x the deepest path, with room
for a busy machine and the first chunk of rows."""


def _path_steps(compiled: Any) -> int:
    """An upper bound of the (leaf, depth) steps of the explainer's tree paths: leaves x depth."""
    if isinstance(compiled, MarginBlend):
        return sum(_path_steps(member) for member in compiled.members)
    if not isinstance(compiled, CompiledEnsemble) or isinstance(compiled, CompiledLightGBM):
        return 0  # linear models, and LightGBM (explained by LightGBM's own TreeSHAP, no paths)
    trees = compiled.trees
    return int(np.count_nonzero(trees.left == np.arange(len(trees.left)))) * max(1, trees.depth)


def shap_summary(
    pipeline: Pipeline, X: pd.DataFrame, means: list[float] | None, deadline: float
) -> dict[str, Any] | None:
    """Mean |SHAP contribution| of each input column over up to `SHAP_SUMMARY_ROWS` test rows,
    as many as fit before `deadline` (at least one chunk); None for a model without explanations,
    or when building a tree model's explainer is not expected to finish by `deadline`."""
    estimator = pipeline.steps[-1][1]
    compiled: Any = estimator.compiled() if isinstance(estimator, MarginBlend) else None
    if compiled is None:
        with contextlib.suppress(NotCompilableError):  # linear models: explained cheaply
            compiled = compile_estimator(estimator)
    if time.monotonic() + _path_steps(compiled) * SHAP_SECONDS_PER_PATH_STEP > deadline:
        return None  # deep forests: the paths alone would not fit in the budget
    try:
        explainer = ModelExplainer(pipeline, means, compiled)
    except NotExplainableError:
        return None
    encoded = np.asarray(pipeline[:-1].transform(X.iloc[:SHAP_SUMMARY_ROWS]), dtype=np.float64)
    rows = min(len(encoded), SHAP_CHUNK_ROWS)
    started = time.monotonic()
    explainer.explain_all(encoded[:rows])
    per_row = (time.monotonic() - started) / max(rows, 1)
    affordable = int((deadline - time.monotonic()) / max(per_row, 1e-6))
    rows = max(rows, min(len(encoded), rows + affordable))
    return explanation_summary(explainer, encoded[:rows])
