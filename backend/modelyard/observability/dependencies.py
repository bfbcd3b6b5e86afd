"""Latency and errors of the dependencies: every MongoDB command and every object-store call.

MongoDB: a pymongo command listener (`CommandMetrics`, given to the client) sees each command
sent, with its duration measured by the driver. The object store: `MeteredObjectStore` wraps
the backend behind the same interface and times each call. Labels are the command name or the
interface method, from fixed sets (`bounds.py`): never a collection, database, key or bucket.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import TypeVar

from pymongo import monitoring

from modelyard.lib.storage import DEFAULT_READ_CHUNK, ObjectNotFoundError, ObjectStore
from modelyard.observability.metrics import observe_db_operation, observe_store_operation

T = TypeVar("T")

EXPECTED_ERROR_CODES = frozenset({11000, 11001, 26})
"""Answers the code expects, not failures: a duplicate key (idempotency, one model per job) and a
collection that does not exist yet (26, NamespaceNotFound: index listing at start-up)."""


class CommandMetrics(monitoring.CommandListener):
    """Times every MongoDB command and counts the failed ones, by command name.

    pymongo calls it synchronously on the event loop for each command: it only records.
    """

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        return None

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        observe_db_operation(event.command_name, event.duration_micros / 1e6, failed=False)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        expected = event.failure.get("code") in EXPECTED_ERROR_CODES
        observe_db_operation(event.command_name, event.duration_micros / 1e6, failed=not expected)


class MeteredObjectStore:
    """An `ObjectStore` that records the time and failures of each call to the one it wraps.

    A missing key (`ObjectNotFoundError`) is an answer, not a failure. For streamed writes and
    reads only the time inside the store counts: waiting for the next chunk of an upload, or for
    the client to take the last one, is the client's time.
    """

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner

    async def _timed(
        self, operation: str, call: Awaitable[T], waited: Callable[[], float] = lambda: 0.0
    ) -> T:
        """Await `call` and record it; `waited()` is time inside it that was not the store's."""
        started = time.perf_counter()
        try:
            result = await call
        except ObjectNotFoundError:
            failed = False
            raise
        except Exception:
            failed = True
            raise
        except BaseException:  # cancelled: the call was cut short, its time means nothing
            failed = None
            raise
        else:
            failed = False
            return result
        finally:
            if failed is not None:
                spent = time.perf_counter() - started - waited()
                observe_store_operation(operation, spent, failed=failed)

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        waited = 0.0  # time spent waiting for the caller's chunks

        async def counted() -> AsyncIterator[bytes]:
            nonlocal waited
            source = aiter(chunks)
            while True:
                started = time.perf_counter()
                try:
                    chunk = await anext(source)
                except StopAsyncIteration:
                    return
                finally:
                    waited += time.perf_counter() - started
                yield chunk

        return await self._timed("put", self.inner.put(key, counted()), lambda: waited)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._timed("put_bytes", self.inner.put_bytes(key, data))

    async def stream(self, key: str, chunk_size: int = DEFAULT_READ_CHUNK) -> AsyncIterator[bytes]:
        spent, failed = 0.0, False
        source = self.inner.stream(key, chunk_size)
        try:
            while True:
                started = time.perf_counter()
                try:
                    chunk = await anext(source)
                except StopAsyncIteration:
                    return
                except ObjectNotFoundError:
                    raise
                except Exception:
                    failed = True
                    raise
                finally:
                    spent += time.perf_counter() - started
                yield chunk
        finally:
            observe_store_operation("stream", spent, failed=failed)
            await _close(source)

    async def get_bytes(self, key: str) -> bytes:
        return await self._timed("get_bytes", self.inner.get_bytes(key))

    async def get_range(self, key: str, start: int, length: int) -> bytes:
        return await self._timed("get_range", self.inner.get_range(key, start, length))

    async def size(self, key: str) -> int:
        return await self._timed("size", self.inner.size(key))

    async def exists(self, key: str) -> bool:
        return await self._timed("exists", self.inner.exists(key))

    async def delete(self, key: str) -> None:
        await self._timed("delete", self.inner.delete(key))

    async def delete_prefix(self, prefix: str) -> int:
        return await self._timed("delete_prefix", self.inner.delete_prefix(prefix))

    async def list(self, prefix: str = "") -> list[str]:
        return await self._timed("list", self.inner.list(prefix))

    async def remove_stale_partial(self, older_than_s: float) -> int:
        return await self._timed("remove_stale_partial", self.inner.remove_stale_partial(older_than_s))

    async def ping(self) -> None:
        await self._timed("ping", self.inner.ping())

    async def close(self) -> None:
        await self.inner.close()


async def _close(stream: AsyncIterator[bytes]) -> None:
    aclose: Callable[[], Awaitable[None]] | None = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
