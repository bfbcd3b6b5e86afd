"""Bearer-token authentication: JWT (HS256) issued by /auth/token, checked on every protected route."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar

from beanie import PydanticObjectId
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.security.jwt import JWTCookieAuthenticationMiddleware, OAuth2PasswordBearerAuth, Token

from modelyard.domain.accounts.documents import UserDocument
from modelyard.domain.accounts.services import AccountService
from modelyard.lib.errors import unavailable_dependency
from modelyard.lib.key_access import API_KEY_PREFIX, ApiKeyVerifier

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


USER_CACHE_TTL_SECONDS = 30.0
USER_CACHE_MAX_ENTRIES = 10_000


class UserCache:
    """Recently authenticated users, by id, so a request does not read MongoDB to authenticate.

    An entry is trusted for `ttl` seconds after it was read. `DELETE /auth/me` evicts the account
    in the process that deleted it; other API processes keep accepting its still-valid token for
    at most `ttl` (they find none of its data). Only found users
    are kept; the least recently used go first beyond `max_entries`. Users are shared between
    requests: handlers treat `request.user` as read-only (`touch` only moves `last_active_at`).
    """

    def __init__(
        self,
        ttl: float = USER_CACHE_TTL_SECONDS,
        max_entries: int = USER_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        outage_grace: float = 0.0,
    ) -> None:
        self.ttl = ttl
        self.outage_grace = outage_grace
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, UserDocument]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, user_id: str) -> UserDocument | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        age = self.clock() - entry[0]
        if age >= self.ttl:
            if age >= self.outage_grace:
                del self._entries[user_id]
            return None  # else kept (LRU-bounded) for `last_known` while the database is down
        self._entries.move_to_end(user_id)
        return entry[1]

    def last_known(self, user_id: str) -> UserDocument | None:
        """The user as last read, if that was within `outage_grace` seconds: what authenticates
        a token while the database cannot be asked."""
        entry = self._entries.get(user_id)
        if entry is None or self.clock() - entry[0] >= max(self.ttl, self.outage_grace):
            return None
        return entry[1]

    def put(self, user_id: str, user: UserDocument) -> None:
        self._entries[user_id] = (self.clock(), user)
        self._entries.move_to_end(user_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def evict(self, user_id: str) -> None:
        self._entries.pop(user_id, None)


def user_loader(cache: UserCache) -> Callable[[str], Awaitable[UserDocument | None]]:
    """The user with an id: from the cache, else from MongoDB (then cached). `touch` writes at most
    once per ACTIVITY_RESOLUTION per user, so authenticated requests stay read-free and write-free."""
    service = AccountService()

    async def load(user_id: str) -> UserDocument | None:
        user = cache.get(user_id)
        if user is None:
            try:
                user = await service.get(user_id)
            except Exception as exc:
                if unavailable_dependency(exc) is None or (user := cache.last_known(user_id)) is None:
                    raise
                return user  # the database is down: the user as last read, within the grace
            if user is None:
                return None
            cache.put(user_id, user)
        try:
            await service.touch(user)
        except Exception as exc:
            # Activity is a statistic: losing one mark during an outage beats refusing the call.
            if unavailable_dependency(exc) is None:
                raise
        return user

    return load


def user_retriever(
    cache: UserCache,
) -> Callable[[Token, ASGIConnection[Any, Any, Any, Any]], Awaitable[UserDocument | None]]:
    """The token's user (see `user_loader`)."""
    load = user_loader(cache)

    async def retrieve_user(
        token: Token, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> UserDocument | None:
        return await load(token.sub)

    return retrieve_user


INVALID_KEY = "The API key is unknown or was revoked; create a new one at /api/v1/api-keys."
EXPIRED_KEY = "The API key has expired; create a new one at /api/v1/api-keys."


class TokenOrKeyMiddleware(JWTCookieAuthenticationMiddleware):
    """Litestar's JWT middleware, plus API keys: a bearer value starting with `myk_` is looked up
    as a key (its grant becomes `request.auth`, its owner `request.user`), anything else is a JWT."""

    api_keys: ClassVar[ApiKeyVerifier | None] = None
    load_user: ClassVar[Callable[[str], Awaitable[UserDocument | None]] | None] = None

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        keys, load = type(self).api_keys, type(self).load_user
        if keys is None or load is None or not encoded_token.startswith(API_KEY_PREFIX):
            return await super().authenticate_token(encoded_token, connection)
        grant = await keys.authenticate(encoded_token)
        if grant is None:
            raise NotAuthorizedException(INVALID_KEY)
        if grant.expired():
            raise NotAuthorizedException(EXPIRED_KEY)
        user = await load(grant.owner_id)
        if user is None:  # the account was deleted (its keys with it)
            raise NotAuthorizedException(INVALID_KEY)
        return AuthenticationResult(user=user, auth=grant)


class BearerTokenAuth(OAuth2PasswordBearerAuth[UserDocument, Token]):
    """Litestar's scheme object mixes `http` bearer fields (`scheme`, `bearerFormat`, `in`, `name`) into
    an `oauth2` scheme and omits the required `scopes`, which is invalid OpenAPI; declare a clean one."""

    @property
    def openapi_components(self) -> Components:
        flow = OAuthFlow(token_url=self.token_url, scopes=self.oauth_scopes or {})
        scheme = SecurityScheme(type="oauth2", flows=OAuthFlows(password=flow), description=self.description)
        return Components(security_schemes={self.openapi_security_scheme_name: scheme})


def build_token_auth(
    secret: str,
    expire_minutes: int,
    users: UserCache | None = None,
    api_keys: ApiKeyVerifier | None = None,
) -> OAuth2PasswordBearerAuth[UserDocument, Token]:
    """Bearer authentication of every protected route: access tokens, and API keys when `api_keys`
    is given (see `TokenOrKeyMiddleware`)."""
    users = users if users is not None else UserCache()
    middleware = type(
        "AppTokenOrKeyMiddleware",
        (TokenOrKeyMiddleware,),
        {"api_keys": api_keys, "load_user": staticmethod(user_loader(users))},
    )
    return BearerTokenAuth(
        authentication_middleware_class=middleware,
        token_secret=secret,
        token_url=TOKEN_URL,
        retrieve_user_handler=user_retriever(users),
        exclude=PUBLIC_PATHS,
        default_token_expiration=timedelta(minutes=expire_minutes),
        openapi_security_scheme_name=SECURITY_SCHEME,
        description="OAuth2 password flow: POST email and password to /api/v1/auth/token, "
        "then send `Authorization: Bearer {access_token}`.",
    )


class TokenIssuer:
    """Signs access tokens for authenticated users (what /auth/token hands out)."""

    def __init__(self, auth: OAuth2PasswordBearerAuth[UserDocument, Token], expire_minutes: int) -> None:
        self._auth = auth
        self.expires_in = expire_minutes * 60

    def issue(self, user_id: str) -> str:
        return self._auth.create_token(identifier=user_id)


UserRequest = Request[UserDocument, Token, Any]
"""A request that passed authentication: `request.user` is the stored account."""


def owner(request: UserRequest) -> PydanticObjectId:
    """The authenticated user's id: what every owned resource is scoped to."""
    user_id = request.user.id
    assert user_id is not None  # authenticated users are stored documents
    return user_id
