"""Dependency providers of datasets (registered by the app; parameters are other dependencies)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from modelyard.domain.datasets.services import DatasetService
from modelyard.lib.storage import ObjectStore
from modelyard.lib.tally import UsageTally
from modelyard.settings import Settings


def provide_dataset_service(
    object_store: NamedDependency[SkipValidation[ObjectStore]],
    process_pool: NamedDependency[ProcessPoolExecutor],
    settings: NamedDependency[Settings],
    usage_tally: NamedDependency[UsageTally],
) -> DatasetService:
    """`datasets`: the dataset service over the app's store and process pool."""
    return DatasetService(object_store, process_pool, settings, usage_tally)
