"""The greedy weighted ensemble on out-of-fold outputs: it blends complementary configurations,
stays out when blending does not help, and keeps to what the time left can refit."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from modelyard.domain.training.automl.blending import greedy_ensemble
from modelyard.domain.training.automl.data import TrainingSplit
from modelyard.domain.training.automl.search import CandidateSearch, Evaluation
from modelyard.lib.jobs import JobControl
from modelyard.ml.features import TrainingSchema

N = 600


def _search(outputs: list[np.ndarray[Any, Any]], y: np.ndarray[Any, Any]) -> CandidateSearch:
    """A search whose configurations left `outputs` as out-of-fold predictions (regression, rmse)."""
    split = TrainingSplit(
        schema=TrainingSchema(target="y", problem_type="regression", features=[], dropped=[]),
        problem="regression",
        X_train=pd.DataFrame({"x": np.zeros(N)}),
        X_test=pd.DataFrame({"x": np.zeros(10)}),
        y_train=y,
        y_test=np.zeros(10),
        folds=3,
        leakage=[],
    )
    now = time.monotonic()
    search = CandidateSearch(split, "rmse", False, 0, now, now + 60, 60, JobControl())
    search.fold_of_row = np.arange(N) % 3
    for i, out in enumerate(outputs):
        ev = Evaluation(i, "linear", {"alpha": float(i)}, N, fit_seconds=0.3)
        ev.oof = out.reshape(N, 1)
        folds = [
            np.sqrt(np.mean((out[search.fold_of_row == f] - y[search.fold_of_row == f]) ** 2))
            for f in range(3)
        ]
        ev.score, ev.std = float(np.mean(folds)), float(np.std(folds))
        search.evaluations.append(ev)
    return search


def test_complementary_configurations_are_blended_with_weights_that_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=N)
    noisy = [y + rng.normal(0, 1.0, N), y + rng.normal(0, 1.0, N), y + rng.normal(0, 1.5, N)]
    search = _search(noisy, y)
    choice = greedy_ensemble(search, time.monotonic() + 10, lambda members: True)
    assert choice is not None
    best_single = min(ev.score for ev in search.evaluations)
    assert choice.score < best_single * 0.9  # independent errors: averaging cuts the rmse
    assert len(choice.members) >= 2 and math.isclose(sum(choice.weights), 1.0)
    assert {ev.index for ev in choice.members} <= {0, 1, 2}
    # The two equally good ones weigh the most.
    weight = dict(zip((ev.index for ev in choice.members), choice.weights, strict=True))
    assert weight.get(0, 0) + weight.get(1, 0) > weight.get(2, 0)


def test_no_ensemble_when_one_configuration_is_as_good_as_any_blend() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=N)
    search = _search([y.copy(), y + rng.normal(0, 1.0, N)], y)  # the first is exact
    assert greedy_ensemble(search, time.monotonic() + 10, lambda members: True) is None


def test_members_are_limited_to_what_the_time_left_can_refit() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(size=N)
    search = _search([y + rng.normal(0, 1.0, N) for _ in range(4)], y)
    two = greedy_ensemble(search, time.monotonic() + 10, lambda members: len(members) <= 2)
    assert two is not None and len(two.members) == 2
    assert greedy_ensemble(search, time.monotonic() + 10, lambda members: len(members) <= 1) is None
