"""Monitoring rules: writing sketches and prediction records, feedback, reading a window back.

The only module that queries the monitoring documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError
from sklearn.metrics import roc_auc_score

from modelyard.domain.monitoring.documents import FeedbackDocument, PredictionBatchDocument, SketchDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.monitoring_tally import HourKey, PredictionRecords

DOCUMENTS = [SketchDocument, PredictionBatchDocument, FeedbackDocument]
BATCH_IDS = 10_000
"""Predictions per stored batch document (bounds its size)."""
DUPLICATE_KEY = 11000
PREDICTION_RETENTION_DAYS = 7.0
"""How long each prediction's id, output and time are kept for feedback to join (never its inputs)."""


@dataclass
class FeedbackOutcome:
    accepted: int
    duplicates: int
    unknown: list[str]


@dataclass
class LivePerformance:
    labelled_rows: int
    metrics: dict[str, float]
    """accuracy (and roc_auc for binary models when both classes were labelled), or rmse."""
    median_delay_seconds: float | None


class MonitoringService:
    """Sketches, recent predictions and feedback of models (callers check ownership)."""

    async def add_sketches(self, counts: dict[HourKey, dict[str, list[int]]]) -> None:
        """Add binned counts to the hourly sketches (`$inc`: exact whatever process writes)."""
        operations = []
        for (model_id, hour), binned in counts.items():
            increments = {
                f"counts.{key}.{i}": int(n)
                for key, values in binned.items()
                for i, n in enumerate(values)
                if n
            }
            if increments:
                update = {"$inc": increments, "$setOnInsert": {"model_id": model_id, "hour": hour}}
                operations.append(UpdateOne({"_id": f"{model_id}:{hour.isoformat()}"}, update, upsert=True))
        if operations:
            await SketchDocument.get_pymongo_collection().bulk_write(operations, ordered=False)

    async def record_predictions(self, records: PredictionRecords) -> None:
        """Store the flushed predictions, one document per model and up to BATCH_IDS predictions."""
        if not len(records):
            return
        by_model: dict[str, list[int]] = {}
        for position, model_id in enumerate(records.models):
            by_model.setdefault(model_id, []).append(position)
        documents = []
        for model_id, positions in by_model.items():
            for start in range(0, len(positions), BATCH_IDS):
                part = positions[start : start + BATCH_IDS]
                ids = [records.ids[i] for i in part]
                documents.append(
                    {
                        "_id": f"{model_id}:{ids[0]}",
                        "model_id": model_id,
                        "at": records.times[part[0]],
                        "ids": ids,
                        "labels": [records.labels[i] for i in part],
                        "scores": [records.scores[i] for i in part],
                        "times": [records.times[i] for i in part],
                    }
                )
        await _insert_new(PredictionBatchDocument, documents)

    async def window_counts(self, model_id: str, since: datetime) -> dict[str, list[int]]:
        """Every sketch key's counts summed over the hours from `since` (bins by position)."""
        total: dict[str, list[int]] = {}
        collection = SketchDocument.get_pymongo_collection()
        async for raw in collection.find({"model_id": model_id, "hour": {"$gte": since}}):
            for key, bins in raw.get("counts", {}).items():
                kept = total.setdefault(key, [])
                for position, n in bins.items():
                    index = int(position)
                    if index >= len(kept):
                        kept.extend([0] * (index + 1 - len(kept)))
                    kept[index] += int(n)
        return total

    async def apply_feedback(self, model_id: str, actuals: Sequence[tuple[str, Any]]) -> FeedbackOutcome:
        """Join each (prediction id, actual) to the model's stored prediction, once: the first actual
        for an id stands, later ones are duplicates; ids not stored (unknown, another model's or
        past retention) are listed."""
        first: dict[str, Any] = {}
        for prediction_id, actual in actuals:
            first.setdefault(prediction_id, actual)
        duplicates = len(actuals) - len(first)
        found: dict[str, dict[str, Any]] = {}
        query = {"model_id": model_id, "ids": {"$in": list(first)}}
        async for batch in PredictionBatchDocument.get_pymongo_collection().find(query):
            for i, prediction_id in enumerate(batch["ids"]):
                if prediction_id in first:
                    found[prediction_id] = {
                        "label": batch["labels"][i],
                        "score": batch["scores"][i],
                        "at": batch["times"][i],
                    }
        now = utcnow()
        documents = [
            {"_id": pid, "model_id": model_id, **found[pid], "actual": first[pid], "feedback_at": now}
            for pid in first
            if pid in found
        ]
        already = await _insert_new(FeedbackDocument, documents)
        unknown = [pid for pid in first if pid not in found]
        return FeedbackOutcome(len(documents) - already, duplicates + already, unknown)

    async def live_performance(
        self, model_id: str, problem_type: str, classes: list[Any] | None, since: datetime
    ) -> LivePerformance:
        """The model's metric on predictions made since `since` that received feedback."""
        query = {"model_id": model_id, "at": {"$gte": since}}
        rows = [raw async for raw in FeedbackDocument.get_pymongo_collection().find(query)]
        if not rows:
            return LivePerformance(0, {}, None)
        delay = round(float(np.median([(r["feedback_at"] - r["at"]).total_seconds() for r in rows])), 3)
        return LivePerformance(len(rows), _metrics(rows, problem_type, classes), delay)

    async def prune(self, sketches_before: datetime, predictions_before: datetime) -> None:
        """Drop what is past retention."""
        await SketchDocument.get_pymongo_collection().delete_many({"hour": {"$lt": sketches_before}})
        for kept in (PredictionBatchDocument, FeedbackDocument):
            await kept.get_pymongo_collection().delete_many({"at": {"$lt": predictions_before}})

    async def forget_model(self, model_id: str) -> None:
        for kept in (SketchDocument, PredictionBatchDocument, FeedbackDocument):
            await kept.get_pymongo_collection().delete_many({"model_id": model_id})


async def _insert_new(document: Any, documents: list[dict[str, Any]]) -> int:
    """Insert what is not stored yet; how many were (duplicate ids: a retried flush, or feedback
    already given)."""
    if not documents:
        return 0
    try:
        await document.get_pymongo_collection().insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        return len(errors)
    return 0


def retention_cutoff(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def _metrics(rows: list[dict[str, Any]], problem_type: str, classes: list[Any] | None) -> dict[str, float]:
    if problem_type == "regression":
        errors = np.array([float(r["label"]) - float(r["actual"]) for r in rows])
        return {"rmse": round(math.sqrt(float(np.mean(np.square(errors)))), 6)}
    metrics = {"accuracy": round(sum(str(r["label"]) == str(r["actual"]) for r in rows) / len(rows), 6)}
    if problem_type == "binary" and classes is not None and len(classes) == 2:
        truth = [str(r["actual"]) == str(classes[1]) for r in rows]
        if 0 < sum(truth) < len(truth):
            metrics["roc_auc"] = round(float(roc_auc_score(truth, [float(r["score"]) for r in rows])), 6)
    return metrics
