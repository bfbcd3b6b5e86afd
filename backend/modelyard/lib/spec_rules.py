"""Rules applied to every operation of the generated spec, so no operation can get them wrong.

- Structs that forbid unknown fields say `additionalProperties: false`.
- Litestar adds a generic JSON 400 to every operation with parameters; ours are problem details:
  a 400 only where a body can fail to parse (JSON and multipart bodies), a 422 for invalid values.
- Every operation can fail unexpectedly: each declares a 500 problem. Every API operation uses
  the database, so each declares a 503 with `Retry-After` (so does the readiness probe). The
  liveness probe and the metrics scrape touch no dependency and never answer 503.
- An operation with a path id answers a malformed id with a 422 and an unknown one with a 404.
- An operation that takes `Idempotency-Key` answers a concurrent duplicate with a 409.
- A protected operation names its security requirement itself (public ones say `security: []`),
  so generated clients and renderers need not inherit it from the document.
- Problem examples fit their operation: `instance` is its path, a 404 names its resource, a 422
  shows an input the operation really takes.
- A body the handler defaults to `None` (its schema allows `null`) is optional: Litestar marks
  every request body required, and a client that sends none would be told wrongly.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
)
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType

from modelyard.lib.errors import PROBLEM_MEDIA_TYPE, RETRY_AFTER_SECONDS, FieldError
from modelyard.lib.openapi import (
    PublicOperation,
    close_request_schemas,
    problem_example,
    problem_response_object,
)
from modelyard.lib.path_ids import NOUNS

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
NO_DEPENDENCY_PATHS = frozenset({"/health/live", "/metrics"})
"""Operations that read no database or object store: Modelyard itself never answers them with a
503, but a proxy or load balancer in front of it may while the service restarts, so they declare
it too (generated clients then parse it as a problem)."""
PROXY_503 = (
    "Service unavailable: not sent by Modelyard for this operation (it reads no dependency), but a "
    "proxy or load balancer in front of it may answer 503 while the service restarts. Retry after "
    "`Retry-After` seconds."
)


def _problem(example: Example) -> dict[str, Any]:
    """The problem object an example shows."""
    value = example.value
    assert isinstance(value, dict)
    return value


_DEFAULT_422 = _problem(problem_example("validation-error"))["detail"]
_IDEMPOTENCY_HEADER = "Idempotency-Key"


def finalize_spec(spec: OpenAPI) -> None:
    """Apply the module's rules to every operation of `spec` (once, after Litestar built it)."""
    close_request_schemas(spec)
    for path, item in (spec.paths or {}).items():
        if not isinstance(item, PathItem):
            continue
        for method in METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                _finalize_operation(spec, path, operation)


def _finalize_operation(spec: OpenAPI, path: str, operation: Operation) -> None:
    _mark_optional_body(operation.request_body)
    parameters = [p for p in operation.parameters or [] if isinstance(p, Parameter)]
    path_ids = [p for p in parameters if p.param_in == "path" and _example_of(p) in NOUNS]
    responses = dict(operation.responses or {})
    generic_400 = responses.get("400")
    if isinstance(generic_400, OpenAPIResponse) and PROBLEM_MEDIA_TYPE not in (generic_400.content or {}):
        responses.setdefault("422", problem_response_object(422))
    unreadable = _unreadable_body_example(operation.request_body)
    if unreadable is None:
        responses.pop("400", None)
    else:
        responses["400"] = problem_response_object(400)
        _add_examples(responses["400"], [unreadable], replace=True)
    responses.setdefault("500", problem_response_object(500))
    if "503" not in responses:
        responses["503"] = problem_response_object(503)
        if path in NO_DEPENDENCY_PATHS:
            responses["503"].description = PROXY_503
    _retry_after(responses["503"], RETRY_AFTER_SECONDS)
    if path_ids:
        responses.setdefault("404", problem_response_object(404))
        responses.setdefault("422", problem_response_object(422))
    if any(p.param_in == "header" and p.name == _IDEMPOTENCY_HEADER for p in parameters):
        responses.setdefault("409", problem_response_object(409))
        _add_examples(responses["409"], [_idempotency_conflict()])
        _retry_after(responses["409"], 1)
    if operation.security is None and not isinstance(operation, PublicOperation):
        operation.security = list(spec.security or [])
    _fit_problem_examples(path, operation, parameters, path_ids, responses)
    operation.responses = dict(sorted(responses.items()))


def _example_of(parameter: Parameter) -> Any:
    for example in (parameter.examples or {}).values():
        if isinstance(example, Example):
            return example.value
    return None


def _problem_media(response: OpenAPIResponse | Reference) -> OpenAPIMediaType | None:
    if isinstance(response, OpenAPIResponse):
        return (response.content or {}).get(PROBLEM_MEDIA_TYPE)
    return None


