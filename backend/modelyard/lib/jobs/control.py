"""The worker's side of a job: a picklable handle that reports progress and notices cancellation.

The handle is backed by a per-job directory: the worker writes progress (and live fields
such as a leaderboard) to a file there and checks for a cancel flag file between units of
work. Files were chosen over multiprocessing managers: no extra process, nothing to leak,
and they survive a pool worker crash.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class JobCancelledError(Exception):
    """Raised inside job work when the job was cancelled; the runner records `cancelled`."""


class RetryLaterError(Exception):
    """Raised by a handler whose work did not succeed this time but should be tried again (a
    webhook receiver that answered 500): the runner requeues the job to run after `delay_s`
    seconds, with `message`, without charging an attempt."""

    def __init__(self, delay_s: float, message: str) -> None:
        super().__init__(message)
        self.delay_s = delay_s
        self.message = message


@dataclass(frozen=True)
class JobControl:
    """The worker's handle on its job: report progress, notice cancellation. Picklable.

    `directory=None` is a detached control (unit tests, benchmarks): reports go nowhere
    and nothing is ever cancelled.
    """

    directory: str | None = None

    def report(self, progress: float, **fields: Any) -> None:
        """Publish progress (0..1) and extra job fields (JSON-able) for the runner to store."""
        if self.directory is None:
            return
        path = Path(self.directory)
        tmp = path / f".progress.{os.getpid()}.tmp"
        payload = {"progress": max(0.0, min(1.0, float(progress))), "fields": fields}
        tmp.write_text(json.dumps(payload, default=str))
        tmp.replace(path / "progress.json")

    def cancelled(self) -> bool:
        return self.directory is not None and (Path(self.directory) / "cancel").exists()

    def check(self) -> None:
        """Raise JobCancelledError if the job was cancelled; call between units of work."""
        if self.cancelled():
            raise JobCancelledError


def read_progress(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / "progress.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None
