"""Upload, read, list, edit, preview, download and delete, on both storage backends."""

from __future__ import annotations

import pytest

from modelyard.lifespan import app_state
from tests.integration.datasets.conftest import PROBLEM, DatasetEnv

pytestmark = pytest.mark.integration

CSV = b"id,name_of_city,temp,when\n1,Paris,12.5,2024-01-02\n2,Lyon,,2024-02-03\n3,Nice,18.25,2024-03-04\n"


async def test_upload_then_read_everything(any_env: DatasetEnv) -> None:
    headers = await any_env.headers()
    response = await any_env.upload(headers, CSV, "weather.csv", description="Daily temperatures")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["name"] == "weather"
    assert dataset["description"] == "Daily temperatures"
    assert (dataset["format"], dataset["delimiter"], dataset["encoding"]) == ("csv", ",", "utf-8")
    assert (dataset["rows"], dataset["columns"], dataset["size_bytes"]) == (3, 4, len(CSV))
    assert dataset["duplicate_of"] is None and len(dataset["sha256"]) == 64

    got = await any_env.client.get(f"/api/v1/datasets/{dataset['id']}", headers=headers)
    assert got.status_code == 200 and got.json() == dataset

    preview = (await any_env.client.get(f"/api/v1/datasets/{dataset['id']}/preview", headers=headers)).json()
    assert preview["columns"] == ["id", "name_of_city", "temp", "when"]
    assert preview["total"] == 3
    assert preview["rows"][1] == [2, "Lyon", None, "2024-02-03"]

    page = (
        await any_env.client.get(
            f"/api/v1/datasets/{dataset['id']}/preview?offset=2&limit=5", headers=headers
        )
    ).json()
    assert page["rows"] == [[3, "Nice", 18.25, "2024-03-04"]]

    download = await any_env.client.get(f"/api/v1/datasets/{dataset['id']}/download", headers=headers)
    assert download.status_code == 200
    assert download.content == CSV
    assert "weather.csv" in download.headers["content-disposition"]

    profile = (await any_env.client.get(f"/api/v1/datasets/{dataset['id']}/profile", headers=headers)).json()
    by_name = {c["name"]: c for c in profile["column_profiles"]}
    assert by_name["when"]["semantic_type"] == "datetime"
    assert by_name["temp"]["null_count"] == 1
    assert any(
        key.endswith(("original", "table.parquet")) and dataset["id"] in key
        for key in any_env.stored_objects()
    )

    deleted = await any_env.client.delete(f"/api/v1/datasets/{dataset['id']}", headers=headers)
    assert deleted.status_code == 204
    assert not [key for key in any_env.stored_objects() if dataset["id"] in key]
    gone = await any_env.client.get(f"/api/v1/datasets/{dataset['id']}", headers=headers)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith(PROBLEM)


async def test_another_users_dataset_is_404_everywhere(any_env: DatasetEnv) -> None:
    owner = await any_env.headers()
    stranger = await any_env.headers()
    dataset = (await any_env.upload(owner, CSV)).json()
    base = f"/api/v1/datasets/{dataset['id']}"
    for method, path in [
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("GET", base + "/profile"),
        ("GET", base + "/preview"),
        ("GET", base + "/download"),
    ]:
        body = {"json": {"name": "stolen"}} if method == "PATCH" else {}
        response = await any_env.client.request(method, path, headers=stranger, **body)  # type: ignore[arg-type]
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["type"].endswith("/not-found")
    assert (await any_env.client.get("/api/v1/datasets", headers=stranger)).json()["total"] == 0
    still = await any_env.client.get(base, headers=owner)
    assert still.status_code == 200 and still.json()["name"] == dataset["name"]


