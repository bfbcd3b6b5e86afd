"""Who holds a running job: the runner's identity, and whether the holder of a lease is gone.

A runner is `host:pid:random`. A job's holder is dead when its lease ran out, or when it is a
process of this host whose pid no longer exists (a restart finds its own jobs at once instead of
waiting out the lease).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_is_dead(claimed_by: str | None, lease_expires_at: datetime | None, now: datetime, me: str) -> bool:
    """Whether the runner `claimed_by` can no longer be running the job (`me`: the asking runner)."""
    if claimed_by is None or lease_expires_at is None:
        return True
    if lease_expires_at.replace(tzinfo=lease_expires_at.tzinfo or UTC) < now:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.split(":", 1)[0]
    if claimed_by == me or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _pid_alive(pid)
