"""Sketches add up exactly across server processes: two tallies flushing into one database give
the same counts as one tally that saw every row; and models trained before references get one
from their dataset, or report `no_reference`."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.models.documents import ModelDocument
from modelyard.domain.monitoring.services import MonitoringService
from modelyard.lib.clock import utcnow
from modelyard.lib.monitoring_tally import MonitoringTally, window_start
from modelyard.lifespan import app_state
from modelyard.ml.drift import build_reference
from modelyard.ml.features import FeatureSchema, TrainingSchema
from modelyard.workflows.monitoring import MonitoringFlusher
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration

SCHEMA = TrainingSchema(
    target="y",
    problem_type="regression",
    features=[FeatureSchema("x", "numeric", "float64"), FeatureSchema("kind", "categorical", "str")],
    dropped=[],
)


class FixedReferences:
    """A plain fake of `References`: every model has the one reference."""

    def __init__(self, reference: dict[str, Any]) -> None:
        self.reference = reference

    async def of_id(self, model_id: str) -> dict[str, Any]:
        return self.reference


def rows(seed: int, n: int) -> tuple[dict[str, list[Any]], list[float]]:
    rng = np.random.default_rng(seed)
    x = [None if v < -2 else float(v) for v in rng.normal(0, 1, n)]
    kind = [str(k) for k in rng.choice(["a", "b", "c", "new"], n)]
    return {"x": x, "kind": kind}, [float(v) for v in rng.normal(10, 2, n)]


async def test_two_workers_give_the_same_sketches_as_one(app: Litestar) -> None:
    rng = np.random.default_rng(0)
    training = {"x": rng.normal(0, 1, 500), "kind": rng.choice(["a", "b", "c"], 500).astype(object)}
    output = {
        "name": "prediction",
        "kind": "numeric",
        "edges": [8.0, 10.0, 12.0],
        "shares": [0.2, 0.3, 0.3, 0.2],
        "missing_rate": 0.0,
    }
    reference = build_reference(pd.DataFrame(training), SCHEMA, output, "training_split")
    references: Any = FixedReferences(reference)
    service = MonitoringService()
    one = MonitoringTally()
    workers = [MonitoringTally(), MonitoringTally()]
    flushers = [MonitoringFlusher(t, references, service, 30, 7) for t in [one, *workers]]
    for seed in range(6):
        columns, outputs = rows(seed, 300)
        one.observe("aaaaaaaaaaaaaaaaaaaaaaaa", columns, outputs, outputs, outputs)
        workers[seed % 2].observe("bbbbbbbbbbbbbbbbbbbbbbbb", columns, outputs, outputs, outputs)
        if seed % 3 == 2:  # flushes interleave, the two workers' at the same time
            await asyncio.gather(*(f.flush() for f in flushers))
    await asyncio.gather(*(f.flush() for f in flushers))

    since = window_start(utcnow(), 1)
    alone = await service.window_counts("aaaaaaaaaaaaaaaaaaaaaaaa", since)
    together = await service.window_counts("bbbbbbbbbbbbbbbbbbbbbbbb", since)
    assert alone == together
    assert alone["rows"] == [1800] and sum(alone["p"]) == 1800
    assert sum(alone["f0"]) == 1800 and alone["f1"][-1] > 0  # the unseen category "new" counted


async def test_a_model_without_a_reference_gets_one_from_its_dataset_or_reports_none(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers
    dataset = await upload_csv(client, headers, to_csv(churn_frame(200)))
    job = await train(client, headers, dataset, time_budget_s=1, algorithms=["linear"])
    model = str(job["model_id"])
    references = app_state(app).monitoring.references
    collection = ModelDocument.get_pymongo_collection()
    await collection.update_one({"_id": PydanticObjectId(model)}, {"$set": {"drift_reference": None}})
    references.forget(model)
    derived = (await client.get(f"/api/v1/models/{model}/monitoring", headers=headers)).json()
    assert derived["reference"]["source"] == "dataset" and derived["reference"]["rows"] == 200
    stored = await collection.find_one({"_id": PydanticObjectId(model)})
    assert stored is not None and stored["drift_reference"]["source"] == "dataset"

    await collection.update_one({"_id": PydanticObjectId(model)}, {"$set": {"drift_reference": None}})
    references.forget(model)
    assert (await client.delete(f"/api/v1/datasets/{dataset}", headers=headers)).status_code == 204
    gone = (await client.get(f"/api/v1/models/{model}/monitoring", headers=headers)).json()
    assert gone["status"] == "no_reference" and gone["reference"] is None and gone["features"] == []


async def test_a_retried_flush_of_predictions_already_written_is_not_an_error(app: Litestar) -> None:
    tally = MonitoringTally()
    ids = tally.observe("cccccccccccccccccccccccc", {"x": [1.0, 2.0]}, [0.5, 0.6], [0.5, 0.6], [0.5, 0.6])
    records = tally.take().records
    service = MonitoringService()
    await service.record_predictions(records)
    await service.record_predictions(records)  # a flush that failed after inserting, retried
    outcome = await service.apply_feedback("cccccccccccccccccccccccc", [(ids[0], 0.4), (ids[1], 0.7)])
    assert (outcome.accepted, outcome.duplicates, outcome.unknown) == (2, 0, [])
