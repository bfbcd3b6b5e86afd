"""The drift kernel measures the right thing: no alarm on inputs drawn from the training
distribution at any sample size, and an alarm on the one feature that moved.

Live inputs are streamed in batches into window counts, as the server's sketches are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelyard.ml.drift import bin_count, bin_values, build_reference
from modelyard.ml.drift_scores import FeatureDrift, feature_drift
from modelyard.ml.features import FeatureSchema, TrainingSchema

SCHEMA = TrainingSchema(
    target="churned",
    problem_type="binary",
    features=[
        FeatureSchema("amount", "numeric", "float64", missing_ratio=0.05),
        FeatureSchema("tenure", "numeric", "float64"),
        FeatureSchema("plan", "categorical", "str", categories=["basic", "plus", "pro"], cardinality=3),
        FeatureSchema("region", "categorical", "str"),
    ],
    dropped=[],
    classes=["no", "yes"],
)
REGIONS = ["north", "south", "east", "west", "centre", "islands"]
REFERENCE_ROWS = 5000
BATCH = 10_000


def draw(n: int, rng: np.random.Generator, **shift: Any) -> pd.DataFrame:
    """Rows of the training distribution; `shift` moves one feature."""
    amount = rng.normal(100.0, 15.0, n)
    amount[rng.random(n) < 0.05] = np.nan
    tenure = rng.normal(24.0 + shift.get("tenure_mean", 0.0) * 6.0, 6.0, n)
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]).astype(object)
    if "new_plan" in shift:
        plan[rng.random(n) < shift["new_plan"]] = "enterprise"
    region = rng.choice(REGIONS, n, p=[0.3, 0.25, 0.2, 0.15, 0.07, 0.03]).astype(object)
    if "region_missing" in shift:
        region[rng.random(n) < shift["region_missing"]] = None
    return pd.DataFrame({"amount": amount, "tenure": tenure, "plan": plan, "region": region})


def reference(seed: int) -> dict[str, Any]:
    return build_reference(draw(REFERENCE_ROWS, np.random.default_rng(seed)), SCHEMA, None, "training_split")


def live_drift(
    ref: dict[str, Any], rows: int, rng: np.random.Generator, **shift: Any
) -> dict[str, FeatureDrift]:
    """Stream `rows` live rows in batches into per-feature counts, then score each feature."""
    counts = {p["name"]: np.zeros(bin_count(p), dtype=np.int64) for p in ref["features"]}
    left = rows
    while left:
        batch = draw(min(BATCH, left), rng, **shift)
        left -= len(batch)
        for profile in ref["features"]:
            counts[profile["name"]] += bin_values(profile, batch[profile["name"]].tolist())
    return {p["name"]: feature_drift(p, counts[p["name"]], ref["rows"]) for p in ref["features"]}


def alarms(drift: dict[str, FeatureDrift]) -> list[str]:
    return [name for name, result in drift.items() if result.status != "ok"]


@pytest.mark.parametrize(
    ("rows", "seeds"), [(100, 200), (10_000, 100), (1_000_000, 5)], ids=["100", "10k", "1M"]
)
def test_inputs_from_the_training_distribution_raise_no_alarm(rows: int, seeds: int) -> None:
    false_alarms = 0
    for seed in range(seeds):
        drift = live_drift(reference(seed), rows, np.random.default_rng(10_000 + seed))
        assert all(result.rows == rows for result in drift.values())
        false_alarms += bool(alarms(drift))
    assert false_alarms / seeds <= 0.01, f"{false_alarms} of {seeds} windows raised a false alarm"


@pytest.mark.parametrize(
    ("shift", "feature", "finding"),
    [
        ({"tenure_mean": 0.5}, "tenure", None),
        ({"new_plan": 0.2}, "plan", "unseen_categories"),
        ({"region_missing": 0.3}, "region", "missing_rate"),
    ],
    ids=["mean-half-sigma", "new-category-20pct", "missing-30pct"],
)
@pytest.mark.parametrize("rows", [2_000, 100_000], ids=["2k", "100k"])
def test_a_shift_is_drift_on_its_feature_and_no_other(
    shift: dict[str, float], feature: str, finding: str | None, rows: int
) -> None:
    for seed in range(5):
        drift = live_drift(reference(seed), rows, np.random.default_rng(500 + seed), **shift)
        assert drift[feature].status == "drift", drift[feature]
        assert alarms(drift) == [feature]
        if finding is not None:
            assert [f.kind for f in drift[feature].findings] == [finding]
            assert drift[feature].findings[0].status == "drift"


def test_a_mean_shift_moves_the_edge_bins_and_scores_psi_near_its_expected_value() -> None:
    drift = live_drift(reference(1), 200_000, np.random.default_rng(7), tenure_mean=0.5)["tenure"]
    # Half a standard deviation on 10 quantile bins of a normal: PSI 0.238 (computed exactly).
    assert drift.psi == pytest.approx(0.238, abs=0.03)
    assert 0.15 < (drift.js_distance or 0) < 0.26
    assert drift.top_moved_bins[0].bin.startswith("[-inf") or drift.top_moved_bins[0].bin.endswith("+inf)")


def test_a_small_window_is_insufficient_data() -> None:
    drift = live_drift(reference(0), 30, np.random.default_rng(1), tenure_mean=3.0)
    assert {result.status for result in drift.values()} == {"insufficient_data"}
    assert drift["tenure"].psi is None


def test_the_reference_holds_no_rows() -> None:
    ref = reference(0)
    tenure = next(p for p in ref["features"] if p["name"] == "tenure")
    assert len(tenure["edges"]) == 9 and sum(tenure["shares"]) == pytest.approx(1.0)
    plan = next(p for p in ref["features"] if p["name"] == "plan")
    assert plan["categories"] == ["basic", "plus", "pro"] and plan["known_complete"]
    region = next(p for p in ref["features"] if p["name"] == "region")
    assert region["missing_rate"] == 0.0
    assert len(str(ref)) < 5000
