"""What a metric is: `MetricSpec`, the one shape every metric definition takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["counter", "gauge", "histogram"]
MetricSource = Literal["process", "mongodb"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric, as the exposition and the docs' metrics reference show it."""

    name: str
    """Full exposed name (counters include `_total`)."""
    kind: MetricKind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    """Histogram upper bounds (`+Inf` implied)."""
    source: MetricSource = "process"
    """`process`: counted in each server process (aggregated across workers);
    `mongodb`: computed from the database by the business collectors, the same in every process."""
    example_promql: str = ""
    multiprocess_mode: str = "all"
    """Gauges only: how values of several worker processes combine."""
