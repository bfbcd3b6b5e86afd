"""API shapes of the system endpoints."""

from __future__ import annotations

from typing import Literal

import msgspec


class Liveness(msgspec.Struct):
    status: Literal["ok"]


class CheckResult(msgspec.Struct):
    """One dependency probe."""

    name: str
    ok: bool
    detail: str
    latency_ms: float


class Readiness(msgspec.Struct):
    """Every dependency the API needs to serve requests, and whether it answered."""

    status: Literal["ok", "unavailable"]
    checks: list[CheckResult]
