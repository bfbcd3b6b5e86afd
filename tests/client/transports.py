"""httpx transports for the client tests: real requests to the real server, recorded, and the two
ways a job's event stream can fail a client (absent, or cut off mid-way)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx

EVENTS = re.compile(r"/events$")
NO_STREAM = b'{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such route."}'


@dataclass
class Sent:
    method: str
    path: str
    last_event_id: str | None
    status: int


@dataclass
class Recorder:
    """What a client sent; `no_stream` answers every `/events` with 404 (a proxy that has no
    route for it); `cut_streams` cuts that many event streams after their first event."""

    no_stream: bool = False
    cut_streams: int = 0
    sent: list[Sent] = field(default_factory=list)

    def paths(self, method: str, pattern: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method and re.fullmatch(pattern, s.path)]

    def _intercept(self, request: httpx.Request) -> httpx.Response | None:
        if self.no_stream and EVENTS.search(request.url.path):
            self._note(request, 404)
            headers = {"Content-Type": "application/problem+json"}
            return httpx.Response(404, headers=headers, content=NO_STREAM, request=request)
        return None

    def _note(self, request: httpx.Request, status: int) -> None:
        last = request.headers.get("Last-Event-ID")
        self.sent.append(Sent(request.method, request.url.path, last, status))

    def _should_cut(self, request: httpx.Request, response: httpx.Response) -> bool:
        if self.cut_streams and EVENTS.search(request.url.path) and response.status_code == 200:
            self.cut_streams -= 1
            return True
        return False


def _has_event(received: bytes) -> bool:
    """Whether a whole event with data came in (the server ends lines with CRLF)."""
    return bool(re.search(rb"^data:.*?(\r\n\r\n|\n\n)", received, re.M | re.S))


class _CutSync(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        seen = b""
        for chunk in self.inner:
            yield chunk
            seen += chunk
            if _has_event(seen):
                raise httpx.ReadError("connection reset (cut by the test)")

    def close(self) -> None:
        self.inner.close()


class _CutAsync(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = b""
        async for chunk in self.inner:
            yield chunk
            seen += chunk
            if _has_event(seen):
                raise httpx.ReadError("connection reset (cut by the test)")

    async def aclose(self) -> None:
        await self.inner.aclose()


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if (answer := self.recorder._intercept(request)) is not None:
            return answer
        response = self.inner.handle_request(request)
        self.recorder._note(request, response.status_code)
        if self.recorder._should_cut(request, response):
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(
                response.status_code, headers=response.headers, stream=_CutSync(response.stream)
            )
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (answer := self.recorder._intercept(request)) is not None:
            return answer
        response = await self.inner.handle_async_request(request)
        self.recorder._note(request, response.status_code)
        if self.recorder._should_cut(request, response):
            assert isinstance(response.stream, httpx.AsyncByteStream)
            return httpx.Response(
                response.status_code, headers=response.headers, stream=_CutAsync(response.stream)
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
