"""The one rule for "does this column identify rows?", shared by profiling, training and the analyst.

A column identifies rows when either
- its name says so (`is_identifier_name`: `id`, `uuid`, `guid`, `key`, `identifier` as the last
  word, `id`/`uuid`/`guid` as the first, camelCase `customerId`, or a row counter such as
  `index`, `row`, `rownum`) and its values are distinct, or
- it has at least `MIN_IDENTIFIER_ROWS` values, every one distinct, that look like keys: an
  integer sequence, or short one-word strings (codes such as `K00042`).

The callers look at different data, so three strictness levels of the same rule exist,
one per caller (`PROFILE`, `TRAINING`, `ANALYST`); they differ on purpose:
- profiling (the exact figures of the whole upload) wants every value distinct and
  `MIN_IDENTIFIER_ROWS` values even for id-named columns; its integer "sequence" is
  values already sorted in file order (any step);
- training (`ml.features.column_kind`, which decides what the model drops) accepts an
  id-named integer column when more than `NEAR_UNIQUE` of its values are distinct (a few
  repeats, as in a joined table, do not make a key a feature); its sequence is
  consecutive integers in any order. Training also drops any text column whose values
  are nearly all distinct, identifier or free text alike: that is a separate rule, in
  `column_kind`, because training has no text features;
- the analyst reads stored profiles, which may come from older rules: it trusts the
  profile's `identifier` type and adds id-named integer or text columns whose every row
  holds a distinct value, from two rows up. It passes no value evidence (the profile
  already weighed it).
Plain values in, plain answers out: polars (profiling), pandas (training) and profile
figures (the analyst) all call it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ValueKind = Literal["integer", "string", "other"]
"""What a column holds, as the rule needs it: whole numbers, strings, or anything else."""

MIN_IDENTIFIER_ROWS = 20
"""Fewer values than this are too few to call a column a key from its values alone."""
NEAR_UNIQUE = 0.95
"""Share of distinct values above which an id-named column counts as a key in training."""
CODE_MAX_CHARS = 64
"""Longest string that still reads as a code rather than text."""

_IDENTIFIER_NAME = re.compile(
    r"(^|[_\s-])(id|uuid|guid|key|identifier)$"
    r"|^(id|uuid|guid)[_\s-]"
    r"|(?-i:[a-z0-9](Id|ID))$"
    r"|^(index|row|rownum|row_number)$",
    re.IGNORECASE,
)


def is_identifier_name(name: str) -> bool:
    """True for a name that says the column identifies rows (`order_id`, `customerId`, `uuid`, `row`)."""
    return _IDENTIFIER_NAME.search(name) is not None


def is_consecutive(values: Sequence[int] | np.ndarray) -> bool:
    """True when the values, once sorted, step by exactly one (a row number in any order)."""
    ordered = np.sort(np.asarray(values))
    return bool((np.diff(ordered) == 1).all())


def is_code_like(mean_words: float, longest_chars: float) -> bool:
    """True for strings that read as codes: about one word each, none longer than `CODE_MAX_CHARS`."""
    return mean_words < 1.5 and longest_chars <= CODE_MAX_CHARS


@dataclass(frozen=True)
class IdentifierStrictness:
    """How much evidence an id-like name needs; see the module docstring for why callers differ."""

    named_kinds: tuple[ValueKind, ...]
    """Kinds of column an id-like name can make an identifier."""
    named_min_values: int
    """Values an id-named column needs."""
    named_distinct_share: float
    """1.0: every value distinct; below: more than this share distinct."""


PROFILE = IdentifierStrictness(
    named_kinds=("integer",), named_min_values=MIN_IDENTIFIER_ROWS, named_distinct_share=1.0
)
TRAINING = IdentifierStrictness(
    named_kinds=("integer",), named_min_values=1, named_distinct_share=NEAR_UNIQUE
)
ANALYST = IdentifierStrictness(
    named_kinds=("integer", "string"), named_min_values=2, named_distinct_share=1.0
)


def is_identifier(
    strictness: IdentifierStrictness,
    *,
    name: str,
    kind: ValueKind,
    count: int,
    distinct: int,
    sequence: bool = False,
    code_like: bool = False,
) -> bool:
    """Whether a column identifies rows.

    `count`: non-missing values (the analyst passes all rows, so a missing value disqualifies);
    `distinct`: distinct values among them; `sequence`: integers that run as a sequence (the
    caller's test, see the module docstring); `code_like`: strings that read as codes.
    """
    if count <= 0:
        return False
    all_distinct = distinct == count
    if (
        kind in strictness.named_kinds
        and count >= strictness.named_min_values
        and (
            all_distinct
            if strictness.named_distinct_share >= 1.0
            else distinct / count > strictness.named_distinct_share
        )
        and is_identifier_name(name)
    ):
        return True
    if not all_distinct or count < MIN_IDENTIFIER_ROWS:
        return False
    return (kind == "integer" and sequence) or (kind == "string" and code_like)
