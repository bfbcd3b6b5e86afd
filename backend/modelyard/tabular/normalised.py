"""The normalised Parquet copy every upload becomes: write settings, column naming, the result.

The copy has unique column names and plain types (numbers, booleans, datetimes, strings);
profiling, preview and training read it column by column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from modelyard.tabular.limits import DatasetRejected

ROW_GROUP_ROWS = 64 * 1024
PARQUET_COMPRESSION: Literal["uncompressed"] = "uncompressed"
"""The normalised copy is written uncompressed: lz4 made it ~40% smaller but cost ~0.3 s per
200 MB of CSV to write and again to read back for profiling, on the upload's critical path."""
INFER_ROWS = 10_000
"""Column types are inferred from this many first rows."""


@dataclass
class Converted:
    rows: int
    columns: list[str]
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(original, new) for every column whose name had to change (blank or duplicate)."""
    encoding: str | None = None
    """The encoding actually used (a UTF-8 guess that failed later falls back to Latin-1)."""


def unique_column_names(names: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Blank names become `column_<n>`; repeats get `_2`, `_3`... in order. Deterministic."""
    result: list[str] = []
    renamed: list[tuple[str, str]] = []
    used: set[str] = set()
    for position, original in enumerate(names, start=1):
        base = original.strip() or f"column_{position}"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        result.append(name)
        if name != original:
            renamed.append((original, name))
    return result, renamed


def sink_normalised(frame: pl.LazyFrame, target: Path) -> None:
    """Stream a lazy frame into the normalised copy at `target`."""
    frame.sink_parquet(
        target, compression=PARQUET_COMPRESSION, statistics=False, row_group_size=ROW_GROUP_ROWS
    )


def parse_rejection(exc: Exception, what: str) -> DatasetRejected:
    """The rejection for a parser error while reading the upload as `what` (CSV, JSON Lines), in the
    uploader's terms: the parser's own words (polars' `new_columns`, dtypes, row offsets) would
    tell them nothing about their file."""
    message = str(exc).lower()
    if "more fields" in message or "ragged" in message:
        return DatasetRejected(
            "invalid", "Ragged rows: some records have more fields than the header.", "file"
        )
    if what == "JSON Lines":
        reason = (
            "a field holds values of different kinds on different lines (an object on one, a list "
            "or a number on another)"
            if "supertype" in message
            else "a line is not one complete JSON object"
        )
    else:
        reason = (
            "a record does not follow the header's layout; look for a quote that is never closed or "
            "a quote inside an unquoted value"
        )
    return DatasetRejected("invalid", f"The file could not be read as {what}: {reason}.", "file")
