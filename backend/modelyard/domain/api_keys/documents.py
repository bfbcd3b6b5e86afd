"""Storage shape of API keys."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.clock import utcnow


class ApiKeyDocument(Document):
    owner_id: PydanticObjectId
    name: str
    prefix: str
    """The first characters of the secret (`myk_` + 8), to tell keys apart in lists and logs."""
    secret_sha256: str
    """Hex SHA-256 of the whole secret: the secret itself is never stored. The secret has 256
    random bits, so a fast hash is safe here (nothing to brute-force), and a lookup is one
    indexed find."""
    scopes: list[str]
    model_ids: list[PydanticObjectId] | None = None
    """Models the `predict` scope covers; None covers all the owner's models."""
    expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    """Written by the usage flush (every few seconds), not by each request."""
    use_count: int = 0

    class Settings:
        name = "api_keys"
        indexes = [
            IndexModel([("secret_sha256", ASCENDING)], unique=True, name="secret_unique"),
            IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_created"),
            IndexModel([("last_used_at", ASCENDING)], name="last_used_at"),
        ]
