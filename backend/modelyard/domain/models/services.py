"""Model registry rules: the only module that queries `ModelDocument`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from modelyard.domain.models.documents import ModelDocument, model_prefix
from modelyard.lib.clock import utcnow
from modelyard.lib.conditional import PreconditionFailedError, etag, next_version, require_match
from modelyard.lib.db import find_owned
from modelyard.lib.errors import ConflictError, FieldError
from modelyard.lib.pagination import Window, newest_first
from modelyard.lib.storage import ObjectStore

log = structlog.get_logger("modelyard.models")

ModelRecord = ModelDocument
"""What `ModelService` returns: other areas read a model's fields through it, never query it."""

StageChangeHook = Callable[[PydanticObjectId, ModelDocument, str], Awaitable[None]]
"""Told of a model whose stage a request changed: (owner, the model as changed, the previous
stage). Provided by workflows (webhook events), so this area imports none of them."""

TRAINING_RESULT_FIELDS = (
    "problem_type",
    "metric",
    "greater_is_better",
    "algorithm",
    "params",
    "cv_score",
    "cv_std",
    "test_metrics",
    "confusion",
    "residuals",
    "feature_importance",
    "leakage_findings",
    "drift_reference",
    "search_stop",
    "shap_summary",
    "explanation_means",
    "leaderboard",
    "training_schema",
    "rows_train",
    "rows_test",
    "inference_path",
)
"""What a model record copies from the training worker's result."""


def unacknowledged_leakage(findings: list[dict[str, Any]]) -> ConflictError:
    """The 409 of a promotion to production that does not acknowledge the model's leakage
    findings: one entry of `errors` per finding, located at its column or test metric."""
    errors = [
        FieldError(
            f"{f['kind']}: {f['detail']}",
            f"column:{f['column']}" if f.get("column") else f"test_metrics.{f['statistic']}",
        )
        for f in findings
    ]
    return ConflictError(
        f"The model has {len(findings)} leakage finding(s) (see `errors` and the model's "
        "`leakage_findings`); promoting it to production needs `acknowledge_leakage: true` in the "
        "request, or retrain without the columns at fault (`exclude_columns`).",
        errors=errors,
    )


