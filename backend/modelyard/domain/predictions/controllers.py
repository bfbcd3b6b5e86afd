"""HTTP endpoints of predictions: online scoring and batch jobs."""

from __future__ import annotations

import functools
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import ServerSentEvent, Stream
from litestar.status_codes import HTTP_202_ACCEPTED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.predictions import examples
from modelyard.domain.predictions.documents import BatchPredictionJobDocument
from modelyard.domain.predictions.schemas import (
    MAX_EXPLAIN_TOP,
    MAX_EXPLAINED_RECORDS,
    BatchPredictionJob,
    BatchPredictionJobPage,
    PredictionRequest,
    PredictionResponse,
)
from modelyard.domain.predictions.services import PredictionService
from modelyard.lib.errors import FieldError, Problem
from modelyard.lib.events import (
    NOTHING_NEWER,
    STREAM_DESCRIPTION,
    JobSnapshot,
    LastEventId,
    job_events_response,
    poll_headers,
)
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.key_access import KEY_SCOPES, require_model_access
from modelyard.lib.openapi import AUTHENTICATED, example_response, multipart_upload, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import BatchJobPathId, ModelPathId
from modelyard.lib.scratch import scratch_root
from modelyard.lib.uploads import receive_upload
from modelyard.settings import Settings
from modelyard.tabular.intake import ingest_limits, sniff_head
from modelyard.tabular.sniffing import ACCEPTED_FORMATS, SNIFF_BYTES

READ_OR_PREDICT = ("read", "predict")
"""A key's `read` scope, or its `predict` scope on the job's model (checked once the job is read)."""

BatchUploadOperation = multipart_upload(
    f"The rows to score: {ACCEPTED_FORMATS}, detected from the content; every feature column of the "
    "model must be present."
)
_MISTYPED = "column 'monthly_fee' expects a number, got str"
_MISSING = "missing required column 'tenure_months'"
_NOTHING_SCORED = (
    "None of the 2 records could be scored; `errors` says why for each.",
    [FieldError(_MISTYPED, "body.records[0]"), FieldError(_MISSING, "body.records[1]")],
)
_PREDICTIONS = example_response(
    PredictionResponse,
    "One prediction per record, in request order; records that could not be scored carry `errors`.",
    {"Two scored, one rejected": examples.PARTLY_SCORED},
)
_BATCH_ACCEPTED = example_response(
    BatchPredictionJob,
    "Queued. Poll the `Location` URL (`GET /api/v1/batch-predictions/{id}`) until `status` is final.",
    {"Queued": examples.BATCH_QUEUED},
)
_BATCH = example_response(
    BatchPredictionJob,
    "The job; `result_url` once succeeded.",
    {"Succeeded": examples.BATCH_SUCCEEDED, "Queued": examples.BATCH_QUEUED},
)
_BATCH_PAGE = example_response(
    BatchPredictionJobPage,
    "A page of the model's batch prediction jobs, newest first.",
    {
        "One job": BatchPredictionJobPage(
            items=[examples.BATCH_SUCCEEDED], total=1, limit=20, offset=0, next_cursor=None, has_more=False
        )
    },
)
_MISSING_FEATURE = "The file lacks columns the model needs: tenure_months."


