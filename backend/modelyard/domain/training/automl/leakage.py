"""The leakage gate: columns that give the answer away, and test scores too good to be true.

Before the search, `screen_columns` looks at every feature column alone against the target,
on up to `SCREEN_ROWS` rows taken in file order, and reports (one finding per column, the
first kind that applies):
- `derived_from_target`: a restatement of the target. Classification: the column's values
  (missing counted as a value) and the classes map one to one. Regression: the column rises or
  falls exactly with the target (|Spearman| = 1: a monotonic, e.g. affine, function of it);
- `row_order_identifier`: a distinct whole number or date per row that follows the file's row
  order (|Spearman| with the row position >= `ROW_ORDER_CORRELATION`) and predicts the target
  (association >= `ROW_ORDER_ASSOCIATION`): the file is sorted by the target, or by time while
  the target drifts, and the model learns the position instead of the record;
- `near_perfect_predictor`: the column alone predicts the target with ROC AUC (one-vs-rest
  macro for multiclass) or |correlation| (regression) above `PREDICTOR_THRESHOLD`.
After the refit, `check_test_score` reports `implausible_test_score` when the held-out score
reaches `TEST_SCORE_THRESHOLDS` on a test split of at least `MIN_TEST_ROWS` rows (and
`MIN_TEST_CLASS_ROWS` of its rarest class): a smaller split can be perfect by chance.

Findings are flagged, not acted on: a column may be legitimately strong, and only its owner
knows whether its value is known before the target is. The training job and the model list
them; promoting a flagged model to production needs an explicit acknowledgement.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from modelyard.domain.training.automl.association import (
    binned_codes,
    encoded_association,
    one_to_one,
    pearson,
    rank_auc,
    spearman,
    value_codes,
)
from modelyard.lib.schema import ProblemType
from modelyard.ml.features import FeatureSchema, TrainingSchema

Array = np.ndarray[Any, Any]
LeakageKind = Literal[
    "derived_from_target", "row_order_identifier", "near_perfect_predictor", "implausible_test_score"
]

SCREEN_ROWS = 5000
"""Most rows the column screen looks at (a random sample, kept in file order)."""
SCREEN_CELLS = 2_000_000
"""Rows times columns the screen looks at: wide tables are screened on fewer rows (never under
`MIN_SAMPLE_ROWS`): a few milliseconds per column, seconds at the 2,000-column limit."""
MIN_SAMPLE_ROWS = 1000
MIN_SCREEN_ROWS = 30
"""A column with fewer present values is not judged."""
PREDICTOR_THRESHOLD = 0.99
"""ROC AUC / |correlation| above which one column alone is a near-perfect predictor."""
ROW_ORDER_CORRELATION = 0.99
"""|Spearman| between a column and the row position from which it encodes the row order."""
ROW_ORDER_DISTINCT = 0.99
"""Share of distinct values among present ones for a column to count as an identifier."""
ROW_ORDER_ASSOCIATION = 0.9
"""ROC AUC / |correlation| with the target from which a row-order identifier is reported."""
MIN_TEST_ROWS = 200
MIN_TEST_CLASS_ROWS = 10
TEST_SCORE_THRESHOLDS: dict[ProblemType, tuple[tuple[str, float], ...]] = {
    "binary": (("roc_auc", 0.999), ("accuracy", 0.999)),
    "multiclass": (("accuracy", 0.999),),
    "regression": (("r2", 0.999),),
}
"""Held-out scores at or above which a model is too good to be plausible, checked in order."""


@dataclass(frozen=True)
class LeakageFinding:
    """One suspicion: what, where, the statistic that raised it and the threshold it crossed."""

    kind: LeakageKind
    column: str | None
    statistic: str
    value: float
    threshold: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Target:
    """The target as the statistics need it: class indexes, or values."""

    problem: ProblemType
    labels: Array  # class index per row (classification) or the float values (regression)
    classes: int | None
    halves: Array  # 0/1 per row: the out-of-fold halves
    position: Array  # row position in the file

    @property
    def statistic(self) -> str:
        return {"binary": "roc_auc", "multiclass": "roc_auc_ovr"}.get(self.problem, "abs_correlation")


def screen_columns(X: pd.DataFrame, y: Array, schema: TrainingSchema, seed: int) -> list[LeakageFinding]:
    """Findings on the feature columns of `X` (rows in file order) against the target `y`."""
    n = len(X)
    rng = np.random.default_rng(seed)
    position = np.arange(n)
    rows = max(MIN_SAMPLE_ROWS, min(SCREEN_ROWS, SCREEN_CELLS // max(1, len(schema.features))))
    if n > rows:
        position = np.sort(rng.choice(n, rows, replace=False))
    halves = rng.integers(0, 2, len(position))
    if schema.problem_type != "regression":
        codes, _ = pd.factorize(pd.Series(np.asarray(y)[position], dtype=object))
        labels, classes = codes.astype(np.intp), int(codes.max()) + 1
    else:
        labels, classes = np.asarray(y, dtype=np.float64)[position], None
    target = _Target(schema.problem_type, labels, classes, halves, position)
    findings = []
    for spec in schema.features:
        found = _screen_column(spec, X[spec.name].to_numpy()[position], target)
        if found is not None:
            findings.append(found)
    return findings


def _as_numbers(spec: FeatureSchema, values: Array) -> Array | None:
    """float64 values (NaN when missing), datetimes as days since 1970; None for categories."""
    if spec.kind == "categorical":
        return None
    if spec.kind == "datetime":
        stamps = np.asarray(values, dtype="datetime64[ns]")
        days = stamps.astype(np.int64).astype(np.float64) / 86_400e9
        return np.where(np.isnat(stamps), np.nan, days)
    return np.asarray(values, dtype=np.float64)


def _screen_column(spec: FeatureSchema, values: Array, target: _Target) -> LeakageFinding | None:
    numbers = _as_numbers(spec, values)
    present = ~np.isnan(numbers) if numbers is not None else pd.notna(values)
    if int(present.sum()) < MIN_SCREEN_ROWS:
        return None
    # Categories are grouped by value, numbers by quantile bins (both: missing is a group).
    codes = binned_codes(numbers) if numbers is not None else value_codes(values, numeric=False)
    derived = _derived(spec.name, codes, numbers, present, target)
    if derived is not None:
        return derived
    association = _association(codes, numbers, present, target)
    if np.isnan(association):
        return None
    order = _row_order(spec, numbers, present, target) if numbers is not None else None
    if order is not None and association >= ROW_ORDER_ASSOCIATION:
        return LeakageFinding(
            "row_order_identifier",
            spec.name,
            target.statistic,
            round(association, 6),
            ROW_ORDER_ASSOCIATION,
            f"{spec.name!r} holds a distinct value per row that follows the file's row order "
            f"(|Spearman| with the row position {order:.4f}) and predicts the target "
            f"({_named(target)} {association:.4f}, threshold {ROW_ORDER_ASSOCIATION}): the file is "
            "probably sorted by the target, or by time while the target drifts, and the model can "
            "learn the position instead of the record.",
        )
    if association > PREDICTOR_THRESHOLD:
        return LeakageFinding(
            "near_perfect_predictor",
            spec.name,
            target.statistic,
            round(association, 6),
            PREDICTOR_THRESHOLD,
            f"{spec.name!r} alone predicts the target ({_named(target)} {association:.4f}, threshold "
            f"{PREDICTOR_THRESHOLD}): check that its value is known before the target is, at the "
            "time the model will be asked.",
        )
    return None


def _named(target: _Target) -> str:
    return {"roc_auc": "ROC AUC", "roc_auc_ovr": "one-vs-rest ROC AUC"}.get(target.statistic, "|correlation|")


def _derived(
    name: str, codes: Array, numbers: Array | None, present: Array, target: _Target
) -> LeakageFinding | None:
    if target.classes is not None:
        if numbers is not None:
            # Bins never outnumber distinct values: more bins than classes rules a mapping out
            # without sorting the values.
            if np.count_nonzero(np.bincount(codes)) > target.classes:
                return None
            codes = value_codes(numbers, numeric=True)
        if not one_to_one(codes, target.labels, target.classes):
            return None
        return LeakageFinding(
            "derived_from_target",
            name,
            "class_mapping_purity",
            1.0,
            1.0,
            f"{name!r} takes exactly one value per class of the target ({target.classes} values for "
            f"{target.classes} classes): it restates the target.",
        )
    if numbers is None:
        return None
    rho = spearman(numbers[present], target.labels[present])
    if np.isnan(rho) or abs(rho) < 1.0 - 1e-9:
        return None
    direction = "rises" if rho > 0 else "falls"
    return LeakageFinding(
        "derived_from_target",
        name,
        "abs_spearman",
        1.0,
        1.0,
        f"{name!r} {direction} exactly with the target on every row where it is present "
        "(|Spearman| = 1): it is a monotonic function of the target.",
    )


def _association(codes: Array, numbers: Array | None, present: Array, target: _Target) -> float:
    """The column's best single-feature score against the target (see the module docstring)."""
    encoded = encoded_association(codes, target.labels, target.classes, target.halves)
    scores = [encoded]
    if numbers is not None and target.classes == 2:
        positive = target.labels == 1
        low, high = np.nanmin(numbers) - 1.0, np.nanmax(numbers) + 1.0
        for fill in (low, high) if not present.all() else (low,):
            auc = rank_auc(np.where(present, numbers, fill), positive)
            scores.append(max(auc, 1.0 - auc))
    elif numbers is not None and target.classes is None:
        x, t = numbers[present], target.labels[present]
        scores += [abs(pearson(x, t)), abs(spearman(x, t))]
    found = [s for s in scores if not np.isnan(s)]
    return max(found) if found else float("nan")


