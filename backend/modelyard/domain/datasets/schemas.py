"""API shapes of datasets: the dataset, its profile, preview rows and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from modelyard.lib import examples
from modelyard.lib.pagination import Page
from modelyard.lib.schema import DatasetFormat, DatasetId, Schema, Severity

DatasetName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, description="Display name.", examples=["customers-2024"])
]
Description = Annotated[
    str,
    msgspec.Meta(
        max_length=5000,
        description="Free-text description.",
        examples=["Customer accounts with plan, fees, tenure and whether they churned."],
    ),
]
ColumnName = Annotated[
    str, msgspec.Meta(description="A column name, as in the dataset.", examples=["region"])
]
Count = Annotated[int, msgspec.Meta(ge=0)]
SemanticType = Literal["integer", "float", "boolean", "categorical", "text", "datetime", "identifier"]
PiiKindName = Literal["email", "phone", "credit_card", "iban", "national_id", "ip_address", "person_name"]


class ColumnRename(Schema):
    """A column whose header had to change: blank headers get `column_<n>`, repeats get `_2`, `_3`..."""

    original: Annotated[str, msgspec.Meta(description="The header as uploaded.", examples=["revenue"])]
    renamed_to: Annotated[str, msgspec.Meta(description="The column's name now.", examples=["revenue_2"])]


class Dataset(Schema):
    """An uploaded table, as its owner sees it."""

    id: DatasetId
    name: DatasetName
    description: Description | None
    filename: Annotated[
        str | None, msgspec.Meta(description="File name the client sent.", examples=["customers-2024.csv"])
    ]
    format: Annotated[
        DatasetFormat, msgspec.Meta(description="Detected from the content, not the file name.")
    ]
    encoding: Annotated[
        str | None,
        msgspec.Meta(
            description="Text encoding used to read CSV/TSV/JSON Lines: utf-8, utf-8-sig, utf-16, latin-1.",
            examples=["utf-8"],
        ),
    ]
    delimiter: Annotated[
        str | None, msgspec.Meta(description="CSV/TSV field delimiter that was detected.", examples=[","])
    ]
    size_bytes: Annotated[
        int, msgspec.Meta(ge=0, description="Size of the original upload.", examples=[28227])
    ]
    sha256: Annotated[
        str,
        msgspec.Meta(
            pattern="^[0-9a-f]{64}$",
            description="SHA-256 of the original bytes, hex.",
            examples=[examples.DATASET_SHA256],
        ),
    ]
    duplicate_of: Annotated[
        DatasetId | None,
        msgspec.Meta(
            description="Id of this user's earlier dataset with identical bytes, if any (nothing is merged)."
        ),
    ]
    rows: Annotated[
        int, msgspec.Meta(ge=0, description="Data rows (the header not counted).", examples=[400])
    ]
    columns: Annotated[int, msgspec.Meta(ge=0, description="Columns.", examples=[10])]
    renamed_columns: list[ColumnRename]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When it was uploaded (UTC).", examples=[examples.DATASET_CREATED_AT]),
    ]
    updated_at: Annotated[
        datetime,
        msgspec.Meta(description="When it last changed (UTC).", examples=[examples.DATASET_UPDATED_AT]),
    ]


class DatasetUpdate(Schema):
    """Editable fields; omitted fields keep their value."""

    name: DatasetName | None = None
    description: Description | None = None


class DatasetPage(Page):
    items: list[Dataset]


class NumericStats(Schema):
    """Statistics of a numeric column (here `monthly_fee`)."""

    min: Annotated[float, msgspec.Meta(examples=[9.0])]
    max: Annotated[float, msgspec.Meta(examples=[39.0])]
    mean: Annotated[float, msgspec.Meta(examples=[17.4])]
    std: Annotated[float | None, msgspec.Meta(description="Null for a single value.", examples=[10.76])]
    quantiles: Annotated[
        dict[str, float],
        msgspec.Meta(
            description="Keys `p01` `p05` `p25` `p50` `p75` `p95` `p99`.",
            examples=[
                {"p01": 9.0, "p05": 9.0, "p25": 9.0, "p50": 14.0, "p75": 19.0, "p95": 39.0, "p99": 39.0}
            ],
        ),
    ]
    skewness: Annotated[float | None, msgspec.Meta(examples=[1.14])]
    outliers: Annotated[
        int, msgspec.Meta(ge=0, description="Values beyond 3 IQR from the quartiles.", examples=[0])
    ]


class ValueCount(Schema):
    value: Annotated[str, msgspec.Meta(description="A value, as text.", examples=["north"])]
    count: Annotated[int, msgspec.Meta(ge=1, description="Rows holding it.", examples=[101])]


class PiiFinding(Schema):
    """Personal data found in a column."""

    kind: PiiKindName
    ratio: Annotated[
        float,
        msgspec.Meta(ge=0, le=1, description="Share of sampled non-null values that match.", examples=[1.0]),
    ]
    confidence: Literal["low", "medium", "high"]
    sample_size: Annotated[
        int,
        msgspec.Meta(ge=0, description="Non-null values examined (a sample of the column).", examples=[400]),
    ]


class ColumnProfile(Schema):
    """One column: its types, how full it is, its values (here `region`)."""

    name: ColumnName
    physical_type: Annotated[
        str,
        msgspec.Meta(
            description="Storage type: Int64, Float64, String, Boolean, Datetime...", examples=["String"]
        ),
    ]
    semantic_type: SemanticType
    count: Annotated[int, msgspec.Meta(ge=0, description="Non-null values.", examples=[365])]
    null_count: Annotated[int, msgspec.Meta(ge=0, description="Missing values.", examples=[35])]
    null_ratio: Annotated[
        float, msgspec.Meta(ge=0, le=1, description="Share of rows missing it.", examples=[0.0875])
    ]
    distinct_count: Annotated[int, msgspec.Meta(ge=0, description="Distinct non-null values.", examples=[4])]
    numeric: Annotated[NumericStats | None, msgspec.Meta(description="Numeric columns only.")] = None
    datetime_min: Annotated[
        datetime | None,
        msgspec.Meta(description="Date and time columns: the earliest.", examples=["2018-01-01T00:00:00Z"]),
    ] = None
    datetime_max: Annotated[
        datetime | None,
        msgspec.Meta(description="Date and time columns: the latest.", examples=["2023-08-26T00:00:00Z"]),
    ] = None
    top_values: Annotated[list[ValueCount], msgspec.Meta(description="The most frequent values.")] = []
    sample_values: Annotated[
        list[str],
        msgspec.Meta(
            description="A few distinct values; masked when the column holds PII.",
            examples=[["north", "west", "south", "east"]],
        ),
    ] = []
    pii: list[PiiFinding] = []


class QualityFinding(Schema):
    code: Annotated[
        str,
        msgspec.Meta(
            description="constant_column, mostly_missing, high_cardinality, identifier_like, skewed, "
            "outliers, duplicate_rows, mixed_types, csv_injection, renamed_columns, pii",
            examples=["pii"],
        ),
    ]
    severity: Severity
    message: Annotated[
        str,
        msgspec.Meta(
            description="What was found, for people.",
            examples=["'email' appears to hold personal data (email); shown values are masked."],
        ),
    ]
    columns: Annotated[list[str], msgspec.Meta(description="The columns involved.", examples=[["email"]])]
    count: Annotated[
        int | None, msgspec.Meta(description="Rows or values concerned, when counted.", examples=[12])
    ] = None


class DatasetProfile(Schema):
    """Everything computed about a dataset's content at upload."""

    rows: Annotated[int, msgspec.Meta(ge=0, description="Data rows.", examples=[400])]
    columns: Annotated[int, msgspec.Meta(ge=0, description="Columns.", examples=[10])]
    memory_bytes: Annotated[
        int,
        msgspec.Meta(
            ge=0, description="Estimated size of the table in memory (Arrow buffers).", examples=[29572]
        ),
    ]
    duplicate_rows: Annotated[
        int, msgspec.Meta(ge=0, description="Rows identical to an earlier row.", examples=[0])
    ]
    column_profiles: list[ColumnProfile]
    findings: list[QualityFinding]
    estimated: Annotated[
        list[str],
        msgspec.Meta(
            description="Figures that are estimates rather than exact: `memory_bytes` (Arrow buffer "
            "sizes), `duplicate_rows`, `distinct_count` and `top_values` (64-bit hashes: exact unless two "
            "different values collide), `pii` (ratios from a sample of up to 2,000 values per column). "
            "Counts, min/max, mean/std and quantiles are exact.",
            examples=[["memory_bytes", "duplicate_rows", "distinct_count", "top_values", "pii"]],
        ),
    ]


