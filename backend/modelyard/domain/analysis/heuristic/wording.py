"""Shared wording of the built-in analyst: percentages, capped column lists, problem names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from modelyard.lib.schema import ProblemType

MAX_LIST = 50
"""Most columns (or findings) one list names."""
SMALL_DATASET = 100
"""Fewer rows than this make scores vary a lot between runs."""


def pct(value: float) -> str:
    return f"{value * 100:.0f}%" if value >= 0.01 or value == 0 else f"{value * 100:.1f}%"


def capped(names: Iterable[str]) -> list[str]:
    """The names without repeats, at most MAX_LIST of them."""
    return list(dict.fromkeys(names))[:MAX_LIST]


def more_than_listed(names: list[str]) -> str:
    """The " (and N more)" suffix when `capped` left names out."""
    return f" (and {len(names) - MAX_LIST} more)" if len(names) > MAX_LIST else ""


def name_tokens(name: str) -> list[str]:
    """The lower-case words of a column name (`monthlySpend_usd` -> monthly, spend, usd)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t]


def problem_label(problem: ProblemType) -> str:
    return {
        "binary": "binary classification",
        "multiclass": "multiclass classification",
        "regression": "regression",
    }[problem]
