"""Receiving a multipart upload as a stream: to a temporary file, never whole in memory.

Litestar's own multipart support buffers the whole body, so uploads use a push parser
over `request.stream()`. The file part goes to disk in chunks while its SHA-256 and size
are computed and its first bytes kept for sniffing; exceeding the size limit stops the
transfer with a 413 and removes what was written. The temporary file is the caller's to
delete (`ReceivedUpload.discard`).
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from litestar.exceptions import InternalServerException
from multipart import MultipartError, MultipartSegment, PushMultipartParser

from modelyard.lib.errors import (
    FieldError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from modelyard.lib.scratch import process_scratch

FILE_FIELD = "file"
TEXT_FIELDS = ("name", "description")
MAX_TEXT_FIELD_BYTES = 16 * 1024
MULTIPART_OVERHEAD = 64 * 1024
"""Bytes of multipart framing (boundaries, headers, text fields) allowed beyond the file size limit."""
WRITE_BUFFER = 1024 * 1024


@dataclass
class ReceivedUpload:
    path: Path
    filename: str | None
    size: int
    sha256: str
    head: bytes
    """The first `head_bytes` of the file, for sniffing."""
    fields: dict[str, str] = field(default_factory=dict)
    head_check: object = None
    """What `check_head` returned for the head, when it ran (the file is larger than the head)."""

    async def discard(self) -> None:
        await asyncio.to_thread(self.path.unlink, True)


def _boundary(content_type: str) -> str:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise UnsupportedMediaTypeError(
            "Send the file as multipart/form-data with a `file` field (and optional `name`, `description`)."
        )
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value.strip('"'):
            return value.strip('"')
    raise MalformedBodyError("The multipart Content-Type has no boundary.")


async def receive_upload(
    content_type: str,
    content_length: int | None,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    head_bytes: int,
    check_head: Callable[[bytes], Awaitable[object]] | None = None,
    scratch_root: Path,
) -> ReceivedUpload:
    """Read a multipart body; the `file` part lands in a temporary file in this process's scratch
    space under `scratch_root` (`lib.scratch`), which a restart cleans if the process is killed.

    `check_head` sees the first `head_bytes` of the file as soon as they arrive; an error it
    raises stops the transfer there (a file that is not tabular data is refused before the
    rest of it is sent). A file smaller than `head_bytes` is the caller's to check.
    """
    boundary = _boundary(content_type)
    too_large = _too_large(max_bytes)
    if content_length is not None and content_length > max_bytes + MULTIPART_OVERHEAD:
        raise too_large

    def create() -> IO[bytes]:
        directory = process_scratch(scratch_root)
        return tempfile.NamedTemporaryFile(prefix="upload-", dir=directory, delete=False)

    handle = await asyncio.to_thread(create)
    path = Path(handle.name)
    parts = _MultipartParts(
        handle, too_large, max_bytes=max_bytes, head_bytes=head_bytes, check_head=check_head
    )
    try:
        parser = PushMultipartParser(boundary, max_header_size=8192, max_segment_count=16)
        async for chunk in _checked(chunks):
            for event in parser.parse(chunk):
                await parts.feed(event)
        parser.close()
        await parts.finish()
    except BaseException as exc:
        handle.close()
        await asyncio.to_thread(path.unlink, True)
        if isinstance(exc, MultipartError):
            raise MalformedBodyError(
                f"The multipart body is malformed or was cut short ({exc}); nothing was stored."
            ) from None
        raise
    if not parts.seen_file:
        await asyncio.to_thread(path.unlink, True)
        raise ValidationFailedError(
            "The upload has no `file` part.", errors=[FieldError("a file is required", "body.file")]
        )
    return ReceivedUpload(
        path=path,
        filename=parts.filename,
        size=parts.size,
        sha256=parts.digest.hexdigest(),
        head=bytes(parts.head),
        fields=parts.fields,
        head_check=parts.head_check,
    )


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    limit_text = f"{max_bytes / 1024 / 1024:.0f} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    return PayloadTooLargeError(f"The upload is larger than the {limit_text} limit; nothing was stored.")


class _MultipartParts:
    """What a multipart body's parser events amount to: the `file` part written to `handle` (hashed,
    sized, its head kept and checked), the text fields collected."""

    def __init__(
        self,
        handle: IO[bytes],
        too_large: PayloadTooLargeError,
        *,
        max_bytes: int,
        head_bytes: int,
        check_head: Callable[[bytes], Awaitable[object]] | None,
    ) -> None:
        self.handle, self.too_large = handle, too_large
        self.max_bytes, self.head_bytes, self.check_head = max_bytes, head_bytes, check_head
        self.digest = hashlib.sha256()
        self.head = bytearray()
        self.pending = bytearray()
        self.size = 0
        self.filename: str | None = None
        self.seen_file = False
        self.fields: dict[str, str] = {}
        self.current: MultipartSegment | None = None
        self.text = bytearray()
        self.head_check: object = None

    async def feed(self, event: MultipartSegment | bytes | bytearray | None) -> None:
        """One parser event: a part starts (segment), continues (bytes) or ends (None)."""
        if isinstance(event, MultipartSegment):
            self._start(event)
        elif isinstance(event, bytes | bytearray) and self.current is not None:
            if self.current.name == FILE_FIELD:
                await self._file_bytes(event)
            elif self.current.name in TEXT_FIELDS:
                self._text_bytes(self.current, event)
        elif event is None and self.current is not None:
            if self.current.name in TEXT_FIELDS:
                self.fields[str(self.current.name)] = self.text.decode("utf-8", errors="replace")
            self.current = None

    async def finish(self) -> None:
        """Write what is still buffered and close the file."""
        if self.pending:
            await asyncio.to_thread(self.handle.write, bytes(self.pending))
        await asyncio.to_thread(self.handle.close)

    def _start(self, segment: MultipartSegment) -> None:
        self.current, self.text = segment, bytearray()
        if segment.name == FILE_FIELD:
            if self.seen_file:
                raise ValidationFailedError(
                    "Send exactly one file.",
                    errors=[FieldError("more than one file", "body.file")],
                )
            self.seen_file, self.filename = True, segment.filename

    async def _file_bytes(self, data: bytes | bytearray) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise self.too_large
        self.digest.update(data)
        if len(self.head) < self.head_bytes:
            self.head.extend(data[: self.head_bytes - len(self.head)])
            if self.check_head is not None and len(self.head) == self.head_bytes:
                self.head_check = await self.check_head(bytes(self.head))
        self.pending.extend(data)
        if len(self.pending) >= WRITE_BUFFER:
            await asyncio.to_thread(self.handle.write, bytes(self.pending))
            self.pending.clear()

    def _text_bytes(self, segment: MultipartSegment, data: bytes | bytearray) -> None:
        self.text.extend(data)
        if len(self.text) > MAX_TEXT_FIELD_BYTES:
            raise ValidationFailedError(
                f"The `{segment.name}` field is too long.",
                errors=[FieldError("too long", f"body.{segment.name}")],
            )


async def _checked(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body's chunks; a client that disconnects mid-body is a truncated upload."""
    try:
        async for chunk in chunks:
            if chunk:
                yield chunk
    except InternalServerException:
        raise MalformedBodyError(
            "The client disconnected before the upload finished; nothing was stored."
        ) from None
