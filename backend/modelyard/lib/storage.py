"""The one object-store interface, with a filesystem and an S3 backend.

Keys are `/`-separated relative paths (`datasets/<id>/original`). Writes take an
async iterable of chunks so uploads stream through without being held in memory;
reads stream back in chunks. A write that fails part-way leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

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
        """Remove every object whose key starts with `prefix`; return how many were removed."""
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


async def _bytes_once(data: bytes) -> AsyncIterator[bytes]:
    yield data


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
        await self.put(key, _bytes_once(data))

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
        keys = await self.list(prefix)
        for key in keys:
            await self.delete(key)
        return len(keys)

    async def list(self, prefix: str = "") -> list[str]:
        def walk() -> list[str]:
            if not self.root.exists():
                return []
            found = []
            for path in self.root.rglob("*"):
                if path.is_file() and not path.name.endswith(".part"):
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        found.append(key)
            return sorted(found)

        return await asyncio.to_thread(walk)

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


class S3ObjectStore:
    """Objects in an S3 bucket (AWS, MinIO, moto) through aioboto3."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        part_size: int = 8 * 1024 * 1024,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    import aioboto3
                    from botocore.config import Config

                    session = aioboto3.Session()
                    stack = contextlib.AsyncExitStack()
                    config = Config(
                        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
                    )
                    self._client = await stack.enter_async_context(
                        session.client(
                            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
                        )
                    )
                    self._stack = stack
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _is_missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("NoSuchKey", "404", "NotFound")

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        s3 = await self._s3()
        full_key = self._key(key)
        buffer = bytearray()
        written = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                buffer.extend(chunk)
                written += len(chunk)
                while len(buffer) >= self.part_size:
                    if upload_id is None:
                        created = await s3.create_multipart_upload(Bucket=self.bucket, Key=full_key)
                        upload_id = created["UploadId"]
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    number = len(parts) + 1
                    sent = await s3.upload_part(
                        Bucket=self.bucket, Key=full_key, UploadId=upload_id, PartNumber=number, Body=part
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
            if upload_id is None:
                await s3.put_object(Bucket=self.bucket, Key=full_key, Body=bytes(buffer))
            else:
                if buffer:
                    number = len(parts) + 1
                    sent = await s3.upload_part(
                        Bucket=self.bucket,
                        Key=full_key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=bytes(buffer),
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
                await s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=full_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(
                        s3.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)
                    )
            raise
        return written

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self.put(key, _bytes_once(data))

    async def stream(self, key: str, chunk_size: int = DEFAULT_READ_CHUNK) -> AsyncIterator[bytes]:
        s3 = await self._s3()
        try:
            obj = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if self._is_missing(exc):
                raise ObjectNotFoundError(key) from None
            raise StorageError(f"reading {key!r} failed: {exc}") from exc
        body = obj["Body"]
        try:
            async for chunk in body.iter_chunks(chunk_size):
                yield chunk
        finally:
            body.close()

    async def get_bytes(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in self.stream(key)])

    async def get_range(self, key: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        s3 = await self._s3()
        try:
            obj = await s3.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{start + length - 1}"
            )
        except Exception as exc:
            if self._is_missing(exc):
                raise ObjectNotFoundError(key) from None
            if "InvalidRange" in str(exc):  # starting past the end
                return b""
            raise StorageError(f"reading {key!r} failed: {exc}") from exc
        body = obj["Body"]
        try:
            return bytes(await body.read())
        finally:
            body.close()

    async def size(self, key: str) -> int:
        s3 = await self._s3()
        try:
            head = await s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if self._is_missing(exc):
                raise ObjectNotFoundError(key) from None
            raise StorageError(f"inspecting {key!r} failed: {exc}") from exc
        return int(head["ContentLength"])

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except ObjectNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StorageError(f"deleting {key!r} failed: {exc}") from exc

    async def delete_prefix(self, prefix: str) -> int:
        s3 = await self._s3()
        keys = await self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.prefix + key} for key in keys[start : start + 1000]]
            try:
                result = await s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception as exc:
                raise StorageError(f"deleting under {prefix!r} failed: {exc}") from exc
            # DeleteObjects answers 200 even when some keys could not be removed.
            if result.get("Errors"):
                first = result["Errors"][0]
                raise StorageError(
                    f"deleting under {prefix!r} failed for {len(result['Errors'])} objects: "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )
        return len(keys)

    async def list(self, prefix: str = "") -> list[str]:
        s3 = await self._s3()
        found: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        try:
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        except Exception as exc:
            raise StorageError(f"listing {prefix!r} failed: {exc}") from exc
        return sorted(found)

    async def ping(self) -> None:
        try:
            s3 = await self._s3()
            await s3.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StorageError(f"S3 bucket {self.bucket!r} is not reachable: {exc}") from exc

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._client = None
        self._stack = None


def create_object_store(
    url: str, *, endpoint_url: str | None = None, region: str = "us-east-1", part_size: int = 8 * 1024 * 1024
) -> ObjectStore:
    """Build the backend a storage URL names: `file://DIR` or `s3://BUCKET[/PREFIX]`."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        # file://var/objects is relative (netloc "var"); file:///srv/objects is absolute.
        return FileObjectStore(Path(parsed.netloc + parsed.path))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"storage URL {url!r} names no bucket")
        return S3ObjectStore(
            parsed.netloc, parsed.path, endpoint_url=endpoint_url, region=region, part_size=part_size
        )
    raise ValueError(f"unsupported storage URL {url!r}: use file://DIR or s3://BUCKET")


@contextlib.asynccontextmanager
async def scratch_dir(prefix: str) -> AsyncIterator[Path]:
    """A temporary directory for large working files, created and removed off the event loop."""
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=prefix))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


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
