"""Ensemble members refit on the whole training split vs kept as their cross-validation fold models.

    .venv/bin/python benchmarks/ensemble_refit.py

For each data set: the same three members (a linear model, the default HistGradientBoosting and
a slower-learning one) with the same weights, blended in margin space. "refit": each member fit
once on the whole training split (what training does). "fold models": each member's k fold
models (each trained on (k-1)/k of the split) all kept, their margins averaged. Printed: the
test-split metric, the fitting time (fold models: paid during the search already, so free at
the end) and the time to score 1,000 rows, with one thread.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.automl import DATASETS  # noqa: E402

from modelyard.domain.training.automl import AutoMLOptions, metric_value  # noqa: E402
from modelyard.domain.training.automl.data import split_training_data  # noqa: E402
from modelyard.domain.training.automl.pipelines import build_pipeline  # noqa: E402
from modelyard.domain.training.automl.space import DEFAULT_METRIC  # noqa: E402
from modelyard.ml.ensemble import fit_blend, probabilities  # noqa: E402

MEMBERS = [
    ("linear", {}, 0.2),
    ("hist_gradient_boosting", {}, 0.4),
    ("hist_gradient_boosting", {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15}, 0.4),
]
FOLDS = 3


def _score(metric: str, y: Any, raw: np.ndarray[Any, Any], classes: Any) -> float:
    if classes is None:
        return metric_value(metric, y, None, raw[:, 0], None)  # type: ignore[arg-type]
    proba = probabilities(raw)
    return metric_value(metric, y, proba, classes[np.argmax(proba, axis=1)], classes)  # type: ignore[arg-type]


def _fold_models(split: Any, classes: Any, seed: int = 0) -> tuple[list[Any], float]:
    """Every member's fold models, each a one-member blend carrying its weight / k."""
    splitter = (StratifiedKFold if split.classify else KFold)(FOLDS, shuffle=True, random_state=seed)
    started = time.monotonic()
    models = []
    for train, _ in splitter.split(split.X_train, split.y_train):
        for algorithm, params, weight in MEMBERS:
            member = build_pipeline(split.schema, algorithm, params, seed)  # type: ignore[arg-type]
            X, y = split.X_train.iloc[train], split.y_train[train]
            models.append(fit_blend([member], [weight / FOLDS], X, y, classes))
    return models, time.monotonic() - started


def main() -> None:
    threadpool_limits(1)
    header = f"{'dataset':<14} {'metric':<9} {'refit':>9} {'folds':>9} {'fit s (refit)':>14}"
    print(header + f" {'score 1k rows ms: refit':>24} {'folds':>6}")
    for name, load in DATASETS.items():
        frame = load()
        split = split_training_data(frame, AutoMLOptions(target="y"))
        metric = DEFAULT_METRIC[split.problem]
        classes = np.unique(split.y_train) if split.classify else None
        started = time.monotonic()
        members = [build_pipeline(split.schema, a, p, 0) for a, p, _ in MEMBERS]  # type: ignore[arg-type]
        refit = fit_blend(members, [w for _, _, w in MEMBERS], split.X_train, split.y_train, classes)
        refit_seconds = time.monotonic() - started
        folds, _ = _fold_models(split, classes)
        X = split.X_test
        rows = X.iloc[np.arange(1000) % len(X)]
        t0 = time.monotonic()
        refit[-1].raw(refit[:-1].transform(rows))
        refit_ms = (time.monotonic() - t0) * 1000
        t0 = time.monotonic()
        sum(m[-1].raw(m[:-1].transform(rows)) for m in folds)
        folds_ms = (time.monotonic() - t0) * 1000
        refit_score = _score(metric, split.y_test, refit[-1].raw(refit[:-1].transform(X)), classes)
        fold_raw = sum(m[-1].raw(m[:-1].transform(X)) for m in folds)
        folds_score = _score(metric, split.y_test, np.asarray(fold_raw), classes)
        print(
            f"{name:<14} {metric:<9} {refit_score:>9.4f} {folds_score:>9.4f} {refit_seconds:>14.2f} "
            f"{refit_ms:>24.0f} {folds_ms:>6.0f}"
        )


if __name__ == "__main__":
    main()
