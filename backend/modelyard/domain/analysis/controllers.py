"""HTTP endpoints of analyses: start a dataset analysis or a model narrative, read one, list history."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.analysis import examples
from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.schemas import (
    Analysis,
    AnalysisCreate,
    AnalysisPage,
    DatasetAnalysisResult,
    ModelNarrative,
    Provenance,
)
from modelyard.domain.analysis.services import AnalysisService
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
from modelyard.lib.openapi import AUTHENTICATED, example_response, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import AnalysisPathId, DatasetPathId, ModelPathId
from modelyard.settings import Settings


def to_analysis(job: AnalysisJobDocument) -> Analysis:
    result = narrative = None
    if job.result is not None:
        if job.kind == "dataset":
            result = msgspec.convert(job.result, DatasetAnalysisResult)
        else:
            narrative = msgspec.convert(job.result, ModelNarrative)
    return Analysis(
        id=str(job.id),
        kind=job.kind,
        dataset_id=str(job.dataset_id) if job.dataset_id else None,
        model_id=str(job.model_id) if job.model_id else None,
        status=job.status,
        progress=job.progress,
        message=job.message,
        error=msgspec.convert(job.error, Problem) if job.error else None,
        result=result,
        narrative=narrative,
        provenance=msgspec.convert(job.provenance, Provenance) if job.provenance else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def accepted(job: AnalysisJobDocument) -> Response[Analysis]:
    return Response(to_analysis(job), status_code=202, headers={"Location": f"/api/v1/analyses/{job.id}"})


_UNKNOWN_TARGET = (
    "The dataset has no column named 'churn'.",
    [FieldError("No column named 'churn'.", "body.target")],
)
_ACCEPTED = example_response(
    Analysis,
    "Queued. Poll the `Location` URL (`GET /api/v1/analyses/{id}`) until `status` is final.",
    {"Queued": examples.QUEUED},
)
_NARRATIVE_ACCEPTED = example_response(
    Analysis,
    "Queued. Poll the `Location` URL (`GET /api/v1/analyses/{id}`) until `status` is final.",
    {"Queued": examples.NARRATIVE_QUEUED},
)
_ANALYSIS = example_response(
    Analysis,
    "The analysis job, with its result once succeeded.",
    {
        "Dataset analysis, succeeded": examples.SUCCEEDED,
        "Model narrative, succeeded": examples.NARRATIVE_SUCCEEDED,
        "Queued": examples.QUEUED,
    },
)
_PAGE = example_response(
    AnalysisPage,
    "A page of analyses, newest first.",
    {
        "One analysis": AnalysisPage(
            items=[examples.SUCCEEDED], total=1, limit=20, offset=0, next_cursor=None, has_more=False
        )
    },
)
_NARRATIVE_PAGE = example_response(
    AnalysisPage,
    "A page of the model's narratives, newest first.",
    {
        "One narrative": AnalysisPage(
            items=[examples.NARRATIVE_SUCCEEDED],
            total=1,
            limit=20,
            offset=0,
            next_cursor=None,
            has_more=False,
        )
    },
)


class DatasetAnalysesController(Controller):
    path = "/api/v1/datasets/{dataset_id:str}/analyses"
    tags = ["analysis"]

    @post(
        "/",
        operation_id="createDatasetAnalysis",
        summary="Analyse a dataset",
        status_code=202,
        responses={
            202: _ACCEPTED,
            **problem_responses(400, 404, 422, *AUTHENTICATED, details={422: _UNKNOWN_TARGET}),
        },
    )
    async def create(
        self,
        request: UserRequest,
        dataset_id: FromPath[DatasetPathId],
        analyses: NamedDependency[AnalysisService],
        data: JSONBody[AnalysisCreate | None] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Analysis]:
        """Start a plain-language analysis of the dataset: a job, answered 202 with a `Location` header.

        The result (once `status` is `succeeded`) has an overview, findings with severity and the
        columns involved, ranked target suggestions, recommended preprocessing, columns to exclude
        (identifiers, leakage suspects) and caveats. `provenance` says who wrote it: a language
        model (`openai`) or the built-in heuristic analyst, and whether the heuristic stood in
        because the model failed. Only aggregates and masked samples of non-personal columns are
        sent to a language model. Pass `target` when you know the column you want to predict.

        Each user may have a few analyses running at once and start a bounded number per hour;
        beyond that the answer is 429 with `Retry-After`.
        """
        target = data.target if data else None

        async def start() -> Response[Analysis]:
            return accepted(await analyses.start_dataset_analysis(owner(request), dataset_id, target))

        return await respond_once(
            owner(request), idempotency_key, request.url.path, fingerprint(target or ""), start
        )

    @get(
        "/",
        operation_id="listDatasetAnalyses",
        summary="List a dataset's analyses",
        responses={200: _PAGE, **problem_responses(400, 404, 422, *AUTHENTICATED)},
    )
    async def list_for_dataset(
        self,
        request: UserRequest,
        dataset_id: FromPath[DatasetPathId],
        analyses: NamedDependency[AnalysisService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> AnalysisPage:
        """The dataset's analyses, newest first, with their results."""
        window = await analyses.list_for_dataset(
            owner(request), dataset_id, limit=limit, offset=offset, cursor=cursor
        )
        return AnalysisPage(items=[to_analysis(i) for i in window.items], **window.envelope())


