"""The leakage gate's detectors: planted leaks are flagged with their evidence, clean data is not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine

from modelyard.domain.training.automl import AutoMLOptions, run_automl
from modelyard.domain.training.automl.data import target_array
from modelyard.domain.training.automl.leakage import (
    MIN_TEST_ROWS,
    LeakageFinding,
    check_test_score,
    screen_columns,
)
from modelyard.ml.features import check_target, infer_schema, prepare_frame
from tests.unit.training.data import mixed_frame


def screen(frame: pd.DataFrame, target: str, seed: int = 0) -> list[LeakageFinding]:
    problem = check_target(frame, target, None)
    schema = infer_schema(frame, target, problem)
    return screen_columns(
        prepare_frame(frame, schema), target_array(frame[target], problem != "regression"), schema, seed
    )


def by_column(findings: list[LeakageFinding]) -> dict[str | None, LeakageFinding]:
    return {f.column: f for f in findings}


def sklearn_frame(name: str) -> pd.DataFrame:
    loader = {
        "breast_cancer": load_breast_cancer,
        "wine": load_wine,
        "diabetes": load_diabetes,
        "digits": load_digits,
    }[name]
    frame: pd.DataFrame = loader(as_frame=True).frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes", "digits"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_datasets_raise_no_finding(name: str, seed: int) -> None:
    # breast_cancer's best single column reaches ROC AUC ~0.975: strong, and no leak.
    assert screen(sklearn_frame(name), "target", seed) == []


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_realistic_mixed_table_raises_no_finding(problem: str) -> None:
    # Missing values, categoricals of low and high cardinality, booleans, dates, a strong signal.
    assert screen(mixed_frame(3000, seed=3, problem=problem), "churn") == []


def test_planted_binary_leaks_are_flagged_with_their_evidence() -> None:
    rng = np.random.default_rng(4)
    frame = sklearn_frame("breast_cancer")
    malignant = frame["target"] == 0
    frame["diagnosis_code"] = np.where(malignant, "M", "B")  # restates the target
    frame["followup_visits"] = np.where(malignant, 6, 1) + rng.normal(0, 0.8, len(frame))  # nearly
    # Only recorded for malignant cases: its missingness gives the answer away.
    frame["surgery_cost"] = np.where(malignant, rng.normal(9000, 1500, len(frame)), np.nan)
    found = by_column(screen(frame, "target"))
    assert set(found) == {"diagnosis_code", "followup_visits", "surgery_cost"}
    derived = found["diagnosis_code"]
    assert (derived.kind, derived.statistic, derived.value, derived.threshold) == (
        "derived_from_target",
        "class_mapping_purity",
        1.0,
        1.0,
    )
    for name in ("followup_visits", "surgery_cost"):
        finding = found[name]
        assert finding.kind == "near_perfect_predictor" and finding.statistic == "roc_auc"
        assert finding.value > finding.threshold == 0.99
        assert name in finding.detail and "ROC AUC" in finding.detail


def test_planted_multiclass_leaks_are_flagged() -> None:
    rng = np.random.default_rng(5)
    frame = sklearn_frame("wine")
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[frame["target"]]
    # Not monotonic in the class index: only a grouping of the values can see it.
    frame["cellar_row"] = np.array([20.0, 0.0, 10.0])[frame["target"]] + rng.normal(0, 1.0, len(frame))
    found = by_column(screen(frame, "target"))
    assert set(found) == {"cultivar", "cellar_row"}
    assert found["cultivar"].kind == "derived_from_target"
    assert found["cellar_row"].kind == "near_perfect_predictor"
    assert found["cellar_row"].statistic == "roc_auc_ovr" and found["cellar_row"].value > 0.99


def test_planted_regression_leaks_and_a_row_order_identifier() -> None:
    rng = np.random.default_rng(6)
    frame = sklearn_frame("diabetes")
    frame["log_target"] = np.log(frame["target"])  # a monotonic function of the target
    frame["billed_amount"] = frame["target"] * 12.5 + rng.normal(0, 15, len(frame))
    # The file is sorted by the target and numbered with gaps: the number encodes the row order.
    frame = frame.sort_values("target", kind="stable").reset_index(drop=True)
    frame["ticket_no"] = 50_000 + np.cumsum(rng.integers(1, 9, len(frame)))
    found = by_column(screen(frame, "target"))
    assert set(found) == {"log_target", "billed_amount", "ticket_no"}
    assert (found["log_target"].kind, found["log_target"].statistic) == (
        "derived_from_target",
        "abs_spearman",
    )
    assert found["billed_amount"].kind == "near_perfect_predictor"
    assert found["billed_amount"].statistic == "abs_correlation" and found["billed_amount"].value > 0.99
    order = found["ticket_no"]
    assert order.kind == "row_order_identifier" and order.value >= order.threshold == 0.9
    assert "row order" in order.detail


def test_a_date_per_row_following_a_sorted_file_is_a_row_order_identifier() -> None:
    rng = np.random.default_rng(7)
    n = 1200
    score = rng.normal(size=n)
    frame = pd.DataFrame({"spend": score + rng.normal(0, 1.0, n), "region": rng.choice(["n", "s"], n)})
    frame["target"] = np.where(score > 0.3, "churned", "stayed")
    frame = frame.sort_values("target", kind="stable").reset_index(drop=True)
    stamps = (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 37, unit="min")).astype(str)
    frame["recorded_at"] = stamps
    found = by_column(screen(frame, "target"))
    assert set(found) == {"recorded_at"} and found["recorded_at"].kind == "row_order_identifier"
    # Shuffled, the dates no longer follow the rows but still give the answer away.
    shuffled = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    assert [(f.column, f.kind) for f in screen(shuffled, "target")] == [
        ("recorded_at", "near_perfect_predictor")
    ]
    # Stamped in a shuffled file, they follow the rows and encode nothing about the target.
    shuffled["recorded_at"] = stamps
    assert screen(shuffled, "target") == []


def test_an_increasing_identifier_unrelated_to_the_target_is_not_flagged() -> None:
    rng = np.random.default_rng(8)
    frame = mixed_frame(2000, seed=8)
    frame["invoice_no"] = 10_000 + np.cumsum(rng.integers(1, 4, len(frame)))  # follows the rows only
    assert screen(frame, "churn") == []


@pytest.mark.parametrize(
    ("problem", "metrics", "labels", "expected"),
    [
        ("binary", {"roc_auc": 0.9995, "accuracy": 0.99}, ["a", "b"] * 150, ("roc_auc", 0.999)),
        ("binary", {"roc_auc": 0.998, "accuracy": 1.0}, ["a", "b"] * 150, ("accuracy", 0.999)),
        ("binary", {"roc_auc": 0.998, "accuracy": 0.99}, ["a", "b"] * 150, None),
        ("multiclass", {"accuracy": 1.0, "roc_auc_ovr": 1.0}, ["a", "b", "c"] * 100, ("accuracy", 0.999)),
        ("multiclass", {"accuracy": 0.98, "roc_auc_ovr": 0.9995}, ["a", "b", "c"] * 100, None),
        ("regression", {"r2": 0.9993}, list(range(300)), ("r2", 0.999)),
        ("regression", {"r2": 0.97}, list(range(300)), None),
        # Too few rows to judge: a perfect score on a small split can be luck.
        ("binary", {"roc_auc": 1.0, "accuracy": 1.0}, ["a", "b"] * (MIN_TEST_ROWS // 2 - 1), None),
        ("binary", {"roc_auc": 1.0, "accuracy": 1.0}, ["a"] * 295 + ["b"] * 5, None),
    ],
    ids=[
        "binary-auc",
        "binary-accuracy",
        "binary-plausible",
        "multiclass-accuracy",
        "multiclass-plausible",
        "regression-r2",
        "regression-plausible",
        "small-split",
        "rare-class",
    ],
)
def test_implausible_test_scores(
    problem: Any, metrics: dict[str, float], labels: list[Any], expected: tuple[str, float] | None
) -> None:
    found = check_test_score(problem, metrics, np.asarray(labels))
    if expected is None:
        assert found == []
        return
    assert len(found) == 1
    finding = found[0]
    assert finding.kind == "implausible_test_score" and finding.column is None
    assert (finding.statistic, finding.threshold) == expected
    assert finding.value == metrics[expected[0]] and str(len(labels)) in finding.detail


def test_automl_result_carries_the_findings() -> None:
    rng = np.random.default_rng(9)
    frame = mixed_frame(1200, seed=9)
    frame["account_closed"] = np.where(frame["churn"] == "yes", "closed", "open")
    frame["refund"] = np.where(frame["churn"] == "yes", rng.normal(40, 5, len(frame)), 0.0)
    result = run_automl(frame, AutoMLOptions(target="churn", time_budget_s=2, algorithms=["linear"]))
    kinds = {(f["column"], f["kind"]) for f in result.leakage_findings}
    # The model learnt the answer: its held-out score is perfect on 240 rows.
    assert kinds == {
        ("account_closed", "derived_from_target"),
        ("refund", "near_perfect_predictor"),
        (None, "implausible_test_score"),
    }
    assert result.test_metrics["roc_auc"] == 1.0
    clean = run_automl(
        mixed_frame(1200, seed=9), AutoMLOptions(target="churn", time_budget_s=2, algorithms=["linear"])
    )
    assert clean.leakage_findings == []
