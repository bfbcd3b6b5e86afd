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
    BadRequestError,
    FieldError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)

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
    raise BadRequestError("The multipart Content-Type has no boundary.")


async def receive_upload(
    content_type: str,
    content_length: int | None,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    head_bytes: int,
    check_head: Callable[[bytes], Awaitable[object]] | None = None,
    temp_dir: Path | None = None,
) -> ReceivedUpload:
    """Read a multipart body; the `file` part lands in a temporary file.

    `check_head` sees the first `head_bytes` of the file as soon as they arrive; an error it
    raises stops the transfer there (a file that is not tabular data is refused before the
    rest of it is sent). A file smaller than `head_bytes` is the caller's to check.
    """
    boundary = _boundary(content_type)
    limit_text = f"{max_bytes / 1024 / 1024:.0f} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    too_large = PayloadTooLargeError(f"The upload is larger than the {limit_text} limit; nothing was stored.")
    if content_length is not None and content_length > max_bytes + MULTIPART_OVERHEAD:
        raise too_large
    handle: IO[bytes] = await asyncio.to_thread(
        tempfile.NamedTemporaryFile, prefix="modelyard-upload-", dir=temp_dir, delete=False
    )
    path = Path(handle.name)
    digest = hashlib.sha256()
    head = bytearray()
    pending = bytearray()
    size = 0
    filename: str | None = None
    seen_file = False
    fields: dict[str, str] = {}
    current: MultipartSegment | None = None
    text = bytearray()
    head_check: object = None
    try:
        parser = PushMultipartParser(boundary, max_header_size=8192, max_segment_count=16)
        async for chunk in _checked(chunks):
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    current, text = event, bytearray()
                    if event.name == FILE_FIELD:
                        if seen_file:
                            raise ValidationFailedError(
                                "Send exactly one file.",
                                errors=[FieldError("more than one file", "body.file")],
                            )
                        seen_file, filename = True, event.filename
                elif isinstance(event, bytes | bytearray) and current is not None:
                    if current.name == FILE_FIELD:
                        size += len(event)
                        if size > max_bytes:
                            raise too_large
                        digest.update(event)
                        if len(head) < head_bytes:
                            head.extend(event[: head_bytes - len(head)])
                            if check_head is not None and len(head) == head_bytes:
                                head_check = await check_head(bytes(head))
                        pending.extend(event)
                        if len(pending) >= WRITE_BUFFER:
                            await asyncio.to_thread(handle.write, bytes(pending))
                            pending.clear()
                    elif current.name in TEXT_FIELDS:
                        text.extend(event)
                        if len(text) > MAX_TEXT_FIELD_BYTES:
                            raise ValidationFailedError(
                                f"The `{current.name}` field is too long.",
                                errors=[FieldError("too long", f"body.{current.name}")],
                            )
                elif event is None and current is not None:
                    if current.name in TEXT_FIELDS:
                        fields[str(current.name)] = text.decode("utf-8", errors="replace")
                    current = None
        parser.close()
        if pending:
            await asyncio.to_thread(handle.write, bytes(pending))
        await asyncio.to_thread(handle.close)
    except BaseException as exc:
        handle.close()
        await asyncio.to_thread(path.unlink, True)
        if isinstance(exc, MultipartError):
            raise BadRequestError(
                f"The multipart body is malformed or was cut short ({exc}); nothing was stored."
            ) from None
        raise
    if not seen_file:
        await asyncio.to_thread(path.unlink, True)
        raise ValidationFailedError(
            "The upload has no `file` part.", errors=[FieldError("a file is required", "body.file")]
        )
    return ReceivedUpload(
        path=path,
        filename=filename,
        size=size,
        sha256=digest.hexdigest(),
        head=bytes(head),
        fields=fields,
        head_check=head_check,
    )


async def _checked(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body's chunks; a client that disconnects mid-body is a truncated upload."""
    try:
        async for chunk in chunks:
            if chunk:
                yield chunk
    except InternalServerException:
        raise BadRequestError(
            "The client disconnected before the upload finished; nothing was stored."
        ) from None
