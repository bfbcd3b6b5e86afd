"""SIGKILL the real server at every step of its work, on S3 (moto_server; tests/faults/crash_flow.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.crash_flow import crash_and_restart
from tests.faults.crash_site import Site

pytestmark = pytest.mark.e2e


def test_sigkills_leave_nothing_stuck_orphaned_or_doubled(
    mongodb_url: str, s3_endpoint: str, tmp_path: Path
) -> None:
    crash_and_restart(Site(tmp_path, mongodb_url, "s3", s3_endpoint))
