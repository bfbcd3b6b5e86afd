"""Crafted dataset profiles for analysis unit tests."""

from __future__ import annotations

from typing import Any

from modelyard.domain.datasets.schemas import (
    ColumnProfile,
    DatasetProfile,
    NumericStats,
    PiiFinding,
    QualityFinding,
    ValueCount,
)

ROWS = 1000


def numeric(low: float, high: float, *, skew: float = 0.0, outliers: int = 0) -> NumericStats:
    mid = (low + high) / 2
    return NumericStats(
        min=low,
        max=high,
        mean=mid,
        std=(high - low) / 4,
        quantiles={"p01": low, "p05": low, "p25": low, "p50": mid, "p75": high, "p95": high, "p99": high},
        skewness=skew,
        outliers=outliers,
    )


def column(name: str, semantic: str, *, distinct: int, nulls: int = 0, **extra: Any) -> ColumnProfile:
    count = ROWS - nulls
    physical = {"integer": "Int64", "float": "Float64", "boolean": "Boolean"}.get(semantic, "String")
    return ColumnProfile(
        name=name,
        physical_type=physical,
        semantic_type=semantic,  # type: ignore[arg-type]
        count=count,
        null_count=nulls,
        null_ratio=nulls / ROWS,
        distinct_count=distinct,
        **extra,
    )


def churn_profile(*, findings: list[QualityFinding] | None = None) -> DatasetProfile:
    """customer_id (identifier), email (PII), age, plan, monthly_spend (skewed), notes (text), churned."""
    columns = [
        column("customer_id", "identifier", distinct=ROWS, numeric=numeric(1, ROWS)),
        column(
            "email",
            "text",
            distinct=ROWS,
            sample_values=["a**@e******.com"],
            pii=[PiiFinding(kind="email", ratio=1.0, confidence="high", sample_size=ROWS)],
        ),
        column("age", "integer", distinct=60, numeric=numeric(18, 80)),
        column(
            "plan",
            "categorical",
            distinct=3,
            top_values=[
                ValueCount(value="basic", count=500),
                ValueCount(value="pro", count=300),
                ValueCount(value="max", count=200),
            ],
            sample_values=["basic", "pro", "max"],
        ),
        column(
            "monthly_spend", "float", distinct=900, nulls=50, numeric=numeric(0, 900, skew=3.1, outliers=40)
        ),
        column("signup", "datetime", distinct=700),
        column("notes", "text", distinct=990, sample_values=["called twice"]),
        column(
            "churned",
            "boolean",
            distinct=2,
            top_values=[ValueCount(value="false", count=950), ValueCount(value="true", count=50)],
        ),
    ]
    return DatasetProfile(
        rows=ROWS,
        columns=len(columns),
        memory_bytes=100_000,
        duplicate_rows=3,
        column_profiles=columns,
        findings=findings
        if findings is not None
        else [
            QualityFinding(
                code="identifier_like",
                severity="info",
                message="customer_id looks like an id",
                columns=["customer_id"],
            ),
            QualityFinding(code="pii", severity="warning", message="email holds emails", columns=["email"]),
            QualityFinding(
                code="duplicate_rows", severity="warning", message="3 duplicate rows", columns=[], count=3
            ),
        ],
        estimated=["memory_bytes"],
    )
