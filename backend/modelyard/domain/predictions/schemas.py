"""API shapes of predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from modelyard.lib import examples
from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import BatchJobId, ExplainedOutput, JobStatus, ModelId, ProblemType, Schema

MAX_RECORDS = 1000
MAX_EXPLAINED_RECORDS = 100
"""Records one `explain=true` request may carry: exact TreeSHAP costs far more than a prediction."""
MAX_EXPLAIN_TOP = 100


class PredictionRequest(Schema):
    """Records to score: objects mapping column names to values."""

    records: Annotated[
        list[dict[str, Any]],
        msgspec.Meta(
            min_length=1,
            max_length=MAX_RECORDS,
            description='1 to 1000 records, e.g. `{"age": 42, "city": "paris"}`. Every column of the '
            "model's `training_schema.features` must be present (null means missing); other columns are "
            "ignored and listed in `ignored_columns`.",
            examples=[
                [
                    {
                        "signup_date": "2022-03-14",
                        "region": "north",
                        "plan": "standard",
                        "monthly_fee": 19.0,
                        "tenure_months": 14,
                        "support_tickets": 2,
                    }
                ]
            ],
        ),
    ]


class FeatureContribution(Schema):
    """One input column's share of a prediction."""

    feature: Annotated[str, msgspec.Meta(description="The input column.", examples=["tenure_months"])]
    value: Annotated[
        Any, msgspec.Meta(description="The record's value of the column, as sent.", examples=[4])
    ]
    contribution: Annotated[
        float,
        msgspec.Meta(
            description="How much this column moves the explained output away from `base_value` "
            "(SHAP value; for a one-hot encoded or date column, its parts added up).",
            examples=[0.7312],
        ),
    ]


class RecordExplanation(Schema):
    """Why the model gave this record its output: `base_value` plus every column's contribution
    equals `output_value`."""

    output: ExplainedOutput
    base_value: Annotated[
        float,
        msgspec.Meta(
            description="The model's expected output over its training data (trees: their training "
            "cover; linear models: the output at the training means).",
            examples=[-0.4187],
        ),
    ]
    output_value: Annotated[
        float,
        msgspec.Meta(
            description="The model's raw output for this record: `base_value` + the contributions of "
            "every column, listed or not.",
            examples=[1.2093],
        ),
    ]
    contributions: Annotated[
        list[FeatureContribution],
        msgspec.Meta(description="The `explain_top` columns with the largest |contribution|, largest first."),
    ]
    other_contributions: Annotated[
        float,
        msgspec.Meta(
            description="The sum of the contributions of the columns not listed (0 when all are).",
            examples=[0.0412],
        ),
    ]
    explained_class: Annotated[
        Any,
        msgspec.Meta(
            description="Classification: the class whose output is explained (binary: the second "
            "class in `training_schema.classes`; multiclass: the predicted class); null for regression.",
            examples=["yes"],
        ),
    ] = None


class RecordPrediction(Schema):
    """The prediction for one record, or why it has none."""

    index: Annotated[
        int, msgspec.Meta(ge=0, description="Position of the record in the request.", examples=[0])
    ]
    prediction: Annotated[
        Any,
        msgspec.Meta(
            description="Predicted class (classification) or value (regression); null on error.",
            examples=["yes"],
        ),
    ] = None
    probabilities: Annotated[
        dict[str, float] | None,
        msgspec.Meta(
            description="Classifiers: probability of each class (by label).",
            examples=[{"no": 0.109, "yes": 0.891}],
        ),
    ] = None
    errors: Annotated[
        list[str] | None,
        msgspec.Meta(
            description="Why the record could not be scored (missing column, wrong type).",
            examples=[["column 'monthly_fee' expects a number, got str"]],
        ),
    ] = None
    warnings: Annotated[
        list[str] | None,
        msgspec.Meta(
            description="Scored, with a caveat (e.g. a category unseen in training).",
            examples=[["unseen category 'atlantis' in column 'region': encoded as unknown"]],
        ),
    ] = None
    explanation: Annotated[
        RecordExplanation | None,
        msgspec.Meta(description="With `explain=true`: each column's contribution to this prediction."),
    ] = None
    prediction_id: Annotated[
        str | None,
        msgspec.Meta(
            description="Scored records: the id to send the true outcome with "
            "(`POST /api/v1/models/{id}/feedback`).",
            examples=["665f1c2e8b3a4d0012ab34ff"],
        ),
    ] = None


class PredictionResponse(Schema):
    """One prediction per record, in request order."""

    model_id: ModelId
    problem_type: ProblemType
    inference_path: Annotated[
        Literal["compiled", "pipeline"], msgspec.Meta(description="Which inference path computed these.")
    ]
    predictions: list[RecordPrediction]
    scored: Annotated[
        int, msgspec.Meta(ge=0, description="Records that received a prediction.", examples=[2])
    ]
    failed: Annotated[
        int, msgspec.Meta(ge=0, description="Records rejected (see each record's `errors`).", examples=[1])
    ]
    ignored_columns: Annotated[
        list[str],
        msgspec.Meta(
            description="Columns sent that the model does not use.", examples=[["customer_id", "email"]]
        ),
    ]


class BatchPredictionJob(Schema):
    """A batch prediction job; when `succeeded`, download the CSV at `result_url`."""

    id: BatchJobId
    model_id: ModelId
    status: JobStatus
    progress: Annotated[
        float, msgspec.Meta(ge=0, le=1, description="0..1; 1 when succeeded.", examples=[1.0])
    ]
    message: Annotated[str | None, msgspec.Meta(description="What the job is doing now.", examples=["Done."])]
    filename: Annotated[
        str | None, msgspec.Meta(description="File name the client sent.", examples=["customers-june.csv"])
    ]
    input_rows: Annotated[int, msgspec.Meta(ge=0, description="Rows in the uploaded file.", examples=[1200])]
    rows_scored: Annotated[int, msgspec.Meta(ge=0, description="Rows scored so far.", examples=[1200])]
    result_url: Annotated[
        str | None,
        msgspec.Meta(
            description="Where to download the result CSV, once succeeded.",
            examples=[f"/api/v1/batch-predictions/{examples.BATCH_JOB_ID}/result"],
        ),
    ]
    result_bytes: Annotated[
        int | None, msgspec.Meta(description="Size of the result CSV, once succeeded.", examples=[145870])
    ]
    error: Annotated[Problem | None, msgspec.Meta(description="Why the job failed (problem details).")]
    attempts: Annotated[
        int, msgspec.Meta(ge=0, description="Times a worker started it (a restart retries it).", examples=[1])
    ]
    created_at: Annotated[
        datetime, msgspec.Meta(description="When it was queued (UTC).", examples=[examples.BATCH_CREATED_AT])
    ]
    started_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it started (UTC).", examples=[examples.BATCH_STARTED_AT]),
    ]
    finished_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it finished (UTC).", examples=[examples.BATCH_FINISHED_AT]),
    ]


class BatchPredictionJobPage(Page):
    items: list[BatchPredictionJob]
