"""Which process owns something: a tag `host:pid:token` naming a process, and whether it still runs.

What a process leaves behind when it is killed (a claimed job, a dataset being stored, a scratch
directory) carries the tag of the process that made it. On this host, a tag whose pid is gone,
or whose pid is ours but which this process never handed out (the pid was reused, as a
container's pid 1 is after a restart), names a dead process: what it left can go at once.
Tags of other hosts are never judged here: their processes cannot be seen.
"""

from __future__ import annotations

import os
import socket
import uuid

_issued: set[str] = set()
"""Every tag this process handed out."""
_own: dict[int, str] = {}


def new_tag() -> str:
    """A tag of this process with a token of its own (e.g. one per job runner)."""
    tag = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _issued.add(tag)
    return tag


def process_tag() -> str:
    """This process's tag: the same for its whole life (a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _own:
        _own[pid] = new_tag()
    return _own[pid]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        return True
    return True


def on_this_host(tag: str) -> bool:
    host, _, rest = tag.partition(":")
    return host == socket.gethostname() and rest.partition(":")[0].isdigit()


def is_dead_process(tag: str) -> bool:
    """True when `tag` names a process of this host that no longer runs (see the module docstring).

    A tag of another host, or a string that is not a tag, is never known to be dead.
    """
    if not on_this_host(tag):
        return False
    pid = int(tag.split(":")[1])
    if pid == os.getpid():
        return tag not in _issued
    return not pid_alive(pid)
