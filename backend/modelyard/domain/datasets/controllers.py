"""HTTP endpoints of datasets: upload, list, read, edit, delete, profile, preview, download."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Schema as SchemaSpec
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.datasets import examples
from modelyard.domain.datasets.documents import DatasetDocument
from modelyard.domain.datasets.schemas import (
    ColumnRename,
    Dataset,
    DatasetPage,
    DatasetProfile,
    DatasetUpdate,
    PreviewPage,
)
from modelyard.domain.datasets.services import DatasetService
from modelyard.lib.conditional import NOT_MODIFIED, IfMatch, IfNoneMatch, etag, tagged
from modelyard.lib.errors import FieldError, ValidationFailedError
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.openapi import AUTHENTICATED, example_response, multipart_upload, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import DatasetPathId
from modelyard.lib.scratch import scratch_root
from modelyard.lib.uploads import receive_upload
from modelyard.settings import Settings
from modelyard.tabular.intake import ingest_limits, sniff_head
from modelyard.tabular.sniffing import ACCEPTED_FORMATS, SNIFF_BYTES

MAX_PREVIEW_ROWS = 1000
NAME_MAX = 200
DESCRIPTION_MAX = 5000


UploadOperation = multipart_upload(
    f"The data: {ACCEPTED_FORMATS}. The format is detected from the content.",
    name=SchemaSpec(
        type=OpenAPIType.STRING,
        max_length=NAME_MAX,
        description="Display name; defaults to the file name without its extension.",
        examples=[examples.DATASET.name],
    ),
    description=SchemaSpec(
        type=OpenAPIType.STRING,
        max_length=DESCRIPTION_MAX,
        description="Free-text description.",
        examples=[examples.DATASET.description],
    ),
)


def to_dataset(doc: DatasetDocument) -> Dataset:
    return Dataset(
        id=str(doc.id),
        name=doc.name,
        description=doc.description,
        filename=doc.filename,
        format=doc.format,  # type: ignore[arg-type]
        encoding=doc.encoding,
        delimiter=doc.delimiter,
        size_bytes=doc.size_bytes,
        sha256=doc.sha256,
        duplicate_of=str(doc.duplicate_of) if doc.duplicate_of else None,
        rows=doc.rows,
        columns=len(doc.columns),
        renamed_columns=[ColumnRename(original=old, renamed_to=new) for old, new in doc.renamed_columns],
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )


_NO_ROWS_TEXT = "The file has a header but no data rows."
_NO_ROWS = (_NO_ROWS_TEXT, [FieldError(_NO_ROWS_TEXT, "file")])
_NAME_TOO_LONG = FieldError("Expected `str` of length <= 200", "body.name")
_CREATED = example_response(
    Dataset, "Stored and profiled; `Location` is the dataset's URL.", {"Uploaded": examples.DATASET}
)
_DATASET = example_response(Dataset, "The dataset, with its `ETag`.", {"Dataset": examples.DATASET})
_PAGE = example_response(
    DatasetPage, "A page of datasets, newest first.", {"First page of two": examples.PAGE}
)
_PROFILE = example_response(
    DatasetProfile, "The profile (here four of the ten columns).", {"Profile": examples.PROFILE}
)
_PREVIEW = example_response(PreviewPage, "The requested rows.", {"First two rows": examples.PREVIEW})


def _text_field(fields: dict[str, str], key: str, max_length: int) -> str | None:
    value = fields.get(key)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > max_length:
        raise ValidationFailedError(
            f"`{key}` is longer than {max_length} characters.",
            errors=[FieldError(f"at most {max_length} characters", f"body.{key}")],
        )
    return value


class DatasetController(Controller):
    path = "/api/v1/datasets"
    tags = ["datasets"]

    @post(
        "/",
        operation_id="createDataset",
        summary="Upload a dataset",
        request_max_body_size=None,  # enforced while streaming, against MODELYARD_MAX_UPLOAD_BYTES
        operation_class=UploadOperation,
        responses={
            201: _CREATED,
            **problem_responses(400, 413, 415, 422, *AUTHENTICATED, details={422: _NO_ROWS}),
        },
    )
    async def create(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Dataset]:
        """Upload a table as `multipart/form-data`: a `file` part, optional `name` and `description`.

        Accepted: CSV and TSV (delimiter `,` `;` tab or `|`, sniffed), Excel `.xlsx` (first
        sheet), Parquet and JSON Lines. The format comes from the content, not the file name
        or Content-Type; text encodings UTF-8 (with or without BOM), UTF-16 and Latin-1 are
        detected and reported in `encoding`.

        The dataset is profiled before this returns (see `GET /datasets/{id}/profile`).
        Blank or repeated headers are renamed deterministically (`column_3`, `price_2`) and
        listed in `renamed_columns`. Cells that look like spreadsheet formulas are kept as
        data and flagged in the profile. Uploading bytes identical to one of your datasets
        creates a new dataset whose `duplicate_of` names the earlier one.

        Errors store nothing: 413 over the size limit, 415 for a format that is not
        tabular, 422 for an empty file, a header without rows, ragged rows, too many
        columns, an oversized cell or a zip bomb; 400 when the body is cut short. The
        format is checked on the first 256 KB as they arrive: a 415 (or a 422 about the
        header) answers without waiting for the rest of the file.
        """
        upload = await receive_upload(
            request.headers.get("content-type", ""),
            request.content_length,
            request.stream(),
            max_bytes=settings.app.max_upload_bytes,
            head_bytes=SNIFF_BYTES,
            check_head=functools.partial(sniff_head, limits=ingest_limits(settings.app)),
            scratch_root=scratch_root(settings.app.var_dir),
        )
        try:
            name = _text_field(upload.fields, "name", NAME_MAX)
            description = _text_field(upload.fields, "description", DESCRIPTION_MAX)

            async def store() -> Response[Dataset]:
                document = await datasets.create(owner(request), upload, name, description)
                return Response(
                    to_dataset(document),
                    status_code=HTTP_201_CREATED,
                    headers={"Location": f"/api/v1/datasets/{document.id}"},
                )

            body = fingerprint(upload.sha256, upload.filename or "", name or "", description or "")
            return await respond_once(owner(request), idempotency_key, request.url.path, body, store)
        finally:
            await upload.discard()

    @get(
        "/",
        operation_id="listDatasets",
        summary="List datasets",
        responses={200: _PAGE, **problem_responses(422, *AUTHENTICATED)},
    )
    async def list_datasets(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
        name: FromQuery[
            Annotated[
                str | None,
                Parameter(
                    max_length=NAME_MAX, description="Only datasets whose name contains this (any case)."
                ),
            ]
        ] = None,
    ) -> DatasetPage:
        """Your datasets, newest first. `name` filters by a case-insensitive substring."""
        window = await datasets.list_owned(
            owner(request), name_contains=name, limit=limit, offset=offset, cursor=cursor
        )
        return DatasetPage(items=[to_dataset(d) for d in window.items], **window.envelope())

    @get(
        "/{dataset_id:str}",
        operation_id="getDataset",
        summary="Get a dataset",
        responses={200: _DATASET, **NOT_MODIFIED, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_dataset(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        dataset_id: FromPath[DatasetPathId],
        if_none_match: IfNoneMatch = None,
    ) -> Response[Dataset]:
        """One of your datasets. Another user's dataset id is a 404. Carries an `ETag`;
        `If-None-Match` with it answers 304 while the dataset is unchanged."""
        document = await datasets.get_owned(owner(request), dataset_id)
        return tagged(to_dataset(document), etag(document.id, document.updated_at), if_none_match)

    @patch(
        "/{dataset_id:str}",
        operation_id="updateDataset",
        summary="Rename or describe a dataset",
        responses={
            200: _DATASET,
            **problem_responses(400, 404, 412, 422, *AUTHENTICATED, details={422: _NAME_TOO_LONG}),
        },
    )
    async def update_dataset(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        dataset_id: FromPath[DatasetPathId],
        data: JSONBody[DatasetUpdate],
        if_match: IfMatch = None,
    ) -> Response[Dataset]:
        """Change `name` and/or `description`; nothing else about a dataset is editable.

        With `If-Match` (the `ETag` of your last GET) a dataset changed meanwhile is a 412 and
        nothing changes. The response carries the new `ETag`."""
        document = await datasets.update(
            owner(request), dataset_id, name=data.name, description=data.description, if_match=if_match
        )
        return tagged(to_dataset(document), etag(document.id, document.updated_at))

    @get(
        "/{dataset_id:str}/profile",
        operation_id="getDatasetProfile",
        summary="Get a dataset's profile",
        responses={200: _PROFILE, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_profile(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        dataset_id: FromPath[DatasetPathId],
    ) -> DatasetProfile:
        """Per-column statistics and semantic types, dataset-level counts, quality and PII findings.

        Values shown from columns that hold personal data (sample and top values) are masked.
        `estimated` lists the figures that are estimates rather than exact.
        """
        document = await datasets.get_owned(owner(request), dataset_id)
        return msgspec.convert(document.profile, DatasetProfile)

    @get(
        "/{dataset_id:str}/preview",
        operation_id="previewDataset",
        summary="Preview rows",
        responses={200: _PREVIEW, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def preview(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        dataset_id: FromPath[DatasetPathId],
        offset: FromQuery[Offset] = 0,
        limit: FromQuery[
            Annotated[int, Parameter(ge=1, le=MAX_PREVIEW_ROWS, description="Rows to return (1-1000).")]
        ] = 50,
    ) -> PreviewPage:
        """Rows `offset` to `offset + limit` of the normalised table, as arrays in `columns` order.

        Datetimes are strings; missing values are `null`. `total` is the number of rows.
        """
        document = await datasets.get_owned(owner(request), dataset_id)
        rows = await datasets.preview(document, offset=offset, limit=limit)
        return PreviewPage(
            total=document.rows, limit=limit, offset=offset, columns=document.columns, rows=rows
        )

    @get(
        "/{dataset_id:str}/download",
        operation_id="downloadDataset",
        summary="Download the original file",
        media_type="application/octet-stream",
        responses=problem_responses(404, *AUTHENTICATED),
    )
    async def download(
        self,
        request: UserRequest,
        datasets: NamedDependency[DatasetService],
        dataset_id: FromPath[DatasetPathId],
    ) -> Response[Any]:
        """The bytes exactly as uploaded, streamed, with the original file name."""
        document = await datasets.get_owned(owner(request), dataset_id)
        filename = (document.filename or f"{document.name}.{document.format}").replace('"', "")
        return Stream(
            await datasets.stream_original(document),
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
                "Content-Length": str(document.size_bytes),
                "X-Content-SHA256": document.sha256,
            },
        )


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")
