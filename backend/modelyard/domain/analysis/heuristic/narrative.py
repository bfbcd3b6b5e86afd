"""`narrate_model`: the built-in analyst's account of a trained model, from its held-out evaluation."""

from __future__ import annotations

from modelyard.domain.analysis.facts import FeatureWeight, ModelFacts
from modelyard.domain.analysis.heuristic.wording import SMALL_DATASET, pct, problem_label
from modelyard.domain.analysis.schemas import DriverExplanation, ModelNarrative, ModelQuality

_PERFECT = {"accuracy": 1.0, "balanced_accuracy": 1.0, "f1": 1.0, "f1_macro": 1.0, "roc_auc": 1.0, "r2": 1.0}
# Below each share of the possible gain, the verdict and its reading (`{gain}`: the share).
_GRADES = (
    (0.1, "poor", "barely better than guessing; the features say little about `{target}`."),
    (0.35, "fair", "a real but modest improvement ({gain} of the possible gain)."),
    (0.7, "good", "it captures much of what can be predicted ({gain} of the possible gain)."),
)
_EXCELLENT = "close to the best possible ({gain} of the possible gain)."


def narrate_model(facts: ModelFacts) -> ModelNarrative:
    verdict, explanation = _verdict(facts)
    total = sum(abs(f.importance) for f in facts.feature_importance) or 1.0
    ranked = sorted(facts.feature_importance, key=lambda f: (-abs(f.importance), f.feature))[:5]
    drivers = [
        DriverExplanation(
            feature=f.feature,
            importance=round(f.importance, 6),
            explanation=f"Accounts for {pct(abs(f.importance) / total)} of the model's total importance.",
        )
        for f in ranked
    ]
    weaknesses = _weaknesses(facts, ranked, total)
    caveats = [
        "Written by the built-in heuristic analyst from the model's held-out evaluation, not by a language "
        "model."
    ]
    if facts.test_rows is not None and facts.test_rows < SMALL_DATASET:
        caveats.append(f"Evaluated on only {facts.test_rows} held-out rows: the score is uncertain.")
    return ModelNarrative(
        summary=_summary(facts, verdict, drivers),
        quality=ModelQuality(
            metric=facts.metric,
            value=round(facts.value, 6),
            baseline_value=None if facts.baseline_value is None else round(facts.baseline_value, 6),
            verdict=verdict,  # type: ignore[arg-type]
            explanation=explanation,
        ),
        drivers=drivers,
        weaknesses=weaknesses[:15],
        next_steps=_next_steps(facts, verdict, weaknesses)[:15],
        caveats=caveats,
    )


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
    verdict, reading = next(
        ((grade, text) for limit, grade, text in _GRADES if improvement < limit), ("excellent", _EXCELLENT)
    )
    return verdict, f"{base}: " + reading.format(target=facts.target, gain=pct(improvement))


def _weaknesses(facts: ModelFacts, ranked: list[FeatureWeight], total: float) -> list[str]:
    weaknesses: list[str] = []
    if ranked and abs(ranked[0].importance) / total > 0.5:
        weaknesses.append(
            f"It leans on one feature: `{ranked[0].feature}` carries "
            f"{pct(abs(ranked[0].importance) / total)} of the importance. Make sure it is known at "
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
    return weaknesses


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
                f"It often misses class `{labels[i]}`: recall {pct(recall)} over {actual} test rows{also}."
            )
    return found


def _next_steps(facts: ModelFacts, verdict: str, weaknesses: list[str]) -> list[str]:
    next_steps: list[str] = []
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
    return next_steps


def _summary(facts: ModelFacts, verdict: str, drivers: list[DriverExplanation]) -> str:
    label = problem_label(facts.problem_type)
    summary = (
        f"`{facts.name}` is a {facts.algorithm} {label} model predicting `{facts.target}`. "
        f"Its quality is {verdict}: {facts.metric} {facts.value:.3f}"
        + (f" against a baseline of {facts.baseline_value:.3f}." if facts.baseline_value is not None else ".")
    )
    if drivers:
        summary += " It relies most on " + ", ".join(f"`{d.feature}`" for d in drivers[:3]) + "."
    return summary
