"""Paging is stable: items created in the same millisecond are neither skipped nor repeated."""

from __future__ import annotations

import pytest
from beanie import PydanticObjectId
from litestar import Litestar

from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.pagination import newest_first

pytestmark = pytest.mark.integration


async def test_pages_over_equal_timestamps_cover_every_item_once(app: Litestar) -> None:
    owner, same_moment = PydanticObjectId(), utcnow()
    jobs = [
        TrainingJobDocument(owner_id=owner, dataset_id=PydanticObjectId(), target="y", options={})
        for _ in range(23)
    ]
    for job in jobs:
        job.created_at = same_moment
        await job.insert()
    query = {"owner_id": owner}

    pages = [await newest_first(TrainingJobDocument, query, 5, offset) for offset in range(0, 25, 5)]
    seen = [job.id for items, _ in pages for job in items]

    assert all(total == 23 for _, total in pages)
    assert len(seen) == len(set(seen)) == 23
    assert seen == sorted((job.id for job in jobs), reverse=True)  # ties newest id first
    again = [
        job.id
        for offset in range(0, 25, 5)
        for job in (await newest_first(TrainingJobDocument, query, 5, offset))[0]
    ]
    assert again == seen