class ModelService:
    """The model registry: record trained models, read, list, rename, promote and delete them."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def register_trained(
        self,
        *,
        owner_id: PydanticObjectId,
        dataset_id: PydanticObjectId,
        training_job_id: PydanticObjectId,
        name: str,
        target: str,
        result: dict[str, Any],
        artifact: bytes,
    ) -> ModelDocument:
        """Store a trained model: the artifact, then its record. A failure half-way takes the
        artifact back, so no object is left that no record names.

        Idempotent per training job: when the job already recorded a model (it was retried after
        a crash that followed the insert), that model is returned and the new artifact dropped.
        """
        model_id = PydanticObjectId()
        key = model_prefix(model_id) + "pipeline.skops"
        model = ModelDocument(
            id=model_id,
            owner_id=owner_id,
            dataset_id=dataset_id,
            training_job_id=training_job_id,
            name=name,
            target=target,
            artifact_key=key,
            artifact_bytes=len(artifact),
            training_seconds=round(result["total_seconds"], 3),
            **{field: result[field] for field in TRAINING_RESULT_FIELDS},
        )
        await self.store.put_bytes(key, artifact)
        try:
            await self.create(model)
        except DuplicateKeyError:
            await asyncio.shield(self.discard(model))
            existing = await ModelDocument.find_one({"training_job_id": training_job_id})
            if existing is None:  # removed in between: nothing to reuse
                raise
            log.info("training job retried: reusing its model", model_id=str(existing.id))
            return existing
        except BaseException:
            await asyncio.shield(self.discard(model))
            raise
        return model

    async def trained_by(self, training_job_id: PydanticObjectId) -> ModelDocument | None:
        """The model a training job recorded, if it did (at most one: a unique index)."""
        return await ModelDocument.find_one({"training_job_id": training_job_id})

    async def create(self, document: ModelDocument) -> ModelDocument:
        """Record a model whose artifact is stored."""
        await document.insert()
        return document

    async def list(
        self,
        owner_id: PydanticObjectId,
        *,
        dataset_id: str | None,
        stage: str | None,
        limit: int,
        offset: int,
        cursor: str | None = None,
    ) -> Window[ModelDocument]:
        query: dict[str, Any] = {"owner_id": owner_id}
        if dataset_id is not None:
            if not PydanticObjectId.is_valid(dataset_id):
                return Window.empty(limit, offset)
            query["dataset_id"] = PydanticObjectId(dataset_id)
        if stage is not None:
            query["stage"] = stage
        return await newest_first(ModelDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def get_owned(self, owner_id: PydanticObjectId, model_id: str) -> ModelDocument:
        """The owner's model, or NotFoundError (unknown id or another user's)."""
        return await find_owned(ModelDocument, owner_id, model_id, "model")

    async def exists(self, owner_id: PydanticObjectId, model_id: str) -> bool:
        found = await ModelDocument.get_pymongo_collection().find_one(
            {"_id": PydanticObjectId(model_id), "owner_id": owner_id}, projection={"_id": 1}
        )
        return found is not None

    async def owned_ids(self, owner_id: PydanticObjectId, model_ids: Sequence[str]) -> set[str]:
        """Those of `model_ids` (24-hex) that are models of the owner."""
        wanted = [PydanticObjectId(m) for m in model_ids if PydanticObjectId.is_valid(m)]
        cursor = ModelDocument.get_pymongo_collection().find(
            {"_id": {"$in": wanted}, "owner_id": owner_id}, projection={"_id": 1}
        )
        return {str(row["_id"]) async for row in cursor}

    async def update(
        self,
        owner_id: PydanticObjectId,
        model_id: str,
        changes: dict[str, Any],
        if_match: str | None = None,
        *,
        acknowledge_leakage: bool = False,
    ) -> ModelDocument:
        """Apply `changes`; with `if_match`, only to the version that tag names (412 otherwise),
        checked in the update itself so a concurrent change is never overwritten.

        Promoting a model with leakage findings to production needs `acknowledge_leakage`
        (409 listing the findings otherwise); the acknowledgement's time is recorded."""
        document = await self.get_owned(owner_id, model_id)
        require_match(if_match, etag(document.id, document.updated_at))
        if changes.get("stage") == "production" and document.leakage_findings:
            if not acknowledge_leakage:
                raise unacknowledged_leakage(document.leakage_findings)
            changes["leakage_acknowledged_at"] = utcnow()
        if changes:
            changes["updated_at"] = next_version(document.updated_at)
            guard: dict[str, Any] = {"_id": document.id}
            if if_match is not None:
                guard["updated_at"] = document.updated_at
            done = await ModelDocument.get_pymongo_collection().update_one(guard, {"$set": changes})
            if not done.matched_count:
                current = await self.get_owned(owner_id, model_id)
                raise PreconditionFailedError(etag(current.id, current.updated_at))
            for key, value in changes.items():
                setattr(document, key, value)
        return document

    async def delete(self, owner_id: PydanticObjectId, model_id: str) -> None:
        """Remove the owner's model and its artifact (404 for an unknown or foreign id).

        Only the model itself: its batch predictions and narratives belong to other areas, and
        `DeletionService` removes them first (see domain/accounts/deletion.py)."""
        await self.discard(await self.get_owned(owner_id, model_id))

    async def discard(self, document: ModelDocument) -> None:
        """Remove a model: artifact first, so a failure leaves a model to delete again, never an
        artifact nobody can reach. Removing one already gone is not an error."""
        await self.store.delete_prefix(model_prefix(document.id))  # type: ignore[arg-type]
        await ModelDocument.get_pymongo_collection().delete_one({"_id": document.id})

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> tuple[str, ...]:
        """Remove every model of the owner (account deletion); the ids removed."""
        documents = await ModelDocument.find({"owner_id": owner_id}).to_list()
        for document in documents:
            await self.discard(document)
        return tuple(str(document.id) for document in documents)

    async def get(self, model_id: str) -> ModelDocument | None:
        """Any user's model by id, or None: for background work that holds an id it was given."""
        if not PydanticObjectId.is_valid(model_id):
            return None
        return await ModelDocument.get(PydanticObjectId(model_id))

    async def set_drift_reference(self, model_id: PydanticObjectId, reference: dict[str, Any]) -> None:
        """Store the monitoring reference derived for a model trained before references."""
        await ModelDocument.get_pymongo_collection().update_one(
            {"_id": model_id, "drift_reference": None}, {"$set": {"drift_reference": reference}}
        )

    async def read_artifact(self, document: ModelDocument) -> bytes:
        return await self.store.get_bytes(document.artifact_key)

    async def add_predictions(self, counts: dict[str, tuple[int, datetime]]) -> None:
        """Flush aggregated prediction counts: one update per model, not one per request."""
        collection = ModelDocument.get_pymongo_collection()
        for model_id, (rows, last) in counts.items():
            await collection.update_one(
                {"_id": PydanticObjectId(model_id)},
                {"$inc": {"prediction_count": rows}, "$max": {"last_prediction_at": last}},
            )

    async def count_by_problem_and_stage(self) -> dict[tuple[str, str], int]:
        """Models by (problem type, stage), over every user (business metrics)."""
        pipeline = [{"$group": {"_id": {"p": "$problem_type", "s": "$stage"}, "n": {"$sum": 1}}}]
        found: dict[tuple[str, str], int] = {}
        cursor = await ModelDocument.get_pymongo_collection().aggregate(pipeline)
        async for row in cursor:
            key = (str(row["_id"].get("p") or "unknown"), str(row["_id"].get("s") or "none"))
            found[key] = found.get(key, 0) + int(row["n"])
        return found

    async def newest_in_production(self, limit: int) -> Sequence[ModelDocument]:
        """The `limit` newest models in the production stage, over every user (monitoring metrics)."""
        return await ModelDocument.find({"stage": "production"}).sort("-_id").limit(limit).to_list()

    async def production_scores(self, limit: int) -> dict[tuple[str, str], float]:
        """Held-out scores of the `limit` newest production models: {(model id, metric): value}."""
        collection = ModelDocument.get_pymongo_collection()
        cursor = collection.find({"stage": "production"}, {"test_metrics": 1}).sort("_id", -1)
        found: dict[tuple[str, str], float] = {}
        async for doc in cursor.limit(limit):
            scores = doc.get("test_metrics")
            for metric, value in (scores if isinstance(scores, dict) else {}).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    found[(str(doc["_id"]), str(metric))] = float(value)
        return found
