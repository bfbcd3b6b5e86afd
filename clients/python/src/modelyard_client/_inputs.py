"""Inputs the client accepts in several shapes: files (path or file object, with progress) and
records (a list of dicts, a pandas or a polars DataFrame; pandas and polars are imported lazily).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

Progress = Callable[[int, int | None], None]
"""Called as `progress(bytes_sent, total_bytes)` while an upload streams (total None: unknown)."""

FileInput = str | os.PathLike[str] | IO[bytes]

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".jsonl": "application/jsonl",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ProgressReader(io.RawIOBase):
    """A binary file wrapper that reports how many bytes were read (httpx streams it in chunks)."""

    def __init__(self, raw: IO[bytes], total: int | None, progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._start = raw.tell() if raw.seekable() else 0
        self.total = total
        self.sent = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def tell(self) -> int:
        return self._raw.tell() - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            offset += self._start
        return self._raw.seek(offset, whence) - self._start

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if chunk:
            self.sent += len(chunk)
            if self._progress is not None:
                self._progress(self.sent, self.total)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _size(raw: IO[bytes]) -> int | None:
    try:
        if raw.seekable():
            here = raw.tell()
            end = raw.seek(0, io.SEEK_END)
            raw.seek(here)
            return end - here
    except (OSError, ValueError):
        pass
    return None


class Upload:
    """One file to send as multipart field `file`; each `files()` call restarts it (for retries)."""

    def __init__(
        self, source: FileInput, progress: Progress | None = None, filename: str | None = None
    ) -> None:
        self._path = Path(source) if isinstance(source, str | os.PathLike) else None
        self._stream = None if self._path is not None else source
        if self._path is not None and not self._path.is_file():
            raise FileNotFoundError(f"no such file: {self._path}")
        default = self._path.name if self._path else str(getattr(source, "name", "upload"))
        self.filename = filename or Path(default).name
        self.content_type = CONTENT_TYPES.get(Path(self.filename).suffix.lower(), "application/octet-stream")
        self._progress = progress
        self._opened: IO[bytes] | None = None
        self._start: int | None = None

    def files(self, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.close()
        if self._path is not None:
            raw: IO[bytes] = self._path.open("rb")
            self._opened = raw
        else:
            assert self._stream is not None and not isinstance(self._stream, str | os.PathLike)
            raw = self._stream
            if self._start is None:
                self._start = raw.tell() if raw.seekable() else 0
            elif raw.seekable():
                raw.seek(self._start)
        reader = ProgressReader(raw, _size(raw), self._progress)
        files: dict[str, Any] = {"file": (self.filename, reader, self.content_type)}
        for key, value in (extra or {}).items():
            files[key] = (None, value)
        return files

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None


def to_records(data: Any) -> list[dict[str, Any]]:
    """A list of dicts from a list of dicts, a pandas DataFrame or a polars DataFrame.

    NaN and None become null (the API's "missing"); pandas/polars are only imported when given.
    """
    module = type(data).__module__.split(".", 1)[0]
    if module == "pandas":
        rows: list[dict[str, Any]] = data.to_dict(orient="records")
    elif module == "polars":
        rows = data.to_dicts()
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        rows = [dict(row) for row in data]
    else:
        raise TypeError(f"records must be a list of dicts or a pandas/polars DataFrame, not {type(data)!r}")
    return [{k: _json_value(v) for k, v in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_value(value.item())
    if value is not None and type(value).__name__ in ("NaTType", "NAType"):
        return None
    return value


def chunks(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]
