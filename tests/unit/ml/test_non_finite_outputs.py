"""A regression output that is not finite is a per-record error, not a null counted as scored."""

from __future__ import annotations

import math

from modelyard.ml.scoring import Scored, without_non_finite


def test_non_finite_regression_outputs_become_record_errors() -> None:
    scored = Scored([1.5, math.inf, math.nan, -2.0], None, [0, 2, 3, 5], {1: ["missing"]}, {}, [])
    kept = without_non_finite(scored)
    assert kept.labels == [1.5, -2.0] and kept.valid == [0, 5]
    assert set(kept.errors) == {1, 2, 3} and "not a finite number" in kept.errors[2][0]


def test_finite_outputs_and_classifiers_are_untouched() -> None:
    scored = Scored([1.0, 2.0], None, [0, 1], {}, {}, [])
    assert without_non_finite(scored) is scored
