"""The client's reading of an event stream: fields, comments, multi-line data, ids kept across
connections (what a reconnect sends as Last-Event-ID) and the server's reconnect delay."""

from __future__ import annotations

from modelyard_client._sse import ServerSentEvent, StreamCursor


def test_events_ids_and_retry_are_read() -> None:
    cursor = StreamCursor()
    lines = [
        "retry: 2000",
        ": job events",
        "",
        "id: 3",
        "event: status",
        'data: {"a":',
        "data:  1}",
        "",
        ": keep-alive",
        "",
        "id: 4",
        "data: x",
        "",
    ]
    assert list(cursor.read(lines)) == [
        ServerSentEvent("status", '{"a":\n 1}', "3"),
        ServerSentEvent("message", "x", "4"),
    ]
    assert cursor.retry_s == 2.0 and cursor.headers()["Last-Event-ID"] == "4"


def test_a_half_received_event_is_dropped_and_the_id_kept() -> None:
    cursor = StreamCursor()
    assert [e.id for e in cursor.read(["id: 7", "data: whole", "", "id: 8", "data: cut"])] == ["7"]
    assert cursor.last_id == "7"
    # The next connection starts clean: the cut event's data and id are not carried over.
    assert list(cursor.read(["data: next", ""])) == [ServerSentEvent("message", "next", "7")]


def test_reconnects_that_bring_nothing_give_up() -> None:
    cursor = StreamCursor()
    assert [cursor.reconnect() for _ in range(4)] == [True, True, True, False]
    list(cursor.read(["data: x", ""]))  # an event resets the count
    assert cursor.reconnect()


def test_a_first_connection_sends_no_last_event_id() -> None:
    assert StreamCursor().headers() == {"Accept": "text/event-stream"}
