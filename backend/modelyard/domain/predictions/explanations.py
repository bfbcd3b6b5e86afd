"""A record's explanation as the API shows it: its largest contributions and the rest summed."""

from __future__ import annotations

from typing import Any

import numpy as np

from modelyard.domain.predictions.schemas import FeatureContribution, PredictionResponse, RecordExplanation
from modelyard.lib.errors import ConflictError, FieldError, ValidationFailedError
from modelyard.lib.schema import ProblemType
from modelyard.ml.explain import Explained, NotExplainableError


def record_explanation(
    explained: Explained, record: dict[str, Any], classes: list[Any] | None, problem: ProblemType, top: int
) -> RecordExplanation:
    """The `top` columns by |contribution|, largest first; `other_contributions` sums the rest, so
    `base_value` + every contribution shown + `other_contributions` == `output_value`."""
    contributions = explained.contributions[0]
    order = np.argsort(-np.abs(contributions), kind="stable")
    shown = order[:top]
    listed = [
        FeatureContribution(
            feature=explained.columns[j],
            value=record.get(explained.columns[j]),
            contribution=float(contributions[j]),
        )
        for j in shown
    ]
    explained_class = None
    if classes is not None:
        explained_class = classes[1] if problem == "binary" else classes[int(explained.output_index[0])]
    return RecordExplanation(
        output=explained.kind,
        base_value=float(explained.base[0]),
        output_value=float(explained.output[0]),
        contributions=listed,
        other_contributions=float(contributions[order[top:]].sum()),
        explained_class=explained_class,
    )


def too_many_to_explain(count: int, limit: int) -> ValidationFailedError:
    message = f"explain=true takes at most {limit} records per request; this one has {count}."
    return ValidationFailedError(message, errors=[FieldError(message, "body.records")])


def not_explainable(exc: NotExplainableError) -> ConflictError:
    return ConflictError(f"This model's predictions cannot be explained: {exc}.")


def add_explanations(
    response: PredictionResponse,
    estimator: Any,
    problem_type: ProblemType,
    records: list[dict[str, Any]],
    explained: dict[int, Explained],
    top: int,
) -> None:
    """Attach each scored record's explanation (`explained`, by record index) to `response`."""
    classes = None
    if problem_type != "regression":
        classes = [c.item() if isinstance(c, np.generic) else c for c in estimator.classes_]
    for result in response.predictions:
        found = explained.get(result.index)
        if found is not None:
            result.explanation = record_explanation(found, records[result.index], classes, problem_type, top)
