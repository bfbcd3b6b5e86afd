"""API keys over HTTP: created with the secret shown once and stored hashed, listed, revoked, scoped."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from litestar import Litestar

from modelyard.lifespan import app_state
from tests.conftest import register_and_login
from tests.integration.observability.test_http_metrics import samples, scrape, value

pytestmark = pytest.mark.integration

KEYS = "/api/v1/api-keys"


async def create_key(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(KEYS, headers=headers, json={"name": "service", **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_secret_is_shown_once_and_stored_as_its_hash(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.post(
        KEYS, headers=auth_headers, json={"name": "nightly scoring", "scopes": ["read", "predict"]}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("myk_") and len(secret) >= 40
    assert response.headers["location"] == f"{KEYS}/{created['id']}"
    assert created["prefix"] == secret[:12]
    assert created["scopes"] == ["read", "predict"] and created["model_ids"] is None
    assert created["last_used_at"] is None and created["use_count"] == 0 and created["expired"] is False

    listed = (await client.get(KEYS, headers=auth_headers)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0] and listed["items"][0]["prefix"] == secret[:12]
    one = await client.get(f"{KEYS}/{created['id']}", headers=auth_headers)
    assert one.status_code == 200 and "secret" not in one.json()

    db = app_state(app).client[app_state(app).database_name]
    stored = await db["api_keys"].find_one({"_id": ObjectId(created["id"])})
    assert stored is not None and stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(stored)
    assert await db["idempotency_keys"].count_documents({}) == 0


async def test_idempotent_create_replays_the_key_without_its_secret(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = {**auth_headers, "Idempotency-Key": "key-create-1"}
    body = {"name": "retry me", "scopes": ["read"]}
    first = await client.post(KEYS, headers=headers, json=body)
    again = await client.post(KEYS, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["secret"] is None
    assert first.json()["secret"].startswith("myk_")
    assert again.headers["location"] == first.headers["location"]
    assert (await client.get(KEYS, headers=auth_headers)).json()["total"] == 1
    db = app_state(app).client[app_state(app).database_name]
    record = await db["idempotency_keys"].find_one({"key": "key-create-1"})
    assert record is not None and first.json()["secret"].encode() not in record["body"]

    other = await client.post(KEYS, headers=headers, json={**body, "name": "another"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["location"] == "header.Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"scopes": ["read"], "model_ids": ["665f1c2a9b1e8a3d4c5b6a79"]}, "body.model_ids"),
        ({"scopes": ["predict"], "model_ids": []}, "body.model_ids"),
        ({"scopes": ["predict"], "model_ids": ["665f1c2a9b1e8a3d4c5b6a79"]}, "body.model_ids.0"),
        ({"scopes": ["predict"], "expires_at": "2020-01-01T00:00:00Z"}, "body.expires_at"),
        ({"scopes": ["write"]}, "body.scopes.0"),
        ({"scopes": []}, "body.scopes"),
        ({"scopes": ["read"], "name": ""}, "body.name"),
        ({"scopes": ["read"], "model_ids": ["not-an-id"]}, "body.model_ids.0"),
    ],
    ids=[
        "models-without-predict",
        "empty-models",
        "unknown-model",
        "expiry-in-the-past",
        "unknown-scope",
        "no-scopes",
        "empty-name",
        "malformed-model-id",
    ],
)
async def test_invalid_keys_are_422_naming_the_field(
    client: httpx.AsyncClient, auth_headers: dict[str, str], body: dict[str, Any], location: str
) -> None:
    response = await client.post(KEYS, headers=auth_headers, json={"name": "k", **body})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert problem["errors"][0]["location"] == location, problem
    assert (await client.get(KEYS, headers=auth_headers)).json()["total"] == 0


async def test_another_users_key_is_a_404_and_not_listed(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    mine = await create_key(client, auth_headers, scopes=["read"])
    other = await register_and_login(client)
    assert (await client.get(f"{KEYS}/{mine['id']}", headers=other)).status_code == 404
    assert (await client.delete(f"{KEYS}/{mine['id']}", headers=other)).status_code == 404
    assert (await client.get(KEYS, headers=other)).json()["items"] == []
    # Still mine, still working.
    assert (await client.get("/api/v1/datasets", headers=bearer(mine["secret"]))).status_code == 200
    # A malformed id is never a key: a 422 that says where, as for every path id.
    for method in ("GET", "DELETE"):
        malformed = await client.request(method, f"{KEYS}/not-an-id", headers=auth_headers)
        assert malformed.status_code == 422, (method, malformed.text)
        assert [e["location"] for e in malformed.json()["errors"]] == ["path.key_id"]


async def test_keys_are_paged_by_cursor(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    ids = [(await create_key(client, auth_headers, scopes=["read"], name=f"k{i}"))["id"] for i in range(3)]
    first = (await client.get(KEYS, headers=auth_headers, params={"limit": 2})).json()
    assert first["total"] == 3 and first["has_more"] is True
    second = (
        await client.get(KEYS, headers=auth_headers, params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert second["has_more"] is False and second["next_cursor"] is None
    assert [k["id"] for k in first["items"] + second["items"]] == ids[::-1]


async def test_a_key_reaches_only_its_scopes(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    reader = bearer((await create_key(client, auth_headers, scopes=["read"]))["secret"])
    predictor = bearer((await create_key(client, auth_headers, scopes=["predict"]))["secret"])

    me = await client.get("/api/v1/auth/me", headers=reader)
    assert me.status_code == 200 and me.json()["email"].endswith("@example.com")
    assert (await client.get("/api/v1/datasets", headers=reader)).status_code == 200

    refused = await client.get("/api/v1/datasets", headers=predictor)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"].endswith("/forbidden") and "`read` scope" in problem["detail"]
    assert refused.headers["content-type"] == "application/problem+json"

    upload = await client.post(
        "/api/v1/datasets", headers=reader, files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert upload.status_code == 403 and "cannot call this operation" in upload.json()["detail"]
    predict = await client.post(
        f"/api/v1/models/{ObjectId()}/predictions", headers=reader, json={"records": [{"a": 1}]}
    )
    assert predict.status_code == 403 and "`predict` scope" in predict.json()["detail"]
    # A predict key reaches the operation (here: no such model) instead of a 403.
    unknown = await client.post(
        f"/api/v1/models/{ObjectId()}/predictions", headers=predictor, json={"records": [{"a": 1}]}
    )
    assert unknown.status_code == 404
    # Keys never manage keys, not even a key that reads everything.
    assert (await client.get(KEYS, headers=reader)).status_code == 403
    assert (
        await client.post(KEYS, headers=reader, json={"name": "x", "scopes": ["read"]})
    ).status_code == 403
    assert (await client.delete("/api/v1/auth/me", headers=reader)).status_code == 403


async def test_revoked_and_unknown_keys_are_refused(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    created = await create_key(client, auth_headers, scopes=["read"])
    key = bearer(created["secret"])
    assert (await client.get("/api/v1/datasets", headers=key)).status_code == 200
    assert (await client.delete(f"{KEYS}/{created['id']}", headers=auth_headers)).status_code == 204
    # The process that revoked it refuses it at once (its cache entry is evicted).
    refused = await client.get("/api/v1/datasets", headers=key)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "revoked" in refused.json()["detail"]
    assert (await client.get(f"{KEYS}/{created['id']}", headers=auth_headers)).status_code == 404
    forged = await client.get("/api/v1/datasets", headers=bearer("myk_" + "A" * 43))
    assert forged.status_code == 401 and "unknown or was revoked" in forged.json()["detail"]


async def test_an_expired_key_is_refused_from_its_expiry(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    created = await create_key(client, auth_headers, scopes=["read"], expires_at=expires.isoformat())
    assert created["expired"] is False
    key = bearer(created["secret"])
    assert (await client.get("/api/v1/datasets", headers=key)).status_code == 200  # now cached
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.1)
    refused = await client.get("/api/v1/datasets", headers=key)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    assert (await client.get(f"{KEYS}/{created['id']}", headers=auth_headers)).json()["expired"] is True


async def test_uses_are_written_in_batches_and_counted_in_the_metrics(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    created = await create_key(client, auth_headers, scopes=["read"])
    key = bearer(created["secret"])
    for _ in range(5):
        assert (await client.get("/api/v1/datasets", headers=key)).status_code == 200
    assert (await client.delete("/api/v1/auth/me", headers=key)).status_code == 403
    # No write per request: nothing reached the key's record before the usage flush.
    before = (await client.get(f"{KEYS}/{created['id']}", headers=auth_headers)).json()
    assert before["use_count"] == 0 and before["last_used_at"] is None

    await app_state(app).business.refresh()  # flushes the usage tally first, as every refresh does
    after = (await client.get(f"{KEYS}/{created['id']}", headers=auth_headers)).json()
    assert after["use_count"] == 6
    assert datetime.fromisoformat(after["last_used_at"]) > datetime.now(UTC) - timedelta(minutes=1)

    text = await scrape(client)
    assert value(text, "modelyard_api_key_requests_total", scope="read", outcome="allowed") == 5
    assert value(text, "modelyard_api_key_requests_total", scope="none", outcome="forbidden") == 1
    assert value(text, "modelyard_api_key_requests_total", scope="predict", outcome="allowed") == 0
    assert value(text, "modelyard_api_keys", state="active") == 1
    assert value(text, "modelyard_api_keys_used", window="1d") == 1
    labels = {v for (name, pairs), _ in samples(text).items() if "api_key" in name for _, v in pairs}
    assert created["id"] not in labels and created["prefix"] not in labels


async def test_deleting_the_account_deletes_its_keys(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    created = await create_key(client, auth_headers, scopes=["read"])
    key = bearer(created["secret"])
    assert (await client.get("/api/v1/datasets", headers=key)).status_code == 200
    assert (await client.delete("/api/v1/auth/me", headers=auth_headers)).status_code == 204
    assert (await client.get("/api/v1/datasets", headers=key)).status_code == 401
    db = app_state(app).client[app_state(app).database_name]
    assert await db["api_keys"].count_documents({}) == 0
