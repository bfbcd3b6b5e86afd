"""Helpers that keep every operation's documented error responses uniform."""

from __future__ import annotations

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example

from modelyard.lib.errors import PROBLEM_KINDS, PROBLEM_MEDIA_TYPE, Problem, problem_type

_STATUS_KIND = {
    400: "malformed-body",
    401: "unauthenticated",
    404: "not-found",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    503: "service-unavailable",
}

_EXAMPLE_DETAIL = {
    "malformed-body": "The request body could not be read: Malformed JSON",
    "unauthenticated": "This operation needs a bearer token: send `Authorization: Bearer <token>`.",
    "not-found": "No dataset with id 665f1c2a9b1e8a3d4c5b6a79.",
    "conflict": "An account with this email already exists.",
    "payload-too-large": "The upload is larger than the 200 MB limit.",
    "unsupported-media-type": "The file is not CSV, TSV, Excel (.xlsx), Parquet or JSON Lines.",
    "validation-error": "Expected `str` of length >= 8 at body.password",
    "rate-limited": "Too many requests; retry after the number of seconds in `Retry-After`.",
    "service-unavailable": "mongodb: server selection timed out",
}

_DESCRIPTION = {
    400: "The request could not be parsed (malformed JSON, form or multipart body).",
    401: "Missing, expired or invalid bearer token.",
    404: "No such resource, or it belongs to another user.",
    409: "The request conflicts with existing state.",
    413: "The request body exceeds the size limit.",
    415: "The body's format is not supported.",
    422: "The request is well-formed but its values are invalid; `errors` says where.",
    429: "Rate limit exceeded; see `Retry-After`.",
    503: "A dependency (MongoDB, object store) is unavailable.",
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


def _to_dict(problem: Problem) -> dict[str, object]:
    import msgspec

    return msgspec.to_builtins(problem)  # type: ignore[no-any-return]


# Error responses every authenticated operation can produce.
AUTHENTICATED = (401, 429)
