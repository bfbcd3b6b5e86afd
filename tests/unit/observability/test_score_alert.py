"""The production-model score alert compares exactly the higher-is-better scores training stores.

Training writes `all_metrics(...)` into a model's `test_metrics`; the business collector exports
each entry as `modelyard_production_model_score{metric=<key>}`. The alert's `metric=~` list must
name those keys (a renamed or new score would otherwise never alert) and no error metric.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from modelyard.domain.training.automl import all_metrics

ALERTS = Path(__file__).resolve().parents[3] / "observability" / "prometheus" / "rules" / "alerts.yml"
LOWER_IS_BETTER = {"rmse", "mae", "median_absolute_error", "log_loss"}
# One side of a precision/recall trade-off: low on its own is not a bad model.
NOT_ALERTED = {"precision", "recall", "precision_macro", "recall_macro"}


def alerted_metrics() -> set[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    (rule,) = [r for g in groups for r in g["rules"] if r.get("alert") == "ModelyardProductionModelScoreLow"]
    match = re.search(r'modelyard_production_model_score\{metric=~"([^"]+)"\}', rule["expr"])
    assert match, rule["expr"]
    return set(match.group(1).split("|"))


def stored_metrics(problem: str) -> set[str]:
    rng = np.random.default_rng(0)
    if problem == "regression":
        y = rng.normal(size=30)
        return set(all_metrics("regression", y, None, y + rng.normal(0, 0.1, 30), None))
    classes = np.array(["a", "b"] if problem == "binary" else ["a", "b", "c"])
    y = classes[np.arange(30) % len(classes)]
    proba = rng.dirichlet(np.ones(len(classes)), 30)
    return set(all_metrics(problem, y, proba, classes[proba.argmax(axis=1)], classes))  # type: ignore[arg-type]


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_alert_covers_every_higher_is_better_score(problem: str) -> None:
    stored = stored_metrics(problem)
    assert stored & alerted_metrics(), f"no {problem} score is alerted on"
    unknown = stored - LOWER_IS_BETTER - NOT_ALERTED - alerted_metrics()
    assert not unknown, f"{problem} scores neither alerted on nor listed as excluded: {unknown}"


def test_alert_names_only_stored_higher_is_better_scores() -> None:
    every = set().union(*(stored_metrics(p) for p in ("binary", "multiclass", "regression")))
    assert alerted_metrics() <= every, alerted_metrics() - every
    assert not alerted_metrics() & (LOWER_IS_BETTER | NOT_ALERTED)
