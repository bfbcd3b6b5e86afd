"""Whole-object examples of webhooks for the spec: Ada's receiver, registered before she promoted
the story's model (lib/examples.py), and the delivery of that promotion, answered 500 at first
and 204 on its retry."""

from __future__ import annotations

from datetime import datetime

import msgspec

from modelyard.domain.webhooks.schemas import (
    DeliveryAttempt,
    Webhook,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookPage,
)
from modelyard.lib import examples


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


WEBHOOK = Webhook(
    id=examples.WEBHOOK_ID,
    url="https://hooks.example.com/modelyard",
    events=["job.finished", "model.stage_changed"],
    description="Retention team's job and model notifications.",
    enabled=True,
    created_at=_at(examples.WEBHOOK_CREATED_AT),
    updated_at=_at(examples.WEBHOOK_CREATED_AT),
)
CREATED = WebhookCreated(**msgspec.structs.asdict(WEBHOOK), secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
PAUSED = msgspec.structs.replace(WEBHOOK, enabled=False, updated_at=_at("2024-06-04T14:05:12Z"))
PAGE = WebhookPage(items=[WEBHOOK], total=1, limit=20, offset=0, next_cursor=None, has_more=False)

DELIVERY = WebhookDelivery(
    id=examples.WEBHOOK_DELIVERY_ID,
    webhook_id=examples.WEBHOOK_ID,
    event_type="model.stage_changed",
    message_id=f"msg_{examples.WEBHOOK_DELIVERY_ID}",
    status="succeeded",
    message="Delivered (204).",
    error=None,
    next_attempt_at=None,
    attempts=[
        DeliveryAttempt(at=_at("2024-06-04T14:01:38Z"), status_code=500, error=None, duration_ms=112),
        DeliveryAttempt(at=_at("2024-06-04T14:01:48Z"), status_code=204, error=None, duration_ms=84),
    ],
    payload={
        "type": "model.stage_changed",
        "timestamp": examples.MODEL_UPDATED_AT,
        "data": {
            "model_id": examples.MODEL_ID,
            "name": "customers-2024 · churned · linear",
            "previous_stage": "none",
            "stage": "production",
            "url": f"/api/v1/models/{examples.MODEL_ID}",
        },
    },
    created_at=_at(examples.MODEL_UPDATED_AT),
    finished_at=_at("2024-06-04T14:01:48Z"),
)
DELIVERIES = WebhookDeliveryPage(
    items=[DELIVERY], total=1, limit=20, offset=0, next_cursor=None, has_more=False
)
