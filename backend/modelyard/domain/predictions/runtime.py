"""Lifespan of training and predictions: the job runner, the model cache, the count flusher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from threadpoolctl import threadpool_limits

from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.predictions.cache import ModelCache, PredictionTally
from modelyard.domain.predictions.documents import BatchPredictionJobDocument
from modelyard.domain.predictions.services import PredictionService, build_prediction_service, flush_loop
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.domain.training.services import TrainingService
from modelyard.lib.background import in_background
from modelyard.lib.jobs import JobRunner
from modelyard.lib.workers import default_worker_count
from modelyard.settings import Settings


def ml_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs after the main lifespan (needs the store and the pool). Creates the one job runner of
    this process unless another area already did, registers training and batch prediction jobs
    (recovering any a dead process left running), and flushes prediction counts periodically."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        state = app.state
        # Online scoring runs here, a row or a few at a time: one OpenMP/BLAS thread per server
        # process avoids oversubscribing the cores (CPU-heavy work runs in the pinned process pool).
        threadpool_limits(1)
        training = settings.training
        runner: JobRunner | None = getattr(state, "job_runner", None)
        owned = runner is None
        if runner is None:
            runner = JobRunner(
                state.process_pool,
                concurrency=training.concurrent_jobs
                or settings.app.process_workers
                or default_worker_count(),
                lease_seconds=training.lease_seconds,
                poll_interval=training.poll_interval_s,
                max_attempts=training.max_attempts,
            )
            state.job_runner = runner
        state.model_cache = ModelCache(training.model_cache_bytes)
        state.prediction_tally = PredictionTally()
        datasets = DatasetService(state.object_store, state.process_pool, settings)
        trainer = TrainingService(state.object_store, settings, datasets, runner)

        def predictions() -> PredictionService:
            return build_prediction_service(state, settings)

        runner.register(TrainingJobDocument, trainer.run_job)
        runner.register(BatchPredictionJobDocument, predictions().run_batch)
        if owned:
            await runner.start()
        else:
            runner.wake()
        flusher = flush_loop(predictions, training.prediction_count_flush_s)
        try:
            async with in_background(flusher, name="prediction-count-flusher"):
                yield
        finally:
            if owned:
                await runner.stop()

    return lifespan
