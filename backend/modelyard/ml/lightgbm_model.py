"""LightGBM as a scikit-learn estimator that stops early on a validation fold of its own rows.

`fit` holds out `validation_fraction` of the rows it is given (stratified for classification),
grows trees on the rest until the validation loss has not improved for `stopping_rounds`
rounds, and keeps that model, which predicts with the trees up to its best iteration (as
HistGradientBoosting's own early stopping keeps the model fitted on the rest). The validation
rows come from the rows handed to `fit`, so inside a cross-validation fold they never include
the fold's test rows. Too few rows for a useful
validation fold: a fixed number of trees on all of them.

One thread (`n_jobs=1`): the process pool runs several fits side by side and pins each
worker's threads; LightGBM's own OpenMP team would otherwise oversubscribe the cores.
The fitted booster is stored by skops as LightGBM's model text (`Booster.__getstate__`),
parsed back by LightGBM itself: no pickle.
"""

from __future__ import annotations

import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split

Array = np.ndarray[Any, Any]

MIN_VALIDATION_ROWS = 30
"""Fewer validation rows than this and early stopping would follow noise: no validation fold."""


class _LightGBM(BaseEstimator):  # type: ignore[misc]
    """Shared fit: `params` are LightGBM's scikit-learn parameters (learning_rate, num_leaves, ...)."""

    _classify = False

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        categorical_features: list[int] | None = None,
        validation_fraction: float = 0.1,
        stopping_rounds: int = 50,
        max_estimators: int = 2000,
        fixed_estimators: int = 200,
        random_state: int = 0,
    ) -> None:
        self.params = params
        self.categorical_features = categorical_features
        self.validation_fraction = validation_fraction
        self.stopping_rounds = stopping_rounds
        self.max_estimators = max_estimators
        self.fixed_estimators = fixed_estimators
        self.random_state = random_state

    def _model(self, n_estimators: int) -> lgb.LGBMModel:
        cls = lgb.LGBMClassifier if self._classify else lgb.LGBMRegressor
        options: dict[str, Any] = {"verbose": -1, "n_jobs": 1, "force_col_wise": True}
        options.update(self.params or {})
        return cls(n_estimators=n_estimators, random_state=self.random_state, **options)

    def _validation_split(self, X: Array, y: Array) -> tuple[Array, Array, Array, Array] | None:
        n_valid = int(len(y) * self.validation_fraction)
        if n_valid < MIN_VALIDATION_ROWS:
            return None
        stratify = None
        if self._classify:
            _, counts = np.unique(y, return_counts=True)
            if counts.min() < 2:  # a class seen once cannot be on both sides
                return None
            stratify = y
        X_fit, X_valid, y_fit, y_valid = train_test_split(
            X, y, test_size=n_valid, stratify=stratify, random_state=self.random_state
        )
        return X_fit, X_valid, y_fit, y_valid

    def fit(self, X: Any, y: Any) -> _LightGBM:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        categorical: Any = list(self.categorical_features or []) or "auto"
        split = self._validation_split(X, y)
        if split is None:
            model = self._model(self.fixed_estimators)
            model.fit(X, y, categorical_feature=categorical)
            self.best_iteration_ = self.fixed_estimators
        else:
            X_fit, X_valid, y_fit, y_valid = split
            model = self._model(self.max_estimators)
            stop = lgb.early_stopping(self.stopping_rounds, first_metric_only=True, verbose=False)
            # `eval_set`, deprecated in 4.7 for `eval_X`/`eval_y`: LGBMClassifier 4.7 label-encodes
            # the former only, so string classes in `eval_y` fail to convert.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=lgb.basic.LGBMDeprecationWarning)
                model.fit(
                    X_fit,
                    y_fit,
                    eval_set=[(X_valid, y_valid)],
                    categorical_feature=categorical,
                    callbacks=[stop],
                )
            self.best_iteration_ = int(model.best_iteration_) or self.max_estimators
        self.model_ = model
        self.n_features_in_ = X.shape[1]
        return self

    @property
    def booster_(self) -> lgb.Booster:
        return self.model_.booster_

    def predict(self, X: Any) -> Array:
        return np.asarray(self.model_.predict(np.asarray(X, dtype=np.float64)))

    def raw_output(self, X: Any) -> Array:
        """LightGBM's raw scores (n,) or (n, classes): log-odds, class logits, or the prediction."""
        return np.asarray(self.model_.predict(np.asarray(X, dtype=np.float64), raw_score=True))


class LightGBMClassifier(ClassifierMixin, _LightGBM):  # type: ignore[misc]
    _classify = True

    def fit(self, X: Any, y: Any) -> LightGBMClassifier:
        super().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> Array:
        return np.asarray(self.model_.predict_proba(np.asarray(X, dtype=np.float64)))

    def decision_function(self, X: Any) -> Array:
        """Log-odds (n,) or class logits (n, classes): the margin an ensemble blends."""
        return self.raw_output(X)


class LightGBMRegressor(RegressorMixin, _LightGBM):  # type: ignore[misc]
    pass


class LightGBMContributions:
    """TreeSHAP of a fitted LightGBM model computed by LightGBM itself (`pred_contrib`).

    The same path-dependent TreeSHAP as `modelyard.ml.treeshap` (both use the trees' row counts
    as covers; they agree to ~1e-14), 3-7x faster on these models: see docs/guides/explanations.md.
    `base` (outputs,) is each raw output's expected value; `shap_values` gives (n, features, outputs).
    """

    outputs_probability = False

    def __init__(self, estimator: LightGBMClassifier | LightGBMRegressor) -> None:
        self.estimator = estimator
        self.width = int(estimator.n_features_in_)
        self.outputs = int(estimator.booster_.num_model_per_iteration())
        self.base = self._contributions(np.zeros((1, self.width)))[0, :, -1]

    def _contributions(self, X: Array) -> Array:
        raw = self.estimator.model_.predict(np.asarray(X, dtype=np.float64), pred_contrib=True)
        return np.asarray(raw, dtype=np.float64).reshape(len(X), self.outputs, self.width + 1)

    def shap_values(self, X: Array) -> Array:
        if len(X) == 0:
            return np.zeros((0, self.width, self.outputs))
        return np.ascontiguousarray(self._contributions(X)[:, :, :-1].transpose(0, 2, 1))
