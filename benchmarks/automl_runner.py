"""One method of `benchmarks/automl.py` on one prepared split, in a process of its own.

    PYTHON benchmarks/automl_runner.py METHOD WORKDIR BUDGET

METHOD is `ours` or `hgb` (run by the product's .venv python) or `flaml` or `autogluon`
(run by the benchmark virtualenv's python, `.bench-venv`, which `just bench-automl`
creates: the peers are never dependencies of the product). WORKDIR holds what the
orchestrator wrote: `train.parquet` and `test.parquet` (target column `y`), `full.parquet`
(both, in the table's order: our AutoML splits it itself, with the same seed) and
`spec.json` (problem, metric, seed, class labels in order). The runner fits within
BUDGET seconds on one thread and writes `<METHOD>-<BUDGET>.npz` (class probabilities in
the spec's class order, or predicted values) and `<METHOD>-<BUDGET>.json` (fit wall time
and what the method chose). Scoring is the orchestrator's, the same for every method.

This file imports only numpy, pandas and the method's own library, so it runs in both
virtualenvs; the product is imported only for `ours`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

FLAML_METRIC = {"roc_auc": "roc_auc", "f1_macro": "macro_f1", "rmse": "rmse"}
AUTOGLUON_METRIC = {"roc_auc": "roc_auc", "f1_macro": "f1_macro", "rmse": "root_mean_squared_error"}


def _ordered(proba: np.ndarray[Any, Any], labels: Any, spec: dict[str, Any]) -> np.ndarray[Any, Any]:
    """Probability columns reordered from the method's labels to the spec's class order."""
    position = {str(label): i for i, label in enumerate(labels)}
    return np.asarray(proba, dtype=np.float64)[:, [position[str(c)] for c in spec["classes"]]]


def run_ours(work: Path, spec: dict[str, Any], budget: float) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    from modelyard.domain.training.automl import AutoMLOptions, run_automl
    from modelyard.domain.training.automl.metrics import predictions
    from modelyard.ml.features import prepare_frame

    full = pd.read_parquet(work / "full.parquet")
    started = time.monotonic()
    result = run_automl(full, AutoMLOptions(target="y", time_budget_s=budget, random_seed=spec["seed"]))
    fit_seconds = time.monotonic() - started
    test = pd.read_parquet(work / "test.parquet")
    proba, pred = predictions(result.pipeline, prepare_frame(test, result.schema), result.problem_type)
    out = pred if proba is None else _ordered(proba, result.pipeline.classes_, spec)
    detail = {
        "fit_seconds": fit_seconds,
        "search_seconds": result.search_seconds,
        "chosen": result.algorithm,
        "own_test_metric": result.test_metrics[result.metric],
        "rows_test": result.rows_test,
    }
    return out, detail


def _hgb_inputs(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HGB's usual inputs: text as pandas categories (plain codes beyond 255 levels, the
    native limit), datetimes as days since 1970, missing values left as NaN."""
    X_train, X_test = train.drop(columns=["y"]).copy(), test.drop(columns=["y"]).copy()
    for column in X_train.columns:
        dtype = X_train[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            for X in (X_train, X_test):
                X[column] = X[column].astype("datetime64[s]").astype("int64") / 86400.0
        elif not pd.api.types.is_numeric_dtype(dtype):
            levels = pd.Index(X_train[column].dropna().unique())
            for X in (X_train, X_test):
                codes = pd.Categorical(X[column], categories=levels)
                X[column] = (
                    codes if len(levels) <= 255 else pd.Series(codes.codes, index=X.index).replace(-1, np.nan)
                )
    return X_train, X_test


def run_hgb(work: Path, spec: dict[str, Any], budget: float) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    train, test = pd.read_parquet(work / "train.parquet"), pd.read_parquet(work / "test.parquet")
    X_train, X_test = _hgb_inputs(train, test)
    classify = spec["problem"] != "regression"
    # Defaults, but a fixed seed: beyond 10,000 rows the default stops early on a random 10% split.
    model = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
        random_state=spec["seed"]
    )
    started = time.monotonic()
    model.fit(X_train, train["y"].to_numpy())
    fit_seconds = time.monotonic() - started
    if classify:
        return _ordered(model.predict_proba(X_test), model.classes_, spec), {"fit_seconds": fit_seconds}
    return model.predict(X_test), {"fit_seconds": fit_seconds}


def run_flaml(work: Path, spec: dict[str, Any], budget: float) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    from flaml import AutoML

    train, test = pd.read_parquet(work / "train.parquet"), pd.read_parquet(work / "test.parquet")
    classify = spec["problem"] != "regression"
    automl = AutoML()
    started = time.monotonic()
    automl.fit(
        train.drop(columns=["y"]),
        train["y"],
        task="classification" if classify else "regression",
        metric=FLAML_METRIC[spec["metric"]],
        time_budget=budget,
        n_jobs=1,
        seed=spec["seed"],
        verbose=0,
    )
    fit_seconds = time.monotonic() - started
    X_test = test.drop(columns=["y"])
    out = (
        _ordered(automl.predict_proba(X_test), automl.classes_, spec) if classify else automl.predict(X_test)
    )
    return np.asarray(out), {"fit_seconds": fit_seconds, "chosen": str(automl.best_estimator)}


def run_autogluon(
    work: Path, spec: dict[str, Any], budget: float
) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    from autogluon.tabular import TabularPredictor

    train, test = pd.read_parquet(work / "train.parquet"), pd.read_parquet(work / "test.parquet")
    predictor = TabularPredictor(
        label="y",
        problem_type=spec["problem"],
        eval_metric=AUTOGLUON_METRIC[spec["metric"]],
        path=str(work / f"autogluon-{budget:g}"),
        verbosity=0,
    )
    started = time.monotonic()
    predictor.fit(train, time_limit=budget, presets="medium_quality", num_cpus=1, num_gpus=0)
    fit_seconds = time.monotonic() - started
    X_test = test.drop(columns=["y"])
    if spec["problem"] == "regression":
        out = predictor.predict(X_test).to_numpy(dtype=np.float64)
    else:
        proba = predictor.predict_proba(X_test)
        out = _ordered(proba.to_numpy(), proba.columns, spec)
    return out, {"fit_seconds": fit_seconds, "chosen": str(predictor.model_best)}


RUNNERS = {"ours": run_ours, "hgb": run_hgb, "flaml": run_flaml, "autogluon": run_autogluon}


def main() -> None:
    method, work, budget = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    spec = json.loads((work / "spec.json").read_text())
    cpu_started = time.process_time()
    with threadpool_limits(1):
        out, detail = RUNNERS[method](work, spec, budget)
    # CPU time of the whole run (fit and prediction): on a busy machine a wall-clock budget buys
    # less of it, and this shows how much each method got.
    detail["cpu_seconds"] = time.process_time() - cpu_started
    name = f"{method}-{budget:g}"
    np.savez(work / f"{name}.npz", out=np.asarray(out, dtype=np.float64))
    (work / f"{name}.json").write_text(json.dumps(detail))


if __name__ == "__main__":
    main()
