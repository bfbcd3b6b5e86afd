"""Webhooks over the API: registered with a secret shown once, changed, deleted, owner-isolated, and
never pointed at loopback or private addresses unless the operator allows them (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from datetime import datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from modelyard.access_settings import WebhookSettings
from modelyard.app import create_app
from modelyard.lifespan import app_state
from modelyard.settings import Settings
from tests.conftest import register_and_login, running
from tests.integration.training.helpers import churn_frame, to_csv, upload_csv
from tests.services.jobs import wait_for_job
from tests.services.receiver import webhook_receiver

pytestmark = pytest.mark.integration

HOOKS = "/api/v1/webhooks"
PUBLIC_URL = "https://hooks.example.com/modelyard"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.webhooks = WebhookSettings(first_retry_s=0.5)  # no network allowed beyond public ones
    return settings


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(
        HOOKS, headers=headers, json={"url": PUBLIC_URL, "events": ["job.finished"], **body}
    )


async def test_a_webhook_is_registered_with_its_secret_once_changed_and_deleted(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await create(client, {**auth_headers, "Idempotency-Key": "hook-1"}, description="ops")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    assert response.headers["location"] == f"{HOOKS}/{created['id']}"
    replay = await create(client, {**auth_headers, "Idempotency-Key": "hook-1"}, description="ops")
    assert replay.json()["id"] == created["id"] and replay.json()["secret"] is None

    listed = (await client.get(HOOKS, headers=auth_headers)).json()
    assert [w["id"] for w in listed["items"]] == [created["id"]] and "secret" not in listed["items"][0]
    url = f"{HOOKS}/{created['id']}"
    changed = await client.patch(
        url, headers=auth_headers, json={"events": ["model.stage_changed", "job.finished"], "enabled": False}
    )
    assert changed.status_code == 200, changed.text
    assert (
        changed.json()["events"] == ["job.finished", "model.stage_changed"]
        and changed.json()["enabled"] is False
    )
    assert "secret" not in (await client.get(url, headers=auth_headers)).json()
    assert (await client.get(f"{url}/deliveries", headers=auth_headers)).json()["items"] == []

    other = await register_and_login(client)
    for method in ("GET", "PATCH", "DELETE"):
        body = {"json": {"enabled": True}} if method == "PATCH" else {}
        assert (await client.request(method, url, headers=other, **body)).status_code == 404, method
    assert (await client.get(f"{url}/deliveries", headers=other)).status_code == 404
    # A malformed id is never a webhook: a 422 that says where, as for every path id.
    malformed = await client.get(f"{HOOKS}/not-an-id/deliveries", headers=auth_headers)
    assert malformed.status_code == 422, malformed.text
    assert [e["location"] for e in malformed.json()["errors"]] == ["path.webhook_id"]

    assert (await client.delete(url, headers=auth_headers)).status_code == 204
    assert (await client.get(url, headers=auth_headers)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8080/hooks",
        "http://[::1]/hooks",
        "http://192.168.0.10/hooks",
        "http://[::ffff:10.0.0.1]/hooks",
        "ftp://hooks.example.com/x",
        "https://user:pass@hooks.example.com/x",
    ],
    ids=["private", "metadata", "localhost", "ipv6-loopback", "lan", "ipv4-mapped", "ftp", "credentials"],
)
async def test_addresses_that_are_not_public_are_refused(
    client: httpx.AsyncClient, auth_headers: dict[str, str], url: str
) -> None:
    response = await create(client, auth_headers, url=url)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "body.url"
    created = await create(client, auth_headers)
    patched = await client.patch(f"{HOOKS}/{created.json()['id']}", headers=auth_headers, json={"url": url})
    assert patched.status_code == 422


async def test_an_allowed_network_is_accepted(settings: Settings) -> None:
    """An operator may allow a network (the tests' local receivers need 127.0.0.1/32): addresses in
    it are accepted, the rest of loopback is not."""
    settings.webhooks = WebhookSettings(allowed_networks="127.0.0.1/32")
    async with (
        running(create_app(settings)) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        headers = await register_and_login(client)
        assert (await create(client, headers, url="http://127.0.0.1:9/hooks")).status_code == 201
        assert (await create(client, headers, url="http://localhost:9/hooks")).status_code == 201
        assert (await create(client, headers, url="http://127.0.0.2:9/hooks")).status_code == 422


async def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery_without_retries(
    client: httpx.AsyncClient,
) -> None:
    """A name is accepted at registration (it may not resolve yet) and checked at each delivery: here
    the machine's own host name, which resolves to loopback or a private address."""
    host = socket.gethostname()
    resolved = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(host, 80)}
    assert resolved and not any(a.is_global for a in resolved), f"{host} resolves to {resolved}"
    headers = await register_and_login(client)
    created = await create(client, headers, url=f"http://{host}:9/hooks")
    assert created.status_code == 201, created.text
    dataset_id = await upload_csv(client, headers, to_csv(churn_frame(60)))
    analysis = await client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json={})
    assert (await wait_for_job(client, analysis.headers["location"], headers))["status"] == "succeeded"
    log_url = f"{HOOKS}/{created.json()['id']}/deliveries"
    delivery = (await wait_for_job(client, log_url, headers, until=_delivery_over))["items"][0]
    assert delivery["status"] == "failed" and delivery["event_type"] == "job.finished"
    assert len(delivery["attempts"]) == 1 and delivery["attempts"][0]["status_code"] is None
    assert f"{host} resolves to" in delivery["attempts"][0]["error"], delivery
    assert delivery["payload"]["data"]["job_id"] == analysis.json()["id"]


def _delivery_over(page: dict[str, Any]) -> bool:
    return bool(page["items"]) and page["items"][0]["status"] in ("succeeded", "failed")


async def test_a_delivery_that_keeps_failing_is_retried_with_backoff_then_given_up(
    settings: Settings,
) -> None:
    """Retries wait longer each time and stop at the retry window (shortened here from 24 h)."""
    settings.webhooks = WebhookSettings(
        allowed_networks="127.0.0.1/32", first_retry_s=0.3, retry_window_s=4.0
    )
    with webhook_receiver() as receiver:
        receiver.statuses = [500] * 10
        async with (
            running(create_app(settings)) as app,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
        ):
            headers = await register_and_login(client)
            created = await create(client, headers, url=receiver.url)
            dataset_id = await upload_csv(client, headers, to_csv(churn_frame(60)))
            analysis = await client.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json={})
            await wait_for_job(client, analysis.headers["location"], headers)
            log_url = f"{HOOKS}/{created.json()['id']}/deliveries"
            delivery = (await wait_for_job(client, log_url, headers, until=_delivery_over))["items"][0]
    # Waits of 0.3 s then 1.2 s; a third (4.8 s) would end past the 4 s window: given up. (The
    # second failure may come as late as 2.8 s, so a loaded machine still sees three attempts.)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500]
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert "Gave up after 3 attempts" in delivery["error"]["detail"], delivery
    at = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert (at[1] - at[0]).total_seconds() >= 0.3 and (at[2] - at[1]).total_seconds() >= 1.2
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1 and len(receiver.received) == 3


async def test_deleting_the_account_deletes_its_webhooks(
    app: Litestar, client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    assert (await create(client, auth_headers)).status_code == 201
    other = await register_and_login(client)
    assert (await create(client, other)).status_code == 201
    assert (await client.delete("/api/v1/auth/me", headers=auth_headers)).status_code == 204
    db = app_state(app).client[app_state(app).database_name]
    assert await db["webhooks"].count_documents({}) == 1  # the other account's only
    assert len((await client.get(HOOKS, headers=other)).json()["items"]) == 1
