"""Explanations: additivity for every model family AutoML produces, exactness against a brute-force
Shapley computation, and contributions summed back to the input columns."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from threadpoolctl import threadpool_limits

from modelyard.domain.training.automl import ALGORITHMS, build_pipeline
from modelyard.ml.explain import ModelExplainer, NotExplainableError, encoded_means, explanation_summary
from modelyard.ml.features import TrainingSchema, check_target, infer_schema, prepare_frame
from modelyard.ml.trees import CompiledEnsemble, compile_estimator
from modelyard.ml.treeshap import TreeExplainer
from tests.unit.training.data import mixed_frame

PROBLEMS = ["binary", "multiclass", "regression"]


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread, as the training workers have (oversubscription on 2 cores)."""
    with threadpool_limits(1):
        yield


def _fitted(problem: str, algorithm: str, n: int = 300) -> tuple[Any, pd.DataFrame, TrainingSchema]:
    frame = mixed_frame(n, seed=11, problem=problem)
    schema = infer_schema(frame, "churn", check_target(frame, "churn", None))
    X = prepare_frame(frame, schema)
    pipeline = build_pipeline(schema, algorithm, {}, 0)  # type: ignore[arg-type]
    pipeline.fit(X, frame["churn"].to_numpy())
    return pipeline, X, schema


