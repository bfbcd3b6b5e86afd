"""The process pool for CPU-heavy work (profiling, training, batch scoring).

Work leaves the event loop through `run_in_process`. Each worker pins its BLAS and
OpenMP threads so that workers x threads never exceeds the cores: on a 2-core
machine an unpinned 2-thread fit in each of two workers runs many times slower.
Polars keeps every core (see `worker_thread_env`). The pool counts the work handed to it
(`ProcessPool.load`), so the metrics can show busy workers and work waiting for one.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_PINNED_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_thread_env(threads: int) -> dict[str, str]:
    """The thread settings of a pool worker: OpenMP and BLAS pinned to `threads`, polars unpinned.

    OpenMP and BLAS threads spin while they wait, so oversubscribed cores make them crawl; they
    get workers x threads <= cores. Polars' pool parks idle threads instead: a lone upload parses
    and writes on every core, and concurrent jobs simply share them.
    """
    env = dict.fromkeys(_PINNED_VARS, str(threads))
    env["POLARS_MAX_THREADS"] = str(os.cpu_count() or 1)
    return env


def _init_worker(threads: int, preload: Sequence[str]) -> None:
    _pin_threads(threads)
    _exit_with_parent()
    # Import the job modules once per worker, at start: polars, scikit-learn and friends take
    # a second or two to import, which would otherwise land on the first job of each worker.
    for module in preload:
        importlib.import_module(module)


def _exit_with_parent() -> None:
    """End this worker when the server process that owns the pool dies (e.g. SIGKILL).

    A killed parent never shuts its pool down; without this its workers live on as orphans.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _pin_threads(threads: int) -> None:
    os.environ.update(worker_thread_env(threads))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


@dataclass(frozen=True)
class PoolLoad:
    """How busy a process pool is at one moment."""

    workers: int
    """Processes the pool may run."""
    busy: int
    """Workers running a task (at most `workers`)."""
    queued: int
    """Tasks handed to the pool that wait for a free worker."""


class ProcessPool(ProcessPoolExecutor):
    """A `ProcessPoolExecutor` that counts the tasks it holds, whoever submitted them.

    Every path into the pool (`run_in_process`, a job's `run_in_process`, `loop.run_in_executor`)
    ends in `submit`, so counting there misses nothing. The executor does not say when a worker
    picks a task up, but it starts one as soon as a worker is free: of the tasks not yet done,
    the first `workers` run and the rest wait.
    """

    def __init__(self, max_workers: int, **kwargs: Any) -> None:
        super().__init__(max_workers=max_workers, **kwargs)
        self.size = max_workers
        self._lock = threading.Lock()
        self._unfinished = 0

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        with self._lock:
            self._unfinished += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)  # runs at once if the task is already done
        return future

    def _finished(self, _future: Future[Any] | None) -> None:
        with self._lock:
            self._unfinished -= 1

    def load(self) -> PoolLoad:
        with self._lock:
            unfinished = max(0, self._unfinished)
        return PoolLoad(self.size, min(unfinished, self.size), max(0, unfinished - self.size))


def default_worker_count() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def create_process_pool(
    workers: int | None = None, *, preload: Sequence[str] = (), warm: bool = False
) -> ProcessPool:
    """A spawn pool of `workers` processes, each importing `preload` when it starts.

    Workers start on demand; `warm` starts them all now (in the background: this does not wait).
    """
    workers = workers or default_worker_count()
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: the parent holds event-loop and database-client state a fork would copy.
    pool = ProcessPool(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads, tuple(preload)),
    )
    if warm:
        # The pool spawns a process per submission while none is idle: one no-op each starts them all.
        for _ in range(workers):
            pool.submit(os.getpid)
    return pool


async def run_in_process(
    pool: ProcessPoolExecutor, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run a picklable top-level function in the pool and await its result."""
    if kwargs:
        import functools

        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args, **kwargs))
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
