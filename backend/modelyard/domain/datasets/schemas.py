"""API shapes of datasets: the dataset, its profile, preview rows and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import Parameter

from modelyard.lib.pagination import Page
from modelyard.lib.schema import DatasetFormat, Schema, Severity

DatasetId = Annotated[
    str, msgspec.Meta(description="24-hex dataset id.", examples=["665f1c2a9b1e8a3d4c5b6a79"])
]
DatasetName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, description="Display name.", examples=["customers-2024"])
]
Description = Annotated[str, msgspec.Meta(max_length=5000, description="Free-text description.")]
SemanticType = Literal["integer", "float", "boolean", "categorical", "text", "datetime", "identifier"]
PiiKindName = Literal["email", "phone", "credit_card", "iban", "national_id", "ip_address", "person_name"]


class ColumnRename(Schema):
    """A column whose header had to change: blank headers get `column_<n>`, repeats get `_2`, `_3`..."""

    original: str
    renamed_to: str


class Dataset(Schema):
    """An uploaded table, as its owner sees it."""

    id: DatasetId
    name: DatasetName
    description: Description | None
    filename: Annotated[str | None, msgspec.Meta(description="File name the client sent.")]
    format: Annotated[
        DatasetFormat, msgspec.Meta(description="Detected from the content, not the file name.")
    ]
    encoding: Annotated[
        str | None,
        msgspec.Meta(
            description="Text encoding used to read CSV/TSV/JSON Lines: utf-8, utf-8-sig, utf-16, latin-1."
        ),
    ]
    delimiter: Annotated[str | None, msgspec.Meta(description="CSV/TSV field delimiter that was detected.")]
    size_bytes: Annotated[int, msgspec.Meta(ge=0, description="Size of the original upload.")]
    sha256: Annotated[str, msgspec.Meta(description="SHA-256 of the original bytes, hex.")]
    duplicate_of: Annotated[
        str | None,
        msgspec.Meta(
            description="Id of this user's earlier dataset with identical bytes, if any (nothing is merged)."
        ),
    ]
    rows: int
    columns: int
    renamed_columns: list[ColumnRename]
    created_at: datetime
    updated_at: datetime


class DatasetUpdate(Schema):
    """Editable fields; omitted fields keep their value."""

    name: DatasetName | None = None
    description: Description | None = None


class DatasetPage(Page):
    items: list[Dataset]


class NumericStats(Schema):
    min: float
    max: float
    mean: float
    std: float | None
    quantiles: Annotated[
        dict[str, float], msgspec.Meta(description="Keys `p01` `p05` `p25` `p50` `p75` `p95` `p99`.")
    ]
    skewness: float | None
    outliers: Annotated[int, msgspec.Meta(description="Values beyond 3 IQR from the quartiles.")]


class ValueCount(Schema):
    value: str
    count: int


class PiiFinding(Schema):
    """Personal data found in a column."""

    kind: PiiKindName
    ratio: Annotated[
        float, msgspec.Meta(ge=0, le=1, description="Share of sampled non-null values that match.")
    ]
    confidence: Literal["low", "medium", "high"]
    sample_size: Annotated[
        int, msgspec.Meta(description="Non-null values examined (a sample of the column).")
    ]


class ColumnProfile(Schema):
    name: str
    physical_type: Annotated[
        str, msgspec.Meta(description="Storage type: Int64, Float64, String, Boolean, Datetime...")
    ]
    semantic_type: SemanticType
    count: Annotated[int, msgspec.Meta(description="Non-null values.")]
    null_count: int
    null_ratio: float
    distinct_count: int
    numeric: NumericStats | None = None
    datetime_min: datetime | None = None
    datetime_max: datetime | None = None
    top_values: list[ValueCount] = []
    sample_values: Annotated[
        list[str], msgspec.Meta(description="A few distinct values; masked when the column holds PII.")
    ] = []
    pii: list[PiiFinding] = []


class QualityFinding(Schema):
    code: Annotated[
        str,
        msgspec.Meta(
            description="constant_column, mostly_missing, high_cardinality, identifier_like, skewed, "
            "outliers, duplicate_rows, mixed_types, csv_injection, renamed_columns, pii"
        ),
    ]
    severity: Severity
    message: str
    columns: list[str]
    count: int | None = None


class DatasetProfile(Schema):
    """Everything computed about a dataset's content at upload."""

    rows: int
    columns: int
    memory_bytes: Annotated[
        int, msgspec.Meta(description="Estimated size of the table in memory (Arrow buffers).")
    ]
    duplicate_rows: Annotated[int, msgspec.Meta(description="Rows identical to an earlier row.")]
    column_profiles: list[ColumnProfile]
    findings: list[QualityFinding]
    estimated: Annotated[
        list[str],
        msgspec.Meta(
            description="Figures that are estimates rather than exact: `memory_bytes` (Arrow buffer "
            "sizes), `duplicate_rows`, `distinct_count` and `top_values` (64-bit hashes: exact unless two "
            "different values collide), `pii` (ratios from a sample of up to 2,000 values per column). "
            "Counts, min/max, mean/std and quantiles are exact."
        ),
    ]


class PreviewPage(Schema, kw_only=True):
    """Rows of the dataset, as JSON values (datetimes as RFC 3339 strings)."""

    total: Annotated[int, msgspec.Meta(ge=0, description="Rows in the dataset.", examples=[891])]
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=1000, description="Rows per page, as requested.", examples=[50])
    ]
    offset: Annotated[int, msgspec.Meta(ge=0, description="Rows skipped before this page.", examples=[0])]

    columns: list[str]
    rows: list[list[Any]]


DatasetIdParam = Annotated[str, Parameter(description="24-hex dataset id.", min_length=1, max_length=64)]
