"""Server-Sent Events of a job: its status, progress and live fields as they change, then a final event.

One stream implementation for every kind of job. The stream reads the job's document every
`poll_interval` seconds (a job's progress reaches the database at the runner's pace, so a
change feed would add nothing) and sends an event whenever the document's `revision` grew:
the job runner bumps it with every change a client can see, so event ids are the revisions,
monotonic per job and the same whichever server process answers. A client that reconnects
with `Last-Event-ID: N` gets only what changed after revision N (a state it missed is sent
once, as it is now). The stream ends after the final event, when the job is deleted, or after
`max_duration` seconds (then the client reconnects with its last id).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Response
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIResponse, Operation, PathItem
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_204_NO_CONTENT

from modelyard.lib.errors import FieldError, NotFoundError, ValidationFailedError, unavailable_dependency
from modelyard.lib.schema import FINAL_STATUSES

EVENT_TYPES = ("status", "progress", "leaderboard", "final", "deleted")
KEEPALIVE_SECONDS = 15.0
RECONNECT_MS = 2000
"""The `retry` hint: how long an EventSource waits before it reconnects."""

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        max_length=20,
        description="Resume: the `id` of the last event you received (EventSource sends it when it "
        "reconnects). Only changes after it are sent; when the job is final and you have its final "
        "event, the answer is 204 (an EventSource then stops reconnecting).",
    ),
]


NOTHING_NEWER = ResponseSpec(
    None,
    description="The job is finished and `Last-Event-ID` is its final event: nothing more will come "
    "(an EventSource stops reconnecting on a 204).",
    generate_examples=False,
)
STREAM_DESCRIPTION = """

The answer is `text/event-stream` (Server-Sent Events). Each event's `data` is the job as its
`GET` shows it and its `id` the job's revision. Event types: `status` first (the job as it is
now), then `progress` (progress or message changed), `leaderboard` (training: the candidates
changed, usually with the progress), and `final` when the job succeeded, failed or was
cancelled (the stream then ends); `deleted` if the job is deleted meanwhile. Comments
(`: keep-alive`) keep idle connections open.

The server reads the job every `MODELYARD_EVENTS_POLL_INTERVAL_S` seconds (1 by default) and
ends a stream after `MODELYARD_EVENTS_MAX_STREAM_S` (600): reconnect with `Last-Event-ID` (an
EventSource does it by itself) to get only what changed since."""
"""Appended to the description of every job's `/events` operation."""


@dataclass(frozen=True)
class JobSnapshot:
    """A job as one read saw it: its revision, status, API shape and live fields."""

    revision: int
    status: str
    body: Any
    """The job as `GET` shows it (a Struct): each event's data."""
    live: Any = None
    """What a `leaderboard` event reports a change of (a training job's candidates)."""

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


JobReader = Callable[[], Awaitable[JobSnapshot | None]]
"""Reads the job again; None once it is gone."""

D = TypeVar("D")


def parse_last_event_id(raw: str | None) -> int | None:
    """The revision a client has seen, from `Last-Event-ID` (422 when it is not one of ours)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not text.isdigit():
        message = "Not an event id of this stream; send back the `id` of the last event unchanged."
        raise ValidationFailedError(message, errors=[FieldError(message, "header.Last-Event-ID")])
    return int(text)


def poll_headers(status: str, retry_after_s: int) -> dict[str, str]:
    """`Retry-After` on a job's GET while it is queued or running: when to poll again."""
    return {} if status in FINAL_STATUSES else {"Retry-After": str(retry_after_s)}


def _kind(previous: JobSnapshot | None, current: JobSnapshot) -> str:
    """`status` first (the job as it is when the stream starts or resumes), then what changed."""
    if current.final:
        return "final"
    if previous is None or previous.status != current.status:
        return "status"
    if current.live != previous.live:
        return "leaderboard"
    return "progress"


def _message(previous: JobSnapshot | None, current: JobSnapshot) -> ServerSentEventMessage:
    data = msgspec.json.encode(current.body).decode()
    return ServerSentEventMessage(data=data, event=_kind(previous, current), id=current.revision)


