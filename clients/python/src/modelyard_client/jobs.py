"""Job handles: training jobs, analyses and batch predictions as objects with `.wait()`,
`.events()` and `.cancel()`.

`events()` first asks for the job's Server-Sent Events stream (`<job url>/events`); while the
server has none (404/405) it polls the job's URL instead, and remembers that for the client.
Either way it yields a `JobEvent` whenever the status, progress, message or leaderboard changes.
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
from modelyard_client.errors import JobFailed, ModelyardError

J = TypeVar("J", bound=m.TrainingJob | m.Analysis | m.BatchPredictionJob)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
NO_STREAM = frozenset({404, 405, 406, 501})


@dataclass(frozen=True)
class JobEvent(Generic[J]):
    """One change of a job: `kind` says what changed, `job` is its state right after."""

    kind: Literal["status", "progress", "leaderboard"]
    job: J

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

    def _events_path(self) -> str:
        return self._get(self.state.id).path + "/events"

    def _decode_event(self, data: str) -> J | None:
        try:
            return msgspec.json.decode(data, type=type(self.state))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None

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
        updates = self._stream() if self._flags.get("sse", True) else None
        while True:
            current = self._next(updates, poll_interval, previous)
            for kind in _changes(previous, current):
                yield JobEvent(kind, current)
            previous = current
            if self.done:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(
                    f"{_kind_name(current)} {self.id} still {current.status} after {timeout} s"
                )

    def _next(self, updates: Iterator[J] | None, poll_interval: float, previous: J | None) -> J:
        if updates is not None:
            for state in updates:
                self.state = state
                return state
        if previous is not None:
            time.sleep(poll_interval)
        return self.refresh()

    def _stream(self) -> Iterator[J] | None:
        call: Call[None] = Call("GET", self._events_path(), headers={"Accept": "text/event-stream"})
        try:
            response = self._send.send(call, stream=True)
        except ModelyardError:
            return None
        if response.status_code in NO_STREAM or response.status_code >= 400:
            response.close()
            self._flags["sse"] = False
            return None
        return self._read_stream(response)

    def _read_stream(self, response: httpx.Response) -> Iterator[J]:
        try:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    yield self._decode_event(line[5:].strip()) or self.refresh()
        finally:
            response.close()

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
        updates = await self._stream() if self._flags.get("sse", True) else None
        while True:
            current = await self._next(updates, poll_interval, previous)
            for kind in _changes(previous, current):
                yield JobEvent(kind, current)
            previous = current
            if self.done:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(
                    f"{_kind_name(current)} {self.id} still {current.status} after {timeout} s"
                )

    async def _next(self, updates: AsyncIterator[J] | None, poll_interval: float, previous: J | None) -> J:
        if updates is not None:
            async for state in updates:
                self.state = state
                return state
        if previous is not None:
            await asyncio.sleep(poll_interval)
        return await self.refresh()

    async def _stream(self) -> AsyncIterator[J] | None:
        call: Call[None] = Call("GET", self._events_path(), headers={"Accept": "text/event-stream"})
        try:
            response = await self._send.send(call, stream=True)
        except ModelyardError:
            return None
        if response.status_code in NO_STREAM or response.status_code >= 400:
            await response.aclose()
            self._flags["sse"] = False
            return None
        return self._read_stream(response)

    async def _read_stream(self, response: httpx.Response) -> AsyncIterator[J]:
        try:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    yield self._decode_event(line[5:].strip()) or await self.refresh()
        finally:
            await response.aclose()

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
