"""The heuristic analyst on crafted profiles and data: targets, identifiers, leakage, narratives."""

from __future__ import annotations

import msgspec
import polars as pl

from modelyard.domain.analysis import heuristic
from modelyard.domain.analysis.facts import FeatureWeight, LeaderboardEntry, ModelFacts, ResidualSummary
from modelyard.domain.analysis.model_facts import facts_from_evaluation
from modelyard.domain.analysis.schemas import DatasetAnalysisResult, ModelNarrative
from modelyard.domain.analysis.signals import DataSignals, signals_from_frame
from modelyard.domain.datasets.schemas import DatasetProfile
from tests.unit.analysis.profiles import churn_profile, column, numeric


def test_suggests_the_obvious_target_first() -> None:
    result = heuristic.analyse_dataset(churn_profile())
    first = result.target_suggestions[0]
    assert (first.column, first.problem_type) == ("churned", "binary")
    assert "two values" in first.reason
    suggested = [t.column for t in result.target_suggestions]
    assert "customer_id" not in suggested and "email" not in suggested


def test_target_named_by_the_user_wins() -> None:
    result = heuristic.analyse_dataset(churn_profile(), target_hint="plan")
    assert result.target_suggestions[0].column == "plan"
    assert result.target_suggestions[0].problem_type == "multiclass"


def test_flags_the_identifier_column_even_without_a_profile_finding() -> None:
    result = heuristic.analyse_dataset(churn_profile(findings=[]))
    excluded = {e.column: e.reason_code for e in result.exclude_columns}
    assert excluded["customer_id"] == "identifier"
    assert excluded["email"] == "pii"
    assert excluded["notes"] == "free_text"
    assert "churned" not in excluded


def test_id_named_unique_integer_column_is_an_identifier() -> None:
    profile = churn_profile(findings=[])
    columns = list(profile.column_profiles)
    columns[0] = column("order_id", "integer", distinct=1000, numeric=numeric(1, 1000))
    profile = msgspec.structs.replace(profile, column_profiles=columns)
    assert "order_id" in heuristic.identifier_columns(profile)


def test_flags_leakage_when_a_column_equals_the_target() -> None:
    frame = pl.DataFrame(
        {
            "age": [20 + (i * 7) % 50 for i in range(200)],
            "churned": [i % 3 == 0 for i in range(200)],
            "churned_copy": [i % 3 == 0 for i in range(200)],
        }
    )
    signals = signals_from_frame(frame, ["churned"])
    assert [(r.column, r.kind) for r in signals.leakage("churned")] == [("churned_copy", "equals_target")]
    profile = churn_profile()
    columns = [*profile.column_profiles, column("churned_copy", "boolean", distinct=2)]
    profile = msgspec.structs.replace(profile, column_profiles=columns, columns=len(columns))
    result = heuristic.analyse_dataset(profile, signals)
    assert result.findings[0].severity == "critical" and result.findings[0].category == "leakage"
    assert result.findings[0].columns == ["churned_copy", "churned"]
    assert {e.column: e.reason_code for e in result.exclude_columns}["churned_copy"] == "leakage"


def test_signals_find_determining_columns_and_correlations() -> None:
    n = 300
    frame = pl.DataFrame(
        {
            "status_code": [["A", "B", "C"][i % 3] for i in range(n)],
            "x": [float(i) for i in range(n)],
            "noise": [float((i * 37) % 11) for i in range(n)],
            "label": [["yes", "no", "maybe"][i % 3] for i in range(n)],
            "y": [2.0 * i + (i % 5) for i in range(n)],
        }
    )
    relations = {(r.column, r.target): r.kind for r in signals_from_frame(frame, ["label", "y"]).relations}
    assert relations[("status_code", "label")] == "determines_target"
    assert relations[("x", "y")] == "near_perfect_correlation"
    assert ("noise", "label") not in relations


def test_imbalance_small_data_and_preprocessing() -> None:
    profile = msgspec.structs.replace(churn_profile(), rows=80)
    result = heuristic.analyse_dataset(profile)
    titles = [f.title for f in result.findings]
    assert "Imbalanced target: churned" in titles and "Small dataset" in titles
    actions = {s.action: s.columns for s in result.preprocessing}
    assert actions["impute"] == ["monthly_spend"]
    assert actions["log_transform"] == ["monthly_spend"]
    assert actions["one_hot_encode"] == ["plan"]
    assert actions["extract_datetime_parts"] == ["signup"]
    assert "deduplicate" in actions
    # Severity order: warnings before info.
    order = {"critical": 0, "warning": 1, "info": 2}
    assert [order[f.severity] for f in result.findings] == sorted(order[f.severity] for f in result.findings)


