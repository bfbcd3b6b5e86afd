"""The models an API key may name: the key area cannot read the model registry (areas are
independent), so the check that `model_ids` are the owner's models is a use case here."""

from __future__ import annotations

from beanie import PydanticObjectId
from litestar.di import NamedDependency

from modelyard.domain.api_keys.services import OwnedModels
from modelyard.domain.models.services import ModelService


def provide_owned_models(models: NamedDependency[ModelService]) -> OwnedModels:
    """`owned_models`: which of some model ids are the caller's models."""

    async def owned(owner_id: PydanticObjectId, model_ids: list[str]) -> set[str]:
        return await models.owned_ids(owner_id, model_ids)

    return owned
