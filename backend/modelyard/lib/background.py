"""Background loops that live as long as a lifespan: started on entry, cancelled on exit."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import structlog

log = structlog.get_logger("modelyard.background")

CANCEL_GRACE_S = 5.0
"""How long a cancelled loop may take to end before it is cancelled again."""
CANCEL_ATTEMPTS = 6
"""After this many cancellations a loop that still runs is left behind (and logged), so shutdown ends."""


@contextlib.asynccontextmanager
async def in_background(loop: Coroutine[Any, Any, None], name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run `loop` as a task while the block runs; cancel it and wait for it to end on exit."""
    task = asyncio.create_task(loop, name=name)
    try:
        yield task
    finally:
        await stop_task(task)


async def every(interval_s: float, step: Callable[[], Awaitable[object]], what: str) -> None:
    """Run `step` now, then every `interval_s` seconds until cancelled (a loop for `in_background`).
    A failed round is logged and the next one retries."""
    while True:
        try:
            await step()
        except Exception:
            log.exception("background round failed", what=what)
        await asyncio.sleep(interval_s)


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait for it to end, cancelling again if it swallowed the cancellation.

    A single cancel is not enough: on Python 3.11 `asyncio.wait_for` (also inside libraries) drops
    a cancellation that arrives as the awaited call completes, and a loop that lost its
    cancellation runs on forever, holding up the shutdown that waits for it.
    """
    for attempt in range(CANCEL_ATTEMPTS):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=CANCEL_GRACE_S)
        if done:
            if not task.cancelled() and task.exception() is not None:
                log.error("background task failed", task=task.get_name(), exc_info=task.exception())
            return
        log.warning("background task still running after a cancel", task=task.get_name(), attempt=attempt + 1)
    stack = io.StringIO()
    task.print_stack(file=stack)
    log.error("background task would not stop; left behind", task=task.get_name(), stack=stack.getvalue())
