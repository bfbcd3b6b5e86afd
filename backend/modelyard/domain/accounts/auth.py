"""Bearer-token authentication: JWT (HS256) issued by /auth/token, checked on every protected route."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
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


class BearerTokenAuth(OAuth2PasswordBearerAuth[UserDocument, Token]):
    """Litestar's scheme object mixes `http` bearer fields (`scheme`, `bearerFormat`, `in`, `name`) into
    an `oauth2` scheme and omits the required `scopes`, which is invalid OpenAPI; declare a clean one."""

    @property
    def openapi_components(self) -> Components:
        flow = OAuthFlow(token_url=self.token_url, scopes=self.oauth_scopes or {})
        scheme = SecurityScheme(type="oauth2", flows=OAuthFlows(password=flow), description=self.description)
        return Components(security_schemes={self.openapi_security_scheme_name: scheme})


def build_token_auth(secret: str, expire_minutes: int) -> OAuth2PasswordBearerAuth[UserDocument, Token]:
    return BearerTokenAuth(
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
