"""LightGBM's place in the search: its portfolio defaults and its hyper-parameter ranges.

The defaults are strong configurations that need no tuning (a slow learning rate with early
stopping, and its extremely-randomised variant, as AutoGluon's portfolio has them). The ranges
are what a model-based optimiser (TPE) may explore; `ParamRange` says how to sample each one,
so the search can map it onto its optimiser (e.g. Optuna's `suggest_float(name, low, high,
log=log)`, `suggest_int`, `suggest_categorical`). Values are LightGBM's scikit-learn
parameters, passed through `LightGBMClassifier(params=...)`; the tree count is not among them:
early stopping on a validation fold chooses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ParamRange:
    """How to sample one hyper-parameter: a float or int interval (log-uniform when `log`), or
    one of `choices`."""

    kind: Literal["float", "int", "categorical"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()


LIGHTGBM_DEFAULTS: list[dict[str, Any]] = [
    {"learning_rate": 0.05},
    {"learning_rate": 0.05, "extra_trees": True},
]
"""The portfolio's LightGBM configurations, in the order they are tried."""

LIGHTGBM_RANGES: dict[str, ParamRange] = {
    "learning_rate": ParamRange("float", 0.01, 0.2, log=True),
    "num_leaves": ParamRange("int", 8, 256, log=True),
    "min_child_samples": ParamRange("int", 2, 100, log=True),
    "colsample_bytree": ParamRange("float", 0.4, 1.0),
    "subsample": ParamRange("float", 0.5, 1.0),
    "subsample_freq": ParamRange("categorical", choices=(0, 1)),
    "reg_lambda": ParamRange("float", 1e-3, 10.0, log=True),
    "reg_alpha": ParamRange("float", 1e-3, 10.0, log=True),
    "min_split_gain": ParamRange("float", 0.0, 0.5),
    "cat_smooth": ParamRange("float", 1.0, 50.0, log=True),
    "extra_trees": ParamRange("categorical", choices=(False, True)),
}
"""LightGBM's search space for a TPE search (see the module docstring)."""
