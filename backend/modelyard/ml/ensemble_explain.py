"""SHAP values of a margin-blended ensemble: the weighted sum of its members'.

The ensemble's raw output is sum_i w_i * raw_i(X[:, slice_i]) (`modelyard.ml.ensemble`), and
Shapley values are linear in the explained function, so each member's contributions (TreeSHAP
over its compiled trees, LightGBM's own TreeSHAP for a LightGBM member, or coefficient x
(value - training mean) for a linear member), scaled by its weight and placed on its own block of
encoded columns, add up to exact contributions of the ensemble, with base = sum_i w_i * base_i.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

from modelyard.ml.ensemble import MarginBlend
from modelyard.ml.lightgbm_model import LightGBMClassifier, LightGBMContributions, LightGBMRegressor
from modelyard.ml.trees import CompiledEnsemble
from modelyard.ml.treeshap import TreeExplainer

Array = np.ndarray[Any, Any]


class _Linear:
    def __init__(self, estimator: Any, means: Array) -> None:
        self.coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
        intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64))
        self.means = means
        self.base = intercept + self.coef @ means
        self.outputs = self.coef.shape[0]

    def shap_values(self, X: Array) -> Array:
        result: Array = (X - self.means)[:, :, None] * self.coef.T[None, :, :]
        return result


class BlendExplainer:
    """`base` (K,) and `shap_values(X)` (n, width, K) of a MarginBlend, members compiled."""

    def __init__(self, blend: MarginBlend, means: list[float] | None) -> None:
        compiled = blend.compiled()
        self.slices = compiled.slices
        self.weights = compiled.weights
        self.parts: list[Any] = []
        for original, member, (a, b) in zip(blend.members, compiled.members, self.slices, strict=True):
            if isinstance(original, LightGBMClassifier | LightGBMRegressor):
                self.parts.append(LightGBMContributions(original))  # LightGBM's own TreeSHAP: faster
            elif isinstance(member, CompiledEnsemble):
                self.parts.append(TreeExplainer(member))
            elif isinstance(member, LogisticRegression | Ridge):
                if means is None or len(means) < b:
                    raise ValueError("a linear member needs the encoded training means")
                self.parts.append(_Linear(member, np.asarray(means[a:b], dtype=np.float64)))
            else:
                raise ValueError(f"no explanation for a {type(member).__name__} member")
        self.outputs = max(part.outputs for part in self.parts)
        self.width = blend.n_features_in_
        self.base = sum(
            (
                w * np.asarray(part.base, dtype=np.float64)
                for w, part in zip(self.weights, self.parts, strict=True)
            ),
            start=np.zeros(self.outputs),
        )

    def shap_values(self, X: Array) -> Array:
        phi = np.zeros((X.shape[0], self.width, self.outputs))
        for part, weight, (a, b) in zip(self.parts, self.weights, self.slices, strict=True):
            phi[:, a:b, :] += weight * part.shap_values(X[:, a:b])
        return phi
