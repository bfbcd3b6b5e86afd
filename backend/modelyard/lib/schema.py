"""The API schema base and the one vocabulary every area shares (ids, problem types, job states...)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec

from modelyard.lib import examples


class Schema(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    """Request and response bodies. Unknown request fields are an error, not silently dropped."""


OBJECT_ID_PATTERN = r"^[0-9a-f]{24}$"
OBJECT_ID_LENGTH = 24


def object_id(description: str, example: str) -> msgspec.Meta:
    """The constraints and documentation of an id field: its example names the resource it refers to."""
    return msgspec.Meta(pattern=OBJECT_ID_PATTERN, description=description, examples=[example])


# A resource id as the API shows it: MongoDB's ObjectId in 24 lowercase hex digits, one alias per
# kind of resource so that every example id names the same resource wherever it appears.
UserId = Annotated[str, object_id("24-hex account id.", examples.USER_ID)]
DatasetId = Annotated[str, object_id("24-hex dataset id.", examples.DATASET_ID)]
AnalysisId = Annotated[str, object_id("24-hex analysis id.", examples.ANALYSIS_ID)]
TrainingJobId = Annotated[str, object_id("24-hex training job id.", examples.TRAINING_JOB_ID)]
ModelId = Annotated[str, object_id("24-hex model id.", examples.MODEL_ID)]
BatchJobId = Annotated[str, object_id("24-hex batch prediction job id.", examples.BATCH_JOB_ID)]
ApiKeyId = Annotated[str, object_id("24-hex API key id.", examples.API_KEY_ID)]
WebhookId = Annotated[str, object_id("24-hex webhook id.", examples.WEBHOOK_ID)]
WebhookDeliveryId = Annotated[str, object_id("24-hex webhook delivery id.", examples.WEBHOOK_DELIVERY_ID)]

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
