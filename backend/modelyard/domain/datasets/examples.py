"""Whole-object examples of datasets for the spec: the dataset, its profile, a preview page.

Taken (shortened to a few columns) from a real upload of docs/examples/customers.csv, with the
ids and times of the spec's story (lib/examples.py).
"""

from __future__ import annotations

from datetime import datetime

from modelyard.domain.datasets.schemas import (
    ColumnProfile,
    Dataset,
    DatasetPage,
    DatasetProfile,
    NumericStats,
    PiiFinding,
    PreviewPage,
    QualityFinding,
    ValueCount,
)
from modelyard.lib import examples

DATASET = Dataset(
    id=examples.DATASET_ID,
    name="customers-2024",
    description="Customer accounts with plan, fees, tenure and whether they churned.",
    filename="customers-2024.csv",
    format="csv",
    encoding="utf-8",
    delimiter=",",
    size_bytes=28227,
    sha256=examples.DATASET_SHA256,
    duplicate_of=None,
    rows=400,
    columns=10,
    renamed_columns=[],
    created_at=datetime.fromisoformat(examples.DATASET_CREATED_AT),
    updated_at=datetime.fromisoformat(examples.DATASET_UPDATED_AT),
)

PAGE = DatasetPage(
    items=[DATASET], total=2, limit=1, offset=0, next_cursor=examples.NEXT_CURSOR, has_more=True
)

PROFILE = DatasetProfile(
    rows=400,
    columns=10,
    memory_bytes=29572,
    duplicate_rows=0,
    column_profiles=[
        ColumnProfile(
            name="region",
            physical_type="String",
            semantic_type="categorical",
            count=365,
            null_count=35,
            null_ratio=0.0875,
            distinct_count=4,
            top_values=[
                ValueCount(value="north", count=101),
                ValueCount(value="south", count=99),
                ValueCount(value="east", count=84),
                ValueCount(value="west", count=81),
            ],
            sample_values=["north", "west", "south", "east"],
        ),
        ColumnProfile(
            name="monthly_fee",
            physical_type="Float64",
            semantic_type="float",
            count=400,
            null_count=0,
            null_ratio=0.0,
            distinct_count=3,
            numeric=NumericStats(
                min=9.0,
                max=39.0,
                mean=17.4,
                std=10.7578,
                quantiles={
                    "p01": 9.0,
                    "p05": 9.0,
                    "p25": 9.0,
                    "p50": 14.0,
                    "p75": 19.0,
                    "p95": 39.0,
                    "p99": 39.0,
                },
                skewness=1.1434,
                outliers=0,
            ),
            top_values=[
                ValueCount(value="9.0", count=200),
                ValueCount(value="19.0", count=132),
                ValueCount(value="39.0", count=68),
            ],
            sample_values=["9.0", "19.0", "39.0"],
        ),
        ColumnProfile(
            name="signup_date",
            physical_type="Date",
            semantic_type="datetime",
            count=400,
            null_count=0,
            null_ratio=0.0,
            distinct_count=84,
            datetime_min=datetime.fromisoformat("2018-01-01T00:00:00Z"),
            datetime_max=datetime.fromisoformat("2023-08-26T00:00:00Z"),
            sample_values=["2018-01-01", "2019-06-12", "2020-11-23"],
        ),
        ColumnProfile(
            name="email",
            physical_type="String",
            semantic_type="identifier",
            count=400,
            null_count=0,
            null_ratio=0.0,
            distinct_count=400,
            sample_values=["c********@e******.com", "c********@e******.com"],
            pii=[PiiFinding(kind="email", ratio=1.0, confidence="high", sample_size=400)],
        ),
    ],
    findings=[
        QualityFinding(
            code="identifier_like",
            severity="info",
            message="'customer_id' looks like an identifier; exclude it from model features.",
            columns=["customer_id"],
        ),
        QualityFinding(
            code="pii",
            severity="warning",
            message="'email' appears to hold personal data (email); shown values are masked.",
            columns=["email"],
        ),
    ],
    estimated=["memory_bytes", "duplicate_rows", "distinct_count", "top_values", "pii"],
)

PREVIEW = PreviewPage(
    total=400,
    limit=2,
    offset=0,
    columns=[
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
    ],
    rows=[
        [10000, "customer0@example.com", "2018-01-01", "north", "basic", 9.0, 20, 0, "yes", "yes"],
        [10001, "customer1@example.com", "2019-06-12", "west", "basic", 9.0, 8, 4, "yes", "yes"],
    ],
)
