"""Monitoring across areas: a model's reference (from the models area, or derived from its dataset),
the flusher that bins predictions into sketches, and the report of a window.

The flusher runs like the usage flusher: every interval, once more on shutdown. Binning happens
here, off the request path, in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import structlog

from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.models.services import ModelRecord, ModelService
from modelyard.domain.monitoring.schemas import (
    WINDOW_HOURS,
    DriftFinding,
    FeatureDriftReport,
    LivePerformanceReport,
    MonitoringReport,
    MovedBin,
    ReferenceSummary,
)
from modelyard.domain.monitoring.services import MonitoringService, retention_cutoff
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import NotFoundError
from modelyard.lib.monitoring_tally import MonitoringTally, PendingMonitoring, add_counts, window_start
from modelyard.lib.scratch import scratch_dir
from modelyard.lib.storage import ObjectStore, download
from modelyard.lib.workers import run_in_process
from modelyard.ml.artifacts import load_pipeline
from modelyard.ml.drift import bin_count, model_reference, sketch_counts
from modelyard.ml.drift_scores import FeatureDrift, feature_drift, worst
from modelyard.ml.features import TrainingSchema, prepare_frame, to_pandas

log = structlog.get_logger("modelyard.monitoring")

DATASET_REFERENCE_ROWS = 20_000
"""Rows of the dataset a reference derived after training reads (a seeded sample beyond it)."""
PRUNE_EVERY = 60
"""Flushes between two removals of what is past retention."""


def reference_from_dataset(artifact_path: str, schema: dict[str, Any], table_path: str) -> dict[str, Any]:
    """In the pool: the reference of a model trained before references, from its dataset."""
    frame = to_pandas(pq.read_table(table_path))
    if len(frame) > DATASET_REFERENCE_ROWS:
        frame = frame.sample(DATASET_REFERENCE_ROWS, random_state=0)
    training = TrainingSchema.from_dict(schema)
    inputs = prepare_frame(frame.reset_index(drop=True), training)
    pipeline = load_pipeline(Path(artifact_path).read_bytes())
    return model_reference(pipeline, training, inputs, inputs, "dataset")


class References:
    """Each model's reference, read once per process; derived from the dataset when missing."""

    def __init__(self, store: ObjectStore, models: ModelService, datasets: DatasetService, pool: Any) -> None:
        self.store, self.models, self.datasets, self.pool = store, models, datasets, pool
        self._known: dict[str, dict[str, Any] | None] = {}

    async def of(self, model: ModelRecord) -> dict[str, Any] | None:
        model_id = str(model.id)
        if model_id in self._known:
            return self._known[model_id]
        reference = model.drift_reference or await self._derive(model)
        self._known[model_id] = reference
        return reference

    def forget(self, model_id: str) -> None:
        """Read the model's reference again next time (it changed, or the model was deleted)."""
        self._known.pop(model_id, None)

    async def of_id(self, model_id: str) -> dict[str, Any] | None:
        if model_id in self._known:
            return self._known[model_id]
        model = await self.models.get(model_id)
        return None if model is None else await self.of(model)

    async def _derive(self, model: ModelRecord) -> dict[str, Any] | None:
        try:
            dataset = await self.datasets.get_owned(model.owner_id, str(model.dataset_id))
        except NotFoundError:
            return None  # the model reports "no reference"
        async with scratch_dir(self.datasets.scratch, "reference-") as work:
            artifact, table = work / "model.skops", work / "table.parquet"
            await download(self.store, model.artifact_key, artifact)
            await download(self.store, dataset.table_key, table)
            reference: dict[str, Any] = await run_in_process(
                self.pool, reference_from_dataset, str(artifact), model.training_schema, str(table)
            )
        await self.models.set_drift_reference(model.id, reference)  # type: ignore[arg-type]
        log.info("monitoring reference derived from the dataset", model_id=str(model.id))
        return reference


class MonitoringFlusher:
    """Bins what the tally collected and writes it; puts it back when the write fails."""

    def __init__(
        self,
        tally: MonitoringTally,
        references: References,
        service: MonitoringService,
        sketch_retention_days: float,
        prediction_retention_days: float,
    ) -> None:
        self.tally, self.references, self.service = tally, references, service
        self.sketch_retention_days = sketch_retention_days
        self.prediction_retention_days = prediction_retention_days
        self._flushes = 0

    async def flush(self) -> None:
        pending = self.tally.take()
        if not pending:
            return
        counts = await self._binned(pending)
        try:
            await self.service.add_sketches(counts)
        except BaseException:
            self.tally.restore(counts, pending.records)
            raise
        try:
            await self.service.record_predictions(pending.records)
        except BaseException:
            self.tally.restore({}, pending.records)
            raise
        self._flushes += 1
        if self._flushes % PRUNE_EVERY == 1:
            await self.service.prune(
                retention_cutoff(self.sketch_retention_days), retention_cutoff(self.prediction_retention_days)
            )

    async def _binned(self, pending: PendingMonitoring) -> dict[Any, dict[str, list[int]]]:
        counts = pending.counts
        for key, rows in pending.rows.items():
            reference = await self.references.of_id(key[0])
            if reference is None:
                continue
            binned = await asyncio.to_thread(sketch_counts, reference, rows.columns, rows.outputs)
            add_counts(counts.setdefault(key, {}), binned)
        return counts

    async def run(self, interval: float) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.flush()
                except Exception:
                    log.warning("monitoring flush failed; counts kept for the next round", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self.flush()


def _feature_report(drift: FeatureDrift) -> FeatureDriftReport:
    return FeatureDriftReport(
        name=drift.name,
        rows=drift.rows,
        psi=drift.psi,
        js_distance=drift.js_distance,
        status=drift.status,
        top_moved_bins=[MovedBin(m.bin, m.reference_share, m.live_share) for m in drift.top_moved_bins],
        findings=[DriftFinding(f.kind, f.reference_rate, f.live_rate, f.status) for f in drift.findings],
    )


async def monitoring_report(
    model: ModelRecord, window: str, references: References, service: MonitoringService
) -> MonitoringReport:
    model_id = str(model.id)
    since = window_start(utcnow(), WINDOW_HOURS[window])
    performance = await service.live_performance(
        model_id, model.problem_type, model.training_schema.get("classes"), since
    )
    live = LivePerformanceReport(
        performance.labelled_rows, performance.metrics, performance.median_delay_seconds
    )
    reference = await references.of(model)
    if reference is None:
        return MonitoringReport(model_id, window, "no_reference", 0, None, [], None, live)  # type: ignore[arg-type]
    counts = await service.window_counts(model_id, since)
    ref_rows = int(reference["rows"])

    def drift_of(profile: dict[str, Any], key: str) -> FeatureDrift:
        kept = counts.get(key, [])
        padded = kept + [0] * (bin_count(profile) - len(kept))
        return feature_drift(profile, padded, ref_rows)

    features = [_feature_report(drift_of(p, f"f{i}")) for i, p in enumerate(reference["features"])]
    output = reference.get("prediction")
    prediction = _feature_report(drift_of(output, "p")) if output is not None else None
    statuses = [f.status for f in features] + ([prediction.status] if prediction else [])
    summary = ReferenceSummary(
        source=reference["source"],
        rows=ref_rows,
        features=len(features),
        prediction_output=output.get("output") if output else None,
    )
    rows = counts.get("rows", [0])[0] if counts.get("rows") else 0
    return MonitoringReport(model_id, window, worst(statuses), rows, summary, features, prediction, live)  # type: ignore[arg-type]
