"""The request pipeline shared by `Client` and `AsyncClient`: one `Call` per API operation,
auth headers, idempotency keys, retries on 429/503 honouring `Retry-After`, and decoding.

An operation is described once as a `Call` (pure data); the sync and async clients only differ
in how they send it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from modelyard_client import __version__
from modelyard_client.errors import TransportError, error_for, parse_retry_after

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass
class Call(Generic[T]):
    """One API request and the type its success body decodes to (`None`: no body wanted)."""

    method: str
    path: str
    result: type[T] | None = None
    params: Mapping[str, Any] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    # Returns fresh multipart `files` for each attempt (a stream cannot be sent twice).
    files: Callable[[], Mapping[str, Any]] | None = None
    # Creates send an Idempotency-Key, so retrying them is safe.
    idempotent_create: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.idempotent_create and "Idempotency-Key" not in self.headers:
            self.headers["Idempotency-Key"] = uuid.uuid4().hex

    @property
    def retryable(self) -> bool:
        return self.method in IDEMPOTENT_METHODS or self.idempotent_create

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        params = {k: v for k, v in (self.params or {}).items() if v is not None}
        content = None
        if self.json is not None:
            content = msgspec.json.encode(self.json)
            self.headers.setdefault("Content-Type", "application/json")
        return http.build_request(
            self.method,
            self.path,
            params=params,
            content=content,
            data=dict(self.form) if self.form else None,
            files=self.files() if self.files else None,
            headers=self.headers,
        )


@dataclass
class RetryPolicy:
    """Retries on 429/503 (after `Retry-After` when given) and, for safe calls, on network errors."""

    max_retries: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        return float(min(self.backoff * 2**attempt + random.uniform(0, self.backoff), self.max_wait))  # noqa: S311


def auth_headers(token: str | None) -> dict[str, str]:
    headers = {"User-Agent": f"modelyard-client/{__version__}", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def decode(call: Call[T], response: httpx.Response) -> T:
    """The success body as `call.result`, or the typed exception for an error status."""
    if response.status_code >= 400:
        raise error_for(
            response.status_code,
            response.content,
            response.headers.get("Retry-After"),
            response.reason_phrase,
        )
    if call.result is None:
        return None  # type: ignore[return-value]
    return msgspec.json.decode(response.content, type=call.result)


def _should_retry(call: Call[Any], response: httpx.Response, attempt: int, policy: RetryPolicy) -> bool:
    return response.status_code in RETRY_STATUSES and attempt < policy.max_retries and call.retryable


class SyncSender:
    """Sends calls over an `httpx.Client`, retrying as the policy says."""

    def __init__(self, http: httpx.Client, policy: RetryPolicy) -> None:
        self.http = http
        self.policy = policy

    def send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.http.send(call.build(self.http), stream=stream)
            except httpx.TransportError as exc:
                if not call.retryable or attempt >= self.policy.max_retries:
                    raise TransportError(f"{call.method} {call.path}: {exc}") from exc
                time.sleep(self.policy.delay(attempt, None))
                attempt += 1
                continue
            if not _should_retry(call, response, attempt, self.policy):
                return response
            response.close()
            time.sleep(self.policy.delay(attempt, parse_retry_after(response.headers.get("Retry-After"))))
            attempt += 1

    def __call__(self, call: Call[T]) -> T:
        return decode(call, self.send(call))


class AsyncSender:
    """Sends calls over an `httpx.AsyncClient`, retrying as the policy says."""

    def __init__(self, http: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self.http = http
        self.policy = policy

    async def send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.http.send(call.build(self.http), stream=stream)
            except httpx.TransportError as exc:
                if not call.retryable or attempt >= self.policy.max_retries:
                    raise TransportError(f"{call.method} {call.path}: {exc}") from exc
                await asyncio.sleep(self.policy.delay(attempt, None))
                attempt += 1
                continue
            if not _should_retry(call, response, attempt, self.policy):
                return response
            await response.aclose()
            await asyncio.sleep(
                self.policy.delay(attempt, parse_retry_after(response.headers.get("Retry-After")))
            )
            attempt += 1

    async def __call__(self, call: Call[T]) -> T:
        return decode(call, await self.send(call))
