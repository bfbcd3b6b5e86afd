"""DELETE /auth/me: the account and everything it owns go, another user's data stays, and an
interrupted deletion is finished by repeating it."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import httpx
import pytest
from bson import ObjectId
from litestar import Litestar

from modelyard.domain.models.services import ModelService
from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv
from tests.services.jobs import wait_for_earlier_jobs, wait_for_job

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
RECORD = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}


async def leftovers(app: Litestar, user_id: str) -> dict[str, list[Any]]:
    """Every document, in every collection, that is the user or names the user as its owner."""
    database = app_state(app).client[app_state(app).database_name]
    oid = ObjectId(user_id)
    found: dict[str, list[Any]] = {}
    for name in await database.list_collection_names():
        documents = await database[name].find({"$or": [{"_id": oid}, {"owner_id": oid}]}).to_list()
        if documents:
            found[name] = documents
    return found


async def stored_keys(app: Litestar) -> list[str]:
    return list(await app_state(app).store.list(""))


@pytest.fixture
def settings(settings: Any) -> Any:
    """One job at a time, so `wait_for_earlier_jobs` can tell when a job cut off by a deletion ended."""
    settings.jobs = settings.jobs.model_copy(update={"concurrent_jobs": 1})
    return settings


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return str((await client.get("/api/v1/auth/me", headers=headers)).json()["id"])


async def test_deleting_an_account_removes_everything_it_owns_and_nothing_else(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    email = "leaving@example.com"
    alice = await register_and_login(client, email)
    bob = await register_and_login(client)
    alice_id, bob_id = await user_id(client, alice), await user_id(client, bob)

    # Alice uses every area: dataset, analysis, training, model narrative, online and batch predictions.
    dataset = await upload_csv(client, alice, to_csv(churn_frame()))
    analysis = await client.post(f"/api/v1/datasets/{dataset}/analyses", headers=alice)
    assert analysis.status_code == 202, analysis.text
    assert (await wait_for_job(client, analysis.headers["location"], alice))["status"] == "succeeded"
    job = await train(client, alice, dataset, time_budget_s=1, algorithms=["linear"])
    assert job["status"] == "succeeded", job
    model = job["model_id"]
    narrative = await client.post(f"/api/v1/models/{model}/analyses", headers=alice)
    assert (await wait_for_job(client, narrative.headers["location"], alice))["status"] == "succeeded"
    online = await client.post(
        f"/api/v1/models/{model}/predictions", headers=alice, json={"records": [RECORD]}
    )
    assert online.status_code == 200, online.text
    rows = to_csv(churn_frame(30, seed=3).drop(columns=["target"]))
    batch = await client.post(
        f"/api/v1/models/{model}/batch-predictions",
        headers=alice,
        files={"file": ("rows.csv", io.BytesIO(rows), "text/csv")},
    )
    assert (await wait_for_job(client, batch.headers["location"], alice))["status"] == "succeeded"
    # Bob has a dataset, an analysis and a model of his own.
    bob_dataset = await upload_csv(client, bob, to_csv(churn_frame(seed=5)))
    bob_analysis = await client.post(f"/api/v1/datasets/{bob_dataset}/analyses", headers=bob)
    assert (await wait_for_job(client, bob_analysis.headers["location"], bob))["status"] == "succeeded"
    bob_model = (await train(client, bob, bob_dataset, time_budget_s=1, algorithms=["linear"]))["model_id"]
    bob_documents = await leftovers(app, bob_id)
    bob_keys = [k for k in await stored_keys(app) if bob_dataset in k or bob_model in k]
    assert len(bob_keys) == 3  # original, normalised table, model artifact

    # ...and has a training job running when she leaves.
    running = await client.post(
        "/api/v1/training-jobs",
        headers=alice,
        json={"dataset_id": dataset, "target": "target", "time_budget_s": 120},
    )
    await wait_for_job(client, running.headers["location"], alice, until=lambda j: j["status"] == "running")

    alice_ids = [dataset, model, batch.json()["id"]]
    assert [k for k in await stored_keys(app) if any(i in k for i in alice_ids)]

    deleted = await client.delete("/api/v1/auth/me", headers=alice)
    assert deleted.status_code == 204 and deleted.content == b""
    # The token stops working at once in this process (the authenticated-user cache is cleared).
    me = await client.get("/api/v1/auth/me", headers=alice)
    assert me.status_code == 401 and me.headers["content-type"].startswith(PROBLEM)
    assert (await client.get("/api/v1/datasets", headers=alice)).status_code == 401
    relogin = await client.post("/api/v1/auth/token", data={"username": email, "password": "a-long-password"})
    assert relogin.status_code == 401

    await wait_for_earlier_jobs(client)  # the running training stopped without leaving a model behind
    assert await leftovers(app, alice_id) == {}
    assert [k for k in await stored_keys(app) if any(i in k for i in alice_ids)] == []
    assert [k for k in await stored_keys(app) if k.startswith("models/")] == [
        k for k in bob_keys if k.startswith("models/")
    ]

    # Bob is untouched: same documents, same objects, and everything still works.
    assert await leftovers(app, bob_id) == bob_documents
    assert sorted(k for k in await stored_keys(app) if bob_dataset in k or bob_model in k) == sorted(bob_keys)
    assert (await client.get(f"/api/v1/datasets/{bob_dataset}/download", headers=bob)).status_code == 200
    predicted = await client.post(
        f"/api/v1/models/{bob_model}/predictions", headers=bob, json={"records": [RECORD]}
    )
    assert predicted.status_code == 200 and predicted.json()["scored"] == 1

    # The email is free again; the new account starts empty.
    again = await register_and_login(client, email)
    assert (await client.get("/api/v1/datasets", headers=again)).json()["total"] == 0
    assert (await client.get("/api/v1/models", headers=again)).json()["total"] == 0


async def test_a_deletion_interrupted_by_storage_is_finished_by_repeating_it(
    app: Litestar, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await register_and_login(client)
    owner = await user_id(client, headers)
    first = await upload_csv(client, headers, to_csv(churn_frame(40)), name="first.csv")
    second = await upload_csv(client, headers, to_csv(churn_frame(40, seed=1)), name="second.csv")
    store = app_state(app).store
    real = store.delete_prefix
    calls = 0

    async def fails_on_the_second_call(prefix: str) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("storage went away")
        return int(await real(prefix))

    monkeypatch.setattr(store, "delete_prefix", fails_on_the_second_call)
    failed = await client.delete("/api/v1/auth/me", headers=headers)
    assert failed.status_code == 503
    assert failed.headers["content-type"].startswith(PROBLEM)
    problem = failed.json()
    assert problem["type"].endswith("/service-unavailable")
    assert "Repeat the request" in problem["detail"]
    # Nothing stored became unreachable: the account still works, and what is left is still listed
    # (one dataset was removed, the other is marked and its files remain).
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    remaining = [k for k in await stored_keys(app) if first in k or second in k]
    assert remaining and all(k.split("/")[1] in (first, second) for k in remaining)
    assert "datasets" in await leftovers(app, owner)

    monkeypatch.setattr(store, "delete_prefix", real)
    retried = await client.delete("/api/v1/auth/me", headers=headers)
    assert retried.status_code == 204
    assert await leftovers(app, owner) == {}
    assert [k for k in await stored_keys(app) if first in k or second in k] == []
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_a_training_finishing_during_the_deletion_keeps_no_model(
    app: Litestar, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker stored its artifact and is about to record the model when the account goes:
    the model it then records is taken back, artifact included."""
    headers = await register_and_login(client)
    owner = await user_id(client, headers)
    dataset = await upload_csv(client, headers, to_csv(churn_frame()))
    real_create = ModelService.create
    deletions: list[int] = []

    async def delete_account_first(self: ModelService, document: Any) -> Any:
        deletions.append((await client.delete("/api/v1/auth/me", headers=headers)).status_code)
        return await real_create(self, document)

    monkeypatch.setattr(ModelService, "create", delete_account_first)
    created = await client.post(
        "/api/v1/training-jobs",
        headers=headers,
        json={"dataset_id": dataset, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]},
    )
    assert created.status_code == 202
    deadline = time.monotonic() + 90
    while not deletions:
        assert time.monotonic() < deadline, "training never reached the point of recording its model"
        await asyncio.sleep(0.2)
    await wait_for_earlier_jobs(client)
    assert deletions == [204]
    assert await leftovers(app, owner) == {}
    assert await stored_keys(app) == []
