"""The pinned npm tools (`just node-tools`, installed into .tools/; `just test` installs them first).

`MODELYARD_TEST_NODE_TOOLS` points at another install prefix (a directory holding node_modules/),
for running these tests from a checkout whose .tools/ is shared and must not be reinstalled.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def node_tool(name: str) -> Path:
    """The executable `name` from the pinned tools; fail, saying how to install them, when it is absent."""
    prefix = Path(os.environ.get("MODELYARD_TEST_NODE_TOOLS") or REPO / ".tools")
    binary = prefix / "node_modules" / ".bin" / name
    if not binary.exists():
        raise AssertionError(f"{binary} is missing: run `./dev node-tools` (`./dev test` runs it first)")
    return binary
