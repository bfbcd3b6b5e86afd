"""Which columns to leave alone and which could be the target: identifiers, personal data, labels."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.analysis.heuristic.wording import MAX_LIST, name_tokens
from modelyard.domain.datasets.schemas import ColumnProfile, DatasetProfile
from modelyard.lib.schema import ProblemType
from modelyard.ml.columns import ANALYST, ValueKind, is_identifier

MAX_TARGETS = 3
TARGET_MAX_NULLS = 0.5

_STRONG_TARGET_NAMES = {"target", "label", "labels", "class", "y", "outcome", "response"}
_TARGET_WORDS = {
    "churn", "churned", "default", "defaulted", "fraud", "survived", "price", "salary", "income", "sales",
    "revenue", "species", "diagnosis", "quality", "rating", "score", "status", "result", "converted",
    "purchased", "approved", "clicked", "cancelled", "canceled", "attrition", "exited", "spam", "sentiment",
    "amount", "cost", "value", "grade", "category", "outcome", "risk",
}  # fmt: skip
# Names of copies and model outputs: such a column is a leakage suspect, not the label.
_DERIVED_WORDS = {
    "copy",
    "dup",
    "duplicate",
    "pred",
    "predicted",
    "prediction",
    "proba",
    "probability",
    "backup",
}
_VALUE_KIND: dict[str, ValueKind] = {"integer": "integer", "text": "string", "categorical": "string"}


def identifier_columns(profile: DatasetProfile) -> list[str]:
    """Columns that identify rows: typed so by profiling, flagged, or id-named with all values unique."""
    flagged = {c for f in profile.findings if f.code == "identifier_like" for c in f.columns}
    return [
        column.name
        for column in profile.column_profiles
        if column.semantic_type == "identifier"
        or column.name in flagged
        or is_identifier(
            ANALYST,
            name=column.name,
            kind=_VALUE_KIND.get(column.semantic_type, "other"),
            count=profile.rows,  # every row, so a missing value disqualifies
            distinct=column.distinct_count,
        )
    ]


def pii_columns(profile: DatasetProfile) -> list[str]:
    return [c.name for c in profile.column_profiles if c.pii]


def problem_type_of(column: ColumnProfile) -> ProblemType | None:
    """The kind of model a column would need as target, or None when it cannot be one."""
    if column.distinct_count < 2:
        return None
    if column.semantic_type == "boolean" or column.distinct_count == 2:
        return "binary"
    if column.semantic_type == "categorical":
        return "multiclass" if column.distinct_count <= MAX_LIST else None
    if column.semantic_type == "integer":
        return "multiclass" if column.distinct_count <= 10 else "regression"
    if column.semantic_type == "float":
        return "regression"
    return None


@dataclass(frozen=True)
class TargetCandidate:
    column: str
    problem_type: ProblemType
    score: float
    reasons: tuple[str, ...]


def rank_targets(profile: DatasetProfile, hint: str | None = None) -> list[TargetCandidate]:
    """Plausible targets, best first: named like a target, a label-like type, complete, last column."""
    excluded = set(identifier_columns(profile)) | set(pii_columns(profile))
    candidates: list[TargetCandidate] = []
    last = profile.column_profiles[-1].name if profile.column_profiles else None
    for column in profile.column_profiles:
        problem = problem_type_of(column)
        if column.name == hint and problem is not None:
            candidates.append(TargetCandidate(column.name, problem, 1000.0, ("you named it as the target",)))
            continue
        if problem is None or column.name in excluded or column.null_ratio > TARGET_MAX_NULLS:
            continue
        candidates.append(_scored(column, problem, is_last=column.name == last))
    candidates.sort(key=lambda c: -c.score)
    return candidates[:MAX_TARGETS]


def _scored(column: ColumnProfile, problem: ProblemType, *, is_last: bool) -> TargetCandidate:
    """How much `column` looks like a label, with the reasons for the score."""
    score, reasons = 0.0, []
    tokens = name_tokens(column.name)
    if column.name.lower() in _STRONG_TARGET_NAMES or (tokens and tokens[-1] in _STRONG_TARGET_NAMES):
        score += 5
        reasons.append("its name says it is the label")
    elif any(t in _TARGET_WORDS for t in tokens) or (tokens and tokens[0] in ("is", "has", "will")):
        score += 3
        reasons.append("its name describes an outcome")
    if problem == "binary":
        score += 2
        reasons.append("it has exactly two values (a yes/no outcome)")
    elif problem == "multiclass":
        score += 1.5
        reasons.append(f"it has a few distinct values ({column.distinct_count})")
    else:
        score += 1
        reasons.append("it is a continuous number")
    if any(t in _DERIVED_WORDS for t in tokens):
        score -= 4
        reasons.append("(its name suggests a copy or a prediction, not the label)")
    if is_last:
        score += 1
        reasons.append("it is the last column, where labels usually are")
    if column.null_ratio == 0:
        score += 0.5
        reasons.append("it has no missing values")
    else:
        score -= column.null_ratio * 2
    return TargetCandidate(column.name, problem, score, tuple(reasons))
