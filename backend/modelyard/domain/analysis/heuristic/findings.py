"""Findings of a dataset analysis: profile quality issues, leakage, relationships, target and size."""

from __future__ import annotations

from modelyard.domain.analysis.heuristic.wording import SMALL_DATASET, capped, pct
from modelyard.domain.analysis.schemas import Finding
from modelyard.domain.analysis.signals import ColumnRelation
from modelyard.domain.datasets.schemas import ColumnProfile, DatasetProfile
from modelyard.lib.schema import ProblemType, Severity

IMBALANCED = 0.1
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_FINDING_TITLES = {
    "constant_column": ("data_quality", "Constant column"),
    "mostly_missing": ("data_quality", "Mostly missing values"),
    "high_cardinality": ("data_quality", "Very many distinct categories"),
    "identifier_like": ("data_quality", "Identifier column"),
    "skewed": ("data_quality", "Skewed distribution"),
    "outliers": ("data_quality", "Outliers"),
    "duplicate_rows": ("data_quality", "Duplicate rows"),
    "mixed_types": ("data_quality", "Mixed value types"),
    "csv_injection": ("data_quality", "Spreadsheet formulas in cells"),
    "renamed_columns": ("data_quality", "Renamed column headers"),
    "pii": ("privacy", "Personal data"),
}
_LEAK_TEXT = {
    "equals_target": "holds the same value as `{target}` in {strength} of rows",
    "determines_target": "predicts `{target}` exactly in {strength} of rows from its value alone",
    "near_perfect_correlation": "is almost perfectly correlated with `{target}` (|r| = {r:.3f})",
}


def profile_findings(profile: DatasetProfile) -> list[Finding]:
    """The profile's own quality findings, as analysis findings."""
    findings = []
    for item in profile.findings:
        category, title = _FINDING_TITLES.get(
            item.code, ("data_quality", item.code.replace("_", " ").capitalize())
        )
        severity: Severity = item.severity
        findings.append(
            Finding(
                category=category,  # type: ignore[arg-type]
                severity=severity,
                title=title,
                detail=item.message[:2000],
                columns=capped(item.columns),
            )
        )
    return findings


def strongest_first(relations: list[ColumnRelation]) -> list[ColumnRelation]:
    return sorted(relations, key=lambda r: (-r.strength, r.column))


def leakage_findings(leakage: list[ColumnRelation]) -> list[Finding]:
    return [
        Finding(
            category="leakage",
            severity="critical",
            title=f"Leakage suspect: {r.column}",
            detail=f"`{r.column}` "
            + _LEAK_TEXT[r.kind].format(target=r.target, strength=pct(r.strength), r=r.strength)
            + ". A column like this is usually recorded after the outcome or derived from it; a model "
            "trained with it looks excellent and fails in production. Exclude it unless it is truly known at "
            "prediction time.",
            columns=[r.column, r.target],
        )
        for r in strongest_first(leakage)
    ]


def relationship_findings(notable: list[ColumnRelation], target: str) -> list[Finding]:
    findings = []
    for r in strongest_first(notable)[:5]:
        if r.kind == "correlation":
            detail = (
                f"`{r.column}` is correlated with `{target}` (|r| = {r.strength:.2f}): "
                "a likely useful predictor."
            )
        else:
            detail = (
                f"Knowing `{r.column}` alone predicts `{target}` correctly for {pct(r.strength)} of rows, "
                "well above guessing the most common value: a likely useful predictor."
            )
        findings.append(
            Finding(
                category="relationship",
                severity="info",
                title=f"{r.column} relates to {target}",
                detail=detail,
                columns=[r.column, target],
            )
        )
    return findings


def imbalance_finding(column: ColumnProfile, problem: ProblemType) -> Finding | None:
    if problem == "regression" or not column.top_values or column.count == 0:
        return None
    smallest = min(column.top_values, key=lambda v: v.count)
    share = smallest.count / column.count
    if share >= IMBALANCED:
        return None
    return Finding(
        category="target",
        severity="warning",
        title=f"Imbalanced target: {column.name}",
        detail=f"The rarest class of `{column.name}` is {pct(share)} of rows. Accuracy will look good even "
        "for a model that ignores it: judge the model by balanced accuracy, F1 or ROC AUC, and consider "
        "class weights.",
        columns=[column.name],
    )


def small_dataset_finding(rows: int) -> Finding | None:
    if rows >= SMALL_DATASET:
        return None
    return Finding(
        category="size",
        severity="warning",
        title="Small dataset",
        detail=f"Only {rows} rows: model scores will vary a lot between runs and "
        "test splits. More rows help more than a better algorithm.",
        columns=[],
    )


def no_target_finding() -> Finding:
    return Finding(
        category="target",
        severity="warning",
        title="No obvious target",
        detail="No column looks like something to predict (two-valued, a few categories or a number "
        "named like an outcome). Pick the target yourself when you train.",
        columns=[],
    )