def _add_examples(
    response: OpenAPIResponse | Reference, extra: list[Example], *, replace: bool = False
) -> None:
    """Add examples to a problem response, dropping its generic one (or all, with `replace`)."""
    media = _problem_media(response)
    if media is not None:
        current = [] if replace else [e for e in (media.examples or {}).values() if isinstance(e, Example)]
        generic = _problem(problem_example("conflict"))["detail"]
        kept = [e for e in current if _problem(e)["detail"] != generic]
        media.examples = {f"problem-example-{i}": e for i, e in enumerate([*kept, *extra], start=1)}


_UNREADABLE = {
    "application/json": "The request body could not be read: Input data was truncated",
    "multipart/form-data": "The multipart body is malformed or was cut short (Unexpected end of multipart "
    "stream (parser closed)); nothing was stored.",
}


def _unreadable_body_example(body: RequestBody | Reference | None) -> Example | None:
    """The 400 of a body that cannot be parsed; None for operations whose body always parses
    (none, or a form, whose bad values are 422s)."""
    media = set((body.content or {}) if isinstance(body, RequestBody) else ())
    for media_type, detail in _UNREADABLE.items():
        if media_type in media:
            return problem_example("malformed-body", detail)
    return None


def _idempotency_conflict() -> Example:
    return problem_example(
        "conflict",
        "A request with this Idempotency-Key is still being handled; retry after it finished.",
        summary="Same Idempotency-Key, first request still running",
    )


def _fit_problem_examples(
    path: str,
    operation: Operation,
    parameters: list[Parameter],
    path_ids: list[Parameter],
    responses: dict[str, OpenAPIResponse | Reference],
) -> None:
    instance = path
    for parameter in path_ids:
        instance = instance.replace("{" + parameter.name + "}", str(_example_of(parameter)))
    for status, response in responses.items():
        media = _problem_media(response)
        if media is None:
            continue
        fitted: list[Example] = []
        for example in (media.examples or {}).values():
            if not isinstance(example, Example):
                continue
            value = {**_problem(example), "instance": instance}
            if status == "404" and path_ids:
                resource = _example_of(path_ids[-1])
                value["detail"] = f"No {NOUNS[resource]} with id {resource}."
            fitted.append(Example(summary=example.summary, value=value))
        if status == "422":
            fitted = _validation_examples(fitted, operation, parameters, path_ids, instance)
        media.examples = {f"problem-example-{i}": e for i, e in enumerate(fitted, start=1)}


def _validation_examples(
    given: list[Example],
    operation: Operation,
    parameters: list[Parameter],
    path_ids: list[Parameter],
    instance: str,
) -> list[Example]:
    """The operation's own 422 examples, plus one per kind of input it takes that can be invalid;
    the generic body example is dropped where there is no body."""
    kept = [e for e in given if operation.request_body is not None or _problem(e)["detail"] != _DEFAULT_422]
    found = [(e, instance) for e in kept]
    for parameter in path_ids:
        error = FieldError("Expected `str` of length >= 24", f"path.{parameter.name}")
        malformed_path = instance.replace(str(_example_of(parameter)), "not-an-id")
        found.append((problem_example("validation-error", error, summary="Malformed id"), malformed_path))
    limit = next((p for p in parameters if p.param_in == "query" and p.name == "limit"), None)
    if limit is not None and isinstance(limit.schema, OpenAPISchema) and limit.schema.maximum is not None:
        error = FieldError(f"Expected `int` <= {limit.schema.maximum:g}", "query.limit")
        found.append(
            (problem_example("validation-error", error, summary="Invalid query parameter"), instance)
        )
    if any(p.param_in == "header" and p.name == _IDEMPOTENCY_HEADER for p in parameters):
        message = "This Idempotency-Key was used for a different request; use a new key for a new request."
        reused = (message, [FieldError(message, f"header.{_IDEMPOTENCY_HEADER}")])
        found.append(
            (problem_example("validation-error", reused, summary="Idempotency-Key reused"), instance)
        )
    return [
        Example(summary=e.summary, value={**_problem(e), "instance": where}) for e, where in found
    ] or given


def _retry_after(response: OpenAPIResponse | Reference, seconds: int) -> None:
    if isinstance(response, OpenAPIResponse):
        response.headers = {
            **(response.headers or {}),
            "Retry-After": OpenAPIHeader(
                schema=OpenAPISchema(type=OpenAPIType.INTEGER, minimum=1),
                description="Seconds to wait before retrying.",
                example=seconds,
            ),
        }


def _mark_optional_body(body: RequestBody | Reference | None) -> None:
    if not isinstance(body, RequestBody) or not body.content:
        return
    schemas = [media.schema for media in body.content.values()]
    if all(
        isinstance(schema, OpenAPISchema)
        and any(isinstance(b, OpenAPISchema) and b.type == OpenAPIType.NULL for b in schema.one_of or [])
        for schema in schemas
    ):
        body.required = False
