"""Partial writes (`.part`) a killed writer left in the file store: listing hides them, but the
owner's delete removes them and the sweep removes stale ones (never one still being written)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from modelyard.lib.storage import FileObjectStore


def leave_partial(root: Path, key: str, age_s: float) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 1024)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


async def test_delete_prefix_removes_partial_writes(tmp_path: Path) -> None:
    store = FileObjectStore(tmp_path)
    await store.put_bytes("datasets/a/original", b"data")
    partial = leave_partial(tmp_path, "datasets/a/.table.parquet.0123.part", age_s=0)
    other = leave_partial(tmp_path, "datasets/b/.original.0123.part", age_s=0)
    assert await store.list("datasets/a/") == ["datasets/a/original"]  # hidden from listing

    assert await store.delete_prefix("datasets/a/") == 2
    assert not partial.exists() and other.exists()
    assert await store.list("datasets/") == []


async def test_stale_partial_writes_are_swept_fresh_ones_kept(tmp_path: Path) -> None:
    store = FileObjectStore(tmp_path)
    await store.put_bytes("models/m/pipeline.skops", b"model")
    stale = leave_partial(tmp_path, "datasets/a/.original.0123.part", age_s=7200)
    fresh = leave_partial(tmp_path, "datasets/b/.original.4567.part", age_s=1)

    assert await store.remove_stale_partial(3600) == 1
    assert not stale.exists() and fresh.exists()
    assert await store.list() == ["models/m/pipeline.skops"]
