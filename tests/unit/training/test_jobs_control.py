"""The worker side of the job runner: progress reports and the cancel flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.lib.jobs import JobCancelledError, JobControl


def test_progress_is_written_atomically_and_clamped(tmp_path: Path) -> None:
    control = JobControl(str(tmp_path))
    control.report(1.7, candidates=[{"algorithm": "linear"}], message="Searching")
    report = json.loads((tmp_path / "progress.json").read_text())
    assert report == {
        "progress": 1.0,
        "fields": {"candidates": [{"algorithm": "linear"}], "message": "Searching"},
    }
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


def test_cancel_flag(tmp_path: Path) -> None:
    control = JobControl(str(tmp_path))
    control.check()
    (tmp_path / "cancel").touch()
    assert control.cancelled()
    with pytest.raises(JobCancelledError):
        control.check()


def test_detached_control_does_nothing() -> None:
    control = JobControl()
    control.report(0.5)
    control.check()
    assert not control.cancelled()
