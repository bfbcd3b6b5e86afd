"""Readiness probes of the dependencies and the shape of their results."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import msgspec


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


PROBE_TIMEOUT_S = 3.0

Probe = Callable[[], Awaitable[object]]
"""Raises when the dependency is unusable; may return a string to report instead of `ok`."""


async def _run(name: str, probe: Probe) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):  # not wait_for: it can drop a cancellation on 3.11
            outcome = await probe()
    except TimeoutError:
        ok, detail = False, f"no answer within {PROBE_TIMEOUT_S:.0f} s"
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
    else:
        ok, detail = True, outcome if isinstance(outcome, str) and outcome else "ok"
    return CheckResult(
        name=name, ok=ok, detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )


async def check_readiness(probes: dict[str, Probe]) -> Readiness:
    results = await asyncio.gather(*(_run(name, probe) for name, probe in probes.items()))
    return Readiness(status="ok" if all(r.ok for r in results) else "unavailable", checks=list(results))
