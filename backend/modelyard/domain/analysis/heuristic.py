"""The built-in analyst: deterministic rules over the profile, the data signals and training results.

No network, no randomness: the same inputs always give the same text. It is the default
provider when no OpenAI endpoint is configured and the fallback when the language model
fails, so its answers use the same schemas as the model's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from modelyard.domain.analysis.schemas import (
    ColumnExclusion,
    DatasetAnalysisResult,
    DriverExplanation,
    Finding,
    ModelNarrative,
    ModelQuality,
    PreprocessingStep,
    TargetSuggestion,
)
from modelyard.domain.analysis.signals import ColumnRelation, DataSignals
from modelyard.domain.datasets.schemas import ColumnProfile, DatasetProfile
from modelyard.lib.schema import ProblemType, Severity

RULES_VERSION = "heuristic-2"
MAX_TARGETS = 3
MAX_LIST = 50
MOSTLY_MISSING_EXCLUDE = 0.95
TARGET_MAX_NULLS = 0.5
ONE_HOT_MAX = 20
SKEWED = 2.0
SMALL_DATASET = 100
IMBALANCED = 0.1

_ID_NAME = re.compile(
    r"(^|[_\s-])(id|uuid|guid|key|identifier)$|^(id|uuid|guid)[_\s-]|[a-z]Id$", re.IGNORECASE
)
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
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
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


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t]


def _columns(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))[:MAX_LIST]


def _more(names: list[str]) -> str:
    return f" (and {len(names) - MAX_LIST} more)" if len(names) > MAX_LIST else ""


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%" if value >= 0.01 or value == 0 else f"{value * 100:.1f}%"


# -- columns --------------------------------------------------------------------------------


def identifier_columns(profile: DatasetProfile) -> list[str]:
    """Columns that identify rows: typed so by profiling, flagged, or id-named with all values unique."""
    flagged = {c for f in profile.findings if f.code == "identifier_like" for c in f.columns}
    found = []
    for column in profile.column_profiles:
        unique = column.count > 1 and column.distinct_count == column.count == profile.rows
        if (
            column.semantic_type == "identifier"
            or column.name in flagged
            or (
                unique
                and _ID_NAME.search(column.name)
                and column.semantic_type in ("integer", "text", "categorical")
            )
        ):
            found.append(column.name)
    return found


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
        score, reasons = 0.0, []
        tokens = _tokens(column.name)
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
        if column.name == last:
            score += 1
            reasons.append("it is the last column, where labels usually are")
        if column.null_ratio == 0:
            score += 0.5
            reasons.append("it has no missing values")
        else:
            score -= column.null_ratio * 2
        candidates.append(TargetCandidate(column.name, problem, score, tuple(reasons)))
    candidates.sort(key=lambda c: -c.score)
    return candidates[:MAX_TARGETS]


# -- dataset analysis -----------------------------------------------------------------------


def analyse_dataset(
    profile: DatasetProfile, signals: DataSignals | None = None, target_hint: str | None = None
) -> DatasetAnalysisResult:
    signals = signals or DataSignals()
    by_name = {c.name: c for c in profile.column_profiles}
    targets = rank_targets(profile, target_hint)
    target = targets[0] if targets else None
    identifiers = identifier_columns(profile)
    pii = pii_columns(profile)
    leakage = signals.leakage(target.column) if target else []
    # A column that copies the chosen target is not another target to suggest.
    leaked = {r.column for r in leakage}
    targets = [t for t in targets if t.column not in leaked]

    findings = _profile_findings(profile)
    findings.extend(_leakage_findings(leakage))
    if target is not None:
        findings.extend(_relationship_findings(signals.notable(target.column), target.column))
        imbalance = _imbalance(by_name[target.column], target.problem_type)
        if imbalance is not None:
            findings.append(imbalance)
    if profile.rows < SMALL_DATASET:
        findings.append(
            Finding(
                category="size",
                severity="warning",
                title="Small dataset",
                detail=f"Only {profile.rows} rows: model scores will vary a lot between runs and "
                "test splits. More rows help more than a better algorithm.",
                columns=[],
            )
        )
    if target is None:
        findings.append(
            Finding(
                category="target",
                severity="warning",
                title="No obvious target",
                detail="No column looks like something to predict (two-valued, a few categories or a number "
                "named like an outcome). Pick the target yourself when you train.",
                columns=[],
            )
        )
    findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])

    exclusions = _exclusions(profile, identifiers, pii, leakage, target.column if target else None)
    excluded = {e.column for e in exclusions}
    features = [
        c
        for c in profile.column_profiles
        if c.name not in excluded and (target is None or c.name != target.column)
    ]
    return DatasetAnalysisResult(
        overview=_overview(profile, target, findings, exclusions),
        findings=findings[:MAX_LIST],
        target_suggestions=[
            TargetSuggestion(
                column=c.column,
                problem_type=c.problem_type,
                reason=f"{_problem_label(c.problem_type).capitalize()}: " + "; ".join(c.reasons) + ".",
            )
            for c in targets
        ],
        preprocessing=_preprocessing(profile, features),
        exclude_columns=exclusions[:200],
        caveats=_caveats(profile, signals, target),
    )


def _problem_label(problem: ProblemType) -> str:
    return {
        "binary": "binary classification",
        "multiclass": "multiclass classification",
        "regression": "regression",
    }[problem]


def _profile_findings(profile: DatasetProfile) -> list[Finding]:
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
                columns=_columns(item.columns),
            )
        )
    return findings


_LEAK_TEXT = {
    "equals_target": "holds the same value as `{target}` in {strength} of rows",
    "determines_target": "predicts `{target}` exactly in {strength} of rows from its value alone",
    "near_perfect_correlation": "is almost perfectly correlated with `{target}` (|r| = {r:.3f})",
}


def _leakage_findings(leakage: list[ColumnRelation]) -> list[Finding]:
    return [
        Finding(
            category="leakage",
            severity="critical",
            title=f"Leakage suspect: {r.column}",
            detail=f"`{r.column}` "
            + _LEAK_TEXT[r.kind].format(target=r.target, strength=_pct(r.strength), r=r.strength)
            + ". A column like this is usually recorded after the outcome or derived from it; a model "
            "trained with it looks excellent and fails in production. Exclude it unless it is truly known at "
            "prediction time.",
            columns=[r.column, r.target],
        )
        for r in sorted(leakage, key=lambda r: (-r.strength, r.column))
    ]


def _relationship_findings(notable: list[ColumnRelation], target: str) -> list[Finding]:
    strongest = sorted(notable, key=lambda r: (-r.strength, r.column))[:5]
    findings = []
    for r in strongest:
        if r.kind == "correlation":
            detail = (
                f"`{r.column}` is correlated with `{target}` (|r| = {r.strength:.2f}): "
                "a likely useful predictor."
            )
        else:
            detail = (
                f"Knowing `{r.column}` alone predicts `{target}` correctly for {_pct(r.strength)} of rows, "
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


def _imbalance(column: ColumnProfile, problem: ProblemType) -> Finding | None:
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
        detail=f"The rarest class of `{column.name}` is {_pct(share)} of rows. Accuracy will look good even "
        "for a model that ignores it: judge the model by balanced accuracy, F1 or ROC AUC, and consider "
        "class weights.",
        columns=[column.name],
    )


def _exclusions(
    profile: DatasetProfile,
    identifiers: list[str],
    pii: list[str],
    leakage: list[ColumnRelation],
    target: str | None,
) -> list[ColumnExclusion]:
    found: dict[str, ColumnExclusion] = {}

    def add(column: str, code: str, reason: str) -> None:
        if column != target and column not in found:
            found[column] = ColumnExclusion(column=column, reason_code=code, reason=reason)  # type: ignore[arg-type]

    for r in sorted(leakage, key=lambda r: (-r.strength, r.column)):
        add(r.column, "leakage", f"Leakage suspect: it reveals `{r.target}` (see findings).")
    for name in pii:
        add(name, "pii", "Holds personal data; leave it out, or pseudonymise it if it truly matters.")
    for name in identifiers:
        add(name, "identifier", "Identifies rows; it carries no pattern a model can generalise from.")
    for column in profile.column_profiles:
        if column.distinct_count <= 1:
            add(column.name, "constant", "Has a single value; it cannot help any model.")
        elif column.null_ratio >= MOSTLY_MISSING_EXCLUDE:
            add(column.name, "mostly_missing", f"{_pct(column.null_ratio)} of values are missing.")
        elif column.semantic_type == "text":
            add(
                column.name,
                "free_text",
                "Free text; tabular models cannot use it directly (text features would be needed).",
            )
    return list(found.values())


def _preprocessing(profile: DatasetProfile, features: list[ColumnProfile]) -> list[PreprocessingStep]:
    steps: list[PreprocessingStep] = []

    def add(action: str, columns: list[str], reason: str) -> None:
        if columns:
            steps.append(
                PreprocessingStep(action=action, columns=_columns(columns), reason=reason + _more(columns))  # type: ignore[arg-type]
            )

    if profile.duplicate_rows:
        steps.append(
            PreprocessingStep(
                action="deduplicate",
                columns=[],
                reason=f"{profile.duplicate_rows} rows repeat an earlier row; duplicates inflate test scores "
                "when copies land on both sides of the split.",
            )
        )
    numeric = [c for c in features if c.semantic_type in ("integer", "float") and c.numeric is not None]
    add(
        "impute",
        [c.name for c in features if c.null_count > 0],
        "These columns have missing values: fill numbers with the median and categories with the most "
        "frequent value (adding a missing-value indicator keeps the information that a value was absent).",
    )
    add(
        "one_hot_encode",
        [
            c.name
            for c in features
            if c.semantic_type in ("categorical", "boolean") and c.distinct_count <= ONE_HOT_MAX
        ],
        f"Categories with at most {ONE_HOT_MAX} values: one column per value.",
    )
    add(
        "frequency_encode",
        [c.name for c in features if c.semantic_type == "categorical" and c.distinct_count > ONE_HOT_MAX],
        f"Categories with more than {ONE_HOT_MAX} values: replace each value by its frequency (one-hot "
        "would create too many columns).",
    )
    add(
        "log_transform",
        [
            c.name
            for c in numeric
            if c.numeric
            and c.numeric.skewness is not None
            and c.numeric.skewness > SKEWED
            and c.numeric.min >= 0
        ],
        "Strongly right-skewed, non-negative numbers: a log transform helps linear models.",
    )
    add(
        "clip_outliers",
        [c.name for c in numeric if c.numeric and c.count and c.numeric.outliers / c.count > 0.01],
        "More than 1% of values lie beyond 3 IQR from the quartiles: clip them, or prefer tree models.",
    )
    add("scale", [c.name for c in numeric], "Standardise numbers for linear models (trees do not need it).")
    add(
        "extract_datetime_parts",
        [c.name for c in features if c.semantic_type == "datetime"],
        "Dates: use year, month, weekday and elapsed time rather than the raw timestamp.",
    )
    return steps


def _overview(
    profile: DatasetProfile,
    target: TargetCandidate | None,
    findings: list[Finding],
    exclusions: list[ColumnExclusion],
) -> str:
    kinds: dict[str, int] = {}
    for column in profile.column_profiles:
        kinds[column.semantic_type] = kinds.get(column.semantic_type, 0) + 1
    mix = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    parts = [f"{profile.rows} rows and {profile.columns} columns ({mix})."]
    if target is not None:
        parts.append(
            f"The most likely target is `{target.column}`, a {_problem_label(target.problem_type)} problem."
        )
    critical = sum(f.severity == "critical" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if critical or warnings:
        parts.append(f"{critical} critical and {warnings} warning findings need attention before training.")
    else:
        parts.append("No serious data quality problems were found.")
    if exclusions:
        parts.append(f"{len(exclusions)} columns should be left out of training.")
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


# -- model narrative ------------------------------------------------------------------------


class FeatureWeight(msgspec.Struct, frozen=True):
    feature: str
    importance: float


class ResidualSummary(msgspec.Struct, frozen=True):
    mean_error: float
    """Mean of prediction minus actual: positive means the model overestimates."""
    mean_absolute_error: float
    p90_absolute_error: float | None = None


class LeaderboardEntry(msgspec.Struct, frozen=True):
    algorithm: str
    score: float


class ModelFacts(msgspec.Struct, kw_only=True):
    """What a narrative is written from: the trained model's evaluation on held-out data."""

    name: str
    algorithm: str
    problem_type: ProblemType
    target: str
    metric: str
    value: float
    baseline_value: float | None = None
    higher_is_better: bool = True
    metrics: dict[str, float] = {}
    feature_importance: list[FeatureWeight] = []
    train_rows: int | None = None
    test_rows: int | None = None
    class_labels: list[str] = []
    confusion_matrix: list[list[int]] = []
    """Rows are actual classes, columns predicted, in `class_labels` order."""
    residuals: ResidualSummary | None = None
    leaderboard: list[LeaderboardEntry] = []


