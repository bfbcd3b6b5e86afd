"""Writing the usage tally: rows predicted to each model's record, uses (and the last one) to each
API key's record, totals to `usage_counters`.

The one flusher of the one tally (`lib.tally.UsageTally`): every `interval` seconds, once
more on shutdown, and before each business-metrics refresh. A failed write puts its counts
back, so a database outage delays counts but loses none; a SIGKILL loses at most one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from modelyard.domain.api_keys.services import ApiKeyService
from modelyard.domain.models.services import ModelService
from modelyard.lib.tally import PendingUsage, UsageTally

log = structlog.get_logger("modelyard.usage")

USAGE_COLLECTION = "usage_counters"
"""Owned by this module: one document per counter, `{_id: key, value: n}`."""


class UsageFlusher:
    """Writes what the tally collected since the last flush."""

    def __init__(
        self,
        tally: UsageTally,
        models: ModelService,
        database: AsyncDatabase[Any],
        api_keys: ApiKeyService | None = None,
    ) -> None:
        self.tally = tally
        self.models = models
        self.api_keys = api_keys or ApiKeyService()
        self.counters = database[USAGE_COLLECTION]

    async def flush(self) -> None:
        pending = self.tally.take()
        if not pending:
            return
        try:
            await self.models.add_predictions(pending.model_rows)
        except BaseException:
            self.tally.restore(pending)
            raise
        try:
            await self.api_keys.record_uses(pending.key_uses)  # removes what it wrote
        except BaseException:
            self.tally.restore(PendingUsage(counters=pending.counters, key_uses=pending.key_uses))
            raise
        try:
            for key, count in list(pending.counters.items()):
                await self.counters.update_one({"_id": key}, {"$inc": {"value": count}}, upsert=True)
                del pending.counters[key]
        except BaseException:
            self.tally.restore(PendingUsage(counters=pending.counters))
            raise

    async def run(self, interval: float) -> None:
        """Flush every `interval` seconds until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.flush()
                except Exception:  # the counts were put back; the next round retries
                    log.warning("usage flush failed; counts kept for the next round", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self.flush()

    async def totals(self) -> dict[str, int]:
        """Every counter written so far."""
        return {str(row["_id"]): int(row.get("value", 0)) async for row in self.counters.find({})}
