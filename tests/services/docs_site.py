"""The docs site built once per test session with `mkdocs build --strict` (what `just docs` runs)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class DocsBuildError(AssertionError):
    pass


@lru_cache(maxsize=1)
def built_site() -> Path:
    """Build into a temporary directory (never the working tree's site/) and return it."""
    out = Path(tempfile.mkdtemp(prefix="modelyard-site-")) / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
        raise DocsBuildError(
            "mkdocs build --strict failed:\n" + "\n".join(warnings or [result.stderr[-4000:]])
        )
    return out
