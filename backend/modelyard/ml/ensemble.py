"""A weighted ensemble blended in margin space, and how it is fitted, scored and explained.

The ensemble is the last step of an ordinary preprocess + model Pipeline: the preprocessing is
one ColumnTransformer holding every member's own transformers side by side, so member i reads
its own block of columns (`slices[i]`). `MarginBlend` adds up the members' raw outputs with
their weights, in margin space:
- regression: the members' predictions (the weights sum to 1: a weighted mean);
- classification: the members' log-odds (binary) or class logits (multiclass), then the
  sigmoid / softmax. Only members with such a margin join a classification ensemble (linear
  models and gradient boosting; forests output probabilities, whose log is not additive over
  their trees).
Blending margins keeps explanations exact: the ensemble's raw output is the weighted sum of its
members', so its SHAP values are the weighted sum of theirs, and base + contributions still
equals the raw output. The compiled path (`compiled`) swaps each tree member for its numpy form
(`modelyard.ml.trees`), whose outputs are identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from modelyard.ml.lightgbm_trees import CompiledLightGBM
from modelyard.ml.trees import CompiledEnsemble, NotCompilableError, compile_estimator

Array = np.ndarray[Any, Any]


def margin(estimator: Any, X: Array, classify: bool) -> Array:
    """(n, K) raw output of a fitted member: predictions (regression, K=1), log-odds (binary,
    K=1) or class logits (multiclass)."""
    if not classify:
        return np.asarray(estimator.predict(X), dtype=np.float64).reshape(len(X), 1)
    if isinstance(estimator, CompiledLightGBM):
        raw = estimator.raw_output(X)
    elif isinstance(estimator, CompiledEnsemble):
        raw = estimator._raw(X)
    else:
        raw = np.asarray(estimator.decision_function(X), dtype=np.float64)
    return raw.reshape(len(X), -1)


def probabilities(raw: Array) -> Array:
    """Class probabilities from blended margins: sigmoid (one column) or softmax."""
    if raw.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    result: Array = shifted / shifted.sum(axis=1, keepdims=True)
    return result


class MarginBlend(BaseEstimator):  # type: ignore[misc]
    """Members' raw outputs on their own column blocks, weighted and summed (see the module docstring)."""

    def __init__(
        self,
        members: list[Any],
        weights: list[float],
        slices: list[tuple[int, int]],
        classes: Array | None,
    ) -> None:
        self.members = members
        self.weights = [float(w) for w in weights]
        self.slices = [(int(a), int(b)) for a, b in slices]
        self.classes = classes
        if classes is not None:
            self.classes_ = classes
        self.n_features_in_ = max(b for _, b in self.slices)

    def __sklearn_is_fitted__(self) -> bool:
        return True  # built from fitted members, or fitted by `fit_blend` before any use

    @property
    def classify(self) -> bool:
        return hasattr(self, "classes_")

    def fit(self, X: Array, y: Array) -> MarginBlend:
        for member, (a, b) in zip(self.members, self.slices, strict=True):
            member.fit(X[:, a:b], y)
        return self

    def raw(self, X: Array) -> Array:
        """(n, K): the weighted sum of the members' margins."""
        X = np.asarray(X, dtype=np.float64)
        total: Array | None = None
        for member, weight, (a, b) in zip(self.members, self.weights, self.slices, strict=True):
            part = weight * margin(member, X[:, a:b], self.classify)
            total = part if total is None else total + part
        assert total is not None
        return total

    def predict_proba(self, X: Array) -> Array:
        if not self.classify:
            raise AttributeError("predict_proba of a regressor")
        return probabilities(self.raw(X))

    def predict(self, X: Array) -> Array:
        if self.classify:
            labels: Array = np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]
            return labels
        result: Array = self.raw(X)[:, 0]
        return result

    def compiled(self) -> MarginBlend:
        """The same blend with each tree member in its compiled numpy form (identical outputs)."""
        members = []
        for member in self.members:
            try:
                members.append(compile_estimator(member))
            except NotCompilableError:
                members.append(member)  # linear members: already a few numpy operations
        return MarginBlend(members, self.weights, self.slices, getattr(self, "classes_", None))

    def has_linear(self) -> bool:
        return any(isinstance(m, LogisticRegression | Ridge) for m in self.members)


def fit_blend(
    members: list[Pipeline], weights: list[float], X: Any, y: Array, classes: Array | None
) -> Pipeline:
    """Fit an ensemble of unfitted preprocess + model pipelines on (X, y) as one Pipeline: their
    transformers side by side in one ColumnTransformer (named m0_..., m1_...), then `MarginBlend`."""
    parts: list[tuple[str, Any, Any]] = []
    for i, member in enumerate(members):
        parts.extend((f"m{i}_{name}", t, cols) for name, t, cols in member.steps[0][1].transformers)
    preprocess = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
    Xt = np.asarray(preprocess.fit_transform(X), dtype=np.float64)
    slices = []
    for i in range(len(members)):
        mine = [s for name, s in preprocess.output_indices_.items() if name.startswith(f"m{i}_")]
        starts = [s.start for s in mine if s.stop > s.start]
        stops = [s.stop for s in mine if s.stop > s.start]
        slices.append((min(starts), max(stops)))
    blend = MarginBlend([m.steps[-1][1] for m in members], weights, slices, classes)
    blend.fit(Xt, y)
    return Pipeline([("preprocess", preprocess), ("model", blend)])