class PreviewPage(Schema, kw_only=True):
    """Rows of the dataset, as JSON values (datetimes as RFC 3339 strings)."""

    total: Annotated[int, msgspec.Meta(ge=0, description="Rows in the dataset.", examples=[400])]
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=1000, description="Rows per page, as requested.", examples=[2])
    ]
    offset: Annotated[int, msgspec.Meta(ge=0, description="Rows skipped before this page.", examples=[0])]

    columns: Annotated[
        list[str],
        msgspec.Meta(
            description="Column names, in the order of each row's values.",
            examples=[
                [
                    "customer_id",
                    "email",
                    "signup_date",
                    "region",
                    "plan",
                    "monthly_fee",
                    "tenure_months",
                    "support_tickets",
                    "account_closed",
                    "churned",
                ]
            ],
        ),
    ]
    rows: Annotated[
        list[list[Any]],
        msgspec.Meta(
            description="The rows, each a list of values in `columns` order (null when missing).",
            examples=[
                [
                    [
                        10000,
                        "customer0@example.com",
                        "2018-01-01",
                        "north",
                        "basic",
                        9.0,
                        20,
                        0,
                        "yes",
                        "yes",
                    ],
                    [10001, "customer1@example.com", "2019-06-12", "west", "basic", 9.0, 8, 4, "yes", "yes"],
                ]
            ],
        ),
    ]
