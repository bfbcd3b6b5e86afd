"""Pipelines per algorithm: the preprocessing each estimator needs, inside one sklearn Pipeline.

Imputation, scaling for linear models, one-hot (unknown categories ignored) or ordinal
(unknown -> its own code) encoding, datetime parts. HistGradientBoosting handles NaN and
categories natively, so it gets no imputation and ordinal codes flagged as categorical; so
does LightGBM.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from modelyard.domain.training.automl.space import Algorithm
from modelyard.ml.features import DatetimeFeatures, TrainingSchema
from modelyard.ml.lightgbm_model import LightGBMClassifier, LightGBMRegressor

ONE_HOT_MAX_CATEGORIES = 30
HGB_MAX_CATEGORIES = 250

Parts = list[tuple[str, Any, list[str]]]


def build_pipeline(
    schema: TrainingSchema, algorithm: Algorithm, params: dict[str, Any], seed: int
) -> Pipeline:
    """An unfitted pipeline: the column preprocessing `algorithm` needs, then its estimator."""
    classify = schema.problem_type != "regression"
    estimator: Any
    if algorithm == "linear":
        parts = _linear_parts(schema)
        estimator = (
            LogisticRegression(max_iter=2000, random_state=seed, **params) if classify else Ridge(**params)
        )
    elif algorithm == "hist_gradient_boosting":
        parts, native_categorical = _boosting_parts(schema)
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        estimator = cls(random_state=seed, categorical_features=native_categorical or None, **params)
    elif algorithm == "lightgbm":
        parts, native_categorical = _boosting_parts(schema)
        lgbm = LightGBMClassifier if classify else LightGBMRegressor
        estimator = lgbm(params=dict(params), categorical_features=native_categorical, random_state=seed)
    else:
        parts = _forest_parts(schema)
        if algorithm == "extra_trees":
            cls_ = ExtraTreesClassifier if classify else ExtraTreesRegressor
        else:
            cls_ = RandomForestClassifier if classify else RandomForestRegressor
        estimator = cls_(random_state=seed, n_jobs=1, **params)
    preprocess = ColumnTransformer(
        parts, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def _numeric_columns(schema: TrainingSchema) -> list[str]:
    return schema.columns_of("numeric") + schema.columns_of("boolean")


def _cardinality(schema: TrainingSchema) -> dict[str, int]:
    return {f.name: f.cardinality or 0 for f in schema.features}


def _ordinal_with_missing_code() -> OrdinalEncoder:
    """Unknown and missing categories both become -1."""
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)


def _datetime_parts(*scaled: tuple[str, Any]) -> Pipeline:
    """Datetime parts, missing parts imputed by the median, then the `scaled` steps."""
    return Pipeline(
        [
            ("parts", DatetimeFeatures()),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            *scaled,
        ]
    )


def _linear_parts(schema: TrainingSchema) -> Parts:
    numeric = _numeric_columns(schema)
    categorical = schema.columns_of("categorical")
    datetimes = schema.columns_of("datetime")
    cardinality = _cardinality(schema)
    parts: Parts = []
    if numeric:
        scaled = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        parts.append(("numeric", scaled, numeric))
    few = [c for c in categorical if cardinality[c] <= ONE_HOT_MAX_CATEGORIES]
    many = [c for c in categorical if cardinality[c] > ONE_HOT_MAX_CATEGORIES]
    if few:
        parts.append(("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), few))
    if many:
        encoded = Pipeline([("encode", _ordinal_with_missing_code()), ("scale", StandardScaler())])
        parts.append(("ordinal", encoded, many))
    if datetimes:
        parts.append(("datetime", _datetime_parts(("scale", StandardScaler())), datetimes))
    return parts


def _boosting_parts(schema: TrainingSchema) -> tuple[Parts, list[int]]:
    """Native NaN and native categories: no imputation, ordinal codes flagged as categorical."""
    numeric = _numeric_columns(schema)
    categorical = schema.columns_of("categorical")
    datetimes = schema.columns_of("datetime")
    cardinality = _cardinality(schema)
    parts: Parts = []
    native_categorical: list[int] = []
    width = 0
    if numeric:
        parts.append(("numeric", "passthrough", numeric))
        width += len(numeric)
    if categorical:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        parts.append(("ordinal", encoder, categorical))
        native_categorical = [
            width + i for i, c in enumerate(categorical) if cardinality[c] <= HGB_MAX_CATEGORIES
        ]
        width += len(categorical)
    if datetimes:
        parts.append(("datetime", DatetimeFeatures(), datetimes))
    return parts, native_categorical


def _forest_parts(schema: TrainingSchema) -> Parts:
    numeric = _numeric_columns(schema)
    categorical = schema.columns_of("categorical")
    datetimes = schema.columns_of("datetime")
    parts: Parts = []
    if numeric:
        parts.append(("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric))
    if categorical:
        parts.append(("ordinal", _ordinal_with_missing_code(), categorical))
    if datetimes:
        parts.append(("datetime", _datetime_parts(), datetimes))
    return parts
