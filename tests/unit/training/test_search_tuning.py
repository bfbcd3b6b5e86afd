"""The search after the portfolio: Optuna TPE until the budget is spent or the search converged,
the stop reason, the best score over time and the time left, cancellation while tuning, and the
budget on a slow dataset."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelyard.domain.training.automl import AutoMLOptions, run_automl
from modelyard.domain.training.automl.hyperparameters import (
    HYPERPARAMETER_SPACES,
    distributions,
    known_params,
)
from modelyard.domain.training.automl.space import ALGORITHMS, search_space
from modelyard.domain.training.automl.tuning import CONVERGENCE_TRIALS
from modelyard.lib.jobs import JobCancelledError, JobControl
from tests.unit.training.data import mixed_frame


@dataclass(frozen=True)
class RecordingControl(JobControl):
    """A job control that keeps every report (and cancels when `cancel_on` appears in a message)."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    cancel_on: str | None = None

    def report(self, progress: float, **fields: Any) -> None:
        self.reports.append({"progress": progress, **fields})
        if self.cancel_on and self.cancel_on in str(fields.get("message")) and self.directory:
            (Path(self.directory) / "cancel").touch()


def test_every_family_has_a_space_and_the_portfolio_lies_in_it_where_it_can() -> None:
    assert set(HYPERPARAMETER_SPACES) == set(ALGORITHMS)
    for problem in ("binary", "multiclass", "regression"):
        for algorithm, params in search_space(problem):  # type: ignore[arg-type]
            space = distributions(algorithm, problem)  # type: ignore[arg-type]
            assert space, (algorithm, problem)
            point = known_params(params, space)
            if params.get("max_features") == "sqrt":
                assert point is None  # outside the tuned range: not told to the optimizer
            else:
                assert point is not None and set(point) <= set(space)
    assert set(distributions("linear", "binary")) == {"C"}
    assert set(distributions("linear", "regression")) == {"alpha"}


def test_search_converges_and_says_so() -> None:
    """One cheap family on small data converges long before a generous budget."""
    control = RecordingControl()
    started = time.monotonic()
    result = run_automl(
        mixed_frame(200), AutoMLOptions(target="churn", time_budget_s=120, algorithms=["linear"]), control
    )
    assert time.monotonic() - started < 60
    stop = result.search_stop
    assert stop["reason"] == "converged", stop
    assert f"last {CONVERGENCE_TRIALS} trials" in stop["detail"]
    assert stop["tuning_trials"] >= CONVERGENCE_TRIALS
    tuned = [row for row in result.leaderboard if row["stage"] == "tuning"]
    assert len(tuned) == stop["tuning_trials"]
    assert len({row["params"]["C"] for row in tuned}) > CONVERGENCE_TRIALS // 2  # TPE explores
    assert all(1e-3 <= row["params"]["C"] <= 1e2 for row in tuned)
    # The best score over time only improves, and its last point is the winner.
    scores = [point["cv_score"] for point in result.score_history]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)
    assert scores[-1] == pytest.approx(result.cv_score)
    assert result.leaderboard[0]["candidate"] == result.score_history[-1]["candidate"]
    # Progress: the leaderboard grew report by report, the time left shrank, and the stop reason
    # was published before the refit.
    sizes = [len(r["candidates"]) for r in control.reports if "candidates" in r]
    assert sizes[-1] == len(result.leaderboard) and len(set(sizes)) > CONVERGENCE_TRIALS
    left = [r["estimated_seconds_left"] for r in control.reports]
    assert left[0] > 100 and left[-1] < left[0] and all(v >= 0 for v in left)
    assert control.reports[-1]["search_stop"] == stop


def test_search_spends_the_budget_tuning_the_leading_families() -> None:
    control = RecordingControl()
    result = run_automl(
        mixed_frame(300, problem="regression"),
        AutoMLOptions(target="churn", time_budget_s=10, algorithms=["linear", "extra_trees"]),
        control,
    )
    stop = result.search_stop
    assert stop["reason"] in ("budget_spent", "converged"), stop
    if stop["reason"] == "budget_spent":
        assert stop["seconds"] >= 10 * 0.5
    assert result.total_seconds <= 10 * 1.1
    tuned = [row for row in result.leaderboard if row["stage"] == "tuning"]
    assert tuned and {row["algorithm"] for row in tuned} <= {"linear", "extra_trees"}
    assert all(row["rows"] == result.rows_train for row in tuned)  # one rung on small data


def test_cancelling_during_tuning_stops_the_search(tmp_path: Path) -> None:
    control = RecordingControl(str(tmp_path), cancel_on="Tuning")
    started = time.monotonic()
    with pytest.raises(JobCancelledError):
        run_automl(mixed_frame(200), AutoMLOptions(target="churn", time_budget_s=60), control)
    assert time.monotonic() - started < 30
    messages = [str(r.get("message")) for r in control.reports]
    assert messages[-1].startswith("Tuning: trial 1 ")
    assert not any("Refitting" in m for m in messages)


def _slow_frame(n: int = 6000, width: int = 40, seed: int = 0) -> pd.DataFrame:
    """Wide and noisy enough that one forest fit takes a sizeable share of a short budget."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width))
    y = X[:, :5].sum(axis=1) + rng.normal(0, 2, n)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(width)])
    frame["y"] = np.where(y > 0, "a", "b")
    return frame


# Alone (serial): the assertion is on wall time, which other test workers would skew.
@pytest.mark.serial
def test_budget_holds_on_a_slow_dataset_refit_and_explanations_included() -> None:
    budget = 8
    started = time.monotonic()
    result = run_automl(
        _slow_frame(),
        AutoMLOptions(target="y", time_budget_s=budget, algorithms=["random_forest", "extra_trees"]),
    )
    wall = time.monotonic() - started
    assert wall <= budget * 1.1, (wall, result.search_stop)
    assert result.search_stop["reason"] == "budget_spent"
    assert {f["feature"] for f in result.feature_importance} == {f"x{i}" for i in range(40)}


def test_tuning_trials_climb_the_halving_rungs_on_larger_data() -> None:
    result = run_automl(
        mixed_frame(4000), AutoMLOptions(target="churn", time_budget_s=30, algorithms=["linear"])
    )
    rungs = sorted({row["rows"] for row in result.leaderboard})
    assert len(rungs) == 3 and rungs[-1] == result.rows_train
    tuned: dict[int, set[int]] = {}
    for row in result.leaderboard:
        if row["stage"] == "tuning" and row["status"] == "ok":
            tuned.setdefault(row["candidate"], set()).add(row["rows"])
    assert tuned and all(min(rows) == rungs[0] for rows in tuned.values())  # all start small
    promoted = [rows for rows in tuned.values() if rungs[-1] in rows]
    assert promoted and all(rows == set(rungs) for rows in promoted)  # up every rung in turn
    assert len(promoted) < len(tuned)  # not every trial is worth the whole split
