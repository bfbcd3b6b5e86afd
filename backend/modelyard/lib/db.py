"""MongoDB: connecting, Beanie initialisation, and the owner-scoped lookup every area uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pymongo
from beanie import Document, PydanticObjectId, init_beanie
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener

from modelyard.lib.errors import NotFoundError

D = TypeVar("D", bound=Document)


async def connect_database(
    url: str,
    database: str,
    documents: Sequence[type[Document]],
    *,
    timeout_ms: int = 5000,
    operation_timeout_ms: int | None = None,
    event_listeners: Sequence[CommandListener] = (),
) -> AsyncMongoClient[dict[str, object]]:
    """Open a client, bind the documents to `database` and create their indexes.

    `operation_timeout_ms` bounds every operation afterwards (pymongo's client-side operation
    timeout: server selection, the socket and the server's own `maxTimeMS`), so an unreachable
    or frozen database fails a call quickly instead of holding it for the selection timeout or
    until the heartbeat gives up. Start-up (index creation) gets the longer `timeout_ms`.
    `event_listeners` see every command sent (the metrics time them).
    """
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        timeoutMS=operation_timeout_ms,
        tz_aware=True,
        appname="modelyard",
        event_listeners=list(event_listeners),
    )
    try:
        with pymongo.timeout(timeout_ms / 1000):
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
