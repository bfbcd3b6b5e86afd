"""Saturation of each server process, sampled every second: CPU, memory, file descriptors and their
limit, GC, event-loop lag, and how busy its process pool is.

prometheus-client's process and GC collectors do not work in multiprocess mode (they would
report whichever worker answers the scrape), so each worker samples itself into the
multiprocess-safe metrics of `definitions.py`: counters are incremented by the change since
the last sample, gauges carry one series per live worker.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
from pathlib import Path
from typing import Protocol

from modelyard.lib.workers import PoolLoad
from modelyard.observability.metrics import (
    EVENT_LOOP_LAG,
    GC_COLLECTIONS,
    POOL_BUSY,
    POOL_QUEUED,
    POOL_WORKERS,
    PROCESS_CPU,
    PROCESS_FDS,
    PROCESS_MAX_FDS,
    PROCESS_MEMORY,
)


class LoadedPool(Protocol):
    """A process pool that says how busy it is (`lib.workers.ProcessPool`)."""

    def load(self) -> PoolLoad: ...


PROC = Path("/proc/self")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _resident_bytes() -> int | None:
    try:  # Linux: the second field of statm is resident pages
        return int((PROC / "statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return None


def _open_fds() -> int | None:
    try:
        return sum(1 for _ in (PROC / "fd").iterdir())
    except OSError:
        return None


def _max_fds() -> int | None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


class RuntimeSampler:
    """Keeps the previous sample so counters grow by exactly what happened since."""

    def __init__(self, pool: LoadedPool | None = None) -> None:
        self.pool = pool
        self.cpu = _cpu_seconds()
        self.gc = [stats["collections"] for stats in gc.get_stats()]

    def sample(self, lag_seconds: float) -> None:
        EVENT_LOOP_LAG.set(max(0.0, lag_seconds))
        cpu = _cpu_seconds()
        PROCESS_CPU.inc(max(0.0, cpu - self.cpu))
        self.cpu = cpu
        collections = [stats["collections"] for stats in gc.get_stats()]
        for generation, (now, before) in enumerate(zip(collections, self.gc, strict=False)):
            if now > before:
                GC_COLLECTIONS.labels(str(generation)).inc(now - before)
        self.gc = collections
        if (resident := _resident_bytes()) is not None:
            PROCESS_MEMORY.set(resident)
        if (fds := _open_fds()) is not None:
            PROCESS_FDS.set(fds)
        if (limit := _max_fds()) is not None:
            PROCESS_MAX_FDS.set(limit)
        if self.pool is not None:
            load = self.pool.load()
            POOL_WORKERS.set(load.workers)
            POOL_BUSY.set(load.busy)
            POOL_QUEUED.set(load.queued)


async def sample_runtime_forever(pool: LoadedPool | None = None, interval_seconds: float = 1.0) -> None:
    """Sample every `interval_seconds`; the timer's lateness is the event-loop lag."""
    loop = asyncio.get_running_loop()
    sampler = RuntimeSampler(pool)
    sampler.sample(0.0)
    while True:
        started = loop.time()
        await asyncio.sleep(interval_seconds)
        sampler.sample(loop.time() - started - interval_seconds)
