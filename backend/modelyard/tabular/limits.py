"""Shape limits on uploaded tables, and `DatasetRejected`, raised when an upload is not usable data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorKind = Literal["unsupported", "invalid"]


class DatasetRejected(Exception):
    """The upload is not usable tabular data. Picklable, so it crosses the process pool."""

    def __init__(self, kind: ErrorKind, detail: str, location: str | None = None) -> None:
        super().__init__(kind, detail, location)
        self.kind: ErrorKind = kind
        self.detail = detail
        self.location = location


@dataclass(frozen=True)
class IngestLimits:
    max_columns: int = 2000
    max_cell_bytes: int = 1024 * 1024

    def check_column_count(self, columns: int) -> None:
        """Reject a table wider than `max_columns`."""
        if columns > self.max_columns:
            raise DatasetRejected(
                "invalid",
                f"The file has {columns} columns; at most {self.max_columns} are accepted.",
                "file",
            )


def ragged_record(number: int, fields: int, width: int) -> DatasetRejected:
    """The rejection of record `number`, which has `fields` fields where the header has `width`."""
    return DatasetRejected(
        "invalid",
        f"Ragged rows: record {number} has {fields} fields but the header has {width}.",
        f"record:{number}",
    )
