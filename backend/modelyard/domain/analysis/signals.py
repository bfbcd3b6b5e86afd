"""Facts about a dataset that its profile does not hold: how each column relates to a target.

Runs in the process pool (`compute_signals`). The profile is per-column; leakage and
relationships need two columns at once, so they are computed here from a sample of the
stored table: a column equal to the target, one whose values determine the target, a
near-perfect correlation (leakage suspects), and ordinary strong correlations or
associations (notable relationships).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import msgspec
import polars as pl

from modelyard.lib.jobs import JobControl

RelationKind = Literal[
    "equals_target", "determines_target", "near_perfect_correlation", "correlation", "association"
]
LEAKAGE_KINDS: frozenset[str] = frozenset({"equals_target", "determines_target", "near_perfect_correlation"})

SAMPLE_ROWS = 100_000
MAX_COLUMNS = 500
MIN_ROWS = 10
EQUAL_SHARE = 0.99
LEAK_CORRELATION = 0.98
NOTABLE_CORRELATION = 0.3
DETERMINES_PURITY = 0.99
NOTABLE_LIFT = 0.15
MAX_TARGET_CLASSES = 50


class ColumnRelation(msgspec.Struct, frozen=True):
    column: str
    target: str
    kind: RelationKind
    strength: float
    """0..1: share of equal values, |Pearson r|, or the share of rows the column's value predicts."""


class DataSignals(msgspec.Struct):
    sampled_rows: int = 0
    relations: list[ColumnRelation] = []

    def leakage(self, target: str) -> list[ColumnRelation]:
        """Leakage suspects of `target`, including pairs found while checking another candidate target."""
        found = {r.column: r for r in self.relations if r.target == target and r.kind in LEAKAGE_KINDS}
        for r in self.relations:
            if r.column == target and r.kind == "equals_target" and r.target not in found:
                found[r.target] = ColumnRelation(r.target, target, r.kind, r.strength)
        return list(found.values())

    def notable(self, target: str) -> list[ColumnRelation]:
        return [r for r in self.relations if r.target == target and r.kind not in LEAKAGE_KINDS]


def compute_signals(control: JobControl, path: str, targets: list[str]) -> dict[str, Any]:
    """Process-pool entry: relations of every column to each target, from a sample of the Parquet table."""
    frame = pl.read_parquet(Path(path), n_rows=SAMPLE_ROWS)
    return msgspec.to_builtins(signals_from_frame(frame, targets, control))  # type: ignore[no-any-return]


def signals_from_frame(
    frame: pl.DataFrame, targets: list[str], control: JobControl | None = None
) -> DataSignals:
    relations: list[ColumnRelation] = []
    columns = frame.columns[:MAX_COLUMNS]
    for index, target in enumerate(t for t in targets if t in frame.columns):
        y = frame.get_column(target)
        for column in columns:
            if column == target:
                continue
            relation = _relation(frame.get_column(column), y)
            if relation is not None:
                relations.append(ColumnRelation(column, target, relation[0], round(relation[1], 4)))
        if control is not None:
            control.report((index + 1) / max(1, len(targets)))
            control.check()
    return DataSignals(sampled_rows=frame.height, relations=relations)


def _relation(x: pl.Series, y: pl.Series) -> tuple[RelationKind, float] | None:
    both = pl.DataFrame({"x": x, "y": y}).drop_nulls()
    n = both.height
    if n < MIN_ROWS:
        return None
    xs, ys = both.get_column("x"), both.get_column("y")
    equal = (xs.cast(pl.String) == ys.cast(pl.String)).sum() / n
    if equal >= EQUAL_SHARE:
        return "equals_target", float(equal)
    y_numeric = _as_number(ys)
    x_numeric = _as_number(xs)
    y_distinct = ys.n_unique()
    if y_distinct < 2:
        return None
    classification = y_distinct <= MAX_TARGET_CLASSES and (
        ys.dtype in (pl.String, pl.Boolean) or y_distinct <= 10
    )
    if x_numeric is not None and y_numeric is not None and (not classification or y_distinct == 2):
        r = _pearson(x_numeric, y_numeric)
        if r is not None:
            if abs(r) >= LEAK_CORRELATION:
                return "near_perfect_correlation", abs(r)
            if abs(r) >= NOTABLE_CORRELATION:
                return "correlation", abs(r)
    if classification:
        x_distinct = xs.n_unique()
        # An identifier "determines" anything; only a column that groups rows counts.
        if 2 <= x_distinct <= max(2, n // 5):
            grouped = both.group_by(["x", "y"]).len()
            purity = float(grouped.group_by("x").agg(pl.col("len").max()).get_column("len").sum()) / n
            majority = ys.value_counts().get_column("count").max()
            baseline = float(majority) / n if isinstance(majority, int) else 1.0
            if purity >= DETERMINES_PURITY and baseline < 0.95:
                return "determines_target", float(purity)
            if purity - baseline >= NOTABLE_LIFT:
                return "association", float(purity)
    return None


def _as_number(series: pl.Series) -> pl.Series | None:
    if series.dtype == pl.Boolean:
        return series.cast(pl.Float64)
    if series.dtype.is_numeric():
        return series.cast(pl.Float64)
    if series.dtype == pl.String and series.n_unique() == 2:
        first = sorted(series.unique().to_list())[0]
        encoded: pl.Series = (series != first).cast(pl.Float64)
        return encoded
    return None


def _pearson(x: pl.Series, y: pl.Series) -> float | None:
    if x.std() in (None, 0.0) or y.std() in (None, 0.0):
        return None
    value = pl.DataFrame({"x": x, "y": y}).select(pl.corr("x", "y")).item()
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)