async def _events(
    first: JobSnapshot,
    read: JobReader,
    seen: int | None,
    poll_interval: float,
    max_duration: float,
) -> AsyncIterator[ServerSentEventMessage]:
    started = last_sent = time.monotonic()
    previous: JobSnapshot | None = None
    current: JobSnapshot | None = first
    yield ServerSentEventMessage(data=None, retry=RECONNECT_MS, comment="job events")
    while True:
        if current is None:  # the job was deleted meanwhile
            gone = msgspec.json.encode({"id": getattr(first.body, "id", None)}).decode()
            yield ServerSentEventMessage(data=gone, event="deleted")
            return
        if seen is None or current.revision > seen:
            yield _message(previous, current)
            seen, previous, last_sent = current.revision, current, time.monotonic()
            if current.final:
                return
        elapsed = time.monotonic() - started
        if elapsed >= max_duration:
            yield ServerSentEventMessage(data=None, comment="stream time limit; reconnect with Last-Event-ID")
            return
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            yield ServerSentEventMessage(data=None, comment="keep-alive")
            last_sent = time.monotonic()
        await asyncio.sleep(min(poll_interval, max(0.0, max_duration - elapsed)))
        try:
            current = await read()
        except Exception as exc:
            if unavailable_dependency(exc) is None:
                raise
            continue  # the database is down: nothing new to tell; `current` stays, read again


async def job_events_response(
    load: Callable[[], Awaitable[D]],
    snapshot: Callable[[D], JobSnapshot],
    *,
    last_event_id: str | None,
    poll_interval: float,
    max_duration: float,
) -> Response[Any]:
    """The answer of a job's `/events`: 404 for a job that is not the caller's (from `load`), 204
    when a finished job has nothing newer than `Last-Event-ID`, else the stream."""
    seen = parse_last_event_id(last_event_id)
    first = snapshot(await load())

    async def read() -> JobSnapshot | None:
        try:
            return snapshot(await load())
        except NotFoundError:
            return None

    if first.final and seen is not None and seen >= first.revision:
        return Response(None, status_code=HTTP_204_NO_CONTENT)
    stream = _events(first, read, seen, poll_interval, max(poll_interval, max_duration))
    return ServerSentEvent(stream, headers={"Cache-Control": "no-store"})


MEDIA_TYPE = "text/event-stream"
_EVENT_EXAMPLE = {
    "id": "12",
    "event": "final",
    "data": '{"id": "665f1c2a9b1e8a3d4c5b6a79", "status": "succeeded", "progress": 1.0, "...": "..."}',
}


def _event_schema() -> OpenAPISchema:
    """One event of the stream (OpenAPI before 3.2 documents a stream by its items)."""
    return OpenAPISchema(
        type=OpenAPIType.OBJECT,
        required=["event", "data"],
        description="One Server-Sent Event: the `id:`, `event:` and `data:` lines of a block.",
        properties={
            "event": OpenAPISchema(
                type=OpenAPIType.STRING, enum=list(EVENT_TYPES), description="What changed (see above)."
            ),
            "data": OpenAPISchema(
                type=OpenAPIType.STRING,
                content_media_type="application/json",
                description='The job as its `GET` shows it; `{"id": ...}` for `deleted`.',
            ),
            "id": OpenAPISchema(
                type=OpenAPIType.STRING,
                pattern=r"^[0-9]+$",
                description="The job's revision: send it back as `Last-Event-ID` to resume.",
            ),
            "retry": OpenAPISchema(
                type=OpenAPIType.INTEGER, minimum=0, description="Reconnection delay, in milliseconds."
            ),
        },
        examples=[_EVENT_EXAMPLE],
    )


def document_event_streams(spec: OpenAPI) -> None:
    """Litestar leaves a stream's schema empty: describe its events (OpenAPI 3.1 and Schemathesis
    read the `schema` of `text/event-stream` as the schema of each event)."""
    for item in (spec.paths or {}).values():
        operation = item.get if isinstance(item, PathItem) else None
        if not isinstance(operation, Operation):
            continue
        response = (operation.responses or {}).get("200")
        content = response.content if isinstance(response, OpenAPIResponse) else None
        if content and MEDIA_TYPE in content:
            content[MEDIA_TYPE].schema = _event_schema()


__all__ = [
    "EVENT_TYPES",
    "NOTHING_NEWER",
    "STREAM_DESCRIPTION",
    "JobReader",
    "JobSnapshot",
    "LastEventId",
    "document_event_streams",
    "job_events_response",
    "parse_last_event_id",
    "poll_headers",
]
