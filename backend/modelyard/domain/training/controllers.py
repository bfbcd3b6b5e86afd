"""HTTP endpoints of training jobs."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import ServerSentEvent
from litestar.status_codes import HTTP_202_ACCEPTED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.models.schemas import (
    Candidate,
    DroppedColumn,
    LeakageFinding,
    SearchStop,
)
from modelyard.domain.training import examples
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.schemas import (
    ScorePoint,
    TrainingJob,
    TrainingJobCreate,
    TrainingJobPage,
    TrainingOptions,
)
from modelyard.domain.training.services import TrainingService
from modelyard.lib.errors import FieldError, Problem
from modelyard.lib.events import (
    NOTHING_NEWER,
    STREAM_DESCRIPTION,
    JobSnapshot,
    LastEventId,
    job_events_response,
    poll_headers,
)
from modelyard.lib.examples import TRAINING_JOB_ID
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.openapi import AUTHENTICATED, example_response, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import TrainingJobPathId
from modelyard.lib.schema import JobStatus
from modelyard.settings import Settings


def to_training_job(job: TrainingJobDocument) -> TrainingJob:
    options = job.options
    return TrainingJob(
        id=str(job.id),
        status=job.status,
        progress=round(job.progress, 4),
        message=job.message,
        dataset_id=str(job.dataset_id),
        target=job.target,
        problem_type=job.problem_type,
        metric=job.metric,  # type: ignore[arg-type]
        options=TrainingOptions(
            problem_type=options.get("problem_type"),
            metric=options.get("metric"),
            time_budget_s=int(options.get("time_budget_s", 0)),
            cv_folds=int(options.get("cv_folds", 3)),
            test_size=float(options.get("test_size", 0.2)),
            algorithms=options.get("algorithms"),
            exclude_columns=list(options.get("exclude_columns") or []),
            random_seed=int(options.get("random_seed", 0)),
        ),
        candidates=[msgspec.convert(c, Candidate, strict=False) for c in job.candidates],
        score_history=[ScorePoint(**p) for p in job.score_history],
        estimated_seconds_left=job.estimated_seconds_left,
        search_stop=SearchStop(**job.search_stop) if job.search_stop else None,
        dropped_columns=[DroppedColumn(**d) for d in job.dropped_columns],
        leakage_findings=[LeakageFinding(**f) for f in job.leakage_findings],
        model_id=str(job.model_id) if job.model_id else None,
        error=Problem(**job.error) if job.error else None,
        attempts=job.attempts,
        cancel_requested=job.cancel_requested,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def training_snapshot(job: TrainingJobDocument) -> JobSnapshot:
    return JobSnapshot(job.revision, job.status, to_training_job(job), live=job.candidates)


_UNKNOWN_TARGET = "The dataset has no column 'churn'."
_STILL_RUNNING = (
    f"The training job is running; cancel it first (POST /api/v1/training-jobs/{TRAINING_JOB_ID}/cancel), "
    "then delete it once it reads cancelled."
)
_ACCEPTED = example_response(
    TrainingJob,
    "Queued. Poll the `Location` URL (`GET /api/v1/training-jobs/{id}`) until `status` is final.",
    {"Queued": examples.QUEUED},
)
_JOB = example_response(
    TrainingJob,
    "The job: status, progress, leaderboard, and the model once succeeded.",
    {"Succeeded": examples.SUCCEEDED, "Running": examples.CANCELLING, "Queued": examples.QUEUED},
)
_CANCELLING = example_response(
    TrainingJob,
    "Cancellation requested: a queued job reads `cancelled` at once, a running one soon after "
    "(`cancel_requested` is true meanwhile).",
    {"Cancelling": examples.CANCELLING},
)
_PAGE = example_response(
    TrainingJobPage,
    "A page of training jobs, newest first.",
    {
        "One job": TrainingJobPage(
            items=[examples.SUCCEEDED], total=1, limit=20, offset=0, next_cursor=None, has_more=False
        )
    },
)


class TrainingJobController(Controller):
    path = "/api/v1/training-jobs"
    tags = ["training"]

    @post(
        "/",
        operation_id="createTrainingJob",
        summary="Start a training job",
        status_code=HTTP_202_ACCEPTED,
        responses={
            202: _ACCEPTED,
            **problem_responses(
                400,
                422,
                *AUTHENTICATED,
                details={422: (_UNKNOWN_TARGET, [FieldError(_UNKNOWN_TARGET, "body.target")])},
            ),
        },
    )
    async def create(
        self,
        request: UserRequest,
        data: JSONBody[TrainingJobCreate],
        training: NamedDependency[TrainingService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[TrainingJob]:
        """Queue an AutoML search on one of your datasets; 202 with `Location` of the job to poll.

        The request is checked against the data before anything is queued; a 422 names the
        field at fault (`body.dataset_id`, `body.target`, `body.exclude_columns`,
        `body.metric`, `body.problem_type`) when the dataset is unknown, a column does not
        exist, the target has a single value, is missing in more than half the rows, has a
        class with fewer than 2 rows, is not numeric for a regression, or fewer than 20 rows
        have a target.

        The job searches linear models, extra trees, random forests and histogram gradient
        boosting (cheap configurations first, successive halving on larger data) within
        `time_budget_s`, refits the best pipeline and evaluates it on a held-out split. Poll
        `GET /api/v1/training-jobs/{id}`: `progress`, a live `candidates` leaderboard, and
        `model_id` once `succeeded`.
        """

        async def queue() -> Response[TrainingJob]:
            job = await training.create(owner(request), data)
            return Response(
                to_training_job(job),
                status_code=HTTP_202_ACCEPTED,
                headers={"Location": f"/api/v1/training-jobs/{job.id}"},
            )

        body = fingerprint(msgspec.json.encode(data))
        return await respond_once(owner(request), idempotency_key, request.url.path, body, queue)

    @get(
        "/",
        operation_id="listTrainingJobs",
        summary="List training jobs",
        responses={200: _PAGE, **problem_responses(422, *AUTHENTICATED)},
    )
    async def list_jobs(
        self,
        request: UserRequest,
        training: NamedDependency[TrainingService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
        dataset_id: Annotated[
            str | None, Parameter(max_length=64, description="Only jobs on this dataset (24-hex id).")
        ] = None,
        status: Annotated[JobStatus | None, Parameter(description="Only jobs in this status.")] = None,
    ) -> TrainingJobPage:
        """Your training jobs, newest first; filter by `dataset_id` and `status`."""
        window = await training.list(
            owner(request), dataset_id=dataset_id, status=status, limit=limit, offset=offset, cursor=cursor
        )
        return TrainingJobPage(items=[to_training_job(j) for j in window.items], **window.envelope())

    @get(
        "/{job_id:str}",
        operation_id="getTrainingJob",
        summary="Get a training job",
        responses={200: _JOB, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_job(
        self,
        request: UserRequest,
        job_id: FromPath[TrainingJobPathId],
        training: NamedDependency[TrainingService],
        settings: NamedDependency[Settings],
    ) -> Response[TrainingJob]:
        """Status, progress (0..1), the leaderboard so far, dropped columns, and the model id or
        the `error` (problem details) once finished. While the job is queued or running the
        answer carries `Retry-After`: when to poll again (or stream `/events` instead)."""
        job = await training.get_owned(owner(request), job_id)
        return Response(to_training_job(job), headers=poll_headers(job.status, settings.events.retry_after_s))

    @get(
        "/{job_id:str}/events",
        operation_id="streamTrainingJobEvents",
        summary="Stream a training job's events",
        media_type="text/event-stream",
        description=(
            "Follow the job without polling: its status, progress and live leaderboard as they change, "
            "then a final event." + STREAM_DESCRIPTION
        ),
        responses={204: NOTHING_NEWER, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def events(
        self,
        request: UserRequest,
        job_id: FromPath[TrainingJobPathId],
        training: NamedDependency[TrainingService],
        settings: NamedDependency[Settings],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        return await job_events_response(  # type: ignore[return-value]
            lambda: training.get_owned(owner(request), job_id),
            training_snapshot,
            last_event_id=last_event_id,
            poll_interval=settings.events.poll_interval_s,
            max_duration=settings.events.max_stream_s,
        )

    @delete(
        "/{job_id:str}",
        operation_id="deleteTrainingJob",
        summary="Delete a finished training job",
        responses=problem_responses(
            404,
            409,
            *AUTHENTICATED,
            details={409: _STILL_RUNNING},
        ),
    )
    async def delete_job(
        self,
        request: UserRequest,
        job_id: FromPath[TrainingJobPathId],
        training: NamedDependency[TrainingService],
    ) -> None:
        """Remove a succeeded, failed or cancelled job's record; 204 when done. The model it trained
        stays and keeps serving (delete the model to stop it). A queued or running job is a 409:
        cancel it first."""
        await training.delete(owner(request), job_id)

    @post(
        "/{job_id:str}/cancel",
        operation_id="cancelTrainingJob",
        summary="Cancel a training job",
        status_code=HTTP_202_ACCEPTED,
        responses={
            202: _CANCELLING,
            **problem_responses(
                404,
                409,
                *AUTHENTICATED,
                details={
                    409: "The training job already succeeded; only queued or running jobs can be cancelled."
                },
            ),
        },
    )
    async def cancel(
        self,
        request: UserRequest,
        job_id: FromPath[TrainingJobPathId],
        training: NamedDependency[TrainingService],
    ) -> Response[TrainingJob]:
        """Stop a queued or running job. A queued job is `cancelled` at once; a running one
        stops its search at the next candidate or fold (within a second or so) and then reads
        `cancelled` (`cancel_requested` is true meanwhile). A finished job is a 409."""
        job = to_training_job(await training.cancel(owner(request), job_id))
        return Response(
            job, status_code=HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/training-jobs/{job.id}"}
        )
