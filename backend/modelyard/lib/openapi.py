"""Building blocks of the spec's operations: uniform problem responses with examples that fit,
whole-object success examples, public and upload operations, closed request schemas.
(The rules applied to every operation at the end are in spec_rules.py.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
)
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType

from modelyard.lib import examples
from modelyard.lib.errors import (
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    FieldError,
    Problem,
    problem_type,
)
from modelyard.lib.schema import Schema

_STATUS_KIND = {
    400: "malformed-body",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}

_EXAMPLE_DETAIL = {
    "malformed-body": "The request body could not be read: Input data was truncated",
    "unauthenticated": "This operation needs a bearer token: send `Authorization: Bearer {token}`.",
    "forbidden": "This API key lacks the `read` scope this operation needs.",
    "not-found": f"No dataset with id {examples.DATASET_ID}.",
    "conflict": "The request conflicts with the current state of the resource.",
    "precondition-failed": "The resource changed since you read it (its ETag is no longer the one in "
    "If-Match); GET it again and reapply your change.",
    "payload-too-large": "The upload is larger than the 200 MB limit; nothing was stored.",
    "unsupported-media-type": "The file is a PDF document, not CSV or TSV (delimiter `,` `;` tab or `|`), "
    "Excel (.xlsx), Parquet or JSON Lines.",
    "validation-error": "Expected `str` of length >= 8 at body.password",
    "rate-limited": "Too many requests; retry after the number of seconds in `Retry-After`.",
    "internal-error": "The server failed to handle this request. Quote the request id when reporting it.",
    "service-unavailable": "The database is unreachable right now; retry after the number of seconds "
    "in `Retry-After`.",
}
_EXAMPLE_ERRORS = {"validation-error": [FieldError("Expected `str` of length >= 8", "body.password")]}

_DESCRIPTION = {
    400: "The request body could not be parsed (malformed or truncated JSON or multipart body).",
    401: "Missing, expired or invalid bearer token.",
    403: "Called with an API key whose scopes do not include this operation (or this model); "
    "`detail` names the scope it needs.",
    404: "No such resource, or it belongs to another user.",
    409: "The request conflicts with existing state.",
    412: "`If-Match` named an ETag that is no longer current: someone changed the resource since "
    "you read it. Nothing was changed; the current `ETag` is in the response headers.",
    413: "The request body exceeds the size limit.",
    415: "The body's format is not supported.",
    422: "The request is well-formed but its values are invalid; `errors` says where.",
    429: "Rate limit exceeded; see `Retry-After`.",
    500: "The server failed unexpectedly; no internals are exposed and the error is logged with the "
    "request id. Retry once, then report the `request_id`.",
    503: "A dependency (the database or the object store) is unreachable; nothing is half-done. "
    "Retry after the seconds in `Retry-After`.",
}


ExampleDetail = str | FieldError | tuple[str, list[FieldError]]
"""An example problem's `detail`; a 422's invalid input (its detail then says where); or both."""


def problem_responses(
    *statuses: int, details: Mapping[int, ExampleDetail] | None = None
) -> dict[int, ResponseSpec]:
    """Problem-details response specs (schema + example) for the given status codes.

    `details` gives an operation's own example where the generic one would not fit it: the
    `detail` text, or for a 422 the invalid input (`FieldError`) the example reports.
    `finalize_spec` then points each example's `instance` at its operation's path.
    """
    specs: dict[int, ResponseSpec] = {}
    for status in statuses:
        kind = _STATUS_KIND[status]
        specs[status] = ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTION[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=[problem_example(kind, (details or {}).get(status))],
        )
    return specs


def problem_example(kind: str, detail: ExampleDetail | None = None, summary: str | None = None) -> Example:
    """An example problem of `kind`: the generic one, or one whose detail (or invalid input) is given."""
    errors = _EXAMPLE_ERRORS.get(kind)
    if isinstance(detail, FieldError):
        errors = [detail]
        detail = f"{detail.message} at {detail.location}"
    elif isinstance(detail, tuple):
        detail, errors = detail
    elif detail is not None:
        errors = None
    problem = Problem(
        type=problem_type(kind),
        title=PROBLEM_KINDS[kind][1],
        status=PROBLEM_KINDS[kind][0],
        detail=detail or _EXAMPLE_DETAIL[kind],
        instance=f"/api/v1/datasets/{examples.DATASET_ID}",
        request_id=examples.REQUEST_ID,
        errors=errors,
    )
    return Example(summary=summary or PROBLEM_KINDS[kind][1], value=_to_dict(problem))


def problem_response_example(
    status: int, description: str, detail: str, errors: list[FieldError] | None = None
) -> dict[int, ResponseSpec]:
    """One problem-details response spec with an operation's own description and example, for
    an error that `problem_responses`' generic description would not explain."""
    example = problem_example(_STATUS_KIND[status], (detail, errors) if errors else detail)
    spec = ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
        examples=[example],
    )
    return {status: spec}


