"""The per-process saturation sampler: what one sample writes to the metrics."""

from __future__ import annotations

import resource

from modelyard.lib.workers import PoolLoad
from modelyard.observability.metrics import REGISTRY
from modelyard.observability.runtime import RuntimeSampler


class BusyPool:
    def load(self) -> PoolLoad:
        return PoolLoad(workers=4, busy=4, queued=3)


def value(name: str) -> float | None:
    return REGISTRY.get_sample_value(name, {})


def test_a_sample_records_lag_descriptors_and_the_pools_load() -> None:
    RuntimeSampler(BusyPool()).sample(0.25)
    assert value("modelyard_event_loop_lag_seconds") == 0.25
    assert (
        value("modelyard_process_pool_workers"),
        value("modelyard_process_pool_busy_workers"),
        value("modelyard_process_pool_queued_tasks"),
    ) == (4, 4, 3)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert value("modelyard_process_max_fds") == soft
    open_fds = value("modelyard_process_open_fds")
    assert open_fds is not None and 3 <= open_fds < soft


def test_a_loop_that_woke_early_is_not_negative_lag() -> None:
    RuntimeSampler().sample(-0.001)
    assert value("modelyard_event_loop_lag_seconds") == 0.0