def _row_order(spec: FeatureSchema, numbers: Array, present: Array, target: _Target) -> float | None:
    """|Spearman| with the row position when the column is a whole-number or date identifier
    following the row order; None otherwise."""
    x = numbers[present]
    if spec.kind not in ("numeric", "datetime") or (spec.kind == "numeric" and not np.all(x == np.floor(x))):
        return None
    if len(np.unique(x)) < ROW_ORDER_DISTINCT * len(x):
        return None
    rho = abs(spearman(x, target.position[present].astype(np.float64)))
    return rho if rho >= ROW_ORDER_CORRELATION else None


def check_test_score(
    problem: ProblemType, test_metrics: dict[str, float], y_test: Any
) -> list[LeakageFinding]:
    """An `implausible_test_score` finding when the held-out score reaches its threshold on a
    test split large enough to judge (see the module docstring)."""
    labels = np.asarray(y_test)
    if len(labels) < MIN_TEST_ROWS:
        return []
    if problem != "regression":
        _, counts = np.unique(labels.astype(str), return_counts=True)
        if counts.min() < MIN_TEST_CLASS_ROWS:
            return []
    for metric, threshold in TEST_SCORE_THRESHOLDS[problem]:
        value = test_metrics.get(metric)
        if value is not None and value >= threshold:
            return [
                LeakageFinding(
                    "implausible_test_score",
                    None,
                    metric,
                    round(float(value), 6),
                    threshold,
                    f"The held-out {metric} is {value:.4f} on {len(labels)} rows (threshold {threshold}): "
                    "real targets are rarely this predictable; look for a column that carries the "
                    "target or is recorded after it.",
                )
            ]
    return []
