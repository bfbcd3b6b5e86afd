"""HTTP endpoints of monitoring: a model's drift and live-performance report, and feedback.

Here rather than in the monitoring area: the report reads the model (models area) and may derive
its reference from its dataset (datasets area)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.models.services import ModelService
from modelyard.domain.monitoring.schemas import (
    FeedbackRequest,
    FeedbackResult,
    MonitoringReport,
    Window,
)
from modelyard.domain.monitoring.services import MonitoringService
from modelyard.lib.errors import FieldError, ValidationFailedError
from modelyard.lib.openapi import AUTHENTICATED, problem_responses
from modelyard.lib.path_ids import ModelPathId
from modelyard.workflows.monitoring import References, monitoring_report


class MonitoringController(Controller):
    path = "/api/v1/models/{model_id:str}"
    tags = ["monitoring"]

    @get(
        "/monitoring",
        operation_id="getModelMonitoring",
        summary="Drift and live performance of a model",
        responses=problem_responses(404, 422, *AUTHENTICATED),
    )
    async def report(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        models: NamedDependency[ModelService],
        monitoring_references: NamedDependency[References],
        window: FromQuery[
            Annotated[Window, Parameter(description="The hours compared with the reference, ending now.")]
        ] = "24h",
    ) -> MonitoringReport:
        """Compare the model's live inputs and outputs over `window` with its reference (the training
        split's profile, stored at training), and report its accuracy on the predictions that
        received feedback.

        Per feature and for the model's output: PSI and the Jensen-Shannon distance of the binned
        distributions, the bins that moved most, missing-value and unseen-category findings, and a
        status: `drift` at PSI >= 0.15, `warn` at PSI >= 0.05 (each only when the PSI also exceeds
        what sampling noise gives at this sample size), `insufficient_data` below 50 rows; a missing
        or unseen share that moved by 10 points is `drift`, by 5 points `warn`. Predictions reach
        the report within the flush interval (5 s by default). A model trained before monitoring
        existed gets its reference from its dataset on first use, or reports `no_reference` when
        the dataset was deleted.
        """
        model = await models.get_owned(owner(request), model_id)
        return await monitoring_report(model, window, monitoring_references, MonitoringService())

    @post(
        "/feedback",
        operation_id="sendModelFeedback",
        summary="Send the true outcomes of predictions",
        status_code=200,
        responses=problem_responses(404, 422, *AUTHENTICATED),
    )
    async def feedback(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        data: JSONBody[FeedbackRequest],
        models: NamedDependency[ModelService],
    ) -> FeedbackResult:
        """Join the true outcome (`actual`) of up to 1000 predictions of this model to
        them, by the `prediction_id` each online prediction returned.

        Idempotent per prediction: the first actual sent for an id stands, and later ones count as
        `duplicates`. Ids of no stored prediction of this model (another model's, mistyped, or
        older than the prediction retention, 7 days by default) are listed in `unknown`. A
        classifier's actual must be one of its classes, a regressor's a number (else 422, located
        at the item). The live metrics of `GET /monitoring` use what was joined.
        """
        model = await models.get_owned(owner(request), model_id)
        classes = model.training_schema.get("classes")
        errors = []
        for index, item in enumerate(data.items):
            if model.problem_type == "regression":
                if isinstance(item.actual, bool) or not isinstance(item.actual, int | float):
                    errors.append(FieldError("expects a number", f"body.items[{index}].actual"))
            elif classes is not None and str(item.actual) not in {str(c) for c in classes}:
                known = ", ".join(str(c) for c in classes[:20])
                errors.append(
                    FieldError(f"expects one of the model's classes: {known}", f"body.items[{index}].actual")
                )
        if errors:
            raise ValidationFailedError(
                "Some actuals do not fit the model; `errors` says which.", errors=errors
            )
        pairs = [(item.prediction_id, item.actual) for item in data.items]
        outcome = await MonitoringService().apply_feedback(str(model.id), pairs)
        return FeedbackResult(outcome.accepted, outcome.duplicates, outcome.unknown)
