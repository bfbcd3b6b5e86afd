"""What a job handler gets besides its job: the process pool, progress reports, cancellation."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from modelyard.lib.jobs.control import JobControl
from modelyard.lib.jobs.documents import JobDocument

if TYPE_CHECKING:
    from modelyard.lib.jobs.runner import JobRunner

P = ParamSpec("P")
R = TypeVar("R")


class JobContext:
    """What a handler gets besides its job: the pool, progress, cancellation."""

    def __init__(self, runner: JobRunner, job: JobDocument, directory: Path) -> None:
        self.runner = runner
        self.job = job
        self.directory = directory
        self.control = JobControl(str(directory))

    async def run_in_process(
        self, fn: Callable[Concatenate[JobControl, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run `fn(control, *args, **kwargs)` in the process pool (a picklable top-level function)."""
        call = functools.partial(fn, self.control, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.runner.pool, call)

    def report(self, progress: float, **fields: Any) -> None:
        """Progress from the event-loop side of a handler (same channel as the worker's)."""
        self.control.report(progress, **fields)

    def check(self) -> None:
        self.control.check()
