"""API shapes of the system endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class Liveness(msgspec.Struct):
    """The process is up."""

    status: Annotated[Literal["ok"], msgspec.Meta(description="Always `ok`.")]


class CheckResult(msgspec.Struct):
    """One dependency probe."""

    name: Annotated[
        str,
        msgspec.Meta(
            description="The dependency: `mongodb`, `object_store` or `analysis`.", examples=["mongodb"]
        ),
    ]
    ok: Annotated[bool, msgspec.Meta(description="Whether the dependency answered.", examples=[True])]
    detail: Annotated[str, msgspec.Meta(description="What the probe saw.", examples=["ok"])]
    latency_ms: Annotated[
        float, msgspec.Meta(description="How long the probe took, in milliseconds.", examples=[1.7])
    ]


class Readiness(msgspec.Struct):
    """Every dependency the API needs to serve requests, and whether it answered."""

    status: Annotated[Literal["ok", "unavailable"], msgspec.Meta(description="`ok` when every check passed.")]
    checks: Annotated[list[CheckResult], msgspec.Meta(description="One entry per dependency.")]