_PERFECT = {"accuracy": 1.0, "balanced_accuracy": 1.0, "f1": 1.0, "f1_macro": 1.0, "roc_auc": 1.0, "r2": 1.0}


def _improvement(facts: ModelFacts) -> float | None:
    """Share of the gap between the baseline and a perfect score that the model closes."""
    if facts.baseline_value is None:
        return None
    best = 0.0 if not facts.higher_is_better else _PERFECT.get(facts.metric, 1.0)
    gap = best - facts.baseline_value
    if gap == 0:
        return None
    return (facts.value - facts.baseline_value) / gap


def _verdict(facts: ModelFacts) -> tuple[str, str]:
    improvement = _improvement(facts)
    perfect = _PERFECT.get(facts.metric)
    if facts.higher_is_better and perfect is not None and facts.value >= perfect - 0.005:
        return "suspicious", (
            f"A {facts.metric} of {facts.value:.3f} is practically perfect, which real data rarely allows: "
            "check the features for leakage (a column derived from the target) before trusting it."
        )
    if improvement is None:
        return "fair", f"{facts.metric} is {facts.value:.3f}; there is no baseline to compare it with."
    base = f"{facts.metric} {facts.value:.3f} against {facts.baseline_value:.3f} for a trivial model " + (
        "that always predicts the most common class"
        if facts.problem_type != "regression"
        else "that predicts the mean"
    )
    if improvement < 0.1:
        return "poor", f"{base}: barely better than guessing; the features say little about `{facts.target}`."
    if improvement < 0.35:
        return "fair", f"{base}: a real but modest improvement ({_pct(improvement)} of the possible gain)."
    if improvement < 0.7:
        return (
            "good",
            f"{base}: it captures much of what can be predicted ({_pct(improvement)} of the possible gain).",
        )
    return "excellent", f"{base}: close to the best possible ({_pct(improvement)} of the possible gain)."


