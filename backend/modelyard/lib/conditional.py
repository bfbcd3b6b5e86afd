"""Conditional requests (RFC 9110 §13): `ETag` on mutable resources, `If-Match`, `If-None-Match`.

A resource's entity tag is a hash of its id and `updated_at` (milliseconds, BSON's precision).
Every write moves `updated_at` strictly forward (`next_version`), so two writes in the same
millisecond still give two tags, and a write conditioned on the tag is a compare-and-set on
`updated_at` in the database update itself, never read-then-write.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from litestar import Response
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from modelyard.lib import examples
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import AppError

_MS = timedelta(milliseconds=1)
T = TypeVar("T")

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1000,
        description="Only change the resource if its current `ETag` is one of these (or `*`); "
        "otherwise the answer is 412 and nothing changes. Send the `ETag` of your last GET to "
        "avoid overwriting someone else's change.",
        examples=[Example(summary="The ETag of your last GET", value=examples.ETAG)],
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        max_length=1000,
        description="The `ETag` you hold: the answer is 304 with no body while it is still current.",
        examples=[Example(summary="The ETag of your last GET", value=examples.ETAG)],
    ),
]


class PreconditionFailedError(AppError):
    kind = "precondition-failed"

    def __init__(self, current: str) -> None:
        super().__init__(
            "The resource changed since you read it (its ETag is no longer the one in If-Match); "
            "GET it again and reapply your change.",
            headers={"ETag": current},
        )


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _to_millis(moment: datetime) -> datetime:
    moment = _as_utc(moment)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def etag(resource_id: object, updated_at: datetime) -> str:
    """The strong entity tag of a resource version."""
    stamp = _to_millis(updated_at).isoformat()
    return '"' + hashlib.sha256(f"{resource_id}@{stamp}".encode()).hexdigest()[:32] + '"'


def next_version(previous: datetime) -> datetime:
    """The `updated_at` of the next write: now, but always at least 1 ms after `previous`."""
    return max(_to_millis(utcnow()), _to_millis(previous) + _MS)


def _tags(header: str) -> set[str]:
    # Weak tags never match for If-Match (strong comparison); this server issues only strong ones.
    return {part.strip() for part in header.split(",") if part.strip()}


def require_match(if_match: str | None, current: str) -> None:
    """Raise 412 when `If-Match` was sent and names neither `*` nor the current tag."""
    if if_match is None:
        return
    tags = _tags(if_match)
    if "*" not in tags and current not in tags:
        raise PreconditionFailedError(current)


def not_modified(if_none_match: str | None, current: str) -> bool:
    """Whether a GET with this `If-None-Match` should be answered 304 (weak comparison)."""
    if if_none_match is None:
        return False
    tags = {tag.removeprefix("W/") for tag in _tags(if_none_match)}
    return "*" in tags or current in tags


def tagged(content: T, tag: str, if_none_match: str | None = None) -> Response[T]:
    """`content` with its `ETag`, or an empty 304 when the client's copy is still current."""
    if not_modified(if_none_match, tag):
        return Response(content=None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": tag})  # type: ignore[arg-type]
    return Response(content, headers={"ETag": tag})


NOT_MODIFIED = {
    304: ResponseSpec(
        data_container=None,
        description="Not modified: the `ETag` in `If-None-Match` is still current (no body).",
    )
}
