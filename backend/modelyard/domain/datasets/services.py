"""Dataset rules: ingest an upload, list/read/edit/delete owned datasets, preview rows.

The only module that queries `DatasetDocument`. Other areas read a dataset through
`DatasetService.get_owned` (404 for missing or foreign ids), `load_dataset_columns`, and the
normalised copy at `table_key` (a Parquet file).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import structlog
from beanie import PydanticObjectId

from modelyard.domain.datasets.documents import DatasetDocument, dataset_prefix
from modelyard.domain.datasets.profiling import analyse_upload
from modelyard.lib.clock import utcnow
from modelyard.lib.conditional import PreconditionFailedError, etag, next_version, require_match
from modelyard.lib.db import find_owned
from modelyard.lib.errors import (
    NotFoundError,
)
from modelyard.lib.pagination import Window, newest_first
from modelyard.lib.processes import is_dead_process, process_tag
from modelyard.lib.scratch import scratch_dir, scratch_root
from modelyard.lib.storage import ObjectStore, RangeReader, file_chunks, opened
from modelyard.lib.tally import DATASETS_CREATED, UsageTally
from modelyard.lib.uploads import ReceivedUpload
from modelyard.lib.workers import run_in_process
from modelyard.observability.metrics import observe_dataset_upload
from modelyard.settings import Settings
from modelyard.tabular.intake import ingest_limits, rejection_error, sniff_upload
from modelyard.tabular.limits import DatasetRejected
from modelyard.tabular.sniffing import Sniffed

log = structlog.get_logger("modelyard.datasets")
ORIGINAL = "original"
TABLE = "table.parquet"
ABANDONED_AFTER = timedelta(hours=1)
"""An `uploading` or `deleting` dataset untouched this long was left by a crashed process (one
whose uploader is a dead process of this host is known abandoned at once), and so was a partial
object write."""


async def load_dataset_columns(store: ObjectStore, dataset: DatasetDocument, columns: list[str]) -> pa.Table:
    """Some columns of the dataset's normalised table (unique names, plain Arrow types, original
    row order), fetched by ranged reads: the rest of the copy is not downloaded."""
    reader = await _table_reader(store, dataset.table_key)
    return await asyncio.to_thread(lambda: pq.ParquetFile(reader).read(columns=columns))


async def _table_reader(store: ObjectStore, key: str) -> RangeReader:
    return RangeReader(store, key, await store.size(key), asyncio.get_running_loop())


class DatasetService:
    """The caller's datasets: ingest an upload, read, list, edit, preview, delete; sweep leftovers."""

    def __init__(
        self, store: ObjectStore, pool: ProcessPoolExecutor, settings: Settings, tally: UsageTally
    ) -> None:
        self.store = store
        self.pool = pool
        self.limits = ingest_limits(settings.app)
        self.tally = tally
        self.scratch = scratch_root(settings.app.var_dir)

    async def count_live(self) -> int:
        """Datasets stored and not being deleted, over every user (business metrics)."""
        collection = DatasetDocument.get_pymongo_collection()
        return int(await collection.count_documents({"status": {"$nin": ["uploading", "deleting"]}}))

    # ------------------------------------------------------------------ create

    async def create(
        self, owner_id: PydanticObjectId, upload: ReceivedUpload, name: str | None, description: str | None
    ) -> DatasetDocument:
        """Profile the upload, store original and normalised copies, then record the dataset.

        Nothing is stored unless everything succeeds: objects written before a failure are removed.
        """
        sniffed = await sniff_upload(upload, self.limits)
        dataset_id = PydanticObjectId()
        prefix = dataset_prefix(dataset_id)
        async with scratch_dir(self.scratch, "dataset-") as work:
            table_path = work / TABLE
            result = await self._analyse(upload, sniffed, table_path)
            duplicate = await _first_ready_upload(owner_id, upload.sha256)
            document = DatasetDocument(
                id=dataset_id,
                owner_id=owner_id,
                name=name or _default_name(upload.filename),
                description=description,
                filename=upload.filename,
                format=sniffed.format,
                encoding=result["encoding"],
                delimiter=sniffed.delimiter,
                size_bytes=upload.size,
                sha256=upload.sha256,
                duplicate_of=duplicate.id if duplicate else None,
                rows=result["rows"],
                columns=result["columns"],
                renamed_columns=[tuple(pair) for pair in result["renamed"]],
                profile=result["profile"],
                original_key=prefix + ORIGINAL,
                table_key=prefix + TABLE,
                status="uploading",
                uploader=process_tag(),
            )
            await self._record_and_store(document, upload.path, table_path)
        log.info("dataset created", dataset_id=str(dataset_id), rows=document.rows, format=document.format)
        observe_dataset_upload(rows=document.rows, size_bytes=document.size_bytes)
        self.tally.count(DATASETS_CREATED)
        return document

    async def _analyse(self, upload: ReceivedUpload, sniffed: Sniffed, table_path: Path) -> dict[str, Any]:
        """Convert and profile the upload in the process pool (`analyse_upload`), the normalised
        copy written to `table_path`; a rejection becomes the API error."""
        try:
            result: dict[str, Any] = await run_in_process(
                self.pool, analyse_upload, str(upload.path), sniffed, str(table_path), self.limits
            )
        except DatasetRejected as exc:
            raise rejection_error(exc) from None
        return result

    async def _record_and_store(self, document: DatasetDocument, original: Path, table: Path) -> None:
        """Insert the `uploading` document, store its original and normalised copies, mark it ready;
        on any failure remove whatever was stored, then re-raise."""
        # Recorded before its objects are stored: a crash half-way leaves an `uploading` record
        # the sweeper finds and removes with its objects, never objects nothing points to.
        await document.insert()
        try:
            await asyncio.gather(
                self.store.put(document.original_key, file_chunks(original)),
                self.store.put(document.table_key, file_chunks(table)),
            )
            await document.set({"status": "ready", "updated_at": utcnow()})
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish_delete(document))
            raise

    # ------------------------------------------------------------------ read, edit, delete

    async def list_owned(
        self,
        owner_id: PydanticObjectId,
        *,
        name_contains: str | None,
        limit: int,
        offset: int,
        cursor: str | None = None,
    ) -> Window[DatasetDocument]:
        query: dict[str, Any] = {"owner_id": owner_id, "status": "ready"}
        if name_contains:
            query["name"] = {"$regex": re.escape(name_contains), "$options": "i"}
        return await newest_first(DatasetDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def get_owned(self, owner_id: PydanticObjectId, dataset_id: str) -> DatasetDocument:
        """The owner's ready dataset, or NotFoundError (unknown id, another user's, or being deleted)."""
        document = await find_owned(DatasetDocument, owner_id, dataset_id, "dataset")
        if document.status == "uploading":
            raise NotFoundError(f"No dataset with id {dataset_id}.")
        if document.status == "deleting":
            await self._finish_delete(document)
            raise NotFoundError(f"No dataset with id {dataset_id}.")
        return document

    async def update(
        self,
        owner_id: PydanticObjectId,
        dataset_id: str,
        *,
        name: str | None,
        description: str | None,
        if_match: str | None = None,
    ) -> DatasetDocument:
        """Rename or describe; with `if_match`, only the version that tag names (412 otherwise),
        checked in the update itself so a concurrent change is never overwritten."""
        document = await self.get_owned(owner_id, dataset_id)
        require_match(if_match, etag(document.id, document.updated_at))
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        if changes:
            changes["updated_at"] = next_version(document.updated_at)
            guard: dict[str, Any] = {"_id": document.id, "status": "ready"}
            if if_match is not None:
                guard["updated_at"] = document.updated_at
            done = await DatasetDocument.get_pymongo_collection().update_one(guard, {"$set": changes})
            if not done.matched_count:
                current = await self.get_owned(owner_id, dataset_id)
                raise PreconditionFailedError(etag(current.id, current.updated_at))
            for key, value in changes.items():
                setattr(document, key, value)
        return document

    async def delete(self, owner_id: PydanticObjectId, dataset_id: str) -> None:
        """Mark, remove the objects, then the document: a failure half-way leaves a marked document
        that the next GET or DELETE finishes removing, never objects nobody can reach."""
        await self._delete(await find_owned(DatasetDocument, owner_id, dataset_id, "dataset"))

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> int:
        """Delete every dataset of the owner, each as `delete` does (account deletion); how many."""
        documents = await DatasetDocument.find(DatasetDocument.owner_id == owner_id).to_list()
        for document in documents:
            await self._delete(document)
        return len(documents)

    async def _delete(self, document: DatasetDocument) -> None:
        if document.status != "deleting":
            await document.set({"status": "deleting", "updated_at": utcnow()})
        await self._finish_delete(document)

    async def _finish_delete(self, document: DatasetDocument) -> None:
        await self.store.delete_prefix(dataset_prefix(document.id or ""))
        await document.delete()
        log.info("dataset deleted", dataset_id=str(document.id))

    async def sweep_abandoned(self, older_than: timedelta = ABANDONED_AFTER) -> int:
        """Finish what a crashed process left: uploads never completed (their uploader, a process of
        this host, is dead; or untouched for `older_than`) and deletes never finished (untouched for
        `older_than`). Removes their objects, then their records; how many. Then the partial
        writes (`.part` files, unfinished S3 multipart uploads) untouched for `older_than`."""
        cutoff = utcnow() - older_than
        stale = await DatasetDocument.find(
            {"status": {"$in": ["uploading", "deleting"]}, "updated_at": {"$lt": cutoff}}
        ).to_list()
        uploading = await DatasetDocument.find({"status": "uploading", "uploader": {"$ne": None}}).to_list()
        orphaned = [d for d in uploading if d.uploader and is_dead_process(d.uploader)]
        abandoned = list({document.id: document for document in stale + orphaned}.values())
        for document in abandoned:
            await self._finish_delete(document)
        if abandoned:
            log.warning("abandoned datasets removed", count=len(abandoned))
        partial = await self.store.remove_stale_partial(older_than.total_seconds())
        if partial:
            log.warning("partial objects of killed writes removed", count=partial)
        return len(abandoned)

    # ------------------------------------------------------------------ content

    async def stream_original(self, document: DatasetDocument) -> AsyncIterator[bytes]:
        return await opened(self.store.stream(document.original_key))

    async def preview(self, document: DatasetDocument, *, offset: int, limit: int) -> list[list[Any]]:
        """Rows offset..offset+limit, fetching only the Parquet footer and the row groups holding
        them (ranged reads), not the whole normalised copy."""
        if offset >= document.rows:
            return []
        reader = await _table_reader(self.store, document.table_key)
        return await asyncio.to_thread(_read_rows, reader, offset, limit)


async def _first_ready_upload(owner_id: PydanticObjectId, sha256: str) -> DatasetDocument | None:
    """The owner's oldest ready dataset uploaded with these exact bytes, if any."""
    return (
        await DatasetDocument.find(
            DatasetDocument.owner_id == owner_id,
            DatasetDocument.sha256 == sha256,
            DatasetDocument.status == "ready",
        )
        .sort("+created_at")
        .first_or_none()
    )


def _default_name(filename: str | None) -> str:
    stem = Path(filename or "").stem.strip()
    return stem[:200] or f"dataset-{utcnow():%Y%m%d-%H%M%S}"


def _read_rows(source: Path | io.RawIOBase, offset: int, limit: int) -> list[list[Any]]:
    """Rows offset..offset+limit, reading only the row groups that hold them."""
    parquet = pq.ParquetFile(source)
    groups, start, first_start = [], 0, None
    for index in range(parquet.metadata.num_row_groups):
        count = parquet.metadata.row_group(index).num_rows
        if start + count > offset and start < offset + limit:
            groups.append(index)
            first_start = start if first_start is None else first_start
        start += count
    if not groups:
        return []
    table = parquet.read_row_groups(groups)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.slice(offset - (first_start or 0), limit)
    temporal = [name for name, dtype in frame.schema.items() if dtype.is_temporal()]
    frame = frame.with_columns(pl.col(temporal).cast(pl.String)) if temporal else frame
    return [list(row) for row in frame.rows()]