def narrate_model(facts: ModelFacts) -> ModelNarrative:
    verdict, explanation = _verdict(facts)
    total = sum(abs(f.importance) for f in facts.feature_importance) or 1.0
    ranked = sorted(facts.feature_importance, key=lambda f: (-abs(f.importance), f.feature))[:5]
    drivers = [
        DriverExplanation(
            feature=f.feature,
            importance=round(f.importance, 6),
            explanation=f"Accounts for {_pct(abs(f.importance) / total)} of the model's total importance.",
        )
        for f in ranked
    ]
    weaknesses: list[str] = []
    next_steps: list[str] = []
    caveats = [
        "Written by the built-in heuristic analyst from the model's held-out evaluation, not by a language "
        "model."
    ]
    if ranked and abs(ranked[0].importance) / total > 0.5:
        weaknesses.append(
            f"It leans on one feature: `{ranked[0].feature}` carries "
            f"{_pct(abs(ranked[0].importance) / total)} of the importance. Make sure it is known at "
            "prediction time and is not derived from the target."
        )
    weaknesses.extend(_class_weaknesses(facts))
    if facts.residuals is not None:
        r = facts.residuals
        scale = r.mean_absolute_error or 1.0
        if abs(r.mean_error) > 0.25 * scale:
            direction = "over" if r.mean_error > 0 else "under"
            weaknesses.append(
                f"It systematically {direction}estimates `{facts.target}` (mean error {r.mean_error:.3g})."
            )
        if r.p90_absolute_error is not None and r.p90_absolute_error > 2.5 * scale:
            weaknesses.append(
                f"Errors are uneven: one prediction in ten is off by more than {r.p90_absolute_error:.3g} "
                f"against a typical {r.mean_absolute_error:.3g}; look at those rows for missing features."
            )
    if verdict == "suspicious":
        next_steps.append(
            "Run a dataset analysis with this target to look for leakage suspects, then retrain without them."
        )
    elif verdict in ("poor", "fair"):
        next_steps.append(
            "Add features that plausibly explain the target; more columns help more than tuning."
        )
        next_steps.append("Collect more rows, and give training a longer time budget to try more candidates.")
    else:
        next_steps.append("Test it on recent data it has never seen before promoting it to production.")
    if any("recall" in w for w in weaknesses):
        next_steps.append("Use class weights or resampling so the rare classes count more during training.")
    if len(facts.leaderboard) > 1:
        ordered = sorted(facts.leaderboard, key=lambda e: -e.score if facts.higher_is_better else e.score)
        runner_up = ordered[1]
        if abs(ordered[0].score - runner_up.score) < 0.01:
            next_steps.append(
                f"`{runner_up.algorithm}` scored almost the same ({runner_up.score:.3f}); prefer the simpler "
                "or faster model if that matters to you."
            )
    if facts.test_rows is not None and facts.test_rows < SMALL_DATASET:
        caveats.append(f"Evaluated on only {facts.test_rows} held-out rows: the score is uncertain.")
    label = _problem_label(facts.problem_type)
    summary = (
        f"`{facts.name}` is a {facts.algorithm} {label} model predicting `{facts.target}`. "
        f"Its quality is {verdict}: {facts.metric} {facts.value:.3f}"
        + (f" against a baseline of {facts.baseline_value:.3f}." if facts.baseline_value is not None else ".")
    )
    if drivers:
        summary += " It relies most on " + ", ".join(f"`{d.feature}`" for d in drivers[:3]) + "."
    return ModelNarrative(
        summary=summary,
        quality=ModelQuality(
            metric=facts.metric,
            value=round(facts.value, 6),
            baseline_value=None if facts.baseline_value is None else round(facts.baseline_value, 6),
            verdict=verdict,  # type: ignore[arg-type]
            explanation=explanation,
        ),
        drivers=drivers,
        weaknesses=weaknesses[:15],
        next_steps=next_steps[:15],
        caveats=caveats,
    )


def _class_weaknesses(facts: ModelFacts) -> list[str]:
    matrix, labels = facts.confusion_matrix, facts.class_labels
    if not matrix or len(matrix) != len(labels):
        return []
    found = []
    for i, row in enumerate(matrix):
        actual = sum(row)
        if not actual:
            continue
        recall = row[i] / actual
        if recall < 0.6:
            confused = max((j for j in range(len(row)) if j != i), key=lambda j: row[j], default=None)
            also = (
                f", most often mistaken for `{labels[confused]}`"
                if confused is not None and row[confused]
                else ""
            )
            found.append(
                f"It often misses class `{labels[i]}`: recall {_pct(recall)} over {actual} test rows{also}."
            )
    return found
