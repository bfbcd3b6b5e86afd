"""HTTP endpoints of predictions: online scoring and batch jobs."""

from __future__ import annotations

import functools

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_202_ACCEPTED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.predictions.documents import BatchPredictionJobDocument
from modelyard.domain.predictions.schemas import (
    BatchPredictionJob,
    BatchPredictionJobPage,
    PredictionRequest,
    PredictionResponse,
)
from modelyard.domain.predictions.services import PredictionService
from modelyard.lib.errors import Problem
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.openapi import AUTHENTICATED, multipart_upload, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.scratch import scratch_root
from modelyard.lib.uploads import receive_upload
from modelyard.settings import Settings
from modelyard.tabular.intake import ingest_limits, sniff_head
from modelyard.tabular.sniffing import ACCEPTED_FORMATS, SNIFF_BYTES

BatchUploadOperation = multipart_upload(
    f"The rows to score: {ACCEPTED_FORMATS}, detected from the content; every feature column of the "
    "model must be present."
)


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
        responses=problem_responses(400, 404, 422, *AUTHENTICATED),
    )
    async def predict(
        self,
        request: UserRequest,
        model_id: FromPath[str],
        data: JSONBody[PredictionRequest],
        predictions: NamedDependency[PredictionService],
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
        """
        return await predictions.predict(owner(request), model_id, data.records)

    @post(
        "/batch-predictions",
        operation_id="createBatchPrediction",
        summary="Start a batch prediction",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=None,  # enforced while streaming, against MODELYARD_MAX_UPLOAD_BYTES
        operation_class=BatchUploadOperation,
        responses=problem_responses(400, 404, 413, 415, 422, *AUTHENTICATED),
    )
    async def create_batch(
        self,
        request: UserRequest,
        model_id: FromPath[str],
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
        responses=problem_responses(404, 422, *AUTHENTICATED),
    )
    async def list_batches(
        self,
        request: UserRequest,
        model_id: FromPath[str],
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
        responses=problem_responses(404, *AUTHENTICATED),
    )
    async def get_batch(
        self, request: UserRequest, job_id: FromPath[str], predictions: NamedDependency[PredictionService]
    ) -> BatchPredictionJob:
        """Status and progress; `result_url` once `succeeded`, `error` (problem details) if failed."""
        return to_batch_job(await predictions.get_batch(owner(request), job_id))

    @delete(
        "/{job_id:str}",
        operation_id="deleteBatchPrediction",
        summary="Delete a batch prediction job",
        responses=problem_responses(404, 503, *AUTHENTICATED),
    )
    async def delete_batch(
        self, request: UserRequest, job_id: FromPath[str], predictions: NamedDependency[PredictionService]
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
        media_type="text/csv",
        responses=problem_responses(404, 409, *AUTHENTICATED),
    )
    async def result(
        self, request: UserRequest, job_id: FromPath[str], predictions: NamedDependency[PredictionService]
    ) -> Stream:
        """The result as CSV (streamed): the input columns, then `prediction` and, for
        classifiers, `probability_<class>` per class. 409 until the job succeeded."""
        job, chunks = await predictions.result_stream(owner(request), job_id)
        return Stream(
            chunks,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="predictions-{job.id}.csv"'},
        )
