"""The tables and the target checks that `benchmarks/automl.py` prints, from its outcomes."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

LOWER_IS_BETTER = {"rmse"}
HGB_TOLERANCE = 0.005
BUDGET_SLACK = 1.10


@dataclass
class Outcome:
    set: str
    metric: str
    method: str
    budget: float
    """0 for the HGB default, which has no budget."""
    value: float
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def wall(self) -> float:
        return float(self.detail.get("fit_seconds", math.nan))

    def record(self) -> dict[str, Any]:
        return asdict(self)


def relative(metric: str, value: float, baseline: float) -> float:
    """Improvement over the baseline as a share of it; higher is better for every metric."""
    change = (value - baseline) / abs(baseline)
    return -change if metric in LOWER_IS_BETTER else change


class Results:
    """Outcomes of one budget, looked up by set and method (the HGB default shared by all budgets)."""

    def __init__(self, outcomes: list[Outcome], budget: float) -> None:
        self.by_key = {(o.set, o.method): o for o in outcomes if o.budget in (0.0, budget)}

    def get(self, name: str, method: str) -> Outcome | None:
        return self.by_key.get((name, method))

    def relative(self, name: str, method: str) -> float:
        outcome, base = self.get(name, method), self.get(name, "hgb")
        if outcome is None or base is None:
            return math.nan
        return relative(outcome.metric, outcome.value, base.value)

    def mean_relative(self, sets: list[str], method: str) -> float:
        values = [self.relative(name, method) for name in sets]
        return math.nan if any(math.isnan(v) for v in values) else sum(values) / len(values)


WIDTH = 12


def _tables(results: Results, sets: list[str], methods: list[str], budget: float) -> None:
    head = "".join(f"{m:>{WIDTH}}" for m in methods)
    print(f"\n## budget {budget:g} s: test metric (rmse: lower is better)\n")
    print(f"{'set':<16} {'metric':<9}{head}")
    for name in sets:
        metric = next(o.metric for m in methods if (o := results.get(name, m)))
        cells = "".join(f"{_value(results.get(name, m)):>{WIDTH}}" for m in methods)
        print(f"{name:<16} {metric:<9}{cells}")
    print(f"\n## budget {budget:g} s: relative score against the HGB default (higher is better)\n")
    print(f"{'set':<26}{head}")
    for name in sets:
        print(f"{name:<26}" + "".join(f"{results.relative(name, m):>+{WIDTH}.2%}" for m in methods))
    print(f"{'mean':<26}" + "".join(f"{results.mean_relative(sets, m):>+{WIDTH}.2%}" for m in methods))
    print(f"\n## budget {budget:g} s: fit wall time, s (CPU time of the whole run, s)\n")
    print(f"{'set':<26}{head}")
    for name in sets:
        print(f"{name:<26}" + "".join(f"{_wall(results.get(name, m)):>{WIDTH}}" for m in methods))
    print()
    for method in ("ours", "flaml", "autogluon"):
        if method in methods:
            chosen = [f"{n}={_chosen(results.get(n, method))}" for n in sets]
            print(f"{method} chose: " + ", ".join(chosen))


def _chosen(outcome: Outcome | None) -> str:
    return "-" if outcome is None else str(outcome.detail.get("chosen", "-"))


def _value(outcome: Outcome | None) -> str:
    return "-" if outcome is None else ("failed" if outcome.error else f"{outcome.value:.4f}")


def _wall(outcome: Outcome | None) -> str:
    if outcome is None:
        return "-"
    return (
        "failed"
        if outcome.error
        else f"{outcome.wall:.1f} ({outcome.detail.get('cpu_seconds', math.nan):.0f})"
    )


def _checks(results: Results, sets: list[str], methods: list[str], budget: float) -> list[tuple[str, bool]]:
    """(line, passed) for each target whose methods ran."""
    if "ours" not in methods or "hgb" not in methods:
        return []
    ours = {n: results.relative(n, "ours") for n in sets}
    checks: list[tuple[str, bool]] = []
    if "autogluon" in methods:
        mine, theirs = results.mean_relative(sets, "ours"), results.mean_relative(sets, "autogluon")
        line = f"ours >= AutoGluon on mean relative score ({mine:+.2%} vs {theirs:+.2%})"
        checks.append((line, mine >= theirs))
    worst = min(sets, key=lambda n: ours[n] if not math.isnan(ours[n]) else -math.inf)
    line = f"ours never worse than the HGB default by more than {HGB_TOLERANCE:.1%}"
    checks.append(
        (f"{line} (worst: {worst} {ours[worst]:+.2%})", all(ours[n] >= -HGB_TOLERANCE for n in sets))
    )
    if "flaml" in methods:
        flaml = {n: results.relative(n, "flaml") for n in sets}
        behind = [f"{n} {ours[n] - flaml[n]:+.2%}" for n in sets if not ours[n] >= flaml[n]]
        line = f"ours never worse than FLAML on any set (behind on: {', '.join(behind) or 'none'})"
        checks.append((line, not behind))
    walls = {n: _wall_seconds(results.get(n, "ours")) for n in sets}
    longest = max(sets, key=lambda n: walls[n] if not math.isnan(walls[n]) else math.inf)
    line = f"budget honoured: ours' wall <= {budget * BUDGET_SLACK:g} s on every set"
    checks.append(
        (
            f"{line} (longest: {longest} {walls[longest]:.1f} s)",
            all(walls[n] <= budget * BUDGET_SLACK for n in sets),
        )
    )
    mismatched = [n for n in sets if not _same_split(results.get(n, "ours"))]
    differs = ", ".join(mismatched) or "none"
    line = f"same split: ours' own test score equals the benchmark's (differs on: {differs})"
    checks.append((line, not mismatched))
    return checks


def _wall_seconds(outcome: Outcome | None) -> float:
    return math.nan if outcome is None else outcome.wall


def _same_split(outcome: Outcome | None) -> bool:
    if outcome is None or outcome.error:
        return False
    return math.isclose(outcome.detail["own_test_metric"], outcome.value, rel_tol=1e-9, abs_tol=1e-12)


def print_report(outcomes: list[Outcome], sets: list[str], methods: list[str], budgets: list[float]) -> bool:
    """Print every budget's tables and checks; True when nothing failed and every target holds."""
    ok = True
    for outcome in outcomes:
        if outcome.error:
            ok = False
            print(
                f"\n{outcome.method} failed on {outcome.set} (budget {outcome.budget:g} s):\n{outcome.error}"
            )
    for budget in budgets:
        results = Results(outcomes, budget)
        _tables(results, sets, methods, budget)
        print()
        for line, passed in _checks(results, sets, methods, budget):
            ok = ok and passed
            print(f"{'PASS' if passed else 'FAIL'}  {line}")
    return ok
