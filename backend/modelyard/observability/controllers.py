"""`GET /metrics`: the Prometheus exposition (no authentication, like the health probes)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from modelyard.lib.openapi import PublicOperation
from modelyard.observability import metrics as m


class Exposition(Protocol):
    """Metrics rendered elsewhere (the database-backed business metrics), served after this process's."""

    def exposition(self) -> bytes: ...


def render_process_metrics() -> bytes:
    """This process's metrics, or (multiprocess mode) those of every worker merged."""
    if m.multiprocess_enabled():
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(m.REGISTRY)


class MetricsController(Controller):
    path = "/metrics"
    tags = ["system"]
    security = []

    @get(
        "/",
        operation_id="getMetrics",
        summary="Prometheus metrics",
        security=[],
        operation_class=PublicOperation,
        media_type=CONTENT_TYPE_PLAIN_0_0_4,
    )
    async def metrics(self, business_metrics: NamedDependency[SkipValidation[Exposition]]) -> Response[bytes]:
        """Metrics in the Prometheus text format (0.0.4), for a Prometheus server to scrape.

        HTTP, training, prediction, dataset and LLM metrics are summed over every worker
        process; user, dataset, model and prediction totals come from the database and are
        refreshed in the background, so a scrape is cheap and never queries the database.
        The docs' metrics reference lists every series. Needs no authentication: expose it
        only on a network your Prometheus can reach.
        """
        # Multiprocess mode reads every worker's files: keep that off the event loop.
        process = (
            await asyncio.to_thread(render_process_metrics)
            if m.multiprocess_enabled()
            else render_process_metrics()
        )
        body = process + business_metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