def test_no_target_is_said_plainly() -> None:
    profile = DatasetProfile(
        rows=10,
        columns=1,
        memory_bytes=10,
        duplicate_rows=0,
        column_profiles=[column("comment", "text", distinct=10)],
        findings=[],
        estimated=[],
    )
    result = heuristic.analyse_dataset(profile)
    assert result.target_suggestions == []
    assert any(f.title == "No obvious target" for f in result.findings)


def test_result_is_deterministic_and_valid_against_its_own_schema() -> None:
    signals = DataSignals(sampled_rows=1000, relations=[])
    first = heuristic.analyse_dataset(churn_profile(), signals)
    second = heuristic.analyse_dataset(churn_profile(), signals)
    assert first == second
    encoded = msgspec.json.encode(first)
    assert msgspec.json.decode(encoded, type=DatasetAnalysisResult) == first


def classifier_facts(**changes: object) -> ModelFacts:
    facts = ModelFacts(
        name="churn-model",
        algorithm="random_forest",
        problem_type="binary",
        target="churned",
        metric="accuracy",
        value=0.91,
        baseline_value=0.8,
        feature_importance=[
            FeatureWeight("plan", 0.05),
            FeatureWeight("age", 0.02),
            FeatureWeight("spend", 0.01),
        ],
        test_rows=400,
        class_labels=["false", "true"],
        confusion_matrix=[[310, 10], [46, 34]],
        leaderboard=[LeaderboardEntry("random_forest", 0.9), LeaderboardEntry("linear", 0.895)],
    )
    return msgspec.structs.replace(facts, **changes)


def test_narrative_puts_quality_in_context_of_the_majority_class() -> None:
    narrative = heuristic.narrate_model(classifier_facts())
    assert narrative.quality.verdict == "good"
    assert narrative.quality.baseline_value == 0.8
    assert "most common class" in narrative.quality.explanation
    assert [d.feature for d in narrative.drivers] == ["plan", "age", "spend"]
    assert any("misses class `true`" in w for w in narrative.weaknesses)
    assert any("class weights" in s for s in narrative.next_steps)
    assert any("`linear` scored almost the same" in s for s in narrative.next_steps)
    assert msgspec.json.decode(msgspec.json.encode(narrative), type=ModelNarrative) == narrative


def test_narrative_verdicts() -> None:
    assert heuristic.narrate_model(classifier_facts(value=0.81)).quality.verdict == "poor"
    assert heuristic.narrate_model(classifier_facts(value=1.0)).quality.verdict == "suspicious"
    assert heuristic.narrate_model(classifier_facts(value=0.99)).quality.verdict == "excellent"


def test_regression_narrative_reports_biased_errors() -> None:
    facts = ModelFacts(
        name="price",
        algorithm="hist_gradient_boosting",
        problem_type="regression",
        target="price",
        metric="r2",
        value=0.3,
        baseline_value=0.0,
        residuals=ResidualSummary(mean_error=5.0, mean_absolute_error=10.0, p90_absolute_error=40.0),
        test_rows=50,
    )
    narrative = heuristic.narrate_model(facts)
    assert narrative.quality.verdict == "fair"
    assert any("overestimates" in w for w in narrative.weaknesses)
    assert any("uneven" in w for w in narrative.weaknesses)
    assert any("only 50 held-out rows" in c for c in narrative.caveats)


def test_facts_from_a_training_evaluation() -> None:
    record = {
        "name": "m",
        "target": "churned",
        "problem_type": "binary",
        "metric": "roc_auc",
        "algorithm": "linear",
        "test_metrics": {"accuracy": 0.9, "roc_auc": 0.93},
        "confusion": {"labels": [False, True], "matrix": [[70, 5], [5, 20]]},
        "feature_importance": [{"feature": "age", "importance": 0.1}],
        "leaderboard": [{"algorithm": "linear", "cv_score": 0.92}],
        "rows_train": 400,
        "rows_test": 100,
    }
    facts = facts_from_evaluation(record)
    assert (facts.metric, facts.value, facts.baseline_value) == ("accuracy", 0.9, 0.75)
    assert facts.class_labels == ["False", "True"]
    assert facts.metrics["roc_auc"] == 0.93
    regression = facts_from_evaluation(
        {
            "problem_type": "regression",
            "test_metrics": {"rmse": 3.0, "mae": 2.0, "r2": 0.6},
            "residuals": {"mean": -1.0, "std": 3.0, "p05": -5.0, "p95": 6.0},
        }
    )
    assert (regression.metric, regression.baseline_value) == ("r2", 0.0)
    assert regression.residuals == ResidualSummary(
        mean_error=1.0, mean_absolute_error=2.0, p90_absolute_error=6.0
    )
