"""Reading a job's Server-Sent Events stream: the event format, and where to resume after a drop.

The server sends each job change as an event whose `id` is the job's revision and whose `data`
is the job as its GET shows it. `StreamCursor` remembers the last id and the server's `retry`
hint across connections, so a dropped stream resumes with `Last-Event-ID` and gets only what
changed since; it gives up (the handle then polls) after a few reconnects that brought nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MEDIA_TYPE = "text/event-stream"
MAX_IDLE_RECONNECTS = 3
"""Reconnects in a row that bring no event before the handle falls back to polling."""
MAX_RECONNECT_DELAY_S = 5.0


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None


def _field(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value[1:] if value.startswith(" ") else value


@dataclass
class StreamCursor:
    """Where a job's stream stands across connections: the last event id, the reconnect delay."""

    last_id: str | None = None
    retry_s: float = 1.0
    idle_reconnects: int = 0
    _data: list[str] = field(default_factory=list)
    _event: str = "message"
    _id: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Accept": MEDIA_TYPE}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        return headers

    def start(self) -> None:
        """A new connection: a half-received event of the last one is dropped."""
        self._data, self._event, self._id = [], "message", self.last_id

    def read(self, lines: Iterable[str]) -> Iterator[ServerSentEvent]:
        """The events of one connection's lines (the WHATWG event-stream rules, minus BOMs)."""
        self.start()
        for line in lines:
            event = self.feed(line)
            if event is not None:
                yield event

    def feed(self, line: str) -> ServerSentEvent | None:
        """One line of the stream; the event it completes, if any."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, value = _field(line)
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self.retry_s = min(int(value) / 1000, MAX_RECONNECT_DELAY_S)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        self.last_id = self._id
        data, event = self._data, self._event
        self._data, self._event = [], "message"
        if not data:
            return None
        self.idle_reconnects = 0
        return ServerSentEvent(event, "\n".join(data), self.last_id)

    def reconnect(self) -> bool:
        """Count a connection that ended before the job did; False once the stream seems useless."""
        self.idle_reconnects += 1
        return self.idle_reconnects <= MAX_IDLE_RECONNECTS


__all__ = ["MEDIA_TYPE", "ServerSentEvent", "StreamCursor"]
