"""Monitoring numbers of production models for the business metrics: drift statuses, worst PSI,
live performance and feedback delay over the last 24 hours, read from the database (so every
worker process reports the same values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily

from modelyard.domain.models.services import ModelService
from modelyard.domain.monitoring.services import MonitoringService
from modelyard.workflows.monitoring import References, monitoring_report

DRIFT_STATUSES = ("ok", "warn", "drift", "insufficient_data")
METRIC_WINDOW = "24h"


@dataclass
class MonitoringSnapshot:
    features: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DRIFT_STATUSES, 0))
    """Features (and outputs) of the monitored models, by status."""
    worst_psi: dict[str, float] = field(default_factory=dict)
    live: dict[tuple[str, str], float] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)


async def production_monitoring(
    models: ModelService, references: References, limit: int
) -> MonitoringSnapshot:
    """The `limit` newest production models' 24-hour reports, summed up."""
    snapshot = MonitoringSnapshot()
    service = MonitoringService()
    for model in await models.newest_in_production(limit):
        report = await monitoring_report(model, METRIC_WINDOW, references, service)
        model_id = str(model.id)
        scored = [*report.features, *([report.prediction] if report.prediction else [])]
        for feature in scored:
            snapshot.features[feature.status] += 1
        psis = [f.psi for f in report.features if f.psi is not None]
        if psis:
            snapshot.worst_psi[model_id] = max(psis)
        for metric, value in report.live_performance.metrics.items():
            snapshot.live[(model_id, metric)] = value
        if report.live_performance.median_delay_seconds is not None:
            snapshot.delay[model_id] = report.live_performance.median_delay_seconds
    return snapshot


def monitoring_families(
    snapshot: MonitoringSnapshot, gauge: Callable[[str, tuple[str, ...]], GaugeMetricFamily]
) -> None:
    """The monitoring gauges (every status at 0 included, so alerts see the series from the start)."""
    statuses = gauge("modelyard_model_drift_features", ("status",))
    for status in DRIFT_STATUSES:
        statuses.add_metric([status], snapshot.features.get(status, 0))
    worst = gauge("modelyard_model_worst_feature_psi", ("model_id",))
    for model_id, value in sorted(snapshot.worst_psi.items()):
        worst.add_metric([model_id], value)
    live = gauge("modelyard_model_live_performance", ("model_id", "metric"))
    for (model_id, metric), value in sorted(snapshot.live.items()):
        live.add_metric([model_id, metric], value)
    delay = gauge("modelyard_model_feedback_delay_seconds", ("model_id",))
    for model_id, value in sorted(snapshot.delay.items()):
        delay.add_metric([model_id], value)
