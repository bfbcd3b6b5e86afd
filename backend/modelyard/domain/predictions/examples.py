"""Whole-object examples of predictions for the spec: an online answer, batch jobs queued and done.

Taken from a real run of the churn model trained on docs/examples/customers.csv, with the ids
and times of the spec's story (lib/examples.py).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from modelyard.domain.predictions.schemas import BatchPredictionJob, PredictionResponse, RecordPrediction
from modelyard.lib import examples

PARTLY_SCORED = PredictionResponse(
    model_id=examples.MODEL_ID,
    problem_type="binary",
    inference_path="compiled",
    predictions=[
        RecordPrediction(index=0, prediction="no", probabilities={"no": 0.5376, "yes": 0.4624}),
        RecordPrediction(
            index=1,
            prediction="yes",
            probabilities={"no": 0.1094, "yes": 0.8906},
            warnings=["unseen category 'atlantis' in column 'region': encoded as unknown"],
        ),
        RecordPrediction(index=2, errors=["column 'monthly_fee' expects a number, got str"]),
    ],
    scored=2,
    failed=1,
    ignored_columns=["customer_id", "email"],
)

BATCH_QUEUED = BatchPredictionJob(
    id=examples.BATCH_JOB_ID,
    model_id=examples.MODEL_ID,
    status="queued",
    progress=0.0,
    message="Queued.",
    filename="customers-june.csv",
    input_rows=1200,
    rows_scored=0,
    result_url=None,
    result_bytes=None,
    error=None,
    attempts=0,
    created_at=datetime.fromisoformat(examples.BATCH_CREATED_AT),
    started_at=None,
    finished_at=None,
)

BATCH_SUCCEEDED = msgspec.structs.replace(
    BATCH_QUEUED,
    status="succeeded",
    progress=1.0,
    message="Done.",
    rows_scored=1200,
    result_url=f"/api/v1/batch-predictions/{examples.BATCH_JOB_ID}/result",
    result_bytes=145870,
    attempts=1,
    started_at=datetime.fromisoformat(examples.BATCH_STARTED_AT),
    finished_at=datetime.fromisoformat(examples.BATCH_FINISHED_AT),
)
