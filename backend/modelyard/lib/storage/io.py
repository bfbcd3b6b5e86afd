"""Moving objects to and from local files: downloads, chunked and ranged reads."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from modelyard.lib.storage.base import DEFAULT_READ_CHUNK, ObjectStore


async def opened(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` with its first chunk already read: an absent object or an unreachable store fails
    here, while an error response can still be sent, not after the 200 headers went out."""
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()


async def download(store: ObjectStore, key: str, path: Path) -> None:
    """Stream an object into a local file, chunk by chunk (file writes off the event loop)."""
    handle = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in store.stream(key):
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)


class RangeReader(io.RawIOBase):
    """A read-only, seekable file over a stored object, for use in a worker thread.

    Each read is one ranged GET run on the event loop `loop`, so a reader such as pyarrow
    fetches a Parquet footer and the row groups it needs, not the whole object.
    """

    def __init__(self, store: ObjectStore, key: str, size: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._store, self._key, self._size, self._loop = store, key, size, loop
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        pending = self._store.get_range(self._key, self._position, wanted)
        data = asyncio.run_coroutine_threadsafe(pending, self._loop).result()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


async def file_chunks(path: Path, size: int = DEFAULT_READ_CHUNK) -> AsyncIterator[bytes]:
    """Read a local file in chunks off the event loop, for `ObjectStore.put`."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk
    finally:
        handle.close()
