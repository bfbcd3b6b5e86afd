"""Series whose label values are known up front exist at process start, so no first event is lost.

Prometheus' `rate()`/`increase()` only count what happens after it has seen a series: a
series born at its first event hides that event. These are created at 0 by the lifespan.
"""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from modelyard.lib.schema import PROBLEM_TYPES
from modelyard.lifespan import app_state
from modelyard.observability import metrics as m
from modelyard.observability.bounds import (
    DB_OPERATIONS,
    LLM_OUTCOMES,
    STATUS_CLASSES,
    STORE_OPERATIONS,
    UNMATCHED_ROUTE,
)
from modelyard.observability.middleware import counted_routes
from tests.integration.observability.test_http_metrics import samples, scrape

pytestmark = pytest.mark.integration


async def test_known_series_are_exposed_before_any_event(app: Litestar, client: httpx.AsyncClient) -> None:
    found = {(name, labels) for name, labels in samples(await scrape(client))}

    def has(name: str, **labels: str) -> bool:
        return (name, frozenset(labels.items())) in found

    routes = counted_routes(app)
    assert ("POST", "/api/v1/training-jobs") in routes and ("GET", UNMATCHED_ROUTE) in routes
    assert not any(route.startswith(("/metrics", "/health/")) for _, route in routes)
    for method, route in routes:
        for status in STATUS_CLASSES:
            assert has("modelyard_http_responses_total", method=method, route=route, status_class=status)
        assert has("modelyard_http_request_duration_seconds_count", method=method, route=route)
    # A method the route does not allow answers 405: its 4xx series exists too.
    assert has("modelyard_http_responses_total", method="PUT", route="/api/v1/auth/me", status_class="4xx")
    for problem in PROBLEM_TYPES:
        for status in ("succeeded", "failed", "cancelled"):
            assert has("modelyard_training_jobs_finished_total", problem_type=problem, status=status)
        for algorithm in ("linear", "hist_gradient_boosting", "ensemble", "none"):
            assert has("modelyard_training_duration_seconds_count", problem_type=problem, algorithm=algorithm)
        for kind in ("online", "batch"):
            assert has("modelyard_predictions_total", problem_type=problem, kind=kind)
            assert has("modelyard_prediction_duration_seconds_count", problem_type=problem, kind=kind)
    for outcome in LLM_OUTCOMES:
        assert has("modelyard_llm_requests_total", provider="heuristic", model="rules", outcome=outcome)
    assert has("modelyard_llm_tokens_total", provider="heuristic", model="rules", kind="prompt")
    # Every kind of job the runner runs, with every final status (not only training).
    assert sorted(app_state(app).runner.kinds) == ["analysis", "batch_prediction", "training"]
    for kind in ("training", "analysis", "batch_prediction"):
        for status in ("succeeded", "failed", "cancelled"):
            assert has("modelyard_jobs_finished_total", kind=kind, status=status)
    # Dependency calls: every operation's latency and errors, before the first failure.
    for operation in DB_OPERATIONS:
        assert has("modelyard_db_operation_duration_seconds_count", operation=operation)
        assert has("modelyard_db_operation_errors_total", operation=operation)
    for operation in STORE_OPERATIONS:
        assert has("modelyard_object_store_operation_duration_seconds_count", operation=operation)
        assert has("modelyard_object_store_operation_errors_total", operation=operation)


def test_status_class_is_bounded() -> None:
    assert [m.status_class(code) for code in (200, 204, 302, 404, 422, 500, 503)] == [
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "4xx",
        "5xx",
        "5xx",
    ]
    assert m.status_class(101) == m.status_class(600) == "other"
