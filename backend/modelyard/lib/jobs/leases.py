"""Who holds a running job: the runner's identity, and whether the holder of a lease is gone.

A runner is a process tag (`host:pid:token`, lib/processes.py). A job's holder is dead when its
lease ran out, or when it names a process of this host that no longer runs (a restart finds its
own jobs at once instead of waiting out the lease).
"""

from __future__ import annotations

from datetime import UTC, datetime

from modelyard.lib.processes import is_dead_process, new_tag


def new_worker_id() -> str:
    return new_tag()


def holder_is_dead(claimed_by: str | None, lease_expires_at: datetime | None, now: datetime, me: str) -> bool:
    """Whether the runner `claimed_by` can no longer be running the job (`me`: the asking runner)."""
    if claimed_by is None or lease_expires_at is None:
        return True
    if lease_expires_at.replace(tzinfo=lease_expires_at.tzinfo or UTC) < now:
        return True
    return claimed_by != me and is_dead_process(claimed_by)
