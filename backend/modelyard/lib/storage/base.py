"""The object-store interface every backend provides, its errors and key rules."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Protocol

from modelyard.lib.errors import ServiceUnavailableError

DEFAULT_READ_CHUNK = 1024 * 1024


class StorageError(Exception):
    """The object store failed or is misconfigured."""


class ObjectNotFoundError(StorageError, KeyError):
    """No object exists under that key."""


@contextlib.contextmanager
def storage_unavailable_while_deleting(what: str) -> Iterator[None]:
    """Report an object store failure during a deletion as a 503 that says how to finish it.

    Deletions remove objects before the documents that point at them, so after such a
    failure everything stored is still reachable and the same request, repeated, finishes.
    """
    try:
        yield
    except (StorageError, OSError) as exc:
        raise ServiceUnavailableError(
            f"The object store failed while deleting {what}; nothing was left unreachable. "
            "Repeat the request to finish the deletion."
        ) from exc


class ObjectStore(Protocol):
    """What every backend provides."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store the chunks under `key` (replacing any object there); return the size written."""
        ...

    async def put_bytes(self, key: str, data: bytes) -> None: ...

    def stream(self, key: str, chunk_size: int = DEFAULT_READ_CHUNK) -> AsyncIterator[bytes]:
        """Yield the object's bytes in chunks; raises ObjectNotFoundError on the first step if absent."""
        ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def get_range(self, key: str, start: int, length: int) -> bytes:
        """Up to `length` bytes from offset `start` (fewer at the end of the object)."""
        ...

    async def size(self, key: str) -> int: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the object; removing an absent object is not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix`, and any write to such a key a killed
        process left unfinished; return how many objects were removed."""
        ...

    async def remove_stale_partial(self, older_than_s: float) -> int:
        """Remove what writes killed part-way left (a file store's `.part` files, S3's unfinished
        multipart uploads) and untouched for `older_than_s`; return how many."""
        ...

    async def list(self, prefix: str = "") -> list[str]: ...

    async def ping(self) -> None:
        """Raise StorageError unless the store is reachable and usable."""
        ...

    async def close(self) -> None: ...


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid object key: {key!r}")
    return key


async def bytes_once(data: bytes) -> AsyncIterator[bytes]:
    yield data
