"""Our AutoML at a fixed budget vs a plain HistGradientBoosting default, on the same splits.

    .venv/bin/python benchmarks/automl.py [--budget 30]

Datasets: scikit-learn's breast_cancer, wine, digits, diabetes, plus a synthetic table
with categoricals, datetimes and missing values. Each runs with one OpenMP/BLAS thread
(as the process pool does). The baseline is `HistGradientBoosting*()` fitted on the
same training split (categoricals as pandas `category`, native NaN) and scored on the
same test split with the same metric. Target: never worse than the baseline by more
than 1% of the metric; wall time <= budget + 10%, refit and explanations included.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.training.data import mixed_frame  # noqa: E402

from modelyard.domain.training.automl import AutoMLOptions, metric_value, run_automl, target_array  # noqa: E402
from modelyard.ml.features import check_target  # noqa: E402


def _sklearn(loader: Any) -> pd.DataFrame:
    frame: pd.DataFrame = loader(as_frame=True).frame
    return frame.rename(columns={"target": "y"})


def _synthetic() -> pd.DataFrame:
    frame = mixed_frame(4000, seed=11).rename(columns={"churn": "y"})
    return frame


DATASETS = {
    "breast_cancer": lambda: _sklearn(load_breast_cancer),
    "wine": lambda: _sklearn(load_wine),
    "digits": lambda: _sklearn(load_digits),
    "diabetes": lambda: _sklearn(load_diabetes),
    "synthetic": _synthetic,
}


def _baseline(frame: pd.DataFrame, problem: str, metric: str, seed: int, test_size: float) -> float:
    """Plain HistGradientBoosting default on the split our AutoML uses (same seed, same stratification)."""
    frame = frame[frame["y"].notna()].reset_index(drop=True)
    X = frame.drop(columns=["y"]).copy()
    for column in X.columns:
        if X[column].dtype == object or str(X[column].dtype) in ("str", "string"):
            codes = X[column].astype("category")
            # Native categories need <= 255 levels; beyond that, plain codes (-1 = missing -> NaN).
            X[column] = codes if len(codes.cat.categories) <= 255 else codes.cat.codes.replace(-1, np.nan)
    classify = problem != "regression"
    y = target_array(frame["y"], classify)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if classify else None
    )
    model = HistGradientBoostingClassifier() if classify else HistGradientBoostingRegressor()
    model.fit(X_train, y_train)
    if classify:
        proba = model.predict_proba(X_test)
        pred = model.classes_[proba.argmax(axis=1)]
        return metric_value(metric, y_test, proba, pred, model.classes_)  # type: ignore[arg-type]
    return metric_value(metric, y_test, None, model.predict(X_test), None)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--only", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    threadpool_limits(1)
    rows = []
    for name in args.only:
        frame = DATASETS[name]()
        problem = check_target(frame, "y", None)
        started = time.monotonic()
        result = run_automl(frame, AutoMLOptions(target="y", time_budget_s=args.budget))
        wall = time.monotonic() - started
        ours = result.test_metrics.get(result.metric, np.nan)
        base = _baseline(frame, problem, result.metric, 0, 0.2)
        better = ours >= base if result.greater_is_better else ours <= base
        relative = (ours - base) / abs(base) if base else 0.0
        within = (better or abs(relative) <= 0.01) and wall <= args.budget * 1.1
        algorithm = result.algorithm
        if algorithm == "ensemble":
            algorithm = "ens(" + "+".join(m["algorithm"][:6] for m in result.params["members"]) + ")"
        stop = f"{result.search_stop['reason']}/{result.search_stop['tuning_trials']}"
        rows.append((name, problem, result.metric, base, ours, relative, algorithm, stop, wall, within))
    print(f"\nbudget {args.budget:.0f} s; one thread; test split 20%, seed 0\n")
    header = f"{'dataset':<14} {'problem':<11} {'metric':<9} {'HGB default':>11} {'ours':>9} {'rel. diff':>9}"
    print(header + f"  {'best algorithm':<28} {'stop/trials':<18} {'wall s':>7} {'ok':>3}")
    for name, problem, metric, base, ours, relative, algorithm, stop, wall, within in rows:
        print(
            f"{name:<14} {problem:<11} {metric:<9} {base:>11.4f} {ours:>9.4f} {relative:>+9.2%}  "
            f"{algorithm:<28} {stop:<18} {wall:>7.1f} {'yes' if within else 'NO':>3}"
        )
    print(
        "\nrel. diff = (ours - baseline) / |baseline| (for rmse lower is better). "
        f"Budget honoured when wall <= {args.budget * 1.1:.0f} s (refit and explanations included)."
    )


if __name__ == "__main__":
    main()
