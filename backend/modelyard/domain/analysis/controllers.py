"""HTTP endpoints of analyses: start a dataset analysis or a model narrative, read one, list history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import ServerSentEvent

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.schemas import (
    Analysis,
    AnalysisCreate,
    AnalysisPage,
    ColumnExclusion,
    DatasetAnalysisResult,
    Finding,
    ModelNarrative,
    PreprocessingStep,
    Provenance,
    TargetSuggestion,
    TokenUsage,
)
from modelyard.domain.analysis.services import AnalysisService
from modelyard.lib.errors import Problem
from modelyard.lib.events import (
    NOTHING_NEWER,
    STREAM_DESCRIPTION,
    JobSnapshot,
    LastEventId,
    job_events_response,
    poll_headers,
)
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.openapi import AUTHENTICATED, ExactExample, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.settings import Settings

DatasetIdParam = Annotated[str, Parameter(description="The dataset's 24-hex id.")]
ModelIdParam = Annotated[str, Parameter(description="The model's 24-hex id.")]
AnalysisIdParam = Annotated[str, Parameter(description="The analysis' 24-hex id.")]


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


_CREATED_AT = datetime(2025, 11, 27, 10, 0, tzinfo=UTC)
_QUEUED = Analysis(
    id="6660a1b2c3d4e5f6a7b8c9d0",
    kind="dataset",
    dataset_id="665f1c2a9b1e8a3d4c5b6a79",
    model_id=None,
    status="queued",
    progress=0.0,
    message=None,
    error=None,
    result=None,
    narrative=None,
    provenance=None,
    created_at=_CREATED_AT,
    started_at=None,
    finished_at=None,
)
_SUCCEEDED = msgspec.structs.replace(
    _QUEUED,
    status="succeeded",
    progress=1.0,
    message="Done.",
    started_at=_CREATED_AT,
    finished_at=_CREATED_AT,
    result=DatasetAnalysisResult(
        overview="400 rows and 10 columns. The most likely target is `churned`, a binary classification "
        "problem. 1 critical and 1 warning findings need attention before training.",
        findings=[
            Finding(
                category="leakage",
                severity="critical",
                title="Leakage suspect: account_closed",
                detail="`account_closed` holds the same value as `churned` in 100% of rows.",
                columns=["account_closed", "churned"],
            )
        ],
        target_suggestions=[
            TargetSuggestion(column="churned", problem_type="binary", reason="It has exactly two values.")
        ],
        preprocessing=[
            PreprocessingStep(
                action="impute", columns=["region"], reason="These columns have missing values."
            )
        ],
        exclude_columns=[
            ColumnExclusion(column="customer_id", reason_code="identifier", reason="Identifies rows.")
        ],
        caveats=["Written by the built-in heuristic analyst."],
    ),
    provenance=Provenance(
        provider="heuristic",
        model="rules",
        prompt_version="heuristic-2",
        token_usage=TokenUsage(prompt_tokens=0, completion_tokens=0, total_tokens=0),
        latency_ms=3.2,
        attempts=0,
        fallback_used=False,
        fallback_reason=None,
    ),
)


def _example(summary: str, value: Any) -> Example:
    return ExactExample(summary=summary, value=msgspec.to_builtins(value))


_ACCEPTED = ResponseSpec(
    Analysis,
    description="Queued. Poll the `Location` URL (`GET /api/v1/analyses/{id}`) until `status` is final.",
    generate_examples=False,
    examples=[_example("Queued", _QUEUED)],
)
_ANALYSIS = ResponseSpec(
    Analysis,
    description="The analysis job, with its result once succeeded.",
    generate_examples=False,
    examples=[_example("Succeeded", _SUCCEEDED), _example("Queued", _QUEUED)],
)
_PAGE = ResponseSpec(
    AnalysisPage,
    description="A page of analyses, newest first.",
    generate_examples=False,
    examples=[
        _example(
            "One analysis",
            AnalysisPage(items=[_SUCCEEDED], total=1, limit=20, offset=0, next_cursor=None, has_more=False),
        )
    ],
)


class DatasetAnalysesController(Controller):
    path = "/api/v1/datasets/{dataset_id:str}/analyses"
    tags = ["analysis"]

    @post(
        "/",
        operation_id="createDatasetAnalysis",
        summary="Analyse a dataset",
        status_code=202,
        responses={202: _ACCEPTED, **problem_responses(400, 404, 422, *AUTHENTICATED)},
    )
    async def create(
        self,
        request: UserRequest,
        dataset_id: FromPath[DatasetIdParam],
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
        dataset_id: FromPath[DatasetIdParam],
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
        responses={202: _ACCEPTED, **problem_responses(400, 404, 422, *AUTHENTICATED)},
    )
    async def create(
        self,
        request: UserRequest,
        model_id: FromPath[ModelIdParam],
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
        responses={200: _PAGE, **problem_responses(400, 404, 422, *AUTHENTICATED)},
    )
    async def list_for_model(
        self,
        request: UserRequest,
        model_id: FromPath[ModelIdParam],
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
        analysis_id: FromPath[AnalysisIdParam],
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
        analysis_id: FromPath[AnalysisIdParam],
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
        responses=problem_responses(404, 409, *AUTHENTICATED),
    )
    async def delete_analysis(
        self,
        request: UserRequest,
        analysis_id: FromPath[AnalysisIdParam],
        analyses: NamedDependency[AnalysisService],
    ) -> None:
        """Remove a succeeded or failed analysis; 204 when done. One still queued or running is a
        409: analyses finish within a minute or so, delete it then."""
        await analyses.delete(owner(request), analysis_id)


__all__ = ["AnalysesController", "DatasetAnalysesController", "ModelAnalysesController"]
