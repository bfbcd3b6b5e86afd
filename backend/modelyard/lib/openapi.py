"""Helpers that keep every operation's documented error responses uniform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
)
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from modelyard.lib.errors import (
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    RETRY_AFTER_SECONDS,
    FieldError,
    Problem,
    problem_type,
)
from modelyard.lib.schema import Schema

_STATUS_KIND = {
    400: "malformed-body",
    401: "unauthenticated",
    404: "not-found",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    503: "service-unavailable",
}

_EXAMPLE_DETAIL = {
    "malformed-body": "The request body could not be read: Malformed JSON",
    "unauthenticated": "This operation needs a bearer token: send `Authorization: Bearer {token}`.",
    "not-found": "No dataset with id 665f1c2a9b1e8a3d4c5b6a79.",
    "conflict": "An account with this email already exists.",
    "precondition-failed": "The resource changed since you read it (its ETag is no longer the one in "
    "If-Match); GET it again and reapply your change.",
    "payload-too-large": "The upload is larger than the 200 MB limit.",
    "unsupported-media-type": "The file is not CSV, TSV, Excel (.xlsx), Parquet or JSON Lines.",
    "validation-error": "Expected `str` of length >= 8 at body.password",
    "rate-limited": "Too many requests; retry after the number of seconds in `Retry-After`.",
    "service-unavailable": "The database is unreachable right now; retry after the number of seconds "
    "in `Retry-After`.",
}

_DESCRIPTION = {
    400: "The request could not be parsed (malformed JSON, form or multipart body).",
    401: "Missing, expired or invalid bearer token.",
    404: "No such resource, or it belongs to another user.",
    409: "The request conflicts with existing state.",
    412: "`If-Match` named an ETag that is no longer current: someone changed the resource since "
    "you read it. Nothing was changed; the current `ETag` is in the response headers.",
    413: "The request body exceeds the size limit.",
    415: "The body's format is not supported.",
    422: "The request is well-formed but its values are invalid; `errors` says where.",
    429: "Rate limit exceeded; see `Retry-After`.",
    503: "A dependency (the database or the object store) is unreachable; nothing is half-done. "
    "Retry after the seconds in `Retry-After`.",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem-details response specs (schema + example) for the given status codes."""
    specs: dict[int, ResponseSpec] = {}
    for status in statuses:
        kind = _STATUS_KIND[status]
        example = Problem(
            type=problem_type(kind),
            title=PROBLEM_KINDS[kind][1],
            status=status,
            detail=_EXAMPLE_DETAIL[kind],
            instance="/api/v1/datasets/665f1c2a9b1e8a3d4c5b6a79",
            request_id="5d0c6c1b2f7e4a7f9a3b0d1e2c3f4a5b",
        )
        specs[status] = ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTION[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=[Example(summary=PROBLEM_KINDS[kind][1], value=_to_dict(example))],
        )
    return specs


def problem_response_example(
    status: int, description: str, detail: str, errors: list[FieldError] | None = None
) -> dict[int, ResponseSpec]:
    """One problem-details response spec with an operation's own description and example, for
    an error that `problem_responses`' generic example would not explain."""
    kind = _STATUS_KIND[status]
    example = Problem(
        type=problem_type(kind),
        title=PROBLEM_KINDS[kind][1],
        status=status,
        detail=detail,
        instance="/api/v1/models/665f1c2a9b1e8a3d4c5b6a79",
        request_id="5d0c6c1b2f7e4a7f9a3b0d1e2c3f4a5b",
        errors=errors,
    )
    spec = ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
        examples=[Example(summary=PROBLEM_KINDS[kind][1], value=_to_dict(example))],
    )
    return {status: spec}


def _to_dict(problem: Problem) -> dict[str, object]:
    import msgspec

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


