"""The one in-memory usage tally: counts made on hot paths, kept until a flusher writes them.

A prediction, an upload or a finished training job adds to the tally instead of writing
to the database on the request path; `workflows.usage` writes the tally periodically
(and on shutdown), so totals survive restarts and add up over every worker process.
What a SIGKILL takes away is at most one flush interval of counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from modelyard.lib.clock import utcnow

DATASETS_CREATED = "datasets_created"
PREDICTIONS = "predictions"
MODELS_TRAINED = "models_trained:"
"""Prefix: + the problem type."""


@dataclass
class PendingUsage:
    """What one flush writes: usage counters by key, and rows predicted per model (with the latest time)."""

    counters: Counter[str] = field(default_factory=Counter)
    model_rows: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counters) or bool(self.model_rows)


class UsageTally:
    """Counts aggregated in memory; `take` hands them to a flusher, `restore` puts back a failed flush."""

    def __init__(self) -> None:
        self._pending = PendingUsage()

    def count(self, key: str, n: int = 1) -> None:
        if n > 0:
            self._pending.counters[key] += n

    def predicted(self, model_id: str, rows: int) -> None:
        """Rows scored by a model: its own count and the service-wide prediction total."""
        if rows <= 0:
            return
        count, _ = self._pending.model_rows.get(model_id, (0, utcnow()))
        self._pending.model_rows[model_id] = (count + rows, utcnow())
        self.count(PREDICTIONS, rows)

    def take(self) -> PendingUsage:
        pending, self._pending = self._pending, PendingUsage()
        return pending

    def restore(self, pending: PendingUsage) -> None:
        """Put back counts whose flush failed, so none are lost."""
        self._pending.counters.update(pending.counters)
        for model_id, (rows, last) in pending.model_rows.items():
            count, latest = self._pending.model_rows.get(model_id, (0, last))
            self._pending.model_rows[model_id] = (count + rows, max(last, latest))
