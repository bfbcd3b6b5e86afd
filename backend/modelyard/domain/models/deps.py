"""Dependency providers of the model registry (registered by the app)."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from modelyard.domain.models.services import ModelService
from modelyard.lib.storage import ObjectStore


def provide_model_service(object_store: NamedDependency[SkipValidation[ObjectStore]]) -> ModelService:
    """`models`: the registry over the app's store."""
    return ModelService(object_store)
