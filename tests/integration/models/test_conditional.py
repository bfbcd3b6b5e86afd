"""Conditional requests over HTTP: ETag on GET and PATCH, If-None-Match gives 304, If-Match
gives 412 on a stale tag, and two stage changes racing on the same tag cannot both win."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.training.helpers import churn_frame, to_csv, train, upload_csv

pytestmark = pytest.mark.integration


async def test_dataset_etag_if_none_match_and_if_match(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset = await upload_csv(client, auth_headers, to_csv(churn_frame(n=40)))
    url = f"/api/v1/datasets/{dataset}"
    got = await client.get(url, headers=auth_headers)
    tag = got.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')

    cached = await client.get(url, headers={**auth_headers, "If-None-Match": tag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == tag
    assert (await client.get(url, headers={**auth_headers, "If-None-Match": '"other"'})).status_code == 200

    renamed = await client.patch(url, headers={**auth_headers, "If-Match": tag}, json={"name": "renamed"})
    assert renamed.status_code == 200, renamed.text
    new_tag = renamed.headers["etag"]
    assert new_tag != tag and (await client.get(url, headers=auth_headers)).headers["etag"] == new_tag

    stale = await client.patch(url, headers={**auth_headers, "If-Match": tag}, json={"name": "lost"})
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["type"].endswith("/precondition-failed") and stale.headers["etag"] == new_tag
    assert (await client.get(url, headers=auth_headers)).json()["name"] == "renamed"
    # Changed since: the old tag no longer answers 304.
    assert (await client.get(url, headers={**auth_headers, "If-None-Match": tag})).status_code == 200

    refused = await client.delete(url, headers={**auth_headers, "If-Match": tag})
    assert refused.status_code == 412
    assert (await client.get(url, headers=auth_headers)).status_code == 200
    assert (await client.delete(url, headers={**auth_headers, "If-Match": new_tag})).status_code == 204


async def test_model_stage_changes_are_compare_and_set(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    dataset = await upload_csv(client, auth_headers, to_csv(churn_frame()))
    job = await train(client, auth_headers, dataset, time_budget_s=1, algorithms=["linear"])
    url = f"/api/v1/models/{job['model_id']}"
    tag = (await client.get(url, headers=auth_headers)).headers["etag"]
    assert (await client.get(url, headers={**auth_headers, "If-None-Match": tag})).status_code == 304

    # Two people promote/archive from the same read at once: exactly one wins, the other is 412.
    answers = await asyncio.gather(
        *(
            client.patch(url, headers={**auth_headers, "If-Match": tag}, json={"stage": stage})
            for stage in ("production", "archived", "staging", "production")
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 412, 412, 412], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200)
    current = await client.get(url, headers=auth_headers)
    assert current.json()["stage"] == winner.json()["stage"]
    assert current.headers["etag"] == winner.headers["etag"] != tag

    # Without If-Match the last write still wins (the documented default), and moves the tag.
    plain = await client.patch(url, headers=auth_headers, json={"stage": "none"})
    assert plain.status_code == 200 and plain.headers["etag"] != winner.headers["etag"]
    assert (
        await client.patch(url, headers={**auth_headers, "If-Match": "*"}, json={"name": "m"})
    ).status_code == 200

    stale_delete = await client.delete(url, headers={**auth_headers, "If-Match": tag})
    assert stale_delete.status_code == 412
    assert (await client.get(url, headers=auth_headers)).status_code == 200
