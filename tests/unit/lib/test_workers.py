"""The process pool: workers import the job modules when they start, and `warm` starts them all."""

from __future__ import annotations

import os
import sys
import time

from modelyard.lib.workers import create_process_pool, worker_thread_env

MODULE = "modelyard.domain.datasets.pii"


def module_state() -> tuple[int, bool]:
    return os.getpid(), MODULE in sys.modules


def test_warm_pool_starts_every_worker_with_modules_imported() -> None:
    pool = create_process_pool(2, preload=(MODULE,), warm=True)
    try:
        deadline = time.monotonic() + 60
        while len(pool._processes) < 2:  # started by create_process_pool, before any job is submitted
            assert time.monotonic() < deadline
            time.sleep(0.05)
        results = [pool.submit(module_state).result(timeout=60) for _ in range(8)]
        assert all(loaded for _, loaded in results)
        assert {pid for pid, _ in results} <= set(pool._processes)
    finally:
        pool.shutdown()


def test_cold_pool_starts_workers_on_demand() -> None:
    pool = create_process_pool(2, preload=(MODULE,))
    try:
        assert not pool._processes
        pid, loaded = pool.submit(module_state).result(timeout=60)
        assert loaded and pid in pool._processes
    finally:
        pool.shutdown()


def test_workers_pin_openmp_and_blas_but_not_polars() -> None:
    env = worker_thread_env(1)
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["POLARS_MAX_THREADS"] == str(os.cpu_count())


def test_pool_load_counts_running_and_waiting_tasks() -> None:
    pool = create_process_pool(1)
    try:
        assert (pool.load().workers, pool.load().busy, pool.load().queued) == (1, 0, 0)
        futures = [pool.submit(time.sleep, 0.5) for _ in range(3)]
        load = pool.load()
        assert (load.busy, load.queued) == (1, 2)  # one worker: one runs, two wait
        for future in futures:
            future.result(timeout=60)
        load = pool.load()
        assert (load.busy, load.queued) == (0, 0)
    finally:
        pool.shutdown()
