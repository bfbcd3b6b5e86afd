"""The AutoML core without services: problem detection, schema, budget, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from modelyard.domain.training.automl import AutoMLOptions, run_automl
from modelyard.ml.features import TrainingDataError
from tests.unit.training.data import mixed_frame


# Alone (serial): a 1 s budget must fit at least one cross-validated configuration, which a
# CPU shared with other test workers does not guarantee.
@pytest.mark.serial
@pytest.mark.parametrize(
    ("problem", "metric", "expected"),
    [
        ("binary", "roc_auc", "binary"),
        ("multiclass", "f1_macro", "multiclass"),
        ("regression", "rmse", "regression"),
    ],
)
def test_search_within_budget(problem: str, metric: str, expected: str) -> None:
    frame = mixed_frame(300, problem=problem)
    result = run_automl(pa.Table.from_pandas(frame), AutoMLOptions(target="churn", time_budget_s=1))
    assert result.problem_type == expected and result.metric == metric
    # The budget cut the search short: not every configuration was cross-validated.
    assert len(result.leaderboard) < 11 or any(row["status"] != "ok" for row in result.leaderboard)
    assert result.leaderboard[0]["rank"] == 1 and result.leaderboard[0]["status"] == "ok"
    assert {d.name for d in result.schema.dropped} == {"customer_id", "constant"}
    kinds = {f.name: f.kind for f in result.schema.features}
    assert kinds == {
        "age": "numeric",
        "income": "numeric",
        "city": "categorical",
        "code": "categorical",
        "member": "boolean",
        "signup": "datetime",
    }
    assert {f["feature"] for f in result.feature_importance} == set(kinds)
    if expected == "regression":
        assert result.residuals is not None and result.confusion is None
        assert {"rmse", "mae", "r2"} <= set(result.test_metrics)
    else:
        assert result.confusion is not None and result.residuals is None
        n_classes = len(result.confusion["labels"])
        assert np.asarray(result.confusion["matrix"]).shape == (n_classes, n_classes)


def test_algorithm_allow_list_and_exclusions() -> None:
    frame = mixed_frame(200)
    result = run_automl(
        frame,
        AutoMLOptions(target="churn", time_budget_s=1, algorithms=["linear"], exclude_columns=["income"]),
    )
    # Only the allowed family is tried; an ensemble, if it wins a place, is made of it alone.
    assert {row["algorithm"] for row in result.leaderboard if row["stage"] != "ensemble"} == {"linear"}
    members = [m for row in result.leaderboard for m in row["members"] or []]
    assert {m["algorithm"] for m in members} <= {"linear"}
    assert "income" in {d.name for d in result.schema.dropped}


@pytest.mark.parametrize(
    ("mutate", "options", "message"),
    [
        (lambda f: f.assign(churn="same"), {}, "single value"),
        (lambda f: f.assign(churn=[None] * 150 + ["a", "b"] * 25), {}, "more than 50%"),
        (lambda f: f.assign(churn=["a"] * 199 + ["b"]), {}, "fewer than 2 rows"),
        (lambda f: f, {"problem_type": "regression"}, "numeric target"),
        (lambda f: f.head(19), {}, "at least 20"),
        (lambda f: f, {"target": "nope"}, "no column"),
    ],
)
def test_unusable_targets_are_rejected(mutate: object, options: dict[str, object], message: str) -> None:
    frame = mutate(mixed_frame(200))  # type: ignore[operator]
    opts = {"target": "churn", "time_budget_s": 1, **options}
    with pytest.raises(TrainingDataError, match=message):
        run_automl(frame, AutoMLOptions(**opts))  # type: ignore[arg-type]


def test_cancel_flag_stops_the_search(tmp_path: object) -> None:
    from pathlib import Path

    from modelyard.lib.jobs import JobCancelledError, JobControl

    directory = Path(str(tmp_path))
    (directory / "cancel").touch()
    with pytest.raises(JobCancelledError):
        run_automl(
            mixed_frame(100), AutoMLOptions(target="churn", time_budget_s=5), JobControl(str(directory))
        )


def test_integer_target_with_few_values_is_classification() -> None:
    frame = pd.DataFrame({"x": np.arange(100) % 7, "y": np.arange(100) % 3})
    result = run_automl(frame, AutoMLOptions(target="y", time_budget_s=1, algorithms=["linear"]))
    assert result.problem_type == "multiclass" and result.schema.classes == [0, 1, 2]
