"""HTTP endpoints of the model registry."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.models import examples
from modelyard.domain.models.documents import ModelDocument
from modelyard.domain.models.schemas import (
    Candidate,
    ConfusionMatrix,
    FeatureImportance,
    LeakageFinding,
    Model,
    ModelPage,
    ModelSummary,
    ModelUpdate,
    SearchStop,
    ShapSummary,
    Stage,
    TrainingSchema,
)
from modelyard.domain.models.services import ModelService, StageChangeHook
from modelyard.lib.conditional import NOT_MODIFIED, IfMatch, IfNoneMatch, etag, tagged
from modelyard.lib.errors import FieldError
from modelyard.lib.openapi import (
    AUTHENTICATED,
    example_response,
    problem_response_example,
    problem_responses,
)
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import ModelPathId


def to_model(doc: ModelDocument) -> Model:
    schema = doc.training_schema
    return Model(
        id=str(doc.id),
        name=doc.name,
        description=doc.description,
        stage=doc.stage,
        dataset_id=str(doc.dataset_id),
        training_job_id=str(doc.training_job_id),
        problem_type=doc.problem_type,
        target=doc.target,
        algorithm=doc.algorithm,
        params=doc.params,
        metric=doc.metric,
        greater_is_better=doc.greater_is_better,
        cv_score=doc.cv_score,
        cv_std=doc.cv_std,
        test_metrics=doc.test_metrics,
        confusion_matrix=ConfusionMatrix(**doc.confusion) if doc.confusion else None,
        residuals=doc.residuals,
        feature_importance=[FeatureImportance(**f) for f in doc.feature_importance],
        shap_summary=msgspec.convert(doc.shap_summary, ShapSummary) if doc.shap_summary else None,
        leakage_findings=[LeakageFinding(**f) for f in doc.leakage_findings],
        leakage_acknowledged_at=doc.leakage_acknowledged_at,
        leaderboard=[msgspec.convert(c, Candidate, strict=False) for c in doc.leaderboard],
        search_stop=SearchStop(**doc.search_stop) if doc.search_stop else None,
        training_schema=TrainingSchema.from_dict(schema),
        rows_train=doc.rows_train,
        rows_test=doc.rows_test,
        training_seconds=doc.training_seconds,
        size_bytes=doc.artifact_bytes,
        inference_path=doc.inference_path,
        prediction_count=doc.prediction_count,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )


def to_summary(doc: ModelDocument) -> ModelSummary:
    return ModelSummary(
        id=str(doc.id),
        name=doc.name,
        stage=doc.stage,
        dataset_id=str(doc.dataset_id),
        problem_type=doc.problem_type,
        target=doc.target,
        algorithm=doc.algorithm,
        metric=doc.metric,
        cv_score=doc.cv_score,
        test_metrics=doc.test_metrics,
        inference_path=doc.inference_path,
        created_at=doc.created_at,
    )


_MODEL = example_response(Model, "The model, with its `ETag`.", {"Churn model": examples.MODEL})
_PAGE = example_response(ModelPage, "A page of models, newest first.", {"One model": examples.PAGE})


class ModelController(Controller):
    path = "/api/v1/models"
    tags = ["models"]

    @get(
        "/",
        operation_id="listModels",
        summary="List models",
        responses={200: _PAGE, **problem_responses(422, *AUTHENTICATED)},
    )
    async def list_models(
        self,
        request: UserRequest,
        models: NamedDependency[ModelService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
        dataset_id: Annotated[
            str | None,
            Parameter(max_length=64, description="Only models trained on this dataset (24-hex id)."),
        ] = None,
        stage: Annotated[Stage | None, Parameter(description="Only models in this stage.")] = None,
    ) -> ModelPage:
        """Your models, newest first; filter by the `dataset_id` they were trained on and by `stage`."""
        window = await models.list(
            owner(request), dataset_id=dataset_id, stage=stage, limit=limit, offset=offset, cursor=cursor
        )
        return ModelPage(items=[to_summary(m) for m in window.items], **window.envelope())

    @get(
        "/{model_id:str}",
        operation_id="getModel",
        summary="Get a model",
        responses={200: _MODEL, **NOT_MODIFIED, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_model(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        models: NamedDependency[ModelService],
        if_none_match: IfNoneMatch = None,
    ) -> Response[Model]:
        """Everything about a model: held-out metrics, confusion matrix or residual summary,
        permutation feature importance, the input schema (columns, kinds, categories seen, dropped
        columns), the search leaderboard, its training job and dataset, artifact size and the
        inference path serving it. Carries an `ETag`; `If-None-Match` with it answers 304 while
        the model is unchanged."""
        document = await models.get_owned(owner(request), model_id)
        return tagged(to_model(document), etag(document.id, document.updated_at), if_none_match)

    @patch(
        "/{model_id:str}",
        operation_id="updateModel",
        summary="Rename, describe or promote a model",
        responses={
            200: _MODEL,
            **problem_responses(
                400,
                404,
                412,
                422,
                *AUTHENTICATED,
                details={422: FieldError("Invalid enum value 'live'", "body.stage")},
            ),
            **problem_response_example(
                409,
                "`stage: production` on a model with `leakage_findings`, without "
                "`acknowledge_leakage: true`; `errors` lists the findings. Nothing was changed.",
                "The model has 1 leakage finding(s) (see `errors` and the model's `leakage_findings`); "
                "promoting it to production needs `acknowledge_leakage: true` in the request, or "
                "retrain without the columns at fault (`exclude_columns`).",
                [
                    FieldError(
                        "derived_from_target: 'account_closed' takes exactly one value per class of the "
                        "target (2 values for 2 classes): it restates the target.",
                        "column:account_closed",
                    )
                ],
            ),
        },
    )
    async def update_model(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        data: JSONBody[ModelUpdate],
        models: NamedDependency[ModelService],
        stage_changed: NamedDependency[StageChangeHook],
        if_match: IfMatch = None,
    ) -> Response[Model]:
        """Change `name`, `description` (null clears it) or `stage` (`none`, `staging`,
        `production`, `archived`). Absent fields are left unchanged. A new stage is a
        `model.stage_changed` event for your webhooks.

        Send the `ETag` of your last GET as `If-Match` so that two people promoting or archiving
        the same model cannot overwrite each other: if it changed meanwhile the answer is 412
        and nothing changes. The response carries the new `ETag`.

        A model whose training raised `leakage_findings` goes to `production` only with
        `acknowledge_leakage: true` in the same request; without it the answer is 409 with one
        entry of `errors` per finding, and nothing changes. The model then records
        `leakage_acknowledged_at`."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        acknowledge = bool(changes.pop("acknowledge_leakage", False))
        before = (await models.get_owned(owner(request), model_id)).stage if "stage" in changes else None
        document = await models.update(
            owner(request), model_id, changes, if_match, acknowledge_leakage=acknowledge
        )
        if before is not None and document.stage != before:
            await stage_changed(owner(request), document, before)
        return tagged(to_model(document), etag(document.id, document.updated_at))
