"""API shapes of API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from modelyard.lib import examples
from modelyard.lib.key_access import KeyScope
from modelyard.lib.pagination import Page
from modelyard.lib.schema import ApiKeyId, ModelId, Schema

KeyName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="What the key is for, for you (not unique).",
        examples=["churn scoring service"],
    ),
]
Scopes = Annotated[
    list[KeyScope],
    msgspec.Meta(
        min_length=1,
        max_length=2,
        description="What the key may do: `predict` (online predictions and batch predictions, on "
        "`model_ids` or on every model of yours) and `read` (every GET of your resources). A key never "
        "creates, changes or deletes anything else, and never manages keys.",
        examples=[["predict"]],
    ),
]
ModelIdList = Annotated[
    list[ModelId],
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="Models the `predict` scope is limited to. Omit it for every model of yours, "
        "including those trained later. Only with the `predict` scope.",
        examples=[[examples.MODEL_ID]],
    ),
]
ModelIds = Annotated[
    list[str] | None,
    msgspec.Meta(
        description="Models the `predict` scope is limited to; null means every model of yours.",
        examples=[[examples.MODEL_ID]],
    ),
]
ExpiresAt = Annotated[
    datetime | None,
    msgspec.Meta(
        description="When the key stops working (UTC, in the future); null never expires.",
        examples=["2027-06-30T00:00:00Z"],
    ),
]


class ApiKeyCreate(Schema):
    """A new API key."""

    name: KeyName
    scopes: Scopes
    model_ids: ModelIdList | msgspec.UnsetType = msgspec.UNSET
    expires_at: ExpiresAt = None


class ApiKey(Schema):
    """An API key as listed: never its secret."""

    id: ApiKeyId
    name: KeyName
    prefix: Annotated[
        str,
        msgspec.Meta(
            description="The first 12 characters of the secret, to recognise the key.",
            examples=["myk_Q2x0dWVz"],
        ),
    ]
    scopes: Scopes
    model_ids: ModelIds
    expires_at: ExpiresAt
    expired: Annotated[bool, msgspec.Meta(description="Whether `expires_at` has passed.", examples=[False])]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the key was created (UTC).", examples=[examples.API_KEY_CREATED_AT]),
    ]
    last_used_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description="When the key last authenticated a request (UTC), to within a few seconds (uses "
            "are recorded in batches); null if never.",
            examples=["2024-06-05T08:14:52Z"],
        ),
    ]
    use_count: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            description="Requests the key authenticated (refused ones included), as of the last batch.",
            examples=[1280],
        ),
    ]


class ApiKeyCreated(ApiKey):
    """A key just created: the only response that carries its secret."""

    secret: Annotated[
        str | None,
        msgspec.Meta(
            description="The key itself; send it as `Authorization: Bearer {secret}`. Shown this once: "
            "only its SHA-256 is stored, so a lost secret cannot be recovered (delete the key and create "
            "a new one). Null when the response is an `Idempotency-Key` replay (`Idempotent-Replayed: "
            "true`): the replay names the key that was created, without its secret.",
            examples=["myk_Q2x0dWVzX2V4YW1wbGVfc2VjcmV0X2tleV9vbmx5XzEyMzQ"],
        ),
    ]


class ApiKeyPage(Page):
    items: list[ApiKey]
