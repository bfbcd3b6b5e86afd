"""Storage shape of datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.clock import utcnow


class DatasetDocument(Document):
    owner_id: PydanticObjectId
    name: str
    description: str | None = None
    filename: str | None = None
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    size_bytes: int
    sha256: str
    duplicate_of: PydanticObjectId | None = None
    rows: int
    columns: list[str]
    renamed_columns: list[tuple[str, str]] = Field(default_factory=list)
    profile: dict[str, Any]
    """A `DatasetProfile` as plain data."""
    original_key: str
    table_key: str
    """Normalised Parquet copy: unique column names, plain types."""
    status: Literal["uploading", "ready", "deleting"] = "ready"
    """`uploading`: recorded, its objects being stored (invisible to the owner); `deleting`: removal
    started, objects may remain. Either one left behind by a crash is finished by the sweeper."""
    uploader: str | None = None
    """While `uploading`: the process storing it (`lib.processes` tag); once that process is dead,
    the sweeper removes the dataset without waiting."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "datasets"
        indexes = [
            IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_newest"),
            IndexModel([("owner_id", ASCENDING), ("sha256", ASCENDING)], name="owner_sha256"),
            IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)], name="status_updated"),
        ]


def dataset_prefix(dataset_id: PydanticObjectId | str) -> str:
    return f"datasets/{dataset_id}/"