async def test_list_is_newest_first_paged_and_filtered(env: DatasetEnv) -> None:
    headers = await env.headers()
    for name in ["sales-2023", "Sales-2024", "inventory"]:
        assert (await env.upload(headers, CSV, name=name)).status_code == 201
    page = (await env.client.get("/api/v1/datasets?limit=2", headers=headers)).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [d["name"] for d in page["items"]] == ["inventory", "Sales-2024"]
    rest = (await env.client.get("/api/v1/datasets?limit=2&offset=2", headers=headers)).json()
    assert [d["name"] for d in rest["items"]] == ["sales-2023"]
    sales = (await env.client.get("/api/v1/datasets?name=SALES", headers=headers)).json()
    assert sales["total"] == 2
    regex = (await env.client.get("/api/v1/datasets?name=.*", headers=headers)).json()
    assert regex["total"] == 0
    bad = await env.client.get("/api/v1/datasets?limit=101", headers=headers)
    assert bad.status_code == 422


async def test_patch_edits_name_and_description_only(env: DatasetEnv) -> None:
    headers = await env.headers()
    dataset = (await env.upload(headers, CSV)).json()
    url = f"/api/v1/datasets/{dataset['id']}"
    response = await env.client.patch(url, headers=headers, json={"name": "renamed", "description": "notes"})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["rows"]) == ("renamed", "notes", 3)
    assert body["updated_at"] >= dataset["updated_at"]
    assert (await env.client.get(url, headers=headers)).json() == body
    for payload in ({"rows": 10}, {"name": ""}, {"sha256": "x"}):
        rejected = await env.client.patch(url, headers=headers, json=payload)
        assert rejected.status_code == 422, payload


async def test_identical_bytes_make_a_new_dataset_marked_duplicate(env: DatasetEnv) -> None:
    headers = await env.headers()
    first = (await env.upload(headers, CSV)).json()
    second = (await env.upload(headers, CSV)).json()
    assert second["id"] != first["id"]
    assert second["duplicate_of"] == first["id"] and second["sha256"] == first["sha256"]
    other_user = (await env.upload(await env.headers(), CSV)).json()
    assert other_user["duplicate_of"] is None


async def test_preview_limit_is_bounded(env: DatasetEnv) -> None:
    headers = await env.headers()
    dataset = (await env.upload(headers, CSV)).json()
    response = await env.client.get(f"/api/v1/datasets/{dataset['id']}/preview?limit=1001", headers=headers)
    assert response.status_code == 422
    beyond = await env.client.get(f"/api/v1/datasets/{dataset['id']}/preview?offset=50", headers=headers)
    assert beyond.status_code == 200 and beyond.json()["rows"] == []


async def test_delete_failing_half_way_is_finished_by_the_next_request(
    env: DatasetEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await env.headers()
    dataset = (await env.upload(headers, CSV)).json()
    store = app_state(env.app).store
    real = store.delete_prefix

    async def failing(prefix: str) -> int:
        raise OSError("storage went away")

    monkeypatch.setattr(store, "delete_prefix", failing)
    failed = await env.client.delete(f"/api/v1/datasets/{dataset['id']}", headers=headers)
    assert failed.status_code == 503
    assert failed.headers["content-type"].startswith(PROBLEM)
    assert failed.json()["type"].endswith("/service-unavailable")
    assert "Repeat the request" in failed.json()["detail"]
    assert (await env.client.get("/api/v1/datasets", headers=headers)).json()["total"] == 0
    assert [key for key in env.stored_objects() if dataset["id"] in key]

    monkeypatch.setattr(store, "delete_prefix", real)
    retried = await env.client.delete(f"/api/v1/datasets/{dataset['id']}", headers=headers)
    assert retried.status_code == 204
    assert not [key for key in env.stored_objects() if dataset["id"] in key]
    assert (await env.client.get(f"/api/v1/datasets/{dataset['id']}", headers=headers)).status_code == 404


async def test_an_unknown_id_is_404_and_a_malformed_one_422(env: DatasetEnv) -> None:
    headers = await env.headers()
    response = await env.client.get("/api/v1/datasets/665f1c2a9b1e8a3d4c5b6a79", headers=headers)
    assert response.status_code == 404
    response = await env.client.get("/api/v1/datasets/not-an-id", headers=headers)
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == ["path.dataset_id"]


async def test_requires_authentication(env: DatasetEnv) -> None:
    response = await env.client.get("/api/v1/datasets")
    assert response.status_code == 401
    upload = await env.client.post("/api/v1/datasets", files={"file": ("a.csv", CSV)})
    assert upload.status_code == 401
