"""Storage shape of accounts."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from modelyard.lib.clock import utcnow


class UserDocument(Document):
    email: str
    """Normalised (trimmed, lower-case): the unique index makes emails case-insensitive."""
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    last_active_at: datetime = Field(default_factory=utcnow)
    """Refreshed at most once per `ACTIVITY_RESOLUTION` so authenticated requests stay read-only."""

    class Settings:
        name = "users"
        indexes = [
            IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
            IndexModel([("last_active_at", ASCENDING)], name="last_active_at"),
        ]
