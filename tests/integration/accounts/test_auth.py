"""Register, token, me: what an API client sees."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import jwt
import pytest

from modelyard.lifespan import app_state
from tests.conftest import TEST_JWT_SECRET, register_and_login

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


async def test_register_token_me_round_trip(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "Ada@Example.com", "password": "correct horse"}
    )
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "ada@example.com"
    assert len(user["id"]) == 24 and "password" not in str(user).lower()

    token = await client.post(
        "/api/v1/auth/token", data={"username": "ADA@example.com", "password": "correct horse"}
    )
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 30 * 60

    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == user


async def test_duplicate_email_is_conflict_case_insensitive(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "bob@example.com")
    response = await client.post(
        "/api/v1/auth/register", json={"email": "BOB@example.com", "password": "12345678"}
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/conflict")


async def test_concurrent_registrations_one_wins(client: httpx.AsyncClient) -> None:
    payload = {"email": "race@example.com", "password": "12345678"}
    results = await asyncio.gather(*(client.post("/api/v1/auth/register", json=payload) for _ in range(2)))
    assert sorted(r.status_code for r in results) == [201, 409]


async def test_wrong_password_and_unknown_user_look_the_same(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "carol@example.com")
    wrong = await client.post(
        "/api/v1/auth/token", data={"username": "carol@example.com", "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert {k: v for k, v in wrong.json().items() if k != "request_id"} == {
        k: v for k, v in unknown.json().items() if k != "request_id"
    }
    assert wrong.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        ({"email": "not-an-email", "password": "12345678"}, "email"),
        ({"email": "a@b.co", "password": "short"}, "password"),
        ({"email": "a@b.co"}, "password"),
        ({"email": "a@b.co", "password": "12345678", "is_admin": True}, "is_admin"),
    ],
)
async def test_invalid_registration_says_where(
    client: httpx.AsyncClient, payload: dict[str, object], location: str
) -> None:
    response = await client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith(PROBLEM)
    assert problem["type"].endswith("/validation-error")
    assert any(location in (e.get("location") or "") + e["message"] for e in problem["errors"]), problem


async def test_malformed_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b'{"email": "a@b.co", "password": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/malformed-body")


async def test_wrong_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b"email=a@b.co&password=12345678",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (400, 415), response.text
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_me_without_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "bearer token" in response.json()["detail"].lower()


def _token(secret: str, sub: str, expires_in: timedelta) -> str:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return jwt.encode({"sub": sub, "iat": now - timedelta(hours=2), "exp": now + expires_in}, secret, "HS256")


async def test_expired_token(client: httpx.AsyncClient) -> None:
    headers = await register_and_login(client)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    expired = _token(TEST_JWT_SECRET, me["id"], timedelta(minutes=-5))
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")
    assert "expired" in response.json()["detail"]


async def test_token_signed_with_another_secret(client: httpx.AsyncClient) -> None:
    headers = await register_and_login(client)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    forged = _token("another-secret-" + "z" * 40, me["id"], timedelta(minutes=5))
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is invalid."


async def test_token_of_deleted_or_unknown_user(client: httpx.AsyncClient) -> None:
    ghost = _token(TEST_JWT_SECRET, "665f1c2a9b1e8a3d4c5b6a79", timedelta(minutes=5))
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {ghost}"})
    assert response.status_code == 401


async def test_authentication_uses_the_user_cache_for_its_ttl(
    client: httpx.AsyncClient, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first request, authenticating reads no user from MongoDB until the entry is
    USER_CACHE_TTL_SECONDS old; a deleted account keeps access for at most that long."""
    from modelyard.domain.accounts.documents import UserDocument
    from modelyard.domain.accounts.services import AccountService

    headers = await register_and_login(client)
    cache = app_state(app).users
    now = [1000.0]
    cache.clock = lambda: now[0]
    reads = 0
    real_get = AccountService.get

    async def counting_get(self: AccountService, user_id: str) -> UserDocument | None:
        nonlocal reads
        reads += 1
        return await real_get(self, user_id)

    monkeypatch.setattr(AccountService, "get", counting_get)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert reads == 1
    for _ in range(5):
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert reads == 1

    user = await UserDocument.get(me["id"])
    assert user is not None
    await user.delete()
    now[0] += cache.ttl - 1  # still cached: the deleted account keeps access within the TTL
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    now[0] += 1  # expired: re-read, gone
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert reads == 2


async def test_touch_writes_at_most_once_per_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from modelyard.domain.accounts.documents import UserDocument
    from modelyard.domain.accounts.services import ACTIVITY_RESOLUTION, AccountService

    writes = 0

    class _Query:
        async def update(self, *_: object) -> None:
            nonlocal writes
            writes += 1

    monkeypatch.setattr(UserDocument, "find_one", classmethod(lambda cls, *_: _Query()))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    user = UserDocument(email="t@example.com", password_hash="x", last_active_at=start)
    service = AccountService()
    for minutes in (1, 5, 14):
        await service.touch(user, start + timedelta(minutes=minutes))
    assert writes == 0
    await service.touch(user, start + ACTIVITY_RESOLUTION)
    await service.touch(user, start + ACTIVITY_RESOLUTION + timedelta(minutes=1))
    assert writes == 1 and user.last_active_at == start + ACTIVITY_RESOLUTION


def test_user_cache_is_bounded_and_expires() -> None:
    from modelyard.domain.accounts.auth import UserCache
    from modelyard.domain.accounts.documents import UserDocument

    now = [0.0]
    cache = UserCache(ttl=30, max_entries=2, clock=lambda: now[0])
    users = [UserDocument(email=f"{i}@example.com", password_hash="x") for i in range(3)]
    cache.put("a", users[0])
    cache.put("b", users[1])
    assert cache.get("a") is users[0]  # a is now the most recently used
    cache.put("c", users[2])
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is users[0]
    now[0] = 29.9
    assert cache.get("c") is users[2]
    now[0] = 30.0
    assert cache.get("c") is None and len(cache) == 1


def test_user_cache_remembers_users_for_the_outage_grace() -> None:
    from modelyard.domain.accounts.auth import UserCache
    from modelyard.domain.accounts.documents import UserDocument

    now = [0.0]
    cache = UserCache(ttl=30, clock=lambda: now[0], outage_grace=300)
    user = UserDocument(email="a@example.com", password_hash="x")
    cache.put("a", user)
    now[0] = 31.0
    # Past the TTL the database is asked again; if it cannot answer, the last read still counts.
    assert cache.get("a") is None and cache.last_known("a") is user
    now[0] = 300.0
    assert cache.last_known("a") is None and cache.get("a") is None and len(cache) == 0
