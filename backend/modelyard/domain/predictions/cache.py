"""The in-process model cache of the prediction hot path: loaded models bounded by their bytes."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from beanie import PydanticObjectId

from modelyard.lib.schema import ProblemType
from modelyard.ml.batching import MicroBatcher
from modelyard.ml.scoring import LoadedModel
from modelyard.observability.metrics import observe_model_cache


@dataclass
class CachedModel:
    model: LoadedModel
    owner_id: PydanticObjectId
    problem_type: ProblemType
    checked_at: float
    """Monotonic time the model's existence was last checked (or a check was last attempted)."""
    confirmed_at: float = 0.0
    """Monotonic time the database last confirmed the model exists (set from `checked_at`)."""
    batcher: MicroBatcher | None = None

    def __post_init__(self) -> None:
        self.confirmed_at = self.confirmed_at or self.checked_at


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

    def get(self, model_id: str, *, count: bool = True) -> CachedModel | None:
        """The cached model; `count`: record the lookup as a hit or a miss (once per request)."""
        entry = self._entries.get(model_id)
        if entry is not None:
            self._entries.move_to_end(model_id)
        if count:
            observe_model_cache(hit=entry is not None, entries=len(self._entries), size_bytes=self.bytes)
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
        observe_model_cache(hit=None, entries=len(self._entries), size_bytes=self.bytes)

    def evict(self, model_id: str) -> None:
        old = self._entries.pop(model_id, None)
        if old is not None:
            self.bytes -= old.model.nbytes
            observe_model_cache(hit=None, entries=len(self._entries), size_bytes=self.bytes)

    def lock(self, model_id: str) -> asyncio.Lock:
        """One loader per model: concurrent first requests wait for one load instead of each loading."""
        return self._locks.setdefault(model_id, asyncio.Lock())

    @staticmethod
    def now() -> float:
        return time.monotonic()
