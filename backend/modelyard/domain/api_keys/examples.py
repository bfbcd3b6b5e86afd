"""Whole-object examples of API keys for the spec: the churn scoring service's `predict` key on the
story's model (lib/examples.py), as created and as listed a day later."""

from __future__ import annotations

from datetime import datetime

import msgspec

from modelyard.domain.api_keys.schemas import ApiKey, ApiKeyCreated, ApiKeyPage
from modelyard.lib import examples

SECRET = "myk_Q2x0dWVzX2V4YW1wbGVfc2VjcmV0X2tleV9vbmx5XzEyMzQ"

CREATED = ApiKeyCreated(
    id=examples.API_KEY_ID,
    name="churn scoring service",
    prefix=SECRET[:12],
    scopes=["predict"],
    model_ids=[examples.MODEL_ID],
    expires_at=None,
    expired=False,
    created_at=datetime.fromisoformat(examples.API_KEY_CREATED_AT),
    last_used_at=None,
    use_count=0,
    secret=SECRET,
)
_LISTED = {name: value for name, value in msgspec.structs.asdict(CREATED).items() if name != "secret"}
IN_USE = ApiKey(
    **{**_LISTED, "last_used_at": datetime.fromisoformat("2024-06-05T08:14:52Z"), "use_count": 1280}
)
PAGE = ApiKeyPage(items=[IN_USE], total=1, limit=20, offset=0, next_cursor=None, has_more=False)
