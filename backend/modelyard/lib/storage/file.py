"""The filesystem object store: the embedded default (`file://DIR`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from modelyard.lib.storage.base import (
    DEFAULT_READ_CHUNK,
    ObjectNotFoundError,
    StorageError,
    bytes_once,
    check_key,
)


class FileObjectStore:
    """Objects as files under a root directory (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        # Write beside the target and rename, so readers never see a partial object.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        handle = await asyncio.to_thread(tmp.open, "wb")
        written = 0
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                written += len(chunk)
            await asyncio.to_thread(handle.flush)
            handle.close()
            await asyncio.to_thread(os.replace, tmp, path)
        except BaseException:
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        return written

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self.put(key, bytes_once(data))

    async def stream(self, key: str, chunk_size: int = DEFAULT_READ_CHUNK) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            handle.close()

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None

    async def get_range(self, key: str, start: int, length: int) -> bytes:
        def read() -> bytes:
            with self._path(key).open("rb") as handle:
                handle.seek(start)
                return handle.read(length)

        try:
            return await asyncio.to_thread(read)
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(path.unlink)

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`, and the partial writes (`.part`) a crash left there."""
        keys = await asyncio.to_thread(self._walk, prefix, True)
        for key in keys:
            await self.delete(key)
        return len(keys)

    def _walk(self, prefix: str, partial: bool) -> list[str]:
        if not self.root.exists():
            return []
        found = []
        for path in self.root.rglob("*"):
            if path.is_file() and (partial or not path.name.endswith(".part")):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)

    async def list(self, prefix: str = "") -> list[str]:
        return await asyncio.to_thread(self._walk, prefix, False)

    async def remove_stale_partial(self, older_than_s: float) -> int:
        """Remove partial writes (`.part`) untouched for `older_than_s`: what killed writers left."""

        def sweep() -> int:
            cutoff = time.time() - older_than_s
            removed = 0
            for path in self.root.rglob("*.part") if self.root.exists() else ():
                with contextlib.suppress(FileNotFoundError):
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    async def ping(self) -> None:
        def probe() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StorageError(f"object store directory {self.root} is not writable")

        try:
            await asyncio.to_thread(probe)
        except OSError as exc:
            raise StorageError(f"object store directory {self.root} is unusable: {exc}") from exc

    async def close(self) -> None:
        return None