def problem_response_object(status: int, detail: ExampleDetail | None = None) -> OpenAPIResponse:
    """The documented problem response of `status` as a spec object (with the example's `detail`
    when given), for the rules and documenters that post-process the generated spec."""
    spec = problem_responses(status, details=None if detail is None else {status: detail})[status]
    return OpenAPIResponse(
        description=spec.description,
        content={
            PROBLEM_MEDIA_TYPE: OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/Problem"),
                examples={f"problem-example-{i}": e for i, e in enumerate(spec.examples or [], start=1)},
            )
        },
    )


def _to_dict(problem: Problem) -> dict[str, object]:
    return msgspec.to_builtins(problem)  # type: ignore[no-any-return]


# Error responses every authenticated operation can produce.
AUTHENTICATED = (401, 429)


class PublicOperation(Operation):
    """An operation that needs no credentials.

    Litestar drops an empty `security` list from the spec, so a public operation would inherit
    the global bearer requirement; this one says `security: []` explicitly. Use it with
    `operation_class=PublicOperation` (and `security=[]`) on handlers excluded from authentication.
    """

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["security"] = []
        return schema


def multipart_upload(file_description: str, **fields: OpenAPISchema) -> type[Operation]:
    """An operation class whose body is a `multipart/form-data` upload: a required binary `file`
    plus optional text `fields`. Upload handlers read the body as a stream, so Litestar cannot
    infer it; this declares it, so generated clients get a file parameter."""
    properties: dict[str, OpenAPISchema | Reference] = {
        "file": OpenAPISchema(
            type=OpenAPIType.STRING,
            format="binary",  # type: ignore[arg-type]
            description=file_description,
        ),
        **fields,
    }
    body = RequestBody(
        required=True,
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=OpenAPISchema(type=OpenAPIType.OBJECT, required=["file"], properties=properties)
            )
        },
    )

    @dataclass
    class UploadOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return UploadOperation


def close_request_schemas(spec: OpenAPI) -> None:
    """Declare `additionalProperties: false` on every `Schema` struct in the spec.

    Our Structs forbid unknown fields (a typo is an error, not silently ignored), and
    Litestar does not carry that into the generated schema; without it clients and
    fuzzers would believe extra fields are accepted.
    """
    names = {cls.__name__ for cls in _subclasses(Schema)}
    for name, component in (spec.components.schemas or {}).items():
        if name in names and isinstance(component, OpenAPISchema) and component.properties is not None:
            component.additional_properties = False
            _collapse_single_branch(component)


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    direct: list[type] = cls.__subclasses__()
    for child in direct:
        found.append(child)
        found.extend(_subclasses(child))
    return found


def example_response(container: Any, description: str, examples: Mapping[str, Any]) -> ResponseSpec:
    """A success response whose examples are whole objects (`summary` -> a Struct of `container`),
    so renderers show a consistent object instead of one assembled from each field's example."""
    return ResponseSpec(
        container,
        description=description,
        generate_examples=False,
        examples=[
            ExactExample(summary=summary, value=msgspec.to_builtins(value))
            for summary, value in examples.items()
        ],
    )


class ExactExample(Example):
    """An example whose `value` is emitted exactly as given.

    Litestar drops `None` from dicts when it renders the spec, which would strip the nulls of
    required nullable fields out of an example and make it contradict its own schema.
    """

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        if self.value is not None:
            schema["value"] = self.value
        return schema


def _collapse_single_branch(component: OpenAPISchema) -> None:
    """`X | UNSET` fields come out as a one-branch `oneOf`; say `X` directly."""
    for name, prop in (component.properties or {}).items():
        if isinstance(prop, OpenAPISchema) and prop.one_of and len(prop.one_of) == 1:
            branch = prop.one_of[0]
            if isinstance(branch, OpenAPISchema):
                # Litestar puts the bounds beside the oneOf; keep them on the field.
                for attr in (
                    "description",
                    "examples",
                    "max_length",
                    "min_length",
                    "pattern",
                    "minimum",
                    "maximum",
                    "exclusive_minimum",
                    "exclusive_maximum",
                    "max_items",
                    "min_items",
                ):
                    if getattr(branch, attr) is None:
                        setattr(branch, attr, getattr(prop, attr))
                component.properties[name] = branch  # type: ignore[index]
