"""Preparing a dataset for training: the columns to leave out and the preprocessing to apply."""

from __future__ import annotations

from modelyard.domain.analysis.heuristic.findings import strongest_first
from modelyard.domain.analysis.heuristic.wording import capped, more_than_listed, pct
from modelyard.domain.analysis.schemas import ColumnExclusion, PreprocessingStep
from modelyard.domain.analysis.signals import ColumnRelation
from modelyard.domain.datasets.schemas import ColumnProfile, DatasetProfile

MOSTLY_MISSING_EXCLUDE = 0.95
ONE_HOT_MAX = 20
SKEWED = 2.0


def exclusions(
    profile: DatasetProfile,
    identifiers: list[str],
    pii: list[str],
    leakage: list[ColumnRelation],
    target: str | None,
) -> list[ColumnExclusion]:
    """Columns to leave out of training, each once, with the first reason that applies."""
    found: dict[str, ColumnExclusion] = {}

    def add(column: str, code: str, reason: str) -> None:
        if column != target and column not in found:
            found[column] = ColumnExclusion(column=column, reason_code=code, reason=reason)  # type: ignore[arg-type]

    for r in strongest_first(leakage):
        add(r.column, "leakage", f"Leakage suspect: it reveals `{r.target}` (see findings).")
    for name in pii:
        add(name, "pii", "Holds personal data; leave it out, or pseudonymise it if it truly matters.")
    for name in identifiers:
        add(name, "identifier", "Identifies rows; it carries no pattern a model can generalise from.")
    for column in profile.column_profiles:
        if column.distinct_count <= 1:
            add(column.name, "constant", "Has a single value; it cannot help any model.")
        elif column.null_ratio >= MOSTLY_MISSING_EXCLUDE:
            add(column.name, "mostly_missing", f"{pct(column.null_ratio)} of values are missing.")
        elif column.semantic_type == "text":
            add(
                column.name,
                "free_text",
                "Free text; tabular models cannot use it directly (text features would be needed).",
            )
    return list(found.values())


def preprocessing(profile: DatasetProfile, features: list[ColumnProfile]) -> list[PreprocessingStep]:
    """Steps for the feature columns: deduplicate first, then one step per action that applies."""
    steps: list[PreprocessingStep] = []
    if profile.duplicate_rows:
        steps.append(
            PreprocessingStep(
                action="deduplicate",
                columns=[],
                reason=f"{profile.duplicate_rows} rows repeat an earlier row; duplicates inflate test scores "
                "when copies land on both sides of the split.",
            )
        )
    for action, columns, reason in _column_actions(features):
        if columns:
            steps.append(
                PreprocessingStep(
                    action=action,  # type: ignore[arg-type]
                    columns=capped(columns),
                    reason=reason + more_than_listed(columns),
                )
            )
    return steps


def _column_actions(features: list[ColumnProfile]) -> list[tuple[str, list[str], str]]:
    """(action, the columns it applies to, why), in the order a pipeline applies them."""
    numeric = [c for c in features if c.semantic_type in ("integer", "float") and c.numeric is not None]
    skewed = [
        c.name
        for c in numeric
        if c.numeric and c.numeric.skewness is not None and c.numeric.skewness > SKEWED and c.numeric.min >= 0
    ]
    few = [
        c.name
        for c in features
        if c.semantic_type in ("categorical", "boolean") and c.distinct_count <= ONE_HOT_MAX
    ]
    many = [c.name for c in features if c.semantic_type == "categorical" and c.distinct_count > ONE_HOT_MAX]
    return [
        (
            "impute",
            [c.name for c in features if c.null_count > 0],
            "These columns have missing values: fill numbers with the median and categories with the "
            "most frequent value (adding a missing-value indicator keeps the information that a value was "
            "absent).",
        ),
        ("one_hot_encode", few, f"Categories with at most {ONE_HOT_MAX} values: one column per value."),
        (
            "frequency_encode",
            many,
            f"Categories with more than {ONE_HOT_MAX} values: replace each value by its frequency (one-hot "
            "would create too many columns).",
        ),
        (
            "log_transform",
            skewed,
            "Strongly right-skewed, non-negative numbers: a log transform helps linear models.",
        ),
        (
            "clip_outliers",
            [c.name for c in numeric if c.numeric and c.count and c.numeric.outliers / c.count > 0.01],
            "More than 1% of values lie beyond 3 IQR from the quartiles: clip them, or prefer tree models.",
        ),
        ("scale", [c.name for c in numeric], "Standardise numbers for linear models (trees do not need it)."),
        (
            "extract_datetime_parts",
            [c.name for c in features if c.semantic_type == "datetime"],
            "Dates: use year, month, weekday and elapsed time rather than the raw timestamp.",
        ),
    ]
