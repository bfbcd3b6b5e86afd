"""Job handles: training jobs, analyses and batch predictions as objects with `.wait()`,
`.events()` and `.cancel()`.

`events()` follows the job's Server-Sent Events stream (`<job url>/events`): each event carries
the job as its GET shows it. A stream that drops is resumed with `Last-Event-ID` (only what
changed since comes back). When the server has no stream (404/405/406/501, or an answer that is
not an event stream) or reconnecting brings nothing, the handle polls the job's URL instead, and
the client remembers a missing stream. Either way it yields a `JobEvent` whenever the status,
progress, message or leaderboard changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import httpx
import msgspec

from modelyard_client import models as m
from modelyard_client._http import AsyncSender, Call, SyncSender
from modelyard_client._sse import MEDIA_TYPE, ServerSentEvent, StreamCursor
from modelyard_client.errors import JobFailed, ModelyardError

J = TypeVar("J", bound=m.TrainingJob | m.Analysis | m.BatchPredictionJob)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
NO_STREAM = frozenset({404, 405, 406, 501})
# A stream that breaks off mid-way: reconnect with Last-Event-ID.
DROPPED = (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout)


@dataclass(frozen=True)
class JobEvent(Generic[J]):
    """One change of a job: `kind` says what changed, `job` is its state right after.

    `event_id` is the job's revision when the change came over the event stream (None when it
    was polled): the `Last-Event-ID` a reconnect sends."""

    kind: Literal["status", "progress", "leaderboard"]
    job: J
    event_id: str | None = None

    @property
    def progress(self) -> float:
        return float(self.job.progress)

    @property
    def status(self) -> str:
        return str(self.job.status)


def _changes(before: Any, after: Any) -> list[Literal["status", "progress", "leaderboard"]]:
    kinds: list[Literal["status", "progress", "leaderboard"]] = []
    if before is None or before.status != after.status:
        kinds.append("status")
    candidates = getattr(after, "candidates", None)
    if candidates is not None and (before is None or len(before.candidates) != len(candidates)):
        kinds.append("leaderboard")
    if before is None or (before.progress, before.message) != (after.progress, after.message):
        kinds.append("progress")
    return kinds[:1] if kinds and kinds[0] == "status" and after.status in TERMINAL else kinds


def _kind_name(job: Any) -> str:
    if isinstance(job, m.TrainingJob):
        return "training job"
    return "analysis" if isinstance(job, m.Analysis) else "batch prediction"


class _Base(Generic[J]):
    def __init__(
        self,
        state: J,
        get: Callable[[str], Call[J]],
        cancel: Callable[[str], Call[Any]] | None,
        flags: dict[str, bool],
    ) -> None:
        self.state = state
        self._get = get
        self._cancel = cancel
        self._flags = flags  # shared per client: {"sse": False} once the server said it has no stream

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def done(self) -> bool:
        return self.state.status in TERMINAL

    def _finish(self, raise_on_failure: bool) -> J:
        if raise_on_failure and self.state.status in ("failed", "cancelled"):
            raise JobFailed(_kind_name(self.state), self.state.id, self.state.status, self.state.error)
        return self.state

    def _stream_call(self, cursor: StreamCursor) -> Call[None]:
        return Call("GET", self._get(self.state.id).path + "/events", headers=cursor.headers())

    def _is_stream(self, response: httpx.Response) -> bool:
        """Whether `response` is the job's event stream; remembers a server that has none."""
        if response.status_code in NO_STREAM:
            self._flags["sse"] = False
        content_type = response.headers.get("Content-Type", "")
        return response.status_code == 200 and content_type.startswith(MEDIA_TYPE)

    def _apply(self, event: ServerSentEvent) -> J | None:
        """The job an event carries (now the handle's state); None for an event without one."""
        if event.event == "deleted":
            return None
        try:
            self.state = msgspec.json.decode(event.data, type=type(self.state))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        return self.state

    def _check_deadline(self, deadline: float | None, timeout: float | None) -> None:
        if not self.done and deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(
                f"{_kind_name(self.state)} {self.id} still {self.state.status} after {timeout} s"
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {_kind_name(self.state)} {self.id} {self.state.status}>"


class Job(_Base[J]):
    """A job on a synchronous `Client`."""

    def __init__(
        self,
        send: SyncSender,
        state: J,
        get: Callable[[str], Call[J]],
        cancel: Callable[[str], Call[Any]] | None,
        flags: dict[str, bool],
    ) -> None:
        super().__init__(state, get, cancel, flags)
        self._send = send

    def refresh(self) -> J:
        self.state = self._send(self._get(self.id))
        return self.state

    def cancel(self) -> J:
        """Ask the server to stop the job (it ends `cancelled`, keeping what it has)."""
        if self._cancel is None:
            raise ModelyardError(f"a {_kind_name(self.state)} cannot be cancelled")
        self.state = self._send(self._cancel(self.id))
        return self.state

    def events(self, *, poll_interval: float = 0.5, timeout: float | None = None) -> Iterator[JobEvent[J]]:
        """Yield every change until the job ends (or `timeout` seconds pass: TimeoutError)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        previous: J | None = None
        for current, event_id in self._updates(poll_interval, deadline, timeout):
            for kind in _changes(previous, current):
                yield JobEvent(kind, current, event_id)
            previous = current

    def _updates(
        self, poll_interval: float, deadline: float | None, timeout: float | None
    ) -> Iterator[tuple[J, str | None]]:
        if self._flags.get("sse", True):
            yield from self._streamed(deadline, timeout)
            if self.done:
                return
        while True:  # no stream: poll
            yield self.refresh(), None
            if self.done:
                return
            self._check_deadline(deadline, timeout)
            time.sleep(poll_interval)

    def _streamed(self, deadline: float | None, timeout: float | None) -> Iterator[tuple[J, str | None]]:
        """The job's states from its event stream, across reconnects; returns when the job ended
        or the stream is not to be had (the caller polls then)."""
        cursor = StreamCursor()
        while True:
            try:
                response = self._send.send(self._stream_call(cursor), stream=True)
            except ModelyardError:
                return
            try:
                if response.status_code == 204:  # finished, and we have its final event
                    yield self.refresh(), cursor.last_id
                    return
                if not self._is_stream(response):
                    return
                for event in cursor.read(response.iter_lines()):
                    state = self._apply(event)
                    if state is None:  # deleted meanwhile: the GET says so (NotFound)
                        self.refresh()
                        continue
                    yield state, event.id
                    if self.done:
                        return
                    self._check_deadline(deadline, timeout)
            except DROPPED:
                pass
            finally:
                response.close()
            if not cursor.reconnect():
                return
            self._check_deadline(deadline, timeout)
            time.sleep(cursor.retry_s)

    def wait(
        self,
        *,
        timeout: float | None = None,
        poll_interval: float = 0.5,
        on_event: Callable[[JobEvent[J]], None] | None = None,
        raise_on_failure: bool = True,
    ) -> J:
        """Block until the job ends; its final state, or `JobFailed` when it failed or was cancelled."""
        for event in self.events(poll_interval=poll_interval, timeout=timeout):
            if on_event is not None:
                on_event(event)
        return self._finish(raise_on_failure)


class AsyncJob(_Base[J]):
    """A job on an `AsyncClient`."""

    def __init__(
        self,
        send: AsyncSender,
        state: J,
        get: Callable[[str], Call[J]],
        cancel: Callable[[str], Call[Any]] | None,
        flags: dict[str, bool],
    ) -> None:
        super().__init__(state, get, cancel, flags)
        self._send = send

    async def refresh(self) -> J:
        self.state = await self._send(self._get(self.id))
        return self.state

    async def cancel(self) -> J:
        if self._cancel is None:
            raise ModelyardError(f"a {_kind_name(self.state)} cannot be cancelled")
        self.state = await self._send(self._cancel(self.id))
        return self.state

    async def events(
        self, *, poll_interval: float = 0.5, timeout: float | None = None
    ) -> AsyncIterator[JobEvent[J]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        previous: J | None = None
        async for current, event_id in self._updates(poll_interval, deadline, timeout):
            for kind in _changes(previous, current):
                yield JobEvent(kind, current, event_id)
            previous = current

    async def _updates(
        self, poll_interval: float, deadline: float | None, timeout: float | None
    ) -> AsyncIterator[tuple[J, str | None]]:
        if self._flags.get("sse", True):
            async for update in self._streamed(deadline, timeout):
                yield update
            if self.done:
                return
        while True:
            yield await self.refresh(), None
            if self.done:
                return
            self._check_deadline(deadline, timeout)
            await asyncio.sleep(poll_interval)

    async def _streamed(
        self, deadline: float | None, timeout: float | None
    ) -> AsyncIterator[tuple[J, str | None]]:
        cursor = StreamCursor()
        while True:
            try:
                response = await self._send.send(self._stream_call(cursor), stream=True)
            except ModelyardError:
                return
            try:
                if response.status_code == 204:
                    yield await self.refresh(), cursor.last_id
                    return
                if not self._is_stream(response):
                    return
                async for event in _aread(cursor, response):
                    state = self._apply(event)
                    if state is None:
                        await self.refresh()
                        continue
                    yield state, event.id
                    if self.done:
                        return
                    self._check_deadline(deadline, timeout)
            except DROPPED:
                pass
            finally:
                await response.aclose()
            if not cursor.reconnect():
                return
            self._check_deadline(deadline, timeout)
            await asyncio.sleep(cursor.retry_s)

    async def wait(
        self,
        *,
        timeout: float | None = None,
        poll_interval: float = 0.5,
        on_event: Callable[[JobEvent[J]], None] | None = None,
        raise_on_failure: bool = True,
    ) -> J:
        async for event in self.events(poll_interval=poll_interval, timeout=timeout):
            if on_event is not None:
                on_event(event)
        return self._finish(raise_on_failure)


async def _aread(cursor: StreamCursor, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    cursor.start()
    async for line in response.aiter_lines():
        event = cursor.feed(line)
        if event is not None:
            yield event
