"""API shapes of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from modelyard.lib import examples
from modelyard.lib.schema import Schema, UserId

Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Email address; unique per account, compared case-insensitively.",
        examples=["ada@example.com"],
    ),
]
Password = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=256,
        description="At least 8 characters.",
        examples=["correct horse battery staple"],
    ),
]


class UserCreate(Schema):
    """A new account."""

    email: Email
    password: Password


class User(Schema):
    """An account, as its owner sees it."""

    id: UserId
    email: Email
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the account was created (UTC).", examples=[examples.USER_CREATED_AT]),
    ]


# Standard OAuth2 form fields this API accepts and does not use.
OAuth2Extra = Annotated[
    str, msgspec.Meta(max_length=1024, description="Ignored; accepted for OAuth2 clients.")
]


class TokenRequest(Schema):
    """OAuth2 password grant, sent as `application/x-www-form-urlencoded`."""

    username: Annotated[
        str, msgspec.Meta(max_length=254, description="The account's email.", examples=["ada@example.com"])
    ]
    password: Annotated[
        str,
        msgspec.Meta(
            max_length=256, description="The account's password.", examples=["correct horse battery staple"]
        ),
    ]
    grant_type: Annotated[
        Literal["password"] | None, msgspec.Meta(description="OAuth2 grant type; only `password`.")
    ] = None
    scope: OAuth2Extra | None = None
    client_id: OAuth2Extra | None = None
    client_secret: OAuth2Extra | None = None


class AccessToken(Schema):
    """A bearer token for the `Authorization` header."""

    access_token: Annotated[
        str,
        msgspec.Meta(
            description="The JWT to send as `Authorization: Bearer {access_token}`.",
            examples=[examples.ACCESS_TOKEN],
        ),
    ]
    token_type: Annotated[Literal["bearer"], msgspec.Meta(description="Always `bearer`.")]
    expires_in: Annotated[int, msgspec.Meta(description="Seconds until the token expires.", examples=[3600])]
