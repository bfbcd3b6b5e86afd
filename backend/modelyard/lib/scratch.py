"""Scratch space: temporary files under a directory the service owns, cleaned when a process dies.

Uploads being received, the working files of uploads and jobs, and each job's control
directory live under `<var>/tmp/<process tag>/` (see `lib.processes`), never in the system's
temporary directory: a killed process leaves them behind, and nothing would ever remove them
there. At start each process removes what dead processes of this host left (several server
workers share the directory, so only theirs), and what other hosts left a day ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import structlog

from modelyard.lib.processes import is_dead_process, on_this_host, process_tag

log = structlog.get_logger("modelyard.scratch")

FOREIGN_AFTER_S = 24 * 3600.0
"""Entries of another host's processes are removed once untouched this long."""


def scratch_root(var_dir: Path) -> Path:
    """The scratch space of a deployment: `tmp/` in its state directory (MODELYARD_VAR_DIR)."""
    return var_dir / "tmp"


def process_scratch(root: Path) -> Path:
    """This process's directory under `root` (created when missing)."""
    directory = root / process_tag()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def remove_leftovers(root: Path) -> int:
    """Remove what dead processes left under `root`; how many entries went. Blocking: call at start."""
    if not root.is_dir():
        return 0
    removed = 0
    cutoff = time.time() - FOREIGN_AFTER_S
    for entry in root.iterdir():
        if entry.name == process_tag():
            continue
        try:
            stale = (
                is_dead_process(entry.name) if on_this_host(entry.name) else entry.lstat().st_mtime < cutoff
            )
        except FileNotFoundError:
            continue
        if stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.warning("temporary files of stopped processes removed", count=removed, directory=str(root))
    return removed


@contextlib.asynccontextmanager
async def scratch_dir(root: Path, prefix: str) -> AsyncIterator[Path]:
    """A temporary directory for large working files in this process's scratch space under `root`,
    created and removed off the event loop."""

    def make() -> str:
        return tempfile.mkdtemp(prefix=prefix, dir=process_scratch(root))

    path = Path(await asyncio.to_thread(make))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)
