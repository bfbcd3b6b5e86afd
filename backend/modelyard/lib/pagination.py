"""The one pagination scheme: `limit` + `offset` query parameters; pages carry `total`.

Each area's `XPage` subclasses `Page` and adds `items: list[X]`, so clients see the
same envelope everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar.params import Parameter

if TYPE_CHECKING:  # a runtime import would load beanie into every process that builds a Page
    from beanie import Document

MAX_PAGE_SIZE = 100

Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1-100).")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Number of items to skip.")]


class Page(msgspec.Struct, kw_only=True):
    """Envelope of every list response."""

    total: Annotated[
        int, msgspec.Meta(ge=0, description="Items in the whole (filtered) collection.", examples=[42])
    ]
    # Not MAX_PAGE_SIZE: dataset previews allow pages of up to 1000 rows.
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=1000, description="Items per page, as requested.", examples=[20])
    ]
    offset: Annotated[int, msgspec.Meta(ge=0, description="Items skipped before this page.", examples=[0])]


async def newest_first(
    document: type[Document], query: Mapping[str, Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of `document`s matching `query`, newest first (ties broken by id), and the total."""
    total = await document.find(query).count()
    items = await document.find(query).sort("-created_at", "-_id").skip(offset).limit(limit).to_list()
    return items, total
