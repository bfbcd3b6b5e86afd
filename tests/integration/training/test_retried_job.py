"""A training job retried after a crash that followed its model's insert (before the job recorded
it) ends with exactly one model: the retry finds the job's model and ends with it, storing no
second artifact (tests/faults/crash_flow.py does this with a real SIGKILL)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from modelyard.domain.models.documents import ModelDocument
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.jobs import JobContext
from modelyard.lifespan import app_state
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration


async def test_a_retried_training_job_keeps_one_model(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str], tmp_path: Path
) -> None:
    dataset_id = await upload_csv(client, auth_headers, to_csv(churn_frame(200)))
    done = await train(client, auth_headers, dataset_id, time_budget_s=1, algorithms=["linear"])
    assert done["status"] == "succeeded", done
    state = app_state(app)
    job = await TrainingJobDocument.get(done["id"])
    assert job is not None

    # The retry: the same job's handler runs again, through the real database and store.
    handler = state.runner._registrations[TrainingJobDocument.get_collection_name()].handler
    fields = await handler(job, JobContext(state.runner, job, tmp_path))

    assert str(fields["model_id"]) == done["model_id"]
    models = await ModelDocument.find({"training_job_id": job.id}).to_list()
    assert [str(model.id) for model in models] == [done["model_id"]]
    assert await state.store.list("models/") == [models[0].artifact_key]
    served = await client.get(f"/api/v1/models/{done['model_id']}", headers=auth_headers)
    assert served.status_code == 200
