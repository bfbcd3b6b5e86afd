"""The real server, with park points: steps where work, once a test arms them, stops and waits, so
the test can SIGKILL the process while work is caught exactly there.

    python -m tests.services.parked_server PARK_DIR serve

A test arms step `S` by creating `PARK_DIR/arm-S`; the next operation to reach `S` renames it to
`PARK_DIR/parked-S` and waits forever (heartbeats and every other request go on). Nothing else
differs from `python -m modelyard serve`: the test then kills the process and starts the plain
server on the same data. Used through `tests.services.server.start_server(park_dir=...)`.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

STEPS = (
    "upload-profiled",  # an upload read and profiled: temp file and scratch dir, nothing recorded
    "upload-storing",  # an upload's original half-written (`.part` file, unfinished S3 multipart upload)
    "training-searching",  # a training job about to search: its scratch dir holds the table
    "training-done",  # a training job's model recorded and counted, the job not yet told
    "batch-input-storing",  # a batch upload's input half-written, its job recorded but held back
    "batch-scoring",  # a batch job about to score: its scratch dir holds model and input
    "batch-done",  # a batch job's result stored and counted, the job not yet told
    "analysis-done",  # an analysis written, the job not yet told
)
STORING_PARKS_AFTER = 6 * 1024 * 1024
"""Bytes of the original an upload stores before it parks: more than one S3 part of 5 MB."""


class Parks:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def reach(self, step: str) -> None:
        """Park here (forever) if a test armed `step`; the first to arrive takes the arming."""
        armed = self.directory / f"arm-{step}"
        if not armed.exists():
            return
        try:
            armed.rename(self.directory / f"parked-{step}")
        except FileNotFoundError:  # another operation took it
            return
        await asyncio.Event().wait()

    def after(self, step: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = await method(*args, **kwargs)
            await self.reach(step)
            return result

        return wrapper


def install(parks: Parks) -> None:
    from modelyard.domain.analysis.services import AnalysisEngine
    from modelyard.domain.datasets import services as datasets
    from modelyard.domain.predictions import services as predictions
    from modelyard.domain.predictions.batch import score_batch_in_worker
    from modelyard.domain.predictions.jobs import BatchPredictionJobs
    from modelyard.domain.training.jobs import TrainingJobs
    from modelyard.domain.training.worker import train_in_worker
    from modelyard.lib.jobs import JobContext

    datasets.DatasetService._analyse = parks.after(  # type: ignore[method-assign]
        "upload-profiled", datasets.DatasetService._analyse
    )
    TrainingJobs.run = parks.after("training-done", TrainingJobs.run)  # type: ignore[method-assign]
    BatchPredictionJobs.run = parks.after("batch-done", BatchPredictionJobs.run)  # type: ignore[method-assign]
    AnalysisEngine.run_job = parks.after("analysis-done", AnalysisEngine.run_job)  # type: ignore[method-assign]

    file_chunks = datasets.file_chunks

    async def parked_chunks(path: Path, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        sent = 0
        async for chunk in file_chunks(path, *args, **kwargs):
            yield chunk
            sent += len(chunk)
            if sent >= STORING_PARKS_AFTER:
                await parks.reach("upload-storing")

    datasets.file_chunks = parked_chunks  # type: ignore[assignment]

    async def parked_input_chunks(path: Path, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        async for chunk in file_chunks(path, *args, **kwargs):
            yield chunk
            await parks.reach("batch-input-storing")

    predictions.file_chunks = parked_input_chunks  # type: ignore[assignment]

    run_in_process = JobContext.run_in_process
    before_pool = {train_in_worker: "training-searching", score_batch_in_worker: "batch-scoring"}

    async def parked_run_in_process(self: JobContext, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn in before_pool:
            await parks.reach(before_pool[fn])
        return await run_in_process(self, fn, *args, **kwargs)

    JobContext.run_in_process = parked_run_in_process  # type: ignore[method-assign]


def main() -> int:
    parks = Parks(Path(sys.argv[1]))
    install(parks)
    from modelyard.cli import main as serve

    return serve(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
