"""The queue of each kind of job as MongoDB holds it: how many wait, and for how long the oldest has.

Read from the database, so every server process reports the same numbers (the business metrics
export them). A kind is the collection name without `_jobs`: `training`, `analysis`,
`batch_prediction`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ASCENDING

from modelyard.lib.clock import utcnow
from modelyard.lib.jobs.documents import JobDocument


def job_kind(document: type[JobDocument]) -> str:
    """`training` for the `training_jobs` collection: the label a kind of job carries in metrics."""
    return document.get_collection_name().removesuffix("_jobs")


@dataclass(frozen=True)
class QueueStats:
    """One kind's queue."""

    queued: int
    """Jobs in status `queued` (those waiting out an outage backoff included)."""
    oldest_age_seconds: float
    """Time since the oldest queued job was created; 0 when none waits."""


async def queue_stats(documents: Iterable[type[JobDocument]]) -> dict[str, QueueStats]:
    """Each kind's queue: a count and one indexed lookup (`status_created`) per kind."""
    stats = {}
    for document in documents:
        collection = document.get_pymongo_collection()
        queued = await collection.count_documents({"status": "queued"})
        oldest = await collection.find_one(
            {"status": "queued"}, projection={"created_at": 1}, sort=[("created_at", ASCENDING)]
        )
        age = 0.0
        if oldest is not None and isinstance(created := oldest.get("created_at"), datetime):
            age = max(0.0, (utcnow() - created.replace(tzinfo=created.tzinfo or UTC)).total_seconds())
        stats[job_kind(document)] = QueueStats(queued, age)
    return stats
