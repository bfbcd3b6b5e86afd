"""Model registry rules: the only module that queries `ModelDocument`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from modelyard.domain.models.documents import ModelDocument, model_prefix
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import NotFoundError
from modelyard.lib.pagination import newest_first
from modelyard.lib.storage import ObjectStore


class ModelService:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def create(self, document: ModelDocument) -> ModelDocument:
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
    ) -> tuple[list[ModelDocument], int]:
        query: dict[str, Any] = {"owner_id": owner_id}
        if dataset_id is not None:
            if not PydanticObjectId.is_valid(dataset_id):
                return [], 0
            query["dataset_id"] = PydanticObjectId(dataset_id)
        if stage is not None:
            query["stage"] = stage
        return await newest_first(ModelDocument, query, limit, offset)

    async def get_owned(self, owner_id: PydanticObjectId, model_id: str) -> ModelDocument:
        """The owner's model, or NotFoundError (unknown id or another user's)."""
        not_found = NotFoundError(f"No model with id {model_id}.")
        if not PydanticObjectId.is_valid(model_id):
            raise not_found
        document = await ModelDocument.find_one({"_id": PydanticObjectId(model_id), "owner_id": owner_id})
        if document is None:
            raise not_found
        return document

    async def exists(self, owner_id: PydanticObjectId, model_id: str) -> bool:
        found = await ModelDocument.get_pymongo_collection().find_one(
            {"_id": PydanticObjectId(model_id), "owner_id": owner_id}, projection={"_id": 1}
        )
        return found is not None

    async def update(
        self, owner_id: PydanticObjectId, model_id: str, changes: dict[str, Any]
    ) -> ModelDocument:
        document = await self.get_owned(owner_id, model_id)
        if changes:
            changes["updated_at"] = utcnow()
            await ModelDocument.find_one({"_id": document.id}).update({"$set": changes})
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
