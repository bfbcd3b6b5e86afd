"""The one object-store interface, with a filesystem and an S3 backend.

Keys are `/`-separated relative paths (`datasets/<id>/original`). Writes take an
async iterable of chunks so uploads stream through without being held in memory;
reads stream back in chunks. A write that fails part-way leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from modelyard.lib.storage.base import (
    DEFAULT_READ_CHUNK,
    ObjectNotFoundError,
    ObjectStore,
    StorageError,
    check_key,
    storage_unavailable_while_deleting,
)
from modelyard.lib.storage.file import FileObjectStore
from modelyard.lib.storage.io import RangeReader, download, file_chunks, opened
from modelyard.lib.storage.s3 import S3ObjectStore

__all__ = [
    "DEFAULT_READ_CHUNK",
    "FileObjectStore",
    "ObjectNotFoundError",
    "ObjectStore",
    "RangeReader",
    "S3ObjectStore",
    "StorageError",
    "check_key",
    "create_object_store",
    "download",
    "file_chunks",
    "opened",
    "storage_unavailable_while_deleting",
]


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
