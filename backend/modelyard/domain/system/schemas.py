"""API shapes of the system endpoints (readiness shapes live with the probes in lib/health.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class Liveness(msgspec.Struct):
    """The process is up."""

    status: Annotated[Literal["ok"], msgspec.Meta(description="Always `ok`.")]
