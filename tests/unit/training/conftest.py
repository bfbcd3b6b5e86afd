"""Pin BLAS/OpenMP to one thread, as the process pool's workers do (oversubscription on 2 cores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield
