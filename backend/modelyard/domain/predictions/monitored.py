"""Online predictions seen by monitoring: scored rows handed over in memory, ids given back."""

from __future__ import annotations

from typing import Any

from modelyard.domain.predictions.schemas import PredictionResponse
from modelyard.lib.monitoring_tally import MonitoringTally
from modelyard.ml.scoring import Scored


def monitor_scored(
    monitor: MonitoringTally | None,
    model_id: str,
    problem_type: str,
    scored: Scored,
    response: PredictionResponse,
) -> None:
    """Hand the scored rows to monitoring (in memory) and give each scored record its prediction id."""
    if monitor is None or scored.columns is None:
        return
    scores: list[float] | None = None
    outputs: list[Any] = scored.labels
    if problem_type == "binary" and scored.probabilities is not None:
        scores = outputs = scored.probabilities[:, 1].tolist()
    elif problem_type == "regression":
        scores = scored.labels
    else:
        outputs = [str(label) for label in scored.labels]
    ids = iter(monitor.observe(model_id, scored.columns, outputs, scored.labels, scores))
    for record in response.predictions:
        if record.errors is None:
            record.prediction_id = next(ids)
