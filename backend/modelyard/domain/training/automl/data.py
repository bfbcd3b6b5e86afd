"""The data a search works on: the checked target, the schema, the train/test split and the folds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from modelyard.domain.training.automl.leakage import LeakageFinding, screen_columns
from modelyard.domain.training.automl.space import AutoMLOptions
from modelyard.lib.schema import ProblemType
from modelyard.ml.features import TrainingSchema, check_target, infer_schema, prepare_frame, to_pandas


@dataclass
class TrainingSplit:
    """Pipeline inputs and labels, split once for the whole search; `folds` fits the rarest class;
    `leakage`: what the column screen found (before the split: it needs the file's row order)."""

    schema: TrainingSchema
    problem: ProblemType
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray[Any, Any]
    y_test: np.ndarray[Any, Any]
    folds: int
    leakage: list[LeakageFinding]

    @property
    def classify(self) -> bool:
        return self.problem != "regression"


def split_training_data(data: Any, options: AutoMLOptions) -> TrainingSplit:
    """Check the target, infer the schema and split; raises TrainingDataError for unusable data."""
    frame = to_pandas(data)
    problem = check_target(frame, options.target, options.problem_type)
    frame = frame[frame[options.target].notna()].reset_index(drop=True)
    schema = infer_schema(frame, options.target, problem, options.exclude_columns)
    classify = problem != "regression"
    y = target_array(frame[options.target], classify)
    X = prepare_frame(frame, schema)
    leakage = screen_columns(X, y, schema, options.random_seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=options.test_size,
        random_state=options.random_seed,
        stratify=y if classify else None,
    )
    folds = options.cv_folds
    if classify:
        smallest = int(pd.Series(y_train).value_counts().min())
        folds = max(2, min(folds, smallest))
    return TrainingSplit(
        schema=schema,
        problem=problem,
        X_train=X_train.reset_index(drop=True),
        X_test=X_test.reset_index(drop=True),
        y_train=y_train,
        y_test=y_test,
        folds=folds,
        leakage=leakage,
    )


def target_array(series: pd.Series, classify: bool) -> np.ndarray[Any, Any]:
    """Labels as int64, bool or str (classification) or float64 (regression)."""
    result: np.ndarray[Any, Any]
    if not classify:
        result = series.to_numpy(dtype=np.float64)
        return result
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        result = series.to_numpy(dtype=bool)
        return result
    if pd.api.types.is_integer_dtype(dtype):
        result = series.to_numpy(dtype=np.int64)
        return result
    if pd.api.types.is_float_dtype(dtype):
        values: np.ndarray[Any, Any] = series.to_numpy(dtype=np.float64)
        if np.all(np.mod(values, 1) == 0):
            return values.astype(np.int64)
    result = series.astype(str).to_numpy(dtype=object)
    return result


def subsample(
    X: pd.DataFrame, y: np.ndarray[Any, Any], rows: int, classify: bool, seed: int
) -> tuple[Any, Any]:
    """`rows` rows of (X, y), stratified for classification, in their original order."""
    if rows >= len(X):
        return X, y
    index = np.arange(len(X))
    chosen, _ = train_test_split(index, train_size=rows, random_state=seed, stratify=y if classify else None)
    chosen = np.sort(chosen)
    return X.iloc[chosen].reset_index(drop=True), y[chosen]
