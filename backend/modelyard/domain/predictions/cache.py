"""In-process state of the prediction hot path: the model cache and the prediction tally."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from modelyard.lib.clock import utcnow
from modelyard.lib.schema import ProblemType
from modelyard.ml.batching import MicroBatcher
from modelyard.ml.scoring import LoadedModel


@dataclass
class CachedModel:
    model: LoadedModel
    owner_id: PydanticObjectId
    problem_type: ProblemType
    checked_at: float
    """Monotonic time the model was last confirmed to exist."""
    batcher: MicroBatcher | None = None


class ModelCache:
    """LRU of loaded models bounded by their artifact bytes (a proxy for memory held).

    A model larger than the whole bound is served but not kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, CachedModel] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, model_id: str) -> CachedModel | None:
        entry = self._entries.get(model_id)
        if entry is not None:
            self._entries.move_to_end(model_id)
        return entry

    def put(self, model_id: str, entry: CachedModel) -> None:
        self.evict(model_id)
        size = entry.model.nbytes
        if size > self.max_bytes:
            return
        while self._entries and self.bytes + size > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.model.nbytes
        self._entries[model_id] = entry
        self.bytes += size

    def evict(self, model_id: str) -> None:
        old = self._entries.pop(model_id, None)
        if old is not None:
            self.bytes -= old.model.nbytes

    def lock(self, model_id: str) -> asyncio.Lock:
        """One loader per model: concurrent first requests wait for one load instead of each loading."""
        return self._locks.setdefault(model_id, asyncio.Lock())

    @staticmethod
    def now() -> float:
        return time.monotonic()


class PredictionTally:
    """Rows scored per model, aggregated in memory and flushed to the models periodically."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[int, datetime]] = {}

    def add(self, model_id: str, rows: int) -> None:
        if rows <= 0:
            return
        count, _ = self._pending.get(model_id, (0, utcnow()))
        self._pending[model_id] = (count + rows, utcnow())

    def take(self) -> dict[str, tuple[int, datetime]]:
        pending, self._pending = self._pending, {}
        return pending

    def restore(self, pending: dict[str, tuple[int, datetime]]) -> None:
        """Put back counts whose flush failed, so none are lost."""
        for model_id, (rows, last) in pending.items():
            count, latest = self._pending.get(model_id, (0, last))
            self._pending[model_id] = (count + rows, max(last, latest))
