"""Crash leftovers: a dataset recorded but never finished storing (or never finished deleting) is
invisible to its owner and removed, with its objects, by the sweeper: after an hour, or at once
when the process that was storing it is known dead."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from beanie import PydanticObjectId

from modelyard.domain.datasets.documents import DatasetDocument
from modelyard.domain.datasets.services import DatasetService
from modelyard.lib.clock import utcnow
from modelyard.lib.processes import process_tag
from modelyard.lifespan import app_state
from tests.conftest import make_settings
from tests.integration.datasets.conftest import DatasetEnv

pytestmark = pytest.mark.integration

CSV = b"a,b\n1,x\n2,y\n3,z\n"


async def test_abandoned_uploads_and_deletes_are_swept(any_env: DatasetEnv, tmp_path: Path) -> None:
    headers = await any_env.headers()
    ids = []
    for name in ("crashed-upload", "crashed-delete", "in-flight", "kept"):
        response = await any_env.upload(headers, CSV, f"{name}.csv")
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    crashed_upload, crashed_delete, in_flight, kept = ids
    long_ago = utcnow() - timedelta(hours=2)
    collection = DatasetDocument.get_pymongo_collection()
    for dataset_id, status, updated_at in (
        (crashed_upload, "uploading", long_ago),
        (crashed_delete, "deleting", long_ago),
        (in_flight, "uploading", utcnow()),
    ):
        await collection.update_one(
            {"_id": PydanticObjectId(dataset_id)}, {"$set": {"status": status, "updated_at": updated_at}}
        )

    # An unfinished upload is not the owner's dataset yet.
    assert (
        await any_env.client.get(f"/api/v1/datasets/{crashed_upload}", headers=headers)
    ).status_code == 404
    listing = (await any_env.client.get("/api/v1/datasets", headers=headers)).json()
    assert [item["id"] for item in listing["items"]] == [kept]

    state = app_state(any_env.app)
    settings = make_settings("mongodb://unused", "file:///unused", var_dir=tmp_path)  # limits only
    service = DatasetService(state.store, state.pool, settings, state.tally)
    assert await service.sweep_abandoned() == 2

    remaining = {str(doc.id) for doc in await DatasetDocument.find_all().to_list()}
    assert crashed_upload not in remaining and crashed_delete not in remaining
    assert {in_flight, kept} <= remaining  # a recent upload may still be storing its objects
    objects = any_env.stored_objects()
    assert not [key for key in objects if crashed_upload in key or crashed_delete in key]
    assert [key for key in objects if kept in key] and [key for key in objects if in_flight in key]
    assert await service.sweep_abandoned() == 0


async def test_an_upload_whose_process_died_is_swept_at_once(any_env: DatasetEnv, tmp_path: Path) -> None:
    headers = await any_env.headers()
    ids = []
    for name in ("killed-uploader", "live-uploader"):
        response = await any_env.upload(headers, CSV, f"{name}.csv")
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    killed, live = ids
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    collection = DatasetDocument.get_pymongo_collection()
    for dataset_id, uploader in (
        (killed, f"{socket.gethostname()}:{dead.pid}:0badc0de"),
        (live, process_tag()),  # this process, still storing it
    ):
        await collection.update_one(
            {"_id": PydanticObjectId(dataset_id)},
            {"$set": {"status": "uploading", "uploader": uploader, "updated_at": utcnow()}},
        )

    state = app_state(any_env.app)
    settings = make_settings("mongodb://unused", "file:///unused", var_dir=tmp_path)
    assert await DatasetService(state.store, state.pool, settings, state.tally).sweep_abandoned() == 1

    remaining = {str(doc.id) for doc in await DatasetDocument.find_all().to_list()}
    assert killed not in remaining and live in remaining
    objects = any_env.stored_objects()
    assert not [key for key in objects if killed in key] and [key for key in objects if live in key]
