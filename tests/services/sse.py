"""Read a Server-Sent Events stream the way a browser's EventSource does (for the /events tests)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    event: str
    data: str
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class _Block:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


def events(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a stream's lines (comments and blocks without data are skipped)."""
    block = _Block()
    retry: int | None = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if "data" in block.fields:
                ids = block.fields.get("id")
                yield Event(
                    event=(block.fields.get("event") or ["message"])[-1],
                    data="\n".join(block.fields["data"]),
                    id=ids[-1] if ids else None,
                    retry=retry,
                )
            block = _Block()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "retry" and value.isdigit():
            retry = int(value)
        elif name in ("id", "event", "data"):
            block.add(name, value)
