"""A complete `Allow` header on OPTIONS responses.

Litestar builds the automatic OPTIONS handler of a path from the first controller that declares
the path, so a path whose methods come from several controllers (GET and PATCH here, DELETE in a
workflow) answered OPTIONS with only some of them. This wrapper rewrites the header from the
app's merged routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def allowed_methods(routes: Iterable[Any]) -> dict[str, str]:
    """Route template (`path_format`) -> the `Allow` value of every method the app serves there."""
    return {
        route.path_format: ", ".join(sorted(route.methods))
        for route in routes
        if getattr(route, "methods", None) and "OPTIONS" in route.methods
    }


class CompleteAllowHeader:
    """ASGI wrapper (outside Litestar's router) for OPTIONS requests only."""

    def __init__(self, app: ASGIApp, allowed: dict[str, str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            allow = self.allowed.get(scope.get("path_template") or "")
            if message["type"] == "http.response.start" and allow is not None:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_allow)
