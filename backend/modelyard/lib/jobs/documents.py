"""What a job is in MongoDB: the fields every job has, its indexes, cancelling one, its error shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.clock import utcnow
from modelyard.lib.errors import PROBLEM_KINDS, FieldError, Problem, problem_type
from modelyard.lib.schema import JobStatus


class JobDocument(Document):
    """Fields every job has. Subclasses add their own and name their collection."""

    owner_id: PydanticObjectId
    status: JobStatus = "queued"
    progress: float = 0.0
    """0..1, monotone while running; 1 when succeeded."""
    revision: int = 0
    """Grows with every change a client can see (status, progress, message, live fields): the id
    of the job's events (`lib.events`). Every write of those fields bumps it (`BUMP`)."""
    message: str | None = None
    """What the job is doing now, for people."""
    error: dict[str, Any] | None = None
    """An RFC 9457 problem object when failed."""
    attempts: int = 0
    """Times the job was started (a restart that interrupts a job costs one attempt)."""
    outage_retries: int = 0
    """Times the job was requeued because the database or object store was unreachable; these
    are counted in `attempts` but never make the job fail."""
    not_before: datetime | None = None
    """A job requeued after an outage waits until then, so a dependency that is down is not
    hammered."""
    cancel_requested: bool = False
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


BUMP = {"revision": 1}
"""`$inc` this with every update that changes what a client sees of a job."""

JOB_INDEXES = [
    IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="status_created"),
    IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_created"),
]


def problem_dict(kind: str, detail: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    status, title = PROBLEM_KINDS[kind]
    problem = Problem(type=problem_type(kind), title=title, status=status, detail=detail, errors=errors)
    return msgspec.to_builtins(problem)  # type: ignore[no-any-return]


async def request_cancel(document: type[JobDocument], job_id: PydanticObjectId) -> None:
    """Cancel a job: a queued one at once; a running one by flagging it for its runner."""
    collection = document.get_pymongo_collection()
    now = utcnow()
    result = await collection.update_one(
        {"_id": job_id, "status": "queued"},
        {
            "$set": {
                "status": "cancelled",
                "cancel_requested": True,
                "finished_at": now,
                "message": "Cancelled.",
            },
            "$inc": BUMP,
        },
    )
    if result.modified_count:
        return
    await collection.update_one(
        {"_id": job_id, "status": "running"}, {"$set": {"cancel_requested": True}, "$inc": BUMP}
    )
