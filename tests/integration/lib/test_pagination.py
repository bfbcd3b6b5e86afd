"""Paging is stable: items created in the same millisecond are neither skipped nor repeated, and
a cursor page does not move when items are inserted or deleted between requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.pagination import encode_cursor, newest_first

pytestmark = pytest.mark.integration

JOBS = "/api/v1/training-jobs"


def _job(owner: PydanticObjectId) -> TrainingJobDocument:
    # Finished, so the app's job runner leaves them alone.
    return TrainingJobDocument(
        owner_id=owner, dataset_id=PydanticObjectId(), target="y", options={}, status="cancelled"
    )


async def _insert(owner: PydanticObjectId, count: int, **fields: object) -> list[TrainingJobDocument]:
    jobs = []
    for _ in range(count):
        job = _job(owner)
        for name, value in fields.items():
            setattr(job, name, value)
        jobs.append(await job.insert())
    return jobs


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> PydanticObjectId:
    return PydanticObjectId((await client.get("/api/v1/auth/me", headers=headers)).json()["id"])


async def test_pages_over_equal_timestamps_cover_every_item_once(app: Litestar) -> None:
    owner = PydanticObjectId()
    jobs = await _insert(owner, 23, created_at=utcnow())
    query = {"owner_id": owner}

    by_offset = [await newest_first(TrainingJobDocument, query, limit=5, offset=o) for o in range(0, 25, 5)]
    seen = [job.id for window in by_offset for job in window.items]
    assert all(window.total == 23 for window in by_offset)
    assert len(seen) == len(set(seen)) == 23
    assert seen == sorted((job.id for job in jobs), reverse=True)  # ties newest id first

    by_cursor, cursor = [], None
    while True:
        window = await newest_first(TrainingJobDocument, query, limit=5, cursor=cursor)
        by_cursor += [job.id for job in window.items]
        cursor = window.next_cursor
        if cursor is None:
            break
    assert by_cursor == seen


async def test_cursor_paging_over_http_survives_inserts_and_deletes(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    owner, moment = await _me(client, auth_headers), utcnow() - timedelta(minutes=5)
    # Half the jobs share one millisecond, so the tie-breaker on id is what keeps the order.
    older = await _insert(owner, 6, created_at=moment - timedelta(seconds=1))
    same = await _insert(owner, 6, created_at=moment)
    expected = [j.id for j in sorted(older + same, key=lambda j: (j.created_at, j.id), reverse=True)]

    first = (await client.get(JOBS, params={"limit": 5}, headers=auth_headers)).json()
    assert first["has_more"] is True and first["next_cursor"] and first["total"] == 12
    seen = [item["id"] for item in first["items"]]

    # Between the pages: new jobs (some in the cursor's very millisecond), one unseen job and
    # one already-seen job deleted.
    await _insert(owner, 3)
    await _insert(owner, 2, created_at=moment)
    unseen_victim, seen_victim = expected[7], expected[0]
    await TrainingJobDocument.get_pymongo_collection().delete_many(
        {"_id": {"$in": [unseen_victim, seen_victim]}}
    )

    cursor = first["next_cursor"]
    while cursor is not None:
        page = (await client.get(JOBS, params={"limit": 5, "cursor": cursor}, headers=auth_headers)).json()
        assert page["has_more"] is (page["next_cursor"] is not None)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]

    assert len(seen) == len(set(seen)), "an item was repeated"
    assert seen == [str(i) for i in expected if i != unseen_victim], "an item was skipped or misplaced"


async def test_last_page_has_no_cursor(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    await _insert(await _me(client, auth_headers), 2)
    page = (await client.get(JOBS, params={"limit": 2}, headers=auth_headers)).json()
    assert len(page["items"]) == 2 and page["has_more"] is False and page["next_cursor"] is None


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/models", JOBS])
async def test_every_top_level_list_carries_the_cursor_fields(
    client: httpx.AsyncClient, auth_headers: dict[str, str], path: str
) -> None:
    page = (await client.get(path, headers=auth_headers)).json()
    assert page["items"] == [] and page["next_cursor"] is None and page["has_more"] is False


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        # A real cursor cut short; fixed values, so every xdist worker collects the same test ids.
        encode_cursor(datetime(2026, 11, 29, tzinfo=UTC), PydanticObjectId("665f1c2a9b1e8a3d4c5b6a79"))[:-3],
        "MTIzLnh5eg",  # base64 of "123.xyz"
    ],
    ids=["not-a-cursor", "not-base64", "truncated", "wrong-fields"],
)
async def test_a_malformed_cursor_is_a_problem_naming_the_parameter(
    client: httpx.AsyncClient, auth_headers: dict[str, str], cursor: str
) -> None:
    response = await client.get("/api/v1/datasets", params={"cursor": cursor}, headers=auth_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["location"] for e in response.json()["errors"]] == ["query.cursor"]


async def test_cursor_and_offset_together_are_refused(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    cursor = encode_cursor(utcnow(), PydanticObjectId())
    response = await client.get(JOBS, params={"cursor": cursor, "offset": 5}, headers=auth_headers)
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == ["query.offset"]


async def test_offset_keeps_working(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    jobs = await _insert(await _me(client, auth_headers), 3)
    page = (await client.get(JOBS, params={"limit": 1, "offset": 1}, headers=auth_headers)).json()
    assert [item["id"] for item in page["items"]] == [str(jobs[1].id)]
    assert page["offset"] == 1 and page["has_more"] is True
    after = (await client.get(JOBS, params={"cursor": page["next_cursor"]}, headers=auth_headers)).json()
    assert [item["id"] for item in after["items"]] == [str(jobs[0].id)]
