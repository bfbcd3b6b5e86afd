"""The one in-memory usage tally: counts made on hot paths, kept until a flusher writes them.

A prediction, an upload, a finished training job or a request made with an API key adds to the
tally instead of writing to the database on the request path; `workflows.usage` writes the tally periodically
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
API_KEY_REQUESTS = "api_key_requests:"
"""Prefix: + the scope that granted the request (or `none`) + `:` + `allowed` or `forbidden`."""


@dataclass
class PendingUsage:
    """What one flush writes: usage counters by key, rows predicted per model and requests per API
    key (each with the latest time)."""

    counters: Counter[str] = field(default_factory=Counter)
    model_rows: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    key_uses: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counters) or bool(self.model_rows) or bool(self.key_uses)


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

    def key_used(self, key_id: str, scope: str, allowed: bool) -> None:
        """A request authenticated by an API key: the key's own count and last use, and the
        service-wide count by scope and outcome (no key id: that label would be unbounded)."""
        count, _ = self._pending.key_uses.get(key_id, (0, utcnow()))
        self._pending.key_uses[key_id] = (count + 1, utcnow())
        self.count(f"{API_KEY_REQUESTS}{scope}:{'allowed' if allowed else 'forbidden'}")

    def take(self) -> PendingUsage:
        pending, self._pending = self._pending, PendingUsage()
        return pending

    def restore(self, pending: PendingUsage) -> None:
        """Put back counts whose flush failed, so none are lost."""
        self._pending.counters.update(pending.counters)
        for kept, restored in (
            (self._pending.model_rows, pending.model_rows),
            (self._pending.key_uses, pending.key_uses),
        ):
            for item_id, (n, last) in restored.items():
                count, latest = kept.get(item_id, (0, last))
                kept[item_id] = (count + n, max(last, latest))
