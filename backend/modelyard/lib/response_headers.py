"""The response headers the spec documents on every operation, from one table of rules.

The server sends these from middleware and handlers, where Litestar cannot see them; without
this, generated clients would not know `Location`, `Retry-After` or the rate-limit headers exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIResponse,
    Operation,
    Parameter,
    PathItem,
    Reference,
)
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType

from modelyard.lib import examples

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
    parameter: str | None = None
    """Only on operations that take this parameter (e.g. the request header it answers)."""


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
        "",  # each operation's own: see _location_example
        statuses=frozenset({"201", "202"}),
    ),
    HeaderRule(
        "Idempotent-Replayed",
        "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
        "true",
        statuses=frozenset({"201", "202"}),
        parameter="Idempotency-Key",
    ),
    HeaderRule(
        "WWW-Authenticate",
        "The authentication scheme to use: `Bearer`.",
        "Bearer",
        statuses=frozenset({"401"}),
    ),
    HeaderRule(
        "Content-Disposition",
        "Download as a file, under the name it was uploaded with.",
        "attachment; filename*=UTF-8''customers-2024.csv",
        statuses=frozenset({"200"}),
        operations=frozenset({"downloadDataset"}),
    ),
    HeaderRule(
        "X-Content-SHA256",
        "SHA-256 of the bytes, hex (the dataset's `sha256`): check the download against it.",
        examples.DATASET_SHA256,
        statuses=frozenset({"200"}),
        operations=frozenset({"downloadDataset"}),
    ),
    HeaderRule(
        "Content-Disposition",
        "Download as a file named after the job.",
        f'attachment; filename="predictions-{examples.BATCH_JOB_ID}.csv"',
        statuses=frozenset({"200"}),
        operations=frozenset({"getBatchPredictionResult"}),
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
        examples.ETAG,
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


def _header(rule: HeaderRule, example: str) -> OpenAPIHeader:
    schema = OpenAPISchema(type=OpenAPIType.INTEGER if rule.integer else OpenAPIType.STRING)
    return OpenAPIHeader(
        schema=schema, description=rule.description, example=int(example) if rule.integer else example
    )


def _applies(rule: HeaderRule, path: str, operation: Operation, status: str) -> bool:
    if rule.statuses is not None and status not in rule.statuses:
        return False
    if rule.api_only and not path.startswith("/api/"):
        return False
    if rule.operations is not None and operation.operation_id not in rule.operations:
        return False
    names = {p.name for p in operation.parameters or [] if isinstance(p, Parameter)}
    return rule.parameter is None or rule.parameter in names


def _location_example(spec: OpenAPI, response: OpenAPIResponse) -> str:
    """Where the created resource (or the job) is read: the GET path that returns the same schema
    (or, for an `XCreated` body, which adds what is shown only once, `X`), with the id of this
    response's example."""
    media = (response.content or {}).get("application/json")
    if media is None or not isinstance(media.schema, Reference):
        return ""
    readable = {media.schema.ref, media.schema.ref.removesuffix("Created")}
    body = next((e.value for e in (media.examples or {}).values() if isinstance(e, Example)), None)
    for path, item in (spec.paths or {}).items():
        reader = item.get if isinstance(item, PathItem) else None
        found = (reader.responses or {}).get("200") if reader is not None else None
        found_media = (
            (found.content or {}).get("application/json") if isinstance(found, OpenAPIResponse) else None
        )
        if found_media is None or not isinstance(found_media.schema, Reference):
            continue
        if found_media.schema.ref not in readable or path.count("{") > 1:
            continue
        if "{" not in path:
            return path
        if isinstance(body, dict) and "id" in body:
            return path[: path.index("{")] + str(body["id"]) + path[path.index("}") + 1 :]
    return ""


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
                    if _applies(rule, path, operation, status):
                        example = (
                            _location_example(spec, response) if rule.name == "Location" else rule.example
                        )
                        headers.setdefault(rule.name, _header(rule, example))
                response.headers = headers
