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

from modelyard.domain.monitoring.documents import RecentPredictionDocument, SketchDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.monitoring_tally import HourKey, PredictionRecords

DOCUMENTS = [SketchDocument, RecentPredictionDocument]
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
        if not len(records):
            return
        documents = [
            {"_id": pid, "model_id": model, "label": label, "score": score, "at": at}
            for pid, model, label, score, at in zip(*records.columns(), strict=True)
        ]
        try:
            await RecentPredictionDocument.get_pymongo_collection().insert_many(documents, ordered=False)
        except BulkWriteError as exc:  # a retried flush: what the failed one wrote is there already
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise

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
        collection = RecentPredictionDocument.get_pymongo_collection()
        now = utcnow()
        accepted = duplicates = 0
        unknown: list[str] = []
        seen: set[str] = set()
        for prediction_id, actual in actuals:
            if prediction_id in seen:
                duplicates += 1
                continue
            seen.add(prediction_id)
            result = await collection.update_one(
                {"_id": prediction_id, "model_id": model_id, "feedback_at": None},
                {"$set": {"actual": actual, "feedback_at": now}},
            )
            if result.modified_count:
                accepted += 1
            elif await collection.count_documents({"_id": prediction_id, "model_id": model_id}, limit=1):
                duplicates += 1
            else:
                unknown.append(prediction_id)
        return FeedbackOutcome(accepted, duplicates, unknown)

    async def live_performance(
        self, model_id: str, problem_type: str, classes: list[Any] | None, since: datetime
    ) -> LivePerformance:
        """The model's metric on predictions made since `since` that received feedback."""
        query = {"model_id": model_id, "at": {"$gte": since}, "feedback_at": {"$ne": None}}
        rows = [raw async for raw in RecentPredictionDocument.get_pymongo_collection().find(query)]
        if not rows:
            return LivePerformance(0, {}, None)
        delay = round(float(np.median([(r["feedback_at"] - r["at"]).total_seconds() for r in rows])), 3)
        return LivePerformance(len(rows), _metrics(rows, problem_type, classes), delay)

    async def prune(self, sketches_before: datetime, predictions_before: datetime) -> None:
        """Drop what is past retention."""
        await SketchDocument.get_pymongo_collection().delete_many({"hour": {"$lt": sketches_before}})
        await RecentPredictionDocument.get_pymongo_collection().delete_many(
            {"at": {"$lt": predictions_before}}
        )

    async def forget_model(self, model_id: str) -> None:
        await SketchDocument.get_pymongo_collection().delete_many({"model_id": model_id})
        await RecentPredictionDocument.get_pymongo_collection().delete_many({"model_id": model_id})


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