def _raw_output(pipeline: Any, X: Any, algorithm: str, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's own raw output of the explained class, and that class's index per row."""
    n = len(X)
    if problem == "regression":
        return pipeline.predict(X), np.zeros(n, dtype=int)
    proba = pipeline.predict_proba(X)
    predicted = proba.argmax(axis=1)
    explained = np.ones(n, dtype=int) if problem == "binary" else predicted
    if algorithm in ("linear", "hist_gradient_boosting", "lightgbm"):
        if algorithm == "lightgbm":  # LightGBM's own raw scores (predict(raw_score=True))
            raw = pipeline[-1].raw_output(pipeline[:-1].transform(X))
        else:
            raw = pipeline.decision_function(X)
        return (raw if raw.ndim == 1 else raw[np.arange(n), explained]), predicted
    return proba[np.arange(n), explained], predicted


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_base_plus_contributions_is_the_raw_output(problem: str, algorithm: str) -> None:
    pipeline, X, schema = _fitted(problem, algorithm)
    explainer = ModelExplainer(pipeline, encoded_means(pipeline, X))
    check = mixed_frame(120, seed=12, problem=problem)
    check.loc[::9, "city"] = "atlantis"  # unseen category
    check.loc[::13, "income"] = np.nan
    rows = prepare_frame(check, schema)
    raw, predicted = _raw_output(pipeline, rows, algorithm, problem)
    explained = explainer.explain(pipeline[:-1].transform(rows), predicted)
    assert np.max(np.abs(explained.base + explained.contributions.sum(axis=1) - raw)) <= 1e-6
    assert np.max(np.abs(explained.output - raw)) <= 1e-6
    # One contribution per input column, encoded parts (one-hot, date parts) summed back.
    assert sorted(explained.columns) == ["age", "city", "code", "income", "member", "signup"]
    expected_kind = {
        "regression": "prediction",
        "binary": "log_odds",
        "multiclass": "class_logit",
    }[problem]
    if problem != "regression" and algorithm in ("random_forest", "extra_trees"):
        expected_kind = "probability"
    assert explained.kind == expected_kind


def _expected_value(ensemble: CompiledEnsemble, x: np.ndarray, known: set[int]) -> np.ndarray:
    """E[raw output | the features in `known` as in x], by the path-dependent rule: a split on a
    known feature follows x, any other split weighs both sides by their training cover."""
    offset, weights, _ = ensemble.shap_terms()
    trees = ensemble.trees
    assert trees.cover is not None
    any_missing = bool(np.isnan(x).any())

    def value(node: int) -> np.ndarray:
        left, right = int(trees.left[node]), int(trees.right[node])
        if left == node:
            return weights[node]
        feature = int(trees.feature[node])
        if feature in known:
            goes = trees.goes_left(np.asarray([x[feature]]), np.asarray([node]), any_missing)[0]
            return value(left if goes else right)
        cover_left, cover_right = trees.cover[left], trees.cover[right]
        share = cover_left / (cover_left + cover_right)
        return share * value(left) + (1 - share) * value(right)

    return offset + sum(value(int(root)) for root in trees.roots)


def _brute_force_shap(ensemble: CompiledEnsemble, x: np.ndarray) -> np.ndarray:
    """Shapley values by enumerating every coalition (a handful of features only)."""
    m = len(x)
    phi = np.zeros((m, len(ensemble.shap_terms()[0])))
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            weight = factorial(size) * factorial(m - size - 1) / factorial(m)
            for subset in combinations(others, size):
                known = set(subset)
                phi[i] += weight * (
                    _expected_value(ensemble, x, known | {i}) - _expected_value(ensemble, x, known)
                )
    return phi


def _small_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 400
    X = np.column_stack(
        [
            rng.normal(size=n),
            rng.integers(0, 4, n).astype(float),  # categorical codes for HistGradientBoosting
            rng.normal(size=n),
            rng.uniform(size=n),
        ]
    )
    X[rng.random(n) < 0.15, 2] = np.nan
    y = X[:, 0] + (X[:, 1] == 2) * 1.5 - np.nan_to_num(X[:, 2]) * 0.7 + rng.normal(0, 0.5, n)
    return X, y


@pytest.mark.parametrize("family", ["hgb_categorical", "random_forest", "extra_trees"])
def test_tree_shap_matches_brute_force_shapley_values(family: str) -> None:
    X, y = _small_data()
    estimator: Any
    if family == "hgb_categorical":
        # Categorical features go first inside HistGradientBoosting: the mapping back is tested too.
        estimator = HistGradientBoostingClassifier(
            max_iter=8, max_leaf_nodes=6, categorical_features=[1], random_state=0
        ).fit(X, y > 0.5)
    elif family == "random_forest":
        estimator = RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(
            np.nan_to_num(X, nan=0.0), y > 0.5
        )
        X = np.nan_to_num(X, nan=0.0)
    else:
        estimator = ExtraTreesRegressor(n_estimators=3, max_depth=5, random_state=0).fit(
            np.nan_to_num(X, nan=0.0), y
        )
        X = np.nan_to_num(X, nan=0.0)
    ensemble = compile_estimator(estimator)
    explainer = TreeExplainer(ensemble)
    rows = X[:6]
    phi = explainer.shap_values(rows)
    _, _, origin = ensemble.shap_terms()
    for r, x in enumerate(ensemble.tree_input(rows)):
        expected = _brute_force_shap(ensemble, x)
        reordered = np.zeros_like(expected)
        reordered[origin] = expected  # tree feature j is input column origin[j]
        assert np.max(np.abs(phi[r] - reordered)) <= 1e-9
        assert np.allclose(explainer.base, _expected_value(ensemble, x, set()), atol=1e-12)


def test_linear_contributions_are_coefficient_times_distance_to_the_mean() -> None:
    pipeline, X, _ = _fitted("regression", "linear")
    means = encoded_means(pipeline, X)
    assert means is not None
    explainer = ModelExplainer(pipeline, means)
    encoded = pipeline[:-1].transform(X.head(5))
    coef = pipeline[-1].coef_
    explained = explainer.explain(encoded, np.zeros(5, dtype=int))
    age = explained.columns.index("age")
    position = list(pipeline[0].get_feature_names_out()).index("age")
    expected = coef[position] * (encoded[:, position] - means[position])
    assert np.allclose(explained.contributions[:, age], expected, atol=1e-12)
    assert np.allclose(explained.base, pipeline[-1].intercept_ + coef @ np.asarray(means), atol=1e-12)


def test_a_linear_model_without_stored_means_cannot_be_explained() -> None:
    pipeline, _, _ = _fitted("binary", "linear", n=200)
    with pytest.raises(NotExplainableError, match="train it again"):
        ModelExplainer(pipeline, None)


def test_summary_ranks_the_columns_the_model_uses() -> None:
    pipeline, X, _ = _fitted("binary", "hist_gradient_boosting", n=800)
    explainer = ModelExplainer(pipeline, None)
    summary = explanation_summary(explainer, pipeline[:-1].transform(X.head(100)))
    assert summary["output"] == "log_odds" and summary["rows"] == 100
    ranked = [f["feature"] for f in summary["features"]]
    # mixed_frame's target depends on age, city and member only.
    assert set(ranked[:3]) == {"age", "city", "member"}
    values = [f["mean_abs_contribution"] for f in summary["features"]]
    assert values == sorted(values, reverse=True) and values[-1] >= 0
