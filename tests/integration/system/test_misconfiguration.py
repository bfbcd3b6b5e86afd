"""Misconfigured dependencies show up as readiness failures, not crashes; indexes exist after start."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelyard.app import create_app
from tests.conftest import make_settings, running

pytestmark = pytest.mark.integration


async def test_unreachable_bucket_is_a_readiness_failure(
    mongodb_url: str, s3_endpoint: str, tmp_path: Path
) -> None:
    settings = make_settings(
        mongodb_url, "s3://bucket-that-does-not-exist", s3_endpoint=s3_endpoint, var_dir=tmp_path
    )
    async with running(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            live = await http.get("/health/live")
            ready = await http.get("/health/ready")
    assert live.status_code == 200
    assert ready.status_code == 503
    assert [error["location"] for error in ready.json()["errors"]] == ["object_store"]
    assert "bucket-that-does-not-exist" in ready.json()["detail"]


async def test_indexes_are_created_at_start(app: object) -> None:
    from modelyard.domain.accounts.documents import UserDocument
    from modelyard.domain.datasets.documents import DatasetDocument

    user_indexes = await UserDocument.get_pymongo_collection().index_information()
    assert user_indexes["email_unique"]["unique"] is True
    dataset_indexes = await DatasetDocument.get_pymongo_collection().index_information()
    assert len(dataset_indexes) > 1, dataset_indexes  # more than the default _id index