class ModelAnalysesController(Controller):
    path = "/api/v1/models/{model_id:str}/analyses"
    tags = ["analysis"]

    @post(
        "/",
        operation_id="createModelAnalysis",
        summary="Explain a model",
        status_code=202,
        responses={202: _NARRATIVE_ACCEPTED, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def create(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        analyses: NamedDependency[AnalysisService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Analysis]:
        """Start a plain-language narrative of a trained model: a job, answered 202 with `Location`.

        The narrative (`narrative` once `status` is `succeeded`) puts the model's score in
        context (against always predicting the most common class, or the mean), names the
        features that drive it, where it is weak (confused classes, biased or uneven errors) and
        what to try next. Same provider, provenance and limits as dataset analyses.
        """

        async def start() -> Response[Analysis]:
            return accepted(await analyses.start_model_analysis(owner(request), model_id))

        return await respond_once(owner(request), idempotency_key, request.url.path, fingerprint(""), start)

    @get(
        "/",
        operation_id="listModelAnalyses",
        summary="List a model's narratives",
        responses={200: _NARRATIVE_PAGE, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def list_for_model(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        analyses: NamedDependency[AnalysisService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> AnalysisPage:
        """The model's narratives, newest first."""
        window = await analyses.list_for_model(
            owner(request), model_id, limit=limit, offset=offset, cursor=cursor
        )
        return AnalysisPage(items=[to_analysis(i) for i in window.items], **window.envelope())


class AnalysesController(Controller):
    path = "/api/v1/analyses"
    tags = ["analysis"]

    @get(
        "/{analysis_id:str}",
        operation_id="getAnalysis",
        summary="Get an analysis",
        responses={200: _ANALYSIS, **problem_responses(400, 404, *AUTHENTICATED)},
    )
    async def get_analysis(
        self,
        request: UserRequest,
        analysis_id: FromPath[AnalysisPathId],
        analyses: NamedDependency[AnalysisService],
        settings: NamedDependency[Settings],
    ) -> Response[Analysis]:
        """An analysis job: `status` (`queued`, `running`, `succeeded`, `failed`), `progress` 0..1,
        and the `result` (dataset) or `narrative` (model) with its `provenance` once succeeded, or
        an `error` problem when failed (for example the language model failed and the heuristic
        fallback is disabled: `service-unavailable`). While it is queued or running the answer
        carries `Retry-After`: when to poll again (or stream `/events` instead)."""
        job = await analyses.get(owner(request), analysis_id)
        return Response(to_analysis(job), headers=poll_headers(job.status, settings.events.retry_after_s))

    @get(
        "/{analysis_id:str}/events",
        operation_id="streamAnalysisEvents",
        summary="Stream an analysis' events",
        media_type="text/event-stream",
        description="Follow the analysis without polling: its status and progress as they change, then "
        "a final event with the result." + STREAM_DESCRIPTION,
        responses={204: NOTHING_NEWER, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def events(
        self,
        request: UserRequest,
        analysis_id: FromPath[AnalysisPathId],
        analyses: NamedDependency[AnalysisService],
        settings: NamedDependency[Settings],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        return await job_events_response(  # type: ignore[return-value]
            lambda: analyses.get(owner(request), analysis_id),
            lambda job: JobSnapshot(job.revision, job.status, to_analysis(job)),
            last_event_id=last_event_id,
            poll_interval=settings.events.poll_interval_s,
            max_duration=settings.events.max_stream_s,
        )

    @delete(
        "/{analysis_id:str}",
        operation_id="deleteAnalysis",
        summary="Delete a finished analysis",
        responses=problem_responses(
            404,
            409,
            *AUTHENTICATED,
            details={
                409: "The analysis is running; it finishes within a minute or so. Delete it once its status "
                "is succeeded or failed."
            },
        ),
    )
    async def delete_analysis(
        self,
        request: UserRequest,
        analysis_id: FromPath[AnalysisPathId],
        analyses: NamedDependency[AnalysisService],
    ) -> None:
        """Remove a succeeded or failed analysis; 204 when done. One still queued or running is a
        409: analyses finish within a minute or so, delete it then."""
        await analyses.delete(owner(request), analysis_id)


__all__ = ["AnalysesController", "DatasetAnalysesController", "ModelAnalysesController"]
