"""The one pagination scheme: `limit` + `offset` query parameters; pages carry `total`.

Each area's `XPage` subclasses `Page` and adds `items: list[X]`, so clients see the
same envelope everywhere.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import Parameter

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
