"""MongoDB connection and Beanie initialisation."""

from __future__ import annotations

from collections.abc import Sequence

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient


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
