"""Dependency providers of predictions (registered by the app; parameters are other dependencies)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from modelyard.domain.predictions.cache import ModelCache
from modelyard.domain.predictions.services import PredictionService
from modelyard.lib.jobs import JobRunner
from modelyard.lib.monitoring_tally import MonitoringTally
from modelyard.lib.storage import ObjectStore
from modelyard.lib.tally import UsageTally
from modelyard.settings import Settings


def provide_prediction_service(
    object_store: NamedDependency[SkipValidation[ObjectStore]],
    settings: NamedDependency[Settings],
    model_cache: NamedDependency[ModelCache],
    usage_tally: NamedDependency[UsageTally],
    process_pool: NamedDependency[ProcessPoolExecutor],
    job_runner: NamedDependency[JobRunner],
    monitoring_tally: NamedDependency[MonitoringTally],
) -> PredictionService:
    """`predictions`: online scoring from the app's model cache, and batch jobs."""
    return PredictionService(
        object_store, settings, model_cache, usage_tally, process_pool, job_runner, monitoring_tally
    )
