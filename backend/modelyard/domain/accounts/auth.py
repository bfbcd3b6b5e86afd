"""Bearer-token authentication: JWT (HS256) issued by /auth/token, checked on every protected route."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import OAuth2PasswordBearerAuth, Token

from modelyard.domain.accounts.documents import UserDocument
from modelyard.domain.accounts.services import AccountService

TOKEN_URL = "/api/v1/auth/token"
SECURITY_SCHEME = "BearerToken"

# Paths that need no token (regexes matched against the request path).
PUBLIC_PATHS = [
    "^/health/",
    "^/metrics",
    "^/docs",
    "^/schema",
    "^/api/v1/auth/register$",
    "^/api/v1/auth/token$",
]


async def _retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> UserDocument | None:
    service = AccountService()
    user = await service.get(token.sub)
    if user is not None:
        await service.touch(user)
    return user


def build_token_auth(secret: str, expire_minutes: int) -> OAuth2PasswordBearerAuth[UserDocument, Token]:
    return OAuth2PasswordBearerAuth[UserDocument, Token](
        token_secret=secret,
        token_url=TOKEN_URL,
        retrieve_user_handler=_retrieve_user,
        exclude=PUBLIC_PATHS,
        default_token_expiration=timedelta(minutes=expire_minutes),
        openapi_security_scheme_name=SECURITY_SCHEME,
        description="OAuth2 password flow: POST email and password to /api/v1/auth/token, "
        "then send `Authorization: Bearer <access_token>`.",
    )


class TokenIssuer:
    """Signs access tokens for authenticated users (what /auth/token hands out)."""

    def __init__(self, auth: OAuth2PasswordBearerAuth[UserDocument, Token], expire_minutes: int) -> None:
        self._auth = auth
        self.expires_in = expire_minutes * 60

    def issue(self, user_id: str) -> str:
        return self._auth.create_token(identifier=user_id)
