"""prometheus-client multiprocess mode for several uvicorn workers.

Each worker writes its process-local metrics to memory-mapped files in one directory;
`/metrics`, whichever worker answers it, merges them. The directory must be set in the
environment before any worker imports prometheus-client, and emptied before they start
(stale files of a previous run would be added in). This module imports no
prometheus-client code, so the CLI can call it before the workers exist.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(var_dir: Path) -> Path:
    """Point `PROMETHEUS_MULTIPROC_DIR` at a fresh, empty directory (an already set one is emptied)."""
    directory = Path(os.environ.get(ENV_VAR) or var_dir / "prometheus-multiproc").resolve()
    if directory.exists():
        for entry in directory.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[ENV_VAR] = str(directory)
    return directory


def mark_this_process_dead() -> None:
    """Drop this worker's live gauges (in-progress requests) from the merged view at shutdown."""
    if not os.environ.get(ENV_VAR):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
