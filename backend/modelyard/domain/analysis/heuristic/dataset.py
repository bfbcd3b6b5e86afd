"""`analyse_dataset`: the built-in analyst's whole answer about a dataset, from its profile and signals."""

from __future__ import annotations

from modelyard.domain.analysis.heuristic.findings import (
    SEVERITY_ORDER,
    imbalance_finding,
    leakage_findings,
    no_target_finding,
    profile_findings,
    relationship_findings,
    small_dataset_finding,
)
from modelyard.domain.analysis.heuristic.preparation import exclusions, preprocessing
from modelyard.domain.analysis.heuristic.targets import (
    TargetCandidate,
    identifier_columns,
    pii_columns,
    rank_targets,
)
from modelyard.domain.analysis.heuristic.wording import MAX_LIST, problem_label
from modelyard.domain.analysis.schemas import (
    ColumnExclusion,
    DatasetAnalysisResult,
    Finding,
    TargetSuggestion,
)
from modelyard.domain.analysis.signals import ColumnRelation, DataSignals
from modelyard.domain.datasets.schemas import DatasetProfile


def analyse_dataset(
    profile: DatasetProfile, signals: DataSignals | None = None, target_hint: str | None = None
) -> DatasetAnalysisResult:
    signals = signals or DataSignals()
    targets = rank_targets(profile, target_hint)
    target = targets[0] if targets else None
    leakage = signals.leakage(target.column) if target else []
    # A column that copies the chosen target is not another target to suggest.
    leaked = {r.column for r in leakage}
    targets = [t for t in targets if t.column not in leaked]
    findings = _findings(profile, signals, target, leakage)
    excluded_columns = exclusions(
        profile, identifier_columns(profile), pii_columns(profile), leakage, target.column if target else None
    )
    excluded = {e.column for e in excluded_columns}
    features = [
        c
        for c in profile.column_profiles
        if c.name not in excluded and (target is None or c.name != target.column)
    ]
    return DatasetAnalysisResult(
        overview=_overview(profile, target, findings, excluded_columns),
        findings=findings[:MAX_LIST],
        target_suggestions=[
            TargetSuggestion(
                column=c.column,
                problem_type=c.problem_type,
                reason=f"{problem_label(c.problem_type).capitalize()}: " + "; ".join(c.reasons) + ".",
            )
            for c in targets
        ],
        preprocessing=preprocessing(profile, features),
        exclude_columns=excluded_columns[:200],
        caveats=_caveats(profile, signals, target),
    )


def _findings(
    profile: DatasetProfile,
    signals: DataSignals,
    target: TargetCandidate | None,
    leakage: list[ColumnRelation],
) -> list[Finding]:
    """Every finding, most severe first."""
    findings = profile_findings(profile)
    findings.extend(leakage_findings(leakage))
    if target is not None:
        findings.extend(relationship_findings(signals.notable(target.column), target.column))
        by_name = {c.name: c for c in profile.column_profiles}
        imbalance = imbalance_finding(by_name[target.column], target.problem_type)
        if imbalance is not None:
            findings.append(imbalance)
    small = small_dataset_finding(profile.rows)
    if small is not None:
        findings.append(small)
    if target is None:
        findings.append(no_target_finding())
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    return findings


def _overview(
    profile: DatasetProfile,
    target: TargetCandidate | None,
    findings: list[Finding],
    excluded: list[ColumnExclusion],
) -> str:
    kinds: dict[str, int] = {}
    for column in profile.column_profiles:
        kinds[column.semantic_type] = kinds.get(column.semantic_type, 0) + 1
    mix = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    parts = [f"{profile.rows} rows and {profile.columns} columns ({mix})."]
    if target is not None:
        parts.append(
            f"The most likely target is `{target.column}`, a {problem_label(target.problem_type)} problem."
        )
    critical = sum(f.severity == "critical" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if critical or warnings:
        parts.append(f"{critical} critical and {warnings} warning findings need attention before training.")
    else:
        parts.append("No serious data quality problems were found.")
    if excluded:
        parts.append(f"{len(excluded)} columns should be left out of training.")
    return " ".join(parts)


def _caveats(profile: DatasetProfile, signals: DataSignals, target: TargetCandidate | None) -> list[str]:
    caveats = [
        "Written by the built-in heuristic analyst: rules over the profile and simple column statistics, "
        "not a language model. It cannot know what the columns mean in your business."
    ]
    if target is not None and signals.sampled_rows:
        sampled = "all" if signals.sampled_rows >= profile.rows else f"the first {signals.sampled_rows} of"
        caveats.append(
            f"Leakage and relationships were checked against `{target.column}` on {sampled} {profile.rows} "
            "rows; pick another target and they must be checked again."
        )
    if profile.estimated:
        caveats.append("Some profile figures are estimates: " + ", ".join(profile.estimated) + ".")
    return caveats
