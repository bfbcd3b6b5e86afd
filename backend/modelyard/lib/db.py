"""MongoDB: connecting, Beanie initialisation, and the owner-scoped lookup every area uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from beanie import Document, PydanticObjectId, init_beanie
from pymongo import AsyncMongoClient

from modelyard.lib.errors import NotFoundError

D = TypeVar("D", bound=Document)


async def connect_database(
    url: str, database: str, documents: Sequence[type[Document]], *, timeout_ms: int = 5000
) -> AsyncMongoClient[dict[str, object]]:
    """Open a client, bind the documents to `database` and create their indexes."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        appname="modelyard",
    )
    try:
        await init_beanie(database=client[database], document_models=list(documents))
    except BaseException:
        await client.close()
        raise
    return client


async def ping_database(client: AsyncMongoClient[dict[str, object]]) -> None:
    await client.admin.command("ping")


async def find_owned(document: type[D], owner_id: PydanticObjectId, raw_id: str, what: str) -> D:
    """The owner's document with id `raw_id`, or a 404 naming `what` (a malformed id, an unknown
    one and another user's all look the same, so ids of others are never confirmed)."""
    not_found = NotFoundError(f"No {what} with id {raw_id}.")
    if not PydanticObjectId.is_valid(raw_id):
        raise not_found
    found = await document.find_one({"_id": PydanticObjectId(raw_id), "owner_id": owner_id})
    if found is None:
        raise not_found
    return found
