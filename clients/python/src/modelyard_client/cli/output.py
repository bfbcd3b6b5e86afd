"""Output: rich tables and bars on a terminal, plain lines otherwise, JSON with `--json`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

EXIT_OK, EXIT_USAGE, EXIT_API, EXIT_JOB = 0, 1, 2, 3


@dataclass
class Out:
    """How this invocation prints: `json` (machine-readable) and whether stdout is a terminal."""

    json: bool = False

    def __post_init__(self) -> None:
        self.console = Console()
        self.err = Console(stderr=True)

    @property
    def rich(self) -> bool:
        return not self.json and self.console.is_terminal

    @property
    def live(self) -> bool:
        """Bars and live tables: only when a person watches stderr and stdout is not captured."""
        return not self.json and self.console.is_terminal and self.err.is_terminal

    def emit(self, value: Any) -> None:
        """Machine-readable output of a command (`--json`)."""
        sys.stdout.write(msgspec.json.encode(value).decode() + "\n")

    def line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def info(self, text: str) -> None:
        """Status for people (stderr), so stdout stays clean for data."""
        if not self.json:
            self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def table(self, title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.rich:
            table = Table(title=title, show_lines=False)
            for header in headers:
                table.add_column(header)
            for row in rows:
                table.add_row(*("" if v is None else str(v) for v in row))
            self.console.print(table)
            return
        if title:
            self.line(title)
        self.line("\t".join(headers))
        for row in rows:
            self.line("\t".join("" if v is None else str(v) for v in row))

    @contextmanager
    def transfer(self, description: str) -> Iterator[Any]:
        """A bytes progress bar (bytes, rate, ETA); a callback `progress(sent, total)`."""
        if not self.live:
            state = {"sent": 0}

            def plain(sent: int, total: int | None) -> None:
                state["sent"] = sent

            yield plain
            self.info(f"{description}: {state['sent']} bytes sent")
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=None)

            def update(sent: int, total: int | None) -> None:
                bar.update(task, completed=sent, total=total)

            yield update


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def print_leakage(out: Out, findings: Sequence[Any]) -> None:
    """A training job's or model's leakage findings, one line each (nothing when there are none)."""
    if findings:
        out.table(
            "Leakage findings",
            ["kind", "column", "statistic", "value", "threshold"],
            [(f.kind, f.column or "-", f.statistic, number(f.value), f.threshold) for f in findings],
        )
