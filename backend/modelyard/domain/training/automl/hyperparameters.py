"""Each family's hyperparameter space for the tuning phase, as data: a new family only adds its entry.

A `Dimension` is one hyperparameter: a float or int range (log-scaled when it spans orders of
magnitude) or a list of choices, optionally for some problem types only (the linear family
tunes `C` when it classifies and `alpha` when it regresses). `distributions` turns a family's
dimensions into Optuna distributions; families without an entry are only tried in the portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from modelyard.lib.schema import ProblemType

CLASSIFY: tuple[ProblemType, ...] = ("binary", "multiclass")
REGRESS: tuple[ProblemType, ...] = ("regression",)


@dataclass(frozen=True)
class Dimension:
    name: str
    kind: Literal["float", "int", "choice"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    problems: tuple[ProblemType, ...] = (*CLASSIFY, *REGRESS)

    def distribution(self) -> BaseDistribution:
        if self.kind == "float":
            return FloatDistribution(self.low, self.high, log=self.log)
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return CategoricalDistribution(self.choices)


HYPERPARAMETER_SPACES: dict[str, tuple[Dimension, ...]] = {
    "linear": (
        Dimension("C", "float", 1e-3, 1e2, log=True, problems=CLASSIFY),
        Dimension("alpha", "float", 1e-3, 1e3, log=True, problems=REGRESS),
    ),
    "hist_gradient_boosting": (
        Dimension("learning_rate", "float", 0.01, 0.3, log=True),
        Dimension("max_iter", "int", 50, 800, log=True),
        Dimension("max_leaf_nodes", "int", 7, 127, log=True),
        Dimension("min_samples_leaf", "int", 2, 100, log=True),
        Dimension("l2_regularization", "float", 1e-4, 10.0, log=True),
        Dimension("max_features", "float", 0.3, 1.0),
    ),
    "extra_trees": (
        Dimension("n_estimators", "int", 50, 300, log=True),
        Dimension("max_features", "float", 0.1, 1.0),
        Dimension("min_samples_leaf", "int", 1, 20, log=True),
    ),
    "random_forest": (
        Dimension("n_estimators", "int", 50, 300, log=True),
        Dimension("max_features", "float", 0.1, 1.0),
        Dimension("min_samples_leaf", "int", 1, 20, log=True),
    ),
    # LightGBM's scikit-learn parameters; not the tree count: early stopping on a validation fold
    # chooses it.
    "lightgbm": (
        Dimension("learning_rate", "float", 0.01, 0.2, log=True),
        Dimension("num_leaves", "int", 8, 256, log=True),
        Dimension("min_child_samples", "int", 2, 100, log=True),
        Dimension("colsample_bytree", "float", 0.4, 1.0),
        Dimension("subsample", "float", 0.5, 1.0),
        Dimension("subsample_freq", "choice", choices=(0, 1)),
        Dimension("reg_lambda", "float", 1e-3, 10.0, log=True),
        Dimension("reg_alpha", "float", 1e-3, 10.0, log=True),
        Dimension("min_split_gain", "float", 0.0, 0.5),
        Dimension("cat_smooth", "float", 1.0, 50.0, log=True),
        Dimension("extra_trees", "choice", choices=(False, True)),
    ),
}


SIZE_PARAMETERS = {"max_iter": 100, "n_estimators": 100}
"""Hyperparameters a fit's time grows with, and their defaults (scikit-learn's)."""


def relative_cost(params: dict[str, Any]) -> float:
    """A configuration's fit time relative to its family's defaults: its trees or iterations over
    the default number (so a 600-iteration boosting is expected to cost 6x the default's)."""
    cost = 1.0
    for name, default in SIZE_PARAMETERS.items():
        value = params.get(name)
        if isinstance(value, int | float) and value > 0:
            cost *= float(value) / default
    return cost


def distributions(algorithm: str, problem: ProblemType) -> dict[str, BaseDistribution]:
    """The family's tunable hyperparameters for `problem` as Optuna distributions ({}: not tuned)."""
    return {
        dim.name: dim.distribution()
        for dim in HYPERPARAMETER_SPACES.get(algorithm, ())
        if problem in dim.problems
    }


def known_params(params: dict[str, Any], space: dict[str, BaseDistribution]) -> dict[str, Any] | None:
    """`params` as a point of `space` (a portfolio configuration told to the optimizer), or None
    when a value lies outside it (e.g. `max_features="sqrt"`); hyperparameters the space does not
    tune are left out."""
    point = {name: value for name, value in params.items() if name in space}
    for name, value in point.items():
        try:
            internal = space[name].to_internal_repr(value)
        except (ValueError, TypeError):
            return None
        if not space[name]._contains(internal):
            return None
    return point
