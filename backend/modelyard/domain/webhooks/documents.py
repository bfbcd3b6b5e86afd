"""Storage shape of webhooks and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from modelyard.lib.clock import utcnow
from modelyard.lib.jobs import JOB_INDEXES, JobDocument


class WebhookDocument(Document):
    owner_id: PydanticObjectId
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool = True
    secret: str
    """`whsec_` + base64 key that signs deliveries. Kept (signing needs it), shown only at creation."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "webhooks"
        indexes = [
            IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_created"),
            IndexModel([("owner_id", ASCENDING), ("events", ASCENDING)], name="owner_events"),
        ]


class WebhookDeliveryDocument(JobDocument):
    """One event for one webhook, delivered (and retried) by the job runner."""

    webhook_id: PydanticObjectId
    event_key: str
    """What the event is about, e.g. `job.finished:training:<id>`: one delivery per webhook and key,
    however many server processes notice the event."""
    event_type: str
    message_id: str
    """The `webhook-id` header, the same on every attempt, so receivers can drop duplicates."""
    payload: dict[str, Any]
    tries: list[dict[str, Any]] = Field(default_factory=list)
    """Each attempt: `at`, `status_code` (or None), `error` (or None), `duration_ms`."""

    class Settings:
        name = "webhook_deliveries"
        indexes = [
            *JOB_INDEXES,
            IndexModel(
                [("webhook_id", ASCENDING), ("event_key", ASCENDING)], unique=True, name="webhook_event"
            ),
            IndexModel([("webhook_id", ASCENDING), ("created_at", DESCENDING)], name="webhook_created"),
        ]
