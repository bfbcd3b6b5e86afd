"""The response headers the spec documents on every operation, from one table of rules.

The server sends these from middleware and handlers, where Litestar cannot see them; without
this, generated clients would not know `Location`, `Retry-After` or the rate-limit headers exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPI, OpenAPIHeader, OpenAPIResponse, Operation, PathItem, Reference
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


@dataclass(frozen=True)
class HeaderRule:
    name: str
    description: str
    example: str
    integer: bool = False
    statuses: frozenset[str] | None = None
    """Only on these statuses; None: on every response."""
    api_only: bool = False
    """Only on `/api/` operations (the rate limiter covers them, not health, metrics or docs)."""
    operations: frozenset[str] | None = None
    """Only on these operation ids; None: on every operation."""


RULES = (
    HeaderRule(
        "X-Request-ID",
        "The request's id (the client's own `X-Request-ID` when it sent a sane one); quote it in reports.",
        "7f3c2a9b1e8a4d5c9b6a7f3c2a9b1e8a",
    ),
    HeaderRule("Modelyard-Version", "The server version that answered.", "0.1.0"),
    HeaderRule(
        "Location",
        "The URL of the resource created, or of the job to poll.",
        "/api/v1/training-jobs/665f1c2a9b1e8a3d4c5b6a79",
        statuses=frozenset({"201", "202"}),
    ),
    HeaderRule(
        "Retry-After",
        "Seconds to wait before trying again.",
        "30",
        integer=True,
        statuses=frozenset({"429", "503"}),
    ),
    HeaderRule(
        "Retry-After",
        "While the job is queued or running: seconds to wait before polling again (absent once it is "
        "final). Or follow the job's `/events` stream instead of polling.",
        "2",
        integer=True,
        statuses=frozenset({"200"}),
        operations=frozenset({"getTrainingJob", "getAnalysis", "getBatchPrediction"}),
    ),
    HeaderRule(
        "ETag",
        "The version of the resource: send it back as `If-Match` to change only this version, or "
        "as `If-None-Match` to get a 304 while it is current.",
        '"3f2a9c1d7e5b4a6f8c0d2e4f6a8b0c1d"',
        statuses=frozenset({"200", "304", "412"}),
        operations=frozenset(
            {"getDataset", "updateDataset", "deleteDataset", "getModel", "updateModel", "deleteModel"}
        ),
    ),
    HeaderRule("RateLimit-Limit", "Requests allowed per window.", "600", integer=True, api_only=True),
    HeaderRule("RateLimit-Remaining", "Requests left in this window.", "599", integer=True, api_only=True),
    HeaderRule("RateLimit-Reset", "Seconds until the window resets.", "42", integer=True, api_only=True),
    HeaderRule("RateLimit-Policy", "The limit and its window, in seconds.", "600; w=60", api_only=True),
)


def _header(rule: HeaderRule) -> OpenAPIHeader:
    schema = OpenAPISchema(type=OpenAPIType.INTEGER if rule.integer else OpenAPIType.STRING)
    example = int(rule.example) if rule.integer else rule.example
    return OpenAPIHeader(schema=schema, description=rule.description, example=example)


def _operations(item: PathItem) -> list[Operation]:
    return [op for method in METHODS if isinstance(op := getattr(item, method, None), Operation)]


def document_response_headers(spec: OpenAPI) -> None:
    """Add each rule's header to the responses it applies to (once; existing ones are kept)."""
    for path, item in (spec.paths or {}).items():
        if not isinstance(item, PathItem):
            continue
        for operation in _operations(item):
            for status, response in (operation.responses or {}).items():
                if isinstance(response, Reference) or not isinstance(response, OpenAPIResponse):
                    continue
                headers = dict(response.headers or {})
                for rule in RULES:
                    if rule.statuses is not None and status not in rule.statuses:
                        continue
                    if rule.api_only and not path.startswith("/api/"):
                        continue
                    if rule.operations is not None and operation.operation_id not in rule.operations:
                        continue
                    headers.setdefault(rule.name, _header(rule))
                response.headers = headers
