"""Profiling: per-column statistics, semantic types, quality and PII findings.

Runs in the process pool. The input is the normalised Parquet copy, read one column at a
time, so memory peaks at the largest column rather than the whole table. Counts, min/max,
mean/std and quantiles are exact; distinct counts, top values and duplicate rows come from
64-bit hashes (exact unless two different values collide, which is vanishingly rare); PII
ratios come from a sample. The profile lists the figures that are estimates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import polars as pl
import pyarrow.parquet as pq

from modelyard.domain.datasets import pii
from modelyard.domain.datasets.schemas import (
    ColumnProfile,
    DatasetProfile,
    NumericStats,
    PiiFinding,
    QualityFinding,
    SemanticType,
    ValueCount,
)
from modelyard.lib.schema import Severity
from modelyard.ml.columns import PROFILE, is_code_like, is_identifier
from modelyard.tabular.conversion import convert_to_parquet
from modelyard.tabular.limits import DatasetRejected, IngestLimits
from modelyard.tabular.normalised import Converted
from modelyard.tabular.sniffing import Sniffed

QUANTILES = {"p01": 0.01, "p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}
TOP_VALUES = 10
SAMPLE_VALUES = 5
PII_SAMPLE = 2000
MOSTLY_MISSING = 0.5
HIGH_CARDINALITY = 1000
SKEWED = 2.0
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_INJECTION = r"^(?:[=@\t\r]|[+\-][^0-9.\s])"


def analyse_upload(source: str, sniffed: Sniffed, target: str, limits: IngestLimits) -> dict[str, Any]:
    """Process-pool entry: convert the upload to Parquet at `target` and profile it.

    Returns the conversion facts and the profile as plain data (picklable, storable).
    """
    converted = convert_to_parquet(Path(source), sniffed, Path(target), limits)
    profile = profile_parquet(Path(target), converted, limits)
    return {
        "rows": converted.rows,
        "columns": converted.columns,
        "renamed": converted.renamed,
        "encoding": converted.encoding or sniffed.encoding,
        "profile": msgspec.to_builtins(profile),
    }


def profile_parquet(path: Path, converted: Converted, limits: IngestLimits) -> DatasetProfile:
    rows = pq.ParquetFile(path).metadata.num_rows
    columns: list[ColumnProfile] = []
    findings: list[QualityFinding] = []
    memory = 0.0
    row_hashes = np.zeros(rows, dtype=np.uint64)
    for name in converted.columns:
        series = pl.read_parquet(path, columns=[name]).to_series()
        memory += series.estimated_size()
        # FNV-style combination of per-column hashes (uint64 arithmetic wraps).
        hashed = series.hash(seed=7)
        row_hashes = (row_hashes * np.uint64(1099511628211)) ^ hashed.to_numpy()
        column, column_findings = profile_column(series, limits, hashed)
        columns.append(column)
        findings.extend(column_findings)
    row_hashes.sort()  # in place: no hash table of a million rows at the end
    duplicates = int(np.count_nonzero(row_hashes[1:] == row_hashes[:-1])) if rows else 0
    if duplicates:
        findings.append(
            QualityFinding(
                code="duplicate_rows",
                severity="warning",
                message=f"{duplicates} rows repeat an earlier row exactly.",
                columns=[],
                count=duplicates,
            )
        )
    if converted.renamed:
        findings.append(
            QualityFinding(
                code="renamed_columns",
                severity="info",
                message="Blank or repeated column headers were renamed: "
                + ", ".join(f"{old!r} -> {new!r}" for old, new in converted.renamed),
                columns=[new for _, new in converted.renamed],
            )
        )
    return DatasetProfile(
        rows=rows,
        columns=len(columns),
        memory_bytes=int(memory),
        duplicate_rows=duplicates,
        column_profiles=columns,
        findings=findings,
        estimated=["memory_bytes", "duplicate_rows", "distinct_count", "top_values", "pii"],
    )


def profile_column(
    series: pl.Series, limits: IngestLimits, hashed: pl.Series | None = None
) -> tuple[ColumnProfile, list[QualityFinding]]:
    """Profile one column; `hashed` is `series.hash(seed=7)` when the caller already has it."""
    name = series.name
    total = series.len()
    nulls = series.null_count()
    values = series.drop_nulls()
    count = values.len()
    dtype = series.dtype
    is_string = dtype == pl.String
    if is_string and count:
        _check_cell_size(name, values, limits)

    numeric_kind = dtype.is_numeric() and count > 0
    ordered = np.sort(values.to_numpy()) if numeric_kind else None
    if ordered is not None:
        # Numbers: one sort gives distinct counts, top values and exact quantiles together.
        distinct, top_pairs = _sorted_runs(ordered)
    else:
        distinct, top_pairs = _hashed_runs(series, values, hashed)

    head = values.head(1000)
    semantic = _semantic_type(series, values, head, distinct)
    top: list[tuple[object, int]] = []
    if is_string or semantic in ("categorical", "boolean") or distinct <= 50:
        top = top_pairs()

    numeric = _numeric_stats(values, ordered) if ordered is not None and semantic != "boolean" else None
    datetime_min = datetime_max = None
    if dtype.is_temporal() and count:
        datetime_min, datetime_max = _as_datetime(values.min()), _as_datetime(values.max())

    pii_found = _pii_findings(name, values) if is_string or dtype.is_integer() else []
    shown = pii.mask if pii_found else str
    samples = [shown(_text(v)) for v in head.unique(maintain_order=True).head(SAMPLE_VALUES).to_list()]
    profile = ColumnProfile(
        name=name,
        physical_type=str(dtype),
        semantic_type=semantic,
        count=count,
        null_count=nulls,
        null_ratio=round(nulls / total, 6) if total else 0.0,
        distinct_count=distinct,
        numeric=numeric,
        datetime_min=datetime_min,
        datetime_max=datetime_max,
        top_values=[ValueCount(value=shown(_text(v)), count=c) for v, c in top],
        sample_values=samples,
        pii=pii_found,
    )
    return profile, _column_findings(profile, values, head)


def _check_cell_size(name: str, values: pl.Series, limits: IngestLimits) -> None:
    """Reject a text column holding a cell larger than the limit."""
    longest = values.str.len_bytes().max()
    if isinstance(longest, int) and longest > limits.max_cell_bytes:
        raise DatasetRejected(
            "invalid",
            f"Column {name!r} has a cell of {longest} bytes; at most {limits.max_cell_bytes} are accepted.",
            f"column:{name}",
        )


def _hashed_runs(
    series: pl.Series, values: pl.Series, hashed: pl.Series | None
) -> tuple[int, Callable[[], list[tuple[object, int]]]]:
    """Distinct count of a non-numeric column, and a function giving its most frequent values: from
    sorted 64-bit hashes, one fast pass (`hashed`: `series.hash(seed=7)`, when already known)."""
    if hashed is None:
        hashed = series.hash(seed=7)
    hashes = (hashed.filter(series.is_not_null()) if series.null_count() else hashed).to_numpy()
    unique_hashes, counts = np.unique(hashes, return_counts=True)
    return int(unique_hashes.size), lambda: _top_values(values, hashes, unique_hashes, counts)


def _pii_findings(name: str, values: pl.Series) -> list[PiiFinding]:
    """Personal data detected in a spread sample of a text or integer column's values."""
    spread = values.gather_every(max(1, values.len() // PII_SAMPLE)).head(PII_SAMPLE)
    is_string = values.dtype == pl.String
    sample = spread.to_list() if is_string else spread.cast(pl.String).to_list()
    return [
        PiiFinding(kind=m.kind, ratio=m.ratio, confidence=m.confidence, sample_size=m.sample_size)
        for m in pii.detect(name, sample)
        if is_string or m.kind in ("credit_card", "phone", "person_name")
    ]


def _top_values(
    values: pl.Series, hashes: np.ndarray, unique_hashes: np.ndarray, counts: np.ndarray
) -> list[tuple[object, int]]:
    if not counts.size:
        return []
    keep = min(TOP_VALUES, counts.size)
    best = np.argpartition(-counts, keep - 1)[:keep]
    wanted = unique_hashes[best]
    # At most TOP_VALUES comparisons; np.isin would build a hash set of all 1M hashes each call.
    mask = np.zeros(hashes.size, dtype=bool)
    for value in wanted:
        mask |= hashes == value
    firsts = pl.DataFrame({"h": hashes[mask], "v": values.filter(pl.Series(mask))}).unique("h", keep="first")
    by_hash = dict(zip(firsts.get_column("h").to_list(), firsts.get_column("v").to_list(), strict=True))
    found = [(by_hash[int(h)], int(c)) for h, c in zip(wanted, counts[best], strict=True)]
    return sorted(found, key=lambda pair: (-pair[1], _text(pair[0])))  # ties in a stable, readable order


def _semantic_type(series: pl.Series, values: pl.Series, head: pl.Series, distinct: int) -> SemanticType:
    dtype, count = series.dtype, values.len()
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_temporal():
        return "datetime"
    if dtype.is_integer():
        if distinct <= 2 and count and set(values.unique().to_list()) <= {0, 1}:
            return "boolean"
        sorted_in_file = values.is_sorted()
        if is_identifier(
            PROFILE, name=series.name, kind="integer", count=count, distinct=distinct, sequence=sorted_in_file
        ):
            return "identifier"
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype != pl.String or not count:
        return "categorical"
    if distinct <= 2 and {str(v).lower() for v in values.unique().to_list()} <= _BOOL_WORDS:
        return "boolean"
    lengths = head.str.len_chars().cast(pl.Float64)
    mean_words = _finite((head.str.count_matches(r"\s+") + 1).cast(pl.Float64).mean())
    code_like = is_code_like(mean_words, _finite(lengths.max()))
    if is_identifier(
        PROFILE, name=series.name, kind="string", count=count, distinct=distinct, code_like=code_like
    ):
        return "identifier"
    if mean_words >= 3 or (distinct > 0.5 * count and _finite(lengths.mean()) >= 20):
        return "text"
    return "categorical"


def _sorted_runs(ordered: np.ndarray) -> tuple[int, Callable[[], list[tuple[object, int]]]]:
    """Distinct count of a sorted array, and a function giving its most frequent values."""
    finite = _without_nans(ordered)  # NaNs sort last; they count as one value
    nans = ordered.size - finite.size
    changes = finite[1:] != finite[:-1]
    distinct = (int(np.count_nonzero(changes)) + 1 if finite.size else 0) + (1 if nans else 0)

    def top() -> list[tuple[object, int]]:
        starts = np.flatnonzero(changes) + 1
        bounds = np.concatenate(([0], starts, [finite.size])) if finite.size else np.zeros(1, np.intp)
        counts = np.diff(bounds)
        keep = min(TOP_VALUES, counts.size)
        best = np.argpartition(-counts, keep - 1)[:keep] if keep else np.empty(0, dtype=np.intp)
        found: list[tuple[object, int]] = [(finite[bounds[i]].item(), int(counts[i])) for i in best]
        if nans:
            found.append((float("nan"), nans))
        found.sort(key=lambda pair: (-pair[1], _text(pair[0])))  # ties in a stable, readable order
        return found[:TOP_VALUES]

    return distinct, top


def _without_nans(ordered: np.ndarray) -> np.ndarray:
    """The sorted array without its trailing NaNs (a view, no copy)."""
    if ordered.dtype.kind != "f" or not ordered.size or not np.isnan(ordered[-1]):
        return ordered
    return ordered[: int(np.searchsorted(ordered, np.nan, side="left"))]


def _numeric_stats(values: pl.Series, ordered: np.ndarray) -> NumericStats:
    """Exact statistics of a column's non-null values, given them sorted (`ordered`)."""
    floats = values.cast(pl.Float64)
    array = _without_nans(ordered).astype(np.float64, copy=False)  # statistics are over the numbers
    quantiles = {key: _sorted_quantile(array, q) for key, q in QUANTILES.items()}
    q1, q3 = quantiles["p25"], quantiles["p75"]
    iqr = q3 - q1
    below = np.searchsorted(array, q1 - 3 * iqr, side="left")
    above = array.size - np.searchsorted(array, q3 + 3 * iqr, side="right")
    return NumericStats(
        min=_finite(array[0]) if array.size else 0.0,
        max=_finite(array[-1]) if array.size else 0.0,
        mean=_finite(floats.mean()),
        std=_optional(floats.std()),
        quantiles={key: _finite(value) for key, value in quantiles.items()},
        skewness=_optional(floats.skew()),
        outliers=int(below + above) if array.size else 0,
    )


def _sorted_quantile(ordered: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of an already sorted array, without re-partitioning it."""
    if not ordered.size:
        return math.nan
    position = q * (ordered.size - 1)
    low = math.floor(position)
    high = min(low + 1, ordered.size - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _column_findings(column: ColumnProfile, values: pl.Series, head: pl.Series) -> list[QualityFinding]:
    name, found = column.name, []

    def add(code: str, severity: Severity, message: str, count: int | None = None) -> None:
        found.append(
            QualityFinding(code=code, severity=severity, message=message, columns=[name], count=count)
        )

    if column.count and column.distinct_count == 1:
        add("constant_column", "warning", f"{name!r} holds a single value; it carries no information.")
    if column.null_ratio >= MOSTLY_MISSING:
        severity: Severity = "critical" if column.null_ratio >= 0.95 else "warning"
        add("mostly_missing", severity, f"{column.null_ratio:.0%} of {name!r} is missing.", column.null_count)
    if column.semantic_type == "categorical" and column.distinct_count > HIGH_CARDINALITY:
        add(
            "high_cardinality",
            "warning",
            f"{name!r} has {column.distinct_count} distinct categories; consider grouping rare ones.",
        )
    if column.semantic_type == "identifier":
        add("identifier_like", "info", f"{name!r} looks like an identifier; exclude it from model features.")
    stats = column.numeric
    if stats is not None:
        if stats.skewness is not None and abs(stats.skewness) > SKEWED:
            add("skewed", "info", f"{name!r} is heavily skewed (skewness {stats.skewness:.1f}).")
        if stats.outliers and stats.outliers > 0.01 * column.count:
            add(
                "outliers",
                "warning",
                f"{stats.outliers} values of {name!r} lie beyond 3 IQR.",
                stats.outliers,
            )
    if values.dtype == pl.String and column.count:
        numeric_share = head.cast(pl.Float64, strict=False).drop_nulls().len() / max(1, head.len())
        if 0.2 <= numeric_share < 1:
            add(
                "mixed_types",
                "warning",
                f"{numeric_share:.0%} of sampled {name!r} values are numbers, the rest text.",
            )
        injected = int(values.str.contains(_INJECTION).sum())
        if injected:
            add(
                "csv_injection",
                "warning",
                f"{injected} cells of {name!r} start like spreadsheet formulas (`=`, `+`, `-`, `@`). "
                "They are stored and returned as data, unchanged: escape them before opening an export "
                "in a spreadsheet.",
                injected,
            )
    if column.pii:
        kinds = ", ".join(p.kind for p in column.pii)
        add("pii", "warning", f"{name!r} appears to hold personal data ({kinds}); shown values are masked.")
    return found


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value is not None and hasattr(value, "year"):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)  # type: ignore[attr-defined]
    return None


def _optional(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _finite(value: Any) -> float:
    number = _optional(value)
    return 0.0 if number is None else number
