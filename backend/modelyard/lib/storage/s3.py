"""The S3 object store (`s3://BUCKET[/PREFIX]`) over aioboto3: AWS, MinIO, moto."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from modelyard.lib.storage.base import (
    DEFAULT_READ_CHUNK,
    ObjectNotFoundError,
    StorageError,
    bytes_once,
    check_key,
)


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
        await self.put(key, bytes_once(data))

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
        """Delete every object under `prefix`, and abort the multipart uploads a crash left there."""
        s3 = await self._s3()
        await self._abort_uploads(prefix, started_before=None)
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

    async def remove_stale_partial(self, older_than_s: float) -> int:
        """Abort multipart uploads under this store's prefix started more than `older_than_s` ago:
        what killed writers left (S3 keeps, and bills, their parts until they are aborted)."""
        return await self._abort_uploads("", started_before=time.time() - older_than_s)

    async def _abort_uploads(self, prefix: str, started_before: float | None) -> int:
        s3 = await self._s3()
        aborted = 0
        paginator = s3.get_paginator("list_multipart_uploads")
        try:
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for upload in page.get("Uploads", []):
                    if started_before is not None and upload["Initiated"].timestamp() >= started_before:
                        continue
                    await s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        except Exception as exc:
            raise StorageError(f"aborting unfinished uploads under {prefix!r} failed: {exc}") from exc
        return aborted

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
