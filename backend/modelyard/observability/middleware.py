"""HTTP metrics as the outermost raw ASGI wrapper.

It sits outside Litestar's router and middleware stack, so it sees every response with
its real status: 401 from authentication, 404/405 for paths no route matches, 413 from
body limits and 429 from the rate limiter (Litestar's stock Prometheus middleware
miscounts or skips several of these). The route label is the matched route's template,
read from the scope after routing; unmatched paths share one value.
"""

from __future__ import annotations

import time

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

from modelyard.observability.bounds import HTTP_METHODS, UNMATCHED_ROUTE
from modelyard.observability.metrics import (
    HTTP_DURATION,
    HTTP_IN_PROGRESS,
    HTTP_REQUESTS,
    HTTP_RESPONSES,
    status_class,
)

# Scrapes and probes would drown the traffic they are meant to observe.
EXCLUDED_PREFIXES = ("/metrics", "/health/")


def counted_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, route template) of every route the middleware counts, for `precreate_series`.

    Litestar's automatic OPTIONS handlers are left out (they are counted if called, from
    their first request on); unknown paths share `UNMATCHED_ROUTE` under every method.
    """
    pairs = {(method, UNMATCHED_ROUTE) for method in HTTP_METHODS}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format.startswith(EXCLUDED_PREFIXES):
            continue
        pairs.update((method, route.path_format) for method in route.methods if method != "OPTIONS")
    return sorted(pairs)


class HTTPMetricsMiddleware:
    """Count, time and track in-flight HTTP requests."""

    def __init__(self, app: ASGIApp, excluded_prefixes: tuple[str, ...] = EXCLUDED_PREFIXES) -> None:
        self.app = app
        self.excluded_prefixes = excluded_prefixes
        # Labelled children, cached: `labels()` costs more than the increment itself.
        self._counters: dict[tuple[str, str, int], tuple[Counter, Counter]] = {}
        self._timers: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.excluded_prefixes):  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException:
            # Nothing handled it: the server answers 500 (unless a response had already started).
            status = status or 500
            raise
        finally:
            HTTP_IN_PROGRESS.dec()
            if status:  # 0: the client went away before any response started
                self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        method = scope.get("method", "GET")
        if method not in HTTP_METHODS:
            method = "other"
        route = scope.get("path_template") or UNMATCHED_ROUTE
        counters = self._counters.get((method, route, status))
        if counters is None:
            counters = self._counters[(method, route, status)] = (
                HTTP_REQUESTS.labels(method, route, str(status)),
                HTTP_RESPONSES.labels(method, route, status_class(status)),
            )
        for counter in counters:
            counter.inc()
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[(method, route)] = HTTP_DURATION.labels(method, route)
        timer.observe(elapsed)
