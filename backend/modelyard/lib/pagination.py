"""The one pagination scheme: `limit` + an opaque `cursor` (or the older `offset`).

Every list is newest first, ties broken by id (`-created_at, -_id`). A cursor encodes the
(created_at, id) of the last item of a page; the next page is the items strictly after it in
that order. Unlike an offset, this does not move when items are inserted or deleted between
requests, so paging never repeats or skips an item that existed throughout.

Each area's `XPage` subclasses `Page` and adds `items: list[X]`, so clients see the same
envelope everywhere; services return a `Window` and controllers spread `window.envelope()`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import msgspec
from bson import ObjectId
from litestar.openapi.spec import Example
from litestar.params import Parameter

from modelyard.lib import examples
from modelyard.lib.errors import FieldError, ValidationFailedError

if TYPE_CHECKING:  # a runtime import would load beanie into every process that builds a Page
    from beanie import Document

MAX_PAGE_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR_TEXT = re.compile(r"^(\d{1,15})\.([0-9a-f]{24})$")
CURSOR_MAX_LENGTH = 64

Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1-100).")]
Offset = Annotated[
    int,
    Parameter(
        ge=0,
        le=1_000_000,
        description="Number of items to skip, to jump into a list. An insert or delete between two "
        "requests shifts offset pages; walk a list with `cursor` instead. Not combinable with `cursor`.",
    ),
]
Cursor = Annotated[
    str | None,
    Parameter(
        max_length=CURSOR_MAX_LENGTH,
        description="Opaque position: the `next_cursor` of the previous page (omit for the first "
        "page). Send the same filters with it. Stable under inserts and deletes.",
        examples=[Example(summary="The next_cursor of a page", value=examples.NEXT_CURSOR)],
    ),
]


class Page(msgspec.Struct, kw_only=True):
    """Envelope of every list response."""

    total: Annotated[
        int, msgspec.Meta(ge=0, description="Items in the whole (filtered) collection.", examples=[42])
    ]
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_PAGE_SIZE, description="Items per page, as requested.", examples=[20])
    ]
    offset: Annotated[
        int, msgspec.Meta(ge=0, description="Items skipped, as requested (`offset`).", examples=[0])
    ]
    next_cursor: Annotated[
        str | None,
        msgspec.Meta(
            description="Pass as `cursor` to get the next page; null on the last page.",
            examples=[examples.NEXT_CURSOR],
        ),
    ]
    has_more: Annotated[bool, msgspec.Meta(description="Whether items follow this page.", examples=[True])]


T = TypeVar("T")


@dataclass(frozen=True)
class Window(Generic[T]):
    """One page of documents and the envelope fields that describe it."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None

    def envelope(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "next_cursor": self.next_cursor,
            "has_more": self.next_cursor is not None,
        }

    @classmethod
    def empty(cls, limit: int, offset: int = 0) -> Window[T]:
        return cls(items=[], total=0, limit=limit, offset=offset, next_cursor=None)


def _millis(moment: datetime) -> int:
    """Milliseconds since the epoch (BSON's precision); a naive datetime is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def encode_cursor(created_at: datetime, item_id: ObjectId) -> str:
    text = f"{_millis(created_at)}.{item_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _invalid_cursor() -> ValidationFailedError:
    message = "Not a cursor this API issued; pass `next_cursor` from the previous page unchanged."
    return ValidationFailedError(
        f"{message} (at query.cursor)", errors=[FieldError(message=message, location="query.cursor")]
    )


def decode_cursor(cursor: str) -> tuple[datetime, ObjectId]:
    """The (created_at, id) a cursor points after, or a 422 naming `query.cursor`."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise _invalid_cursor() from None
    match = _CURSOR_TEXT.match(text)
    if match is None:
        raise _invalid_cursor()
    return _EPOCH + timedelta(milliseconds=int(match[1])), ObjectId(match[2])


def _after(cursor: str) -> dict[str, Any]:
    """The query for items strictly after the cursor in (-created_at, -_id) order."""
    created_at, item_id = decode_cursor(cursor)
    return {
        "$or": [
            {"created_at": {"$lt": created_at}},
            {"created_at": created_at, "_id": {"$lt": item_id}},
        ]
    }


async def newest_first(
    document: type[Document],
    query: Mapping[str, Any],
    *,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
) -> Window[Any]:
    """One page of `document`s matching `query`, newest first (ties broken by id), after `cursor`
    and/or `offset`, with the total of the whole filtered collection."""
    if cursor is not None and offset:
        message = "Use either `cursor` or `offset`, not both."
        raise ValidationFailedError(message, errors=[FieldError(message=message, location="query.offset")])
    paged = {"$and": [dict(query), _after(cursor)]} if cursor is not None else dict(query)
    total = await document.find(query).count()
    found: list[Any] = (
        await document.find(paged).sort("-created_at", "-_id").skip(offset).limit(limit + 1).to_list()
    )
    items, more = found[:limit], len(found) > limit
    last = items[-1] if items else None
    next_cursor = encode_cursor(last.created_at, last.id) if more and last is not None else None
    return Window(items=items, total=total, limit=limit, offset=offset, next_cursor=next_cursor)
