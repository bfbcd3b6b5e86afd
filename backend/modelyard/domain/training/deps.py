"""Dependency providers of training (registered by the app; parameters are other dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.training.services import TrainingService
from modelyard.lib.jobs import JobRunner
from modelyard.lib.storage import ObjectStore
from modelyard.settings import Settings


def provide_training_service(
    object_store: NamedDependency[SkipValidation[ObjectStore]],
    settings: NamedDependency[Settings],
    datasets: NamedDependency[DatasetService],
    job_runner: NamedDependency[JobRunner],
) -> TrainingService:
    """`training`: the training-job service over the app's store and job runner."""
    return TrainingService(object_store, settings, datasets, job_runner)
