"""The API schema base and the one vocabulary every area shares (ids, problem types, job states...)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec


class Schema(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    """Request and response bodies. Unknown request fields are an error, not silently dropped."""


ObjectId = Annotated[
    str,
    msgspec.Meta(pattern=r"^[0-9a-f]{24}$", description="24-hex id.", examples=["665f1c2a9b1e8a3d4c5b6a79"]),
]
"""A resource id as the API shows it: MongoDB's ObjectId in 24 lowercase hex digits."""

ProblemType = Literal["binary", "multiclass", "regression"]
PROBLEM_TYPES: tuple[ProblemType, ...] = get_args(ProblemType)

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
FINAL_STATUSES: tuple[JobStatus, ...] = ("succeeded", "failed", "cancelled")

Severity = Literal["info", "warning", "critical"]

ExplainedOutput = Annotated[
    Literal["log_odds", "class_logit", "probability", "prediction"],
    msgspec.Meta(
        description="The raw output explained: `log_odds` of the second class (binary gradient boosting "
        "and logistic regression), `class_logit` (multiclass gradient boosting and logistic regression: "
        "the class's score before softmax), `probability` of the class (random forests and extra trees) "
        "or `prediction` (regression).",
        examples=["log_odds"],
    ),
]
"""The raw model output an explanation splits into contributions (see `modelyard.ml.explain`)."""

DatasetFormat = Literal["csv", "tsv", "xlsx", "parquet", "jsonl"]
DATASET_FORMATS: tuple[DatasetFormat, ...] = get_args(DatasetFormat)