def finalize_spec(spec: OpenAPI) -> None:
    """Rules applied to the whole generated spec, so each operation cannot get them wrong.

    - Structs that forbid unknown fields say `additionalProperties: false`.
    - Litestar adds a generic JSON 400 to every operation with parameters; ours are problem
      details: a 400 for a body that cannot be parsed and a 422 for invalid values.
    - Path ids are described once here: every `{x_id}` is a 24-hex id, unknown or another
      user's is a 404.
    - A body the handler defaults to `None` (its schema allows `null`) is optional: Litestar
      marks every request body required, and a client that sends none would be told wrongly.
    - Every API operation uses the database, so each can answer 503 with `Retry-After`.
    """
    close_request_schemas(spec)
    fill_missing_examples(spec)
    problem_specs = problem_responses(400, 404, 422, 503)
    for path, item in (spec.paths or {}).items():
        for operation in (item.get, item.put, item.post, item.patch, item.delete):
            if operation is None:
                continue
            _mark_optional_body(operation.request_body)
            responses = operation.responses or {}
            if path.startswith("/api/"):
                responses.setdefault("503", _problem_response(spec, problem_specs[503]))
                _retry_after(responses["503"])
            generic_400 = responses.get("400")
            if isinstance(generic_400, OpenAPIResponse) and PROBLEM_MEDIA_TYPE not in (
                generic_400.content or {}
            ):
                responses["400"] = _problem_response(spec, problem_specs[400])
                responses.setdefault("422", _problem_response(spec, problem_specs[422]))
            for parameter in operation.parameters or []:
                if (
                    isinstance(parameter, Parameter)
                    and parameter.param_in == "path"
                    and not parameter.description
                ):
                    noun = parameter.name.removesuffix("_id").replace("_", " ")
                    parameter.description = f"24-hex id of the {noun}; unknown or another user's id is a 404."
                    if "404" not in responses:
                        responses["404"] = _problem_response(spec, problem_specs[404])
            operation.responses = dict(sorted(responses.items()))


def _retry_after(response: OpenAPIResponse | Reference) -> None:
    if isinstance(response, OpenAPIResponse):
        response.headers = {
            "Retry-After": OpenAPIHeader(
                schema=OpenAPISchema(type=OpenAPIType.INTEGER, examples=[RETRY_AFTER_SECONDS]),
                description="Seconds to wait before retrying.",
            )
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


def _problem_response(spec: OpenAPI, response_spec: ResponseSpec) -> OpenAPIResponse:
    examples = {
        f"problem-example-{i}": example for i, example in enumerate(response_spec.examples or [], start=1)
    }
    return OpenAPIResponse(
        description=response_spec.description,
        content={
            PROBLEM_MEDIA_TYPE: OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/Problem"),
                examples=examples or None,  # type: ignore[arg-type]
            )
        },
    )


# --- examples for fields that declare none ---------------------------------------------------

_EXAMPLE_TIME = "2026-11-27T18:30:00Z"


def fill_missing_examples(spec: OpenAPI) -> None:
    """Give every scalar field of the component schemas an example value.

    Fields whose Meta carries real `examples` keep them; the rest get a deterministic value
    that satisfies their type and bounds, so Swagger UI and Redoc show complete, valid
    response bodies.
    """
    for component in (spec.components.schemas or {}).values():
        if isinstance(component, OpenAPISchema):
            for name, prop in (component.properties or {}).items():
                if isinstance(prop, OpenAPISchema):
                    _fill(prop, name)


def _fill(schema: OpenAPISchema, name: str) -> None:
    if schema.examples or schema.const is not None or schema.enum:
        return
    for branch in [*(schema.one_of or []), *(schema.any_of or [])]:
        if isinstance(branch, OpenAPISchema):
            _fill(branch, name)
    types = set(schema.type if isinstance(schema.type, list) else [schema.type] if schema.type else [])
    if OpenAPIType.ARRAY in types and isinstance(schema.items, OpenAPISchema):
        _fill(schema.items, name)
        return
    value = _scalar_example(schema, name, types)
    if value is not None:
        schema.examples = [value]


def _scalar_example(schema: OpenAPISchema, name: str, types: set[Any]) -> Any:
    if OpenAPIType.STRING in types:
        if schema.format == OpenAPIFormat.DATE_TIME:
            return _EXAMPLE_TIME
        if schema.pattern or schema.format:
            return None  # cannot invent a value for an arbitrary pattern or format
        text = name.replace("_", "-")
        return text[: schema.max_length] if schema.max_length else text
    if OpenAPIType.INTEGER in types:
        return int(_clamp(schema, 3))
    if OpenAPIType.NUMBER in types:
        return _clamp(schema, 0.75)
    if not types and not (schema.one_of or schema.any_of or schema.all_of):
        return name.replace("_", "-")  # an untyped value (a class label, a cell): any JSON value
    return None


def _clamp(schema: OpenAPISchema, preferred: float) -> float:
    low = schema.minimum if schema.minimum is not None else schema.exclusive_minimum
    high = schema.maximum if schema.maximum is not None else schema.exclusive_maximum
    value = preferred
    if low is not None and value <= low:
        value = low if schema.minimum is not None else low + 1
    if high is not None and value >= high:
        value = high if schema.maximum is not None else high - 1
    return value


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
