"""What may leave the server: the dataset brief sent to a language model.

Rules, enforced here and nowhere else:
- aggregates only (counts, ratios, numeric summaries, findings, computed signals);
- row values only as the profile's already-masked sample and top values, only for
  columns without a PII finding, and only when `send_samples` is on;
- a PII column contributes its name, type, counts and the PII kinds, never a value
  (not even masked ones, nor numeric summaries that could reveal them);
- bounded size: a wide dataset is summarised (the most relevant columns in full, the
  rest as counts), and the brief is always complete JSON, never cut mid-way.
"""

from __future__ import annotations

from typing import Any

import msgspec

from modelyard.domain.analysis.heuristic import TargetCandidate, identifier_columns
from modelyard.domain.analysis.signals import DataSignals
from modelyard.domain.datasets.schemas import ColumnProfile, DatasetProfile

MAX_VALUE_CHARS = 40
MAX_VALUES = 5
MIN_COLUMNS = 5
OMITTED_NAMES = 100


def _value(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def column_brief(column: ColumnProfile, *, send_samples: bool) -> dict[str, Any]:
    brief: dict[str, Any] = {
        "name": column.name,
        "type": column.semantic_type,
        "non_null": column.count,
        "null_ratio": round(column.null_ratio, 4),
        "distinct": column.distinct_count,
    }
    if column.pii:
        brief["pii"] = sorted({p.kind for p in column.pii})
        brief["values"] = "withheld (personal data)"
        return brief
    if column.numeric is not None:
        n = column.numeric
        brief["numeric"] = {
            "min": _round(n.min),
            "max": _round(n.max),
            "mean": _round(n.mean),
            "std": _round(n.std),
            "median": _round(n.quantiles.get("p50")),
            "skewness": _round(n.skewness),
            "outliers": n.outliers,
        }
    if column.datetime_min is not None and column.datetime_max is not None:
        brief["range"] = [column.datetime_min.isoformat(), column.datetime_max.isoformat()]
    if send_samples:
        if column.top_values:
            brief["top_values"] = [[_value(v.value), v.count] for v in column.top_values[:MAX_VALUES]]
        elif column.sample_values:
            brief["sample_values"] = [_value(v) for v in column.sample_values[:MAX_VALUES]]
    elif column.top_values:
        # Counts say how balanced a category is without saying what the categories are.
        brief["top_value_counts"] = [v.count for v in column.top_values[:MAX_VALUES]]
    return brief


def _relevance(
    profile: DatasetProfile, targets: list[TargetCandidate], signals: DataSignals
) -> list[ColumnProfile]:
    """Columns ordered by how much an analyst needs them: targets, leakage, flagged, complete."""
    score: dict[str, float] = {c.name: 1.0 - c.null_ratio for c in profile.column_profiles}
    for rank, target in enumerate(targets):
        score[target.column] = score.get(target.column, 0) + 100 - rank
    for relation in signals.relations:
        score[relation.column] = score.get(relation.column, 0) + 10 * relation.strength
    for finding in profile.findings:
        for name in finding.columns:
            score[name] = score.get(name, 0) + (3 if finding.severity != "info" else 1)
    for name in identifier_columns(profile):
        score[name] = score.get(name, 0) + 2
    order = {c.name: i for i, c in enumerate(profile.column_profiles)}
    return sorted(profile.column_profiles, key=lambda c: (-score[c.name], order[c.name]))


def dataset_brief(
    profile: DatasetProfile,
    targets: list[TargetCandidate],
    signals: DataSignals,
    *,
    send_samples: bool,
    max_chars: int,
    target_hint: str | None = None,
) -> dict[str, Any]:
    """The JSON-able summary a language model gets: at most `max_chars` serialised, if at all possible."""
    ranked = _relevance(profile, targets, signals)
    limit = len(ranked)
    samples = send_samples
    while True:
        brief = _assemble(profile, targets, signals, ranked[:limit], ranked[limit:], samples, target_hint)
        if len(msgspec.json.encode(brief)) <= max_chars or (limit <= MIN_COLUMNS and not samples):
            return brief
        if samples and limit <= MIN_COLUMNS * 4:
            samples = False  # values go before the columns themselves
        else:
            limit = max(MIN_COLUMNS, limit * 2 // 3)


def _assemble(
    profile: DatasetProfile,
    targets: list[TargetCandidate],
    signals: DataSignals,
    shown: list[ColumnProfile],
    omitted: list[ColumnProfile],
    send_samples: bool,
    target_hint: str | None,
) -> dict[str, Any]:
    shown_names = {c.name for c in shown}
    brief: dict[str, Any] = {
        "rows": profile.rows,
        "columns": profile.columns,
        "duplicate_rows": profile.duplicate_rows,
        "target_named_by_user": target_hint,
        "column_profiles": [column_brief(c, send_samples=send_samples) for c in shown],
        "quality_findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "columns": [c for c in f.columns if c in shown_names][:20],
                "count": f.count,
            }
            for f in profile.findings
        ][:60],
        "computed_signals": {
            "identifier_columns": [c for c in identifier_columns(profile) if c in shown_names][:50],
            "target_candidates": [{"column": t.column, "problem_type": t.problem_type} for t in targets],
            "relations_to_target": [
                {"column": r.column, "target": r.target, "kind": r.kind, "strength": r.strength}
                for r in sorted(signals.relations, key=lambda r: -r.strength)
                if r.column in shown_names
            ][:40],
            "rows_checked_for_relations": signals.sampled_rows,
        },
    }
    if omitted:
        kinds: dict[str, int] = {}
        for c in omitted:
            kinds[c.semantic_type] = kinds.get(c.semantic_type, 0) + 1
        brief["omitted_columns"] = {
            "count": len(omitted),
            "by_type": kinds,
            "with_missing_values": sum(c.null_count > 0 for c in omitted),
            "with_pii": sum(bool(c.pii) for c in omitted),
            "some_names": [c.name[:60] for c in omitted[:OMITTED_NAMES]]
            if len(omitted) <= 3 * OMITTED_NAMES
            else [],
        }
    return brief
