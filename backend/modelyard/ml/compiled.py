"""The compiled inference path: the fitted preprocessing as plain numpy.

scikit-learn's ColumnTransformer costs ~11 ms per call whatever the row count, so a
one-record prediction through the Pipeline is dominated by it. `compile_pipeline`
reads the fitted transformers (imputer statistics, scaler mean and scale, encoder
categories) into a `CompiledPreprocessor` that builds the estimator's input matrix
from column lists with the same float64 operations, so the estimator sees the very
same matrix and predictions are identical. Anything it cannot express raises
`NotCompilableError` and the model is served by the Pipeline instead. The estimator's own
numpy form, when it is a tree ensemble, comes from `modelyard.ml.trees`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from modelyard.ml.ensemble import MarginBlend
from modelyard.ml.features import DatetimeFeatures, datetime_features, to_datetime_ns
from modelyard.ml.trees import NotCompilableError, compile_estimator

Columns = dict[str, list[Any]]


@dataclass
class _Numeric:
    """Imputation (median statistics) and standard scaling, each optional."""

    statistics: np.ndarray[Any, Any] | None = None
    mean: np.ndarray[Any, Any] | None = None
    scale: np.ndarray[Any, Any] | None = None

    def apply(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if self.statistics is not None:
            missing = np.isnan(X)
            if missing.any():
                X = np.where(missing, self.statistics, X)
        if self.mean is not None:
            X = X - self.mean
        if self.scale is not None:
            X = X / self.scale
        return X


@dataclass
class _Block:
    kind: str  # numeric | onehot | ordinal | datetime
    columns: list[str]
    numeric: _Numeric
    lookups: list[dict[Any, Any]] | None = None
    widths: list[int] | None = None
    unknown_value: float = np.nan

    def transform(self, data: Columns, n: int) -> np.ndarray[Any, Any]:
        if self.kind == "numeric":
            X = np.empty((n, len(self.columns)), dtype=np.float64)
            for j, name in enumerate(self.columns):
                X[:, j] = np.asarray(data[name], dtype=np.float64)
            return self.numeric.apply(X)
        if self.kind == "onehot":
            assert self.lookups is not None and self.widths is not None
            X = np.zeros((n, sum(self.widths)), dtype=np.float64)
            offset = 0
            for name, lookup, width in zip(self.columns, self.lookups, self.widths, strict=True):
                for i, value in enumerate(data[name]):
                    code = lookup.get(value)
                    if code is not None:
                        X[i, offset + code] = 1.0
                offset += width
            return X
        if self.kind == "ordinal":
            assert self.lookups is not None
            X = np.empty((n, len(self.columns)), dtype=np.float64)
            for j, (name, lookup) in enumerate(zip(self.columns, self.lookups, strict=True)):
                X[:, j] = [lookup.get(v, self.unknown_value) for v in data[name]]
            return self.numeric.apply(X)
        parts = [datetime_features(to_datetime_ns(data[name])) for name in self.columns]
        return self.numeric.apply(np.hstack(parts))


@dataclass
class CompiledPreprocessor:
    blocks: list[_Block]
    width: int

    def transform(self, data: Columns, n: int) -> np.ndarray[Any, Any]:
        parts = [block.transform(data, n) for block in self.blocks]
        X = np.hstack(parts) if len(parts) > 1 else parts[0]
        if X.shape[1] != self.width:  # pragma: no cover - guarded by compile-time checks
            raise NotCompilableError("compiled width differs from the fitted pipeline's")
        return X


def _numeric_steps(steps: list[Any]) -> _Numeric:
    numeric = _Numeric()
    for step in steps:
        if isinstance(step, SimpleImputer):
            if step.add_indicator or step.strategy not in ("median", "mean", "constant", "most_frequent"):
                raise NotCompilableError("imputer with indicators")
            if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
                raise NotCompilableError("imputer for non-NaN missing values")
            if numeric.mean is not None or numeric.statistics is not None:
                raise NotCompilableError("imputer after scaling")
            statistics = np.asarray(step.statistics_, dtype=np.float64)
            if np.isnan(statistics).any():
                raise NotCompilableError("imputer dropping empty features")
            numeric.statistics = statistics
        elif isinstance(step, StandardScaler):
            if numeric.mean is not None or numeric.scale is not None:
                raise NotCompilableError("two scalers")
            numeric.mean = np.asarray(step.mean_, dtype=np.float64) if step.with_mean else None
            numeric.scale = np.asarray(step.scale_, dtype=np.float64) if step.with_std else None
        else:
            raise NotCompilableError(f"unsupported step {type(step).__name__}")
    return numeric


def _lookup(categories: np.ndarray[Any, Any], missing: float | None = None) -> dict[Any, Any]:
    """Category -> code. Missing values arrive as None; they take the NaN category's code
    (one-hot), or `missing` (the ordinal encoder's encoded_missing_value)."""
    lookup: dict[Any, Any] = {}
    for code, value in enumerate(categories.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            lookup[None] = code if missing is None else missing
        else:
            lookup[value] = code
    if missing is not None:
        lookup[None] = missing
    return lookup


def _compile_transformer(transformer: Any, columns: list[str]) -> _Block:
    if transformer == "passthrough" or (
        isinstance(transformer, FunctionTransformer) and transformer.func is None
    ):  # a fitted ColumnTransformer holds "passthrough" as an identity FunctionTransformer
        return _Block("numeric", columns, _Numeric())
    steps = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
    head, rest = steps[0], steps[1:]
    if isinstance(head, OneHotEncoder):
        if rest or head.drop is not None or head.handle_unknown != "ignore" or head.sparse_output:
            raise NotCompilableError("one-hot encoder options")
        if head.min_frequency is not None or head.max_categories is not None:
            raise NotCompilableError("infrequent categories")
        lookups = [_lookup(c) for c in head.categories_]
        return _Block("onehot", columns, _Numeric(), lookups, [len(c) for c in head.categories_])
    if isinstance(head, OrdinalEncoder):
        if head.handle_unknown != "use_encoded_value":
            raise NotCompilableError("ordinal encoder raising on unknown values")
        lookups = [_lookup(c, float(head.encoded_missing_value)) for c in head.categories_]
        return _Block(
            "ordinal", columns, _numeric_steps(rest), lookups, unknown_value=float(head.unknown_value)
        )
    if isinstance(head, DatetimeFeatures):
        return _Block("datetime", columns, _numeric_steps(rest))
    return _Block("numeric", columns, _numeric_steps(steps))


def compile_pipeline(pipeline: Any) -> tuple[CompiledPreprocessor, Any]:
    """The compiled preprocessing and the estimator (compiled trees when possible), or
    NotCompilableError."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        raise NotCompilableError("not a preprocess + model pipeline")
    preprocess, estimator = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(preprocess, ColumnTransformer) or preprocess.sparse_output_:
        raise NotCompilableError("preprocessing is not a dense ColumnTransformer")
    blocks: list[_Block] = []
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder":
            if transformer != "drop":
                raise NotCompilableError("remainder columns are kept")
            continue
        if transformer == "drop":
            continue
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise NotCompilableError("columns not selected by name")
        blocks.append(_compile_transformer(transformer, columns))
    if not blocks:
        raise NotCompilableError("no columns")
    width = len(preprocess.get_feature_names_out())
    if isinstance(estimator, MarginBlend):  # an ensemble: its tree members compiled
        estimator = estimator.compiled()
    with contextlib.suppress(NotCompilableError):  # the trees too, when they have a numpy form
        estimator = compile_estimator(estimator)
    return CompiledPreprocessor(blocks, width), estimator
