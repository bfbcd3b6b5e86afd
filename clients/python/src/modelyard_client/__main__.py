"""`python -m modelyard_client`: the `modelyard` command line."""

from __future__ import annotations

from modelyard_client.cli import run

run()
