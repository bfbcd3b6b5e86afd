"""From a trained model's stored evaluation to the `ModelFacts` a narrative is written from.

The headline is chosen so a non-expert can read it against a trivial baseline:
classification uses accuracy against always predicting the most common class (read
from the confusion matrix), regression uses R² against always predicting the mean (0).
The training metric itself is kept among `metrics`.
"""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId

from modelyard.domain.analysis.facts import FeatureWeight, LeaderboardEntry, ModelFacts, ResidualSummary
from modelyard.domain.models.services import ModelService
from modelyard.lib.storage import ObjectStore


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def facts_from_evaluation(record: dict[str, Any]) -> ModelFacts:
    """`record`: the model's stored training outcome (keys as in `AutoMLResult`, plus name/target)."""
    problem = record["problem_type"]
    metrics = {k: float(v) for k, v in (record.get("test_metrics") or {}).items() if _number(v) is not None}
    confusion = record.get("confusion") or {}
    labels = [str(label) for label in confusion.get("labels") or []]
    matrix = [[int(x) for x in row] for row in confusion.get("matrix") or []]
    metric, higher, baseline = _headline(record, problem, metrics, matrix)
    value = metrics.get(metric)
    if value is None:
        value = float(record.get("cv_score") or 0.0)
    return ModelFacts(
        name=str(record.get("name") or "model"),
        algorithm=str(record.get("algorithm") or "unknown"),
        problem_type=problem,
        target=str(record.get("target") or "target"),
        metric=metric,
        value=value,
        baseline_value=baseline,
        higher_is_better=higher,
        metrics=metrics,
        feature_importance=_importance(record),
        train_rows=record.get("rows_train"),
        test_rows=record.get("rows_test"),
        class_labels=labels,
        confusion_matrix=matrix,
        residuals=_residuals(record, metrics),
        leaderboard=_leaderboard(record),
    )


def _headline(
    record: dict[str, Any], problem: str, metrics: dict[str, float], matrix: list[list[int]]
) -> tuple[str, bool, float | None]:
    """(metric, higher is better, trivial baseline or None) that the narrative leads with."""
    baseline: float | None = None
    if problem == "regression":
        metric = "r2" if "r2" in metrics else str(record.get("metric", "rmse"))
        higher = metric == "r2" or bool(record.get("greater_is_better", False))
        baseline = 0.0 if metric == "r2" else None
    else:
        metric = "accuracy" if "accuracy" in metrics else str(record.get("metric", "accuracy"))
        higher = True
        total = sum(sum(row) for row in matrix)
        if total and metric == "accuracy":
            baseline = max(sum(row) for row in matrix) / total
        elif metric == "roc_auc":
            baseline = 0.5
    stored_baseline = _number((record.get("baseline_metrics") or {}).get(metric))
    if stored_baseline is not None:
        baseline = stored_baseline
    return metric, higher, baseline


def _residuals(record: dict[str, Any], metrics: dict[str, float]) -> ResidualSummary | None:
    residuals = record.get("residuals") or None
    if not isinstance(residuals, dict) or _number(residuals.get("mean")) is None:
        return None
    mae = metrics.get("mae")
    mean_abs = mae if mae is not None else abs(float(residuals.get("std") or 0.0))
    p95 = max(abs(float(residuals.get("p05", 0.0))), abs(float(residuals.get("p95", 0.0))))
    # Stored residuals are actual minus predicted; the narrative speaks of prediction minus actual.
    return ResidualSummary(
        mean_error=-float(residuals["mean"]), mean_absolute_error=mean_abs, p90_absolute_error=p95
    )


def _importance(record: dict[str, Any]) -> list[FeatureWeight]:
    importance = []
    for item in record.get("feature_importance") or []:
        name = item.get("feature") or item.get("column") or item.get("name")
        weight = _number(item.get("importance", item.get("mean")))
        if name is not None and weight is not None:
            importance.append(FeatureWeight(str(name), weight))
    return importance


def _leaderboard(record: dict[str, Any]) -> list[LeaderboardEntry]:
    leaderboard = []
    for row in record.get("leaderboard") or []:
        score = _number(row.get("cv_score"))
        if score is not None and row.get("algorithm"):
            leaderboard.append(LeaderboardEntry(str(row["algorithm"]), score))
    return leaderboard


async def _model_record(store: ObjectStore, owner_id: PydanticObjectId, model_id: str) -> dict[str, Any]:
    """The owner's model as plain data, or NotFoundError (unknown id, another user's)."""
    document = await ModelService(store).get_owned(owner_id, model_id)
    record: dict[str, Any] = document.model_dump()
    return record


async def owned_model_dataset(
    store: ObjectStore, owner_id: PydanticObjectId, model_id: str
) -> PydanticObjectId:
    """The dataset the owner's model was trained on; NotFoundError for an unknown or foreign model."""
    document = await ModelService(store).get_owned(owner_id, model_id)
    return document.dataset_id


async def load_model_facts(store: ObjectStore, owner_id: PydanticObjectId, model_id: str) -> ModelFacts:
    return facts_from_evaluation(await _model_record(store, owner_id, model_id))
