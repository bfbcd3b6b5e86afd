"""Base for API schemas: msgspec Structs that forbid unknown fields."""

from __future__ import annotations

import msgspec


class Schema(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    """Request and response bodies. Unknown request fields are an error, not silently dropped."""
