"""How the job runner lives through a database or object-store outage.

An outage is not the job's fault: a job that hits one is requeued (with a growing delay),
never failed for good, and an outcome that cannot be written is written again until it is.
While a dependency is away the runner logs one warning when the outage starts and one line
when it ends, not a traceback every poll.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import structlog

from modelyard.lib.clock import utcnow
from modelyard.lib.errors import ServiceUnavailableError, unavailable_dependency

log = structlog.get_logger("modelyard.jobs")

MAX_REQUEUE_DELAY_S = 60.0
MAX_WRITE_DELAY_S = 5.0


def outage_of(exc: BaseException) -> str | None:
    """The dependency (`"database"`, `"object store"`) whose outage `exc` is, else None."""
    dependency = unavailable_dependency(exc)
    if dependency is None and isinstance(exc, ServiceUnavailableError):
        dependency = "object store" if "object store" in exc.detail else "database"
    return dependency


def requeue_delay(outage_retries: int) -> float:
    """Seconds before a job requeued after its `outage_retries`-th outage may run again."""
    return min(MAX_REQUEUE_DELAY_S, 2.0 ** min(outage_retries, 8))


def give_back(job_id: object, outage_retries: int, dependency: str, why: str) -> dict[str, Any]:
    """The update that requeues a job an outage interrupted, after a delay that grows each time."""
    delay = requeue_delay(outage_retries + 1)
    log.warning("job requeued after an outage", job_id=str(job_id), dependency=dependency, why=why)
    return {
        "$set": {
            "status": "queued",
            "progress": 0.0,
            "message": f"Waiting for the {dependency}: the job runs again when it is back.",
            "not_before": utcnow() + timedelta(seconds=delay),
        },
        "$inc": {"outage_retries": 1},
    }


class OutageLog:
    """One warning per outage, one line when it is over."""

    def __init__(self) -> None:
        self.down_since: float | None = None

    def failed(self, where: str, exc: BaseException) -> bool:
        """Note a failure; True when it is an outage (logged once), False for anything else."""
        dependency = outage_of(exc)
        if dependency is None:
            return False
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning(
                "job runner: dependency unavailable; jobs wait for it",
                dependency=dependency,
                where=where,
                error=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
        return True

    def ok(self) -> None:
        if self.down_since is not None:
            log.info("job runner: dependency back", outage_s=round(time.monotonic() - self.down_since, 1))
            self.down_since = None


async def write_until_done(
    collection: Any, guard: Mapping[str, Any], update: Mapping[str, Any], outages: OutageLog, job_id: str
) -> bool:
    """Apply `update` to the job matching `guard`, retrying through outages with backoff.

    Returns whether the job still matched the guard (False: another runner took it over). An
    error that is not an outage is logged and ends the retries, so a bug cannot loop forever;
    the job's lease then runs out and recovery requeues it.
    """
    delay = 0.25
    while True:
        try:
            result = await collection.update_one(dict(guard), dict(update))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not outages.failed("record outcome", exc):
                log.exception("could not record a job's outcome", job_id=job_id)
                return False
            await asyncio.sleep(delay)
            delay = min(MAX_WRITE_DELAY_S, delay * 2)
            continue
        outages.ok()
        return bool(result.matched_count)
