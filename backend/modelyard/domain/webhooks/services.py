"""Webhook rules: the only module that queries the webhook and delivery documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from modelyard.domain.webhooks.documents import WebhookDeliveryDocument, WebhookDocument
from modelyard.domain.webhooks.signing import new_secret
from modelyard.lib.clock import utcnow
from modelyard.lib.db import find_owned
from modelyard.lib.errors import ConflictError, FieldError, ValidationFailedError
from modelyard.lib.jobs import JobRunner
from modelyard.lib.outbound import DestinationRefusedError, IPNetwork, check_url
from modelyard.lib.pagination import Window, newest_first

log = structlog.get_logger("modelyard.webhooks")


def _refused(exc: DestinationRefusedError) -> ValidationFailedError:
    message = (
        f"{exc} Deliveries go to public addresses only (an operator can allow others with "
        "MODELYARD_WEBHOOKS_ALLOWED_NETWORKS)."
    )
    return ValidationFailedError(message, errors=[FieldError(message, "body.url")])


class WebhookService:
    """The owner's webhooks, their delivery log, and recording events for delivery."""

    def __init__(
        self, allowed: list[IPNetwork] | None = None, max_per_user: int = 20, runner: JobRunner | None = None
    ) -> None:
        self.allowed = allowed or []
        self.max_per_user = max_per_user
        self.runner = runner

    def check(self, url: str) -> None:
        try:
            check_url(url, self.allowed)
        except DestinationRefusedError as exc:
            raise _refused(exc) from None

    async def create(
        self, owner_id: PydanticObjectId, url: str, events: list[str], description: str | None
    ) -> WebhookDocument:
        self.check(url)
        if await WebhookDocument.find({"owner_id": owner_id}).count() >= self.max_per_user:
            raise ConflictError(f"You have {self.max_per_user} webhooks, the most allowed; delete one first.")
        document = WebhookDocument(
            owner_id=owner_id,
            url=url,
            events=sorted(set(events)),
            description=description,
            secret=new_secret(),
        )
        await document.insert()
        return document

    async def list(
        self, owner_id: PydanticObjectId, limit: int, offset: int = 0, cursor: str | None = None
    ) -> Window[WebhookDocument]:
        query = {"owner_id": owner_id}
        return await newest_first(WebhookDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def get_owned(self, owner_id: PydanticObjectId, webhook_id: str) -> WebhookDocument:
        return await find_owned(WebhookDocument, owner_id, webhook_id, "webhook")

    async def update(
        self, owner_id: PydanticObjectId, webhook_id: str, changes: dict[str, Any]
    ) -> WebhookDocument:
        document = await self.get_owned(owner_id, webhook_id)
        if "url" in changes:
            self.check(changes["url"])
        if "events" in changes:
            changes["events"] = sorted(set(changes["events"]))
        if changes:
            changes["updated_at"] = utcnow()
            await WebhookDocument.get_pymongo_collection().update_one({"_id": document.id}, {"$set": changes})
            for key, value in changes.items():
                setattr(document, key, value)
        return document

    async def delete(self, owner_id: PydanticObjectId, webhook_id: str) -> None:
        """Remove the webhook and its delivery log; pending deliveries are never sent."""
        document = await self.get_owned(owner_id, webhook_id)
        await WebhookDeliveryDocument.get_pymongo_collection().delete_many({"webhook_id": document.id})
        await WebhookDocument.get_pymongo_collection().delete_one({"_id": document.id})

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> None:
        await WebhookDeliveryDocument.get_pymongo_collection().delete_many({"owner_id": owner_id})
        await WebhookDocument.get_pymongo_collection().delete_many({"owner_id": owner_id})

    async def deliveries(
        self,
        owner_id: PydanticObjectId,
        webhook_id: str,
        limit: int,
        offset: int = 0,
        cursor: str | None = None,
    ) -> Window[WebhookDeliveryDocument]:
        document = await self.get_owned(owner_id, webhook_id)
        query = {"owner_id": owner_id, "webhook_id": document.id}
        return await newest_first(WebhookDeliveryDocument, query, limit=limit, offset=offset, cursor=cursor)

    # -- events ------------------------------------------------------------------------------

    async def subscribers(self, event_type: str) -> set[PydanticObjectId]:
        """Owners with an enabled webhook for `event_type` (nobody: nothing to look for)."""
        collection = WebhookDocument.get_pymongo_collection()
        found = await collection.distinct("owner_id", {"events": event_type, "enabled": True})
        return {PydanticObjectId(owner) for owner in found}

    async def emit(
        self, owner_id: PydanticObjectId, event_type: str, event_key: str, data: dict[str, Any], at: datetime
    ) -> int:
        """Record the event for each of the owner's enabled webhooks that want it; how many new
        deliveries. The same `event_key` again (another process saw it too) adds none."""
        # Only webhooks that existed when it happened: a new webhook is not told about the past.
        query = {"owner_id": owner_id, "events": event_type, "enabled": True, "created_at": {"$lte": at}}
        webhooks = await WebhookDocument.find(query).to_list()
        payload = {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}
        added = 0
        for webhook in webhooks:
            delivery_id = PydanticObjectId()
            delivery = WebhookDeliveryDocument(
                id=delivery_id,
                owner_id=owner_id,
                webhook_id=webhook.id,
                event_key=event_key,
                event_type=event_type,
                message_id=f"msg_{delivery_id}",
                payload=payload,
                message="Waiting for its first attempt.",
            )
            try:
                await delivery.insert()
            except DuplicateKeyError:
                continue
            added += 1
        if added and self.runner is not None:
            self.runner.wake()
        return added