def to_batch_job(job: BatchPredictionJobDocument) -> BatchPredictionJob:
    done = job.status == "succeeded" and job.result_key is not None
    return BatchPredictionJob(
        id=str(job.id),
        model_id=str(job.model_id),
        status=job.status,
        progress=round(job.progress, 4),
        message=job.message,
        filename=job.filename,
        input_rows=job.input_rows,
        rows_scored=job.rows_scored,
        result_url=f"/api/v1/batch-predictions/{job.id}/result" if done else None,
        result_bytes=job.result_bytes,
        error=Problem(**job.error) if job.error else None,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


class ModelPredictionsController(Controller):
    path = "/api/v1/models/{model_id:str}"
    tags = ["predictions"]

    @post(
        "/predictions",
        operation_id="predict",
        summary="Predict (online)",
        status_code=200,
        opt={KEY_SCOPES: ("predict",)},
        responses={
            200: _PREDICTIONS,
            **problem_responses(400, 404, 409, 422, *AUTHENTICATED, details={422: _NOTHING_SCORED}),
        },
    )
    async def predict(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        data: JSONBody[PredictionRequest],
        predictions: NamedDependency[PredictionService],
        explain: Annotated[
            bool,
            Parameter(
                description="Also explain each prediction: every record gets an `explanation` with the "
                f"`explain_top` largest column contributions (exact SHAP values). At most "
                f"{MAX_EXPLAINED_RECORDS} records per request."
            ),
        ] = False,
        explain_top: Annotated[
            int,
            Parameter(
                ge=1,
                le=MAX_EXPLAIN_TOP,
                description="With `explain=true`: how many columns to list per record, largest "
                "|contribution| first; the rest are summed in `other_contributions`.",
            ),
        ] = 10,
    ) -> PredictionResponse:
        """Score 1 to 1000 records with a model; results come back in request order.

        Each record is checked against the model's `training_schema`: a missing feature
        column or a value of the wrong type gives that record `errors` (the others are still
        scored), null means "missing" and is imputed as in training, a category never seen
        in training is encoded as unknown and reported in the record's `warnings`, and
        columns the model does not use are ignored and listed in `ignored_columns`.
        Classifiers return the predicted class and each class's probability. When no record
        can be scored the answer is 422, with each record's problems located at
        `body.records[<index>]`.

        With `explain=true` each scored record also carries an `explanation`: the base value and
        each column's contribution (SHAP value) to the model's raw output, which add up to
        `output_value` exactly (log-odds, class logit, class probability for forests, or the
        prediction; see the predictions guide). More than 100 records with `explain=true` is a
        422; a linear model trained before explanations existed answers 409 (train it again).
        """
        return await predictions.predict(
            owner(request), model_id, data.records, explain_top=explain_top if explain else None
        )

    @post(
        "/batch-predictions",
        operation_id="createBatchPrediction",
        summary="Start a batch prediction",
        status_code=HTTP_202_ACCEPTED,
        opt={KEY_SCOPES: ("predict",)},
        request_max_body_size=None,  # enforced while streaming, against MODELYARD_MAX_UPLOAD_BYTES
        operation_class=BatchUploadOperation,
        responses={
            202: _BATCH_ACCEPTED,
            **problem_responses(
                400,
                404,
                413,
                415,
                422,
                *AUTHENTICATED,
                details={422: (_MISSING_FEATURE, [FieldError(_MISSING_FEATURE, "body.file")])},
            ),
        },
    )
    async def create_batch(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        predictions: NamedDependency[PredictionService],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[BatchPredictionJob]:
        """Upload a file of rows to score (`multipart/form-data`, field `file`); 202 with the
        job's `Location`.

        The file follows the dataset upload rules (CSV/TSV, Excel, Parquet, JSON Lines,
        detected from content; a file that is not tabular is refused on its first 256 KB)
        and must contain every feature column of the model (422 otherwise). Rows are scored
        in chunks; the result is a CSV with the input columns plus `prediction` (and
        `probability_<class>` for classifiers), downloaded from
        `GET /api/v1/batch-predictions/{id}/result`.
        """
        # Before receiving the body: an unknown model is a 404 without streaming the upload.
        model = await predictions.models.get_owned(owner(request), model_id)
        upload = await receive_upload(
            request.headers.get("content-type", ""),
            request.content_length,
            request.stream(),
            max_bytes=settings.app.max_upload_bytes,
            head_bytes=SNIFF_BYTES,
            check_head=functools.partial(sniff_head, limits=ingest_limits(settings.app)),
            scratch_root=scratch_root(settings.app.var_dir),
        )

        async def queue() -> Response[BatchPredictionJob]:
            job = await predictions.create_batch(owner(request), model, upload)
            return Response(
                to_batch_job(job),
                status_code=HTTP_202_ACCEPTED,
                headers={"Location": f"/api/v1/batch-predictions/{job.id}"},
            )

        try:
            body = fingerprint(upload.sha256, upload.filename or "")
            return await respond_once(owner(request), idempotency_key, request.url.path, body, queue)
        finally:
            await upload.discard()

    @get(
        "/batch-predictions",
        operation_id="listBatchPredictions",
        summary="List a model's batch predictions",
        opt={KEY_SCOPES: READ_OR_PREDICT},
        responses={200: _BATCH_PAGE, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def list_batches(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        predictions: NamedDependency[PredictionService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> BatchPredictionJobPage:
        """The model's batch prediction jobs, newest first."""
        window = await predictions.list_batches(owner(request), model_id, limit, offset, cursor)
        return BatchPredictionJobPage(items=[to_batch_job(j) for j in window.items], **window.envelope())


class BatchPredictionController(Controller):
    path = "/api/v1/batch-predictions"
    tags = ["predictions"]

    @get(
        "/{job_id:str}",
        operation_id="getBatchPrediction",
        summary="Get a batch prediction job",
        opt={KEY_SCOPES: READ_OR_PREDICT},
        responses={200: _BATCH, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_batch(
        self,
        request: UserRequest,
        job_id: FromPath[BatchJobPathId],
        predictions: NamedDependency[PredictionService],
        settings: NamedDependency[Settings],
    ) -> Response[BatchPredictionJob]:
        """Status and progress; `result_url` once `succeeded`, `error` (problem details) if failed.
        While the job is queued or running the answer carries `Retry-After`: when to poll again
        (or stream `/events` instead)."""
        job = await predictions.get_batch(owner(request), job_id)
        require_model_access(request, str(job.model_id))
        return Response(to_batch_job(job), headers=poll_headers(job.status, settings.events.retry_after_s))

    @get(
        "/{job_id:str}/events",
        operation_id="streamBatchPredictionEvents",
        summary="Stream a batch prediction's events",
        media_type="text/event-stream",
        opt={KEY_SCOPES: READ_OR_PREDICT},
        description="Follow the job without polling: its status and progress (rows scored) as they "
        "change, then a final event with `result_url`." + STREAM_DESCRIPTION,
        responses={204: NOTHING_NEWER, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def events(
        self,
        request: UserRequest,
        job_id: FromPath[BatchJobPathId],
        predictions: NamedDependency[PredictionService],
        settings: NamedDependency[Settings],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        async def load() -> BatchPredictionJobDocument:
            job = await predictions.get_batch(owner(request), job_id)
            require_model_access(request, str(job.model_id))
            return job

        return await job_events_response(  # type: ignore[return-value]
            load,
            lambda job: JobSnapshot(job.revision, job.status, to_batch_job(job)),
            last_event_id=last_event_id,
            poll_interval=settings.events.poll_interval_s,
            max_duration=settings.events.max_stream_s,
        )

    @delete(
        "/{job_id:str}",
        operation_id="deleteBatchPrediction",
        summary="Delete a batch prediction job",
        responses=problem_responses(404, 503, *AUTHENTICATED),
    )
    async def delete_batch(
        self,
        request: UserRequest,
        job_id: FromPath[BatchJobPathId],
        predictions: NamedDependency[PredictionService],
    ) -> None:
        """Delete the job with its uploaded input and its result file; 204 when done.

        A queued or running job is cancelled first and stores nothing afterwards. If storage
        fails half-way the answer is 503 and the job is still listed: repeat the request to
        finish.
        """
        await predictions.delete_batch(owner(request), job_id)

    @get(
        "/{job_id:str}/result",
        operation_id="getBatchPredictionResult",
        summary="Download a batch prediction result",
        opt={KEY_SCOPES: READ_OR_PREDICT},
        media_type="text/csv",
        responses=problem_responses(
            404,
            409,
            *AUTHENTICATED,
            details={409: "The batch prediction job is running; its result exists once it succeeded."},
        ),
    )
    async def result(
        self,
        request: UserRequest,
        job_id: FromPath[BatchJobPathId],
        predictions: NamedDependency[PredictionService],
    ) -> Stream:
        """The result as CSV (streamed): the input columns, then `prediction` and, for
        classifiers, `probability_<class>` per class. 409 until the job succeeded."""
        job = await predictions.get_batch(owner(request), job_id)
        require_model_access(request, str(job.model_id))
        chunks = await predictions.result_stream(job)
        return Stream(
            chunks,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="predictions-{job.id}.csv"'},
        )
