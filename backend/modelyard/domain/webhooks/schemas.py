"""API shapes of webhooks and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

import msgspec

from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import JobStatus, Schema, WebhookDeliveryId, WebhookId

EventType = Literal["job.finished", "model.stage_changed"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

Url = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        description="Where deliveries are POSTed (`https://` recommended). Loopback, private and "
        "link-local addresses are refused unless the operator allowed them.",
        examples=["https://hooks.example.com/modelyard"],
    ),
]
Events = Annotated[
    list[EventType],
    msgspec.Meta(
        min_length=1,
        max_length=2,
        description="What to be told about: `job.finished` (a training job, analysis or batch prediction "
        "succeeded, failed or was cancelled) and `model.stage_changed` (a model was promoted, demoted "
        "or archived).",
        examples=[["job.finished", "model.stage_changed"]],
    ),
]
Description = Annotated[str, msgspec.Meta(max_length=500, description="What the endpoint is, for you.")]


class WebhookCreate(Schema):
    """A new webhook endpoint."""

    url: Url
    events: Events
    description: Description | None = None


class WebhookUpdate(Schema):
    """Fields to change; absent fields stay as they are."""

    url: Url | msgspec.UnsetType = msgspec.UNSET
    events: Events | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType | None = msgspec.UNSET
    enabled: (
        Annotated[bool, msgspec.Meta(description="False pauses deliveries (new events are not recorded).")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class Webhook(Schema):
    """A webhook endpoint (never its secret)."""

    id: WebhookId
    url: Url
    events: Events
    description: Description | None
    enabled: Annotated[bool, msgspec.Meta(description="Whether events are delivered.", examples=[True])]
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    """A webhook just created: the only response that carries its signing secret."""

    secret: Annotated[
        str | None,
        msgspec.Meta(
            description="Verify each delivery's `webhook-signature` with it (Standard Webhooks). Shown this "
            "once; null in an `Idempotency-Key` replay. A lost secret: delete the webhook, create another.",
            examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        ),
    ]


class WebhookPage(Page):
    items: list[Webhook]


class DeliveryAttempt(Schema):
    """One attempt to deliver an event."""

    at: datetime
    status_code: Annotated[
        int | None,
        msgspec.Meta(description="The receiver's HTTP status; null when none came.", examples=[500]),
    ]
    error: Annotated[
        str | None,
        msgspec.Meta(description="Why it failed without a status (refused address, timeout, connection)."),
    ]
    duration_ms: Annotated[int, msgspec.Meta(ge=0, description="How long the attempt took.", examples=[84])]


class WebhookDelivery(Schema):
    """An event sent (or being sent) to a webhook, with every attempt."""

    id: WebhookDeliveryId
    webhook_id: WebhookId
    event_type: EventType
    message_id: Annotated[
        str,
        msgspec.Meta(description="The `webhook-id` header of every attempt.", examples=["msg_665f1c2a9b1e"]),
    ]
    status: Annotated[
        JobStatus,
        msgspec.Meta(
            description="`queued` (waiting for its next attempt), `running`, `succeeded` (a 2xx answer), "
            "`failed` (gave up: retried for 24 h, or the address was refused)."
        ),
    ]
    message: str | None
    error: Annotated[
        Problem | None, msgspec.Meta(description="Why it was given up, once `failed` (problem details).")
    ]
    next_attempt_at: Annotated[
        datetime | None, msgspec.Meta(description="When the next attempt is due, while `queued`.")
    ]
    attempts: list[DeliveryAttempt]
    payload: Annotated[
        dict[str, Any], msgspec.Meta(description="The body POSTed: `type`, `timestamp` and `data`.")
    ]
    created_at: datetime
    finished_at: datetime | None


class WebhookDeliveryPage(Page):
    items: list[WebhookDelivery]
