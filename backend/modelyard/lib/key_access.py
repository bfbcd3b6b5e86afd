"""What an API key may reach: its grant, the scope each operation needs, the guard that enforces it.

A request authenticated with an API key carries an `ApiKeyGrant` as its `auth`. Every route
handler needs one scope of a key, declared as `opt={KEY_SCOPES: (...)}`; without a
declaration a GET needs `read` and every other method is closed to keys. The guard installed
on the whole app checks each keyed request against that, so a new operation is covered the
moment it is routed. Access tokens (JWT) are not affected: they reach everything their user owns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi.spec import OpenAPI, SecurityScheme
from litestar.routes import HTTPRoute

from modelyard.lib.clock import utcnow
from modelyard.lib.errors import ForbiddenError
from modelyard.lib.openapi import problem_response_object

KeyScope = Literal["read", "predict"]
KEY_SCOPES_ALL: tuple[KeyScope, ...] = get_args(KeyScope)

API_KEY_PREFIX = "myk_"
"""Every key starts with it, so a leaked key is recognisable (secret scanners, logs) and the
authentication middleware tells a key from a JWT without trying to decode it."""

KEY_SCOPES = "api_key_scopes"
"""Route handler `opt` key: the scopes that let an API key call the operation (any one of them)."""
SECURITY_SCHEMES: dict[str, str] = {"read": "ApiKeyRead", "predict": "ApiKeyPredict"}
"""The spec's security scheme of a key with each scope: an operation lists those that reach it.
(One scheme per scope, since OpenAPI tools read a requirement's scope list only for OAuth2.)"""
_GRANTED = "api_key_scope"
"""Connection state: the scope that let this request through."""


@dataclass(frozen=True)
class ApiKeyGrant:
    """What an authenticated API key may do (the request's `auth`)."""

    key_id: str
    owner_id: str
    scopes: frozenset[str]
    model_ids: frozenset[str] | None
    """Models the `predict` scope covers; None covers all the owner's models."""
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at

    def covers_model(self, model_id: str) -> bool:
        return self.model_ids is None or model_id in self.model_ids


class ApiKeyVerifier(Protocol):
    """What the authentication middleware asks about a bearer value that starts with `myk_`."""

    async def authenticate(self, secret: str) -> ApiKeyGrant | None:
        """The key's grant, or None when no key has this secret."""
        ...


KeyUseRecorder = Callable[[ApiKeyGrant, str, bool], None]
"""Called once per keyed request: (grant, scope that granted it or "none", allowed)."""


def required_scopes(handler: BaseRouteHandler, method: str) -> tuple[str, ...]:
    """The scopes any one of which lets a key call `handler` with `method`; () closes it to keys."""
    declared = handler.opt.get(KEY_SCOPES)
    if declared is not None:
        return tuple(declared)
    return ("read",) if method in ("GET", "HEAD") else ()


def _refusal(grant: ApiKeyGrant, needed: tuple[str, ...], model_id: str | None) -> ForbiddenError:
    if not needed:
        return ForbiddenError(
            "API keys cannot call this operation (key scopes reach reads and predictions only); "
            "use an access token from /api/v1/auth/token."
        )
    if "predict" in needed and "predict" in grant.scopes and model_id is not None:
        return ForbiddenError(f"This API key's `predict` scope does not include model {model_id}.")
    names = " or ".join(f"`{scope}`" for scope in needed)
    return ForbiddenError(f"This API key lacks the {names} scope this operation needs.")


def api_key_guard(record_use: KeyUseRecorder) -> Callable[[ASGIConnection[Any, Any, Any, Any], Any], None]:
    """The app-wide guard: a keyed request passes only within its key's scopes (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        grant = connection.scope.get("auth")
        if not isinstance(grant, ApiKeyGrant):
            return
        needed = required_scopes(handler, connection.scope.get("method", "GET"))  # type: ignore[arg-type]
        model_id = connection.path_params.get("model_id")
        for scope in needed:
            if scope in grant.scopes and (
                scope != "predict" or model_id is None or grant.covers_model(str(model_id))
            ):
                connection.scope.setdefault("state", {})[_GRANTED] = scope
                record_use(grant, scope, True)
                return
        record_use(grant, "none", False)
        raise _refusal(grant, needed, None if model_id is None else str(model_id))

    return guard


def require_model_access(connection: ASGIConnection[Any, Any, Any, Any], model_id: str) -> None:
    """For operations on something of a model (a batch job): a key let through by its `predict`
    scope must cover that model (403 otherwise). Access tokens and `read` keys pass."""
    grant = connection.scope.get("auth")
    state = connection.scope.get("state", {})
    by_predict = isinstance(grant, ApiKeyGrant) and state.get(_GRANTED) == "predict"
    if by_predict and not grant.covers_model(model_id):
        raise _refusal(grant, ("predict",), model_id)


# --- the spec --------------------------------------------------------------------------------

_SCHEME_DESCRIPTION = {
    "read": "An API key (`myk_...`, created at `POST /api/v1/api-keys`) with the `read` scope, sent as "
    "`Authorization: Bearer {key}`: every GET of the account's resources. A key without a scope an "
    "operation lists gets 403.",
    "predict": "An API key (`myk_...`, created at `POST /api/v1/api-keys`) with the `predict` scope, sent "
    "as `Authorization: Bearer {key}`: online and batch predictions, of the key's `model_ids` only when "
    "it lists some. A key without a scope an operation lists gets 403.",
}


def _handlers(routes: Iterable[Any]) -> Iterable[tuple[str, HTTPRouteHandler, str]]:
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                yield route.path_format, handler, method


def document_key_access(spec: OpenAPI, routes: Iterable[Any], token_scheme: str) -> None:
    """Declare a scheme per key scope and, on each operation a key may call, the scopes that reach
    it (a security requirement each, next to the access token's) and its 403."""
    components = spec.components
    components.security_schemes = {
        **(components.security_schemes or {}),
        **{
            name: SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="myk_ API key",
                description=_SCHEME_DESCRIPTION[scope],
            )
            for scope, name in SECURITY_SCHEMES.items()
        },
    }
    for path, handler, method in _handlers(routes):
        scopes = required_scopes(handler, method)
        item = (spec.paths or {}).get(path)
        operation = getattr(item, method.lower(), None) if item is not None else None
        if not scopes or operation is None or not path.startswith("/api/") or handler.security == []:
            continue
        operation.security = [{token_scheme: []}, *({SECURITY_SCHEMES[scope]: []} for scope in scopes)]
        responses = operation.responses or {}
        needed = " or ".join(f"`{scope}`" for scope in scopes)
        refusal = f"This API key lacks the {needed} scope this operation needs."
        responses.setdefault("403", problem_response_object(403, refusal))  # its own: fitted per path
        operation.responses = dict(sorted(responses.items()))


__all__ = [
    "API_KEY_PREFIX",
    "KEY_SCOPES",
    "KEY_SCOPES_ALL",
    "SECURITY_SCHEMES",
    "ApiKeyGrant",
    "ApiKeyVerifier",
    "KeyScope",
    "KeyUseRecorder",
    "api_key_guard",
    "document_key_access",
    "require_model_access",
    "required_scopes",
]
