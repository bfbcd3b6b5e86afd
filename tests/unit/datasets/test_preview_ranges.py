"""Preview reads the Parquet footer and the row groups it needs, not the whole stored copy."""

from __future__ import annotations

import asyncio
import io

import polars as pl

from modelyard.domain.datasets.services import _read_rows
from modelyard.lib.storage import RangeReader


class CountingStore:
    """A plain in-memory fake of the ranged-read part of our ObjectStore, counting bytes served."""

    def __init__(self, data: bytes) -> None:
        self.data, self.served = data, 0

    async def get_range(self, key: str, start: int, length: int) -> bytes:
        chunk = self.data[start : start + length]
        self.served += len(chunk)
        return chunk


async def test_preview_fetches_a_small_part_of_a_large_table() -> None:
    frame = pl.DataFrame({"n": range(400_000), "text": [f"row {i} of many" for i in range(400_000)]})
    buffer = io.BytesIO()
    frame.write_parquet(buffer, row_group_size=64 * 1024)
    store = CountingStore(buffer.getvalue())
    reader = RangeReader(store, "table.parquet", len(store.data), asyncio.get_running_loop())  # type: ignore[arg-type]

    rows = await asyncio.to_thread(_read_rows, reader, 200_000, 3)

    assert rows == [
        [200_000, "row 200000 of many"],
        [200_001, "row 200001 of many"],
        [200_002, "row 200002 of many"],
    ]
    assert store.served < 0.3 * len(store.data)  # one of seven row groups, plus the footer
