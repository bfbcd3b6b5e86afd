"""Upload intake on the event loop, shared by dataset and batch-prediction uploads: the limits from
the settings, sniffing off the loop, and a rejection as the API error that says what is wrong."""

from __future__ import annotations

import asyncio

from modelyard.lib.errors import FieldError, UnsupportedMediaTypeError, ValidationFailedError
from modelyard.lib.uploads import ReceivedUpload
from modelyard.settings import AppSettings
from modelyard.tabular.limits import DatasetRejected, IngestLimits
from modelyard.tabular.sniffing import SNIFF_BYTES, Sniffed, sniff


def rejection_error(exc: DatasetRejected) -> Exception:
    """The API error for an upload that is not usable data."""
    if exc.kind == "unsupported":
        return UnsupportedMediaTypeError(exc.detail)
    return ValidationFailedError(exc.detail, errors=[FieldError(exc.detail, exc.location or "body.file")])


def ingest_limits(settings: AppSettings) -> IngestLimits:
    """The shape limits every table upload (dataset or batch input) is held to."""
    return IngestLimits(max_columns=settings.max_dataset_columns, max_cell_bytes=settings.max_cell_bytes)


async def sniff_upload(upload: ReceivedUpload, limits: IngestLimits) -> Sniffed:
    """Format, encoding and delimiter of an upload from its head (off the event loop: ~tens of ms);
    sniffed once: a large upload's head was already sniffed as it arrived (`check_head`)."""
    if isinstance(upload.head_check, Sniffed) and upload.size > SNIFF_BYTES:
        return upload.head_check
    return await sniff_head(upload.head, limits, complete=upload.size <= SNIFF_BYTES)


async def sniff_head(head: bytes, limits: IngestLimits, *, complete: bool = False) -> Sniffed:
    """`sniff` off the event loop, its rejection as the API error; `complete`: `head` is the whole file."""
    try:
        return await asyncio.to_thread(sniff, head, complete=complete, limits=limits)
    except DatasetRejected as exc:
        raise rejection_error(exc) from None
