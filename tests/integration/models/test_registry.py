"""The model registry: list with filters, get, patch, delete (artifact included)."""

from __future__ import annotations

import httpx
import pytest

from modelyard.lifespan import app_state
from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration


async def test_list_patch_delete(
    client: httpx.AsyncClient, auth_headers: dict[str, str], app: object
) -> None:
    first = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    second = await upload_csv(client, auth_headers, to_csv(churn_frame(seed=1)))
    a = await train(client, auth_headers, first, time_budget_s=1, algorithms=["linear"])
    b = await train(client, auth_headers, second, time_budget_s=1, algorithms=["linear"])
    assert a["status"] == b["status"] == "succeeded"

    page = (await client.get("/api/v1/models?limit=1", headers=auth_headers)).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["id"] == b["model_id"]
    by_dataset = (await client.get(f"/api/v1/models?dataset_id={first}", headers=auth_headers)).json()
    assert [m["id"] for m in by_dataset["items"]] == [a["model_id"]]

    url = f"/api/v1/models/{a['model_id']}"
    patched = await client.patch(url, headers=auth_headers, json={"name": "churn v1", "stage": "production"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "churn v1" and patched.json()["stage"] == "production"
    assert patched.json()["description"] is None
    assert (await client.patch(url, headers=auth_headers, json={"stage": "live"})).status_code == 422
    assert (await client.patch(url, headers=auth_headers, json={"owner_id": "x"})).status_code == 422
    production = (await client.get("/api/v1/models?stage=production", headers=auth_headers)).json()
    assert [m["id"] for m in production["items"]] == [a["model_id"]]

    store = app_state(app).store
    assert await store.list(f"models/{a['model_id']}/")
    predict = await client.post(
        url + "/predictions",
        headers=auth_headers,
        json={"records": [{"age": 30, "city": "paris", "member": "true", "signup": "2021-01-05"}]},
    )
    assert predict.status_code == 200
    assert (await client.delete(url, headers=auth_headers)).status_code == 204
    assert (await client.get(url, headers=auth_headers)).status_code == 404
    assert (
        await client.post(url + "/predictions", headers=auth_headers, json={"records": [{}]})
    ).status_code == 404
    assert await store.list(f"models/{a['model_id']}/") == []
    assert (await client.get("/api/v1/models/not-an-id", headers=auth_headers)).status_code == 422
