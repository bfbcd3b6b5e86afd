"""HTTP endpoints of webhooks: register (the secret shown once), list, read, change, delete, and
the delivery log."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.webhooks import examples
from modelyard.domain.webhooks.documents import WebhookDeliveryDocument, WebhookDocument
from modelyard.domain.webhooks.schemas import (
    DeliveryAttempt,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookPage,
    WebhookUpdate,
)
from modelyard.domain.webhooks.services import WebhookService
from modelyard.lib.errors import Problem
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.key_access import KEY_SCOPES
from modelyard.lib.openapi import AUTHENTICATED, example_response, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import WebhookPathId


def _fields(doc: WebhookDocument) -> dict[str, Any]:
    return {
        "id": str(doc.id),
        "url": doc.url,
        "events": list(doc.events),
        "description": doc.description,
        "enabled": doc.enabled,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
    }


def to_webhook(doc: WebhookDocument) -> Webhook:
    return Webhook(**_fields(doc))


def to_delivery(doc: WebhookDeliveryDocument) -> WebhookDelivery:
    return WebhookDelivery(
        id=str(doc.id),
        webhook_id=str(doc.webhook_id),
        event_type=doc.event_type,  # type: ignore[arg-type]
        message_id=doc.message_id,
        status=doc.status,
        message=doc.message,
        error=Problem(**doc.error) if doc.error else None,
        next_attempt_at=doc.not_before if doc.status == "queued" else None,
        attempts=[DeliveryAttempt(**attempt) for attempt in doc.tries],
        payload=doc.payload,
        created_at=doc.created_at,
        finished_at=doc.finished_at,
    )


def _without_secret(created: WebhookCreated) -> WebhookCreated:
    return msgspec.structs.replace(created, secret=None)


_CREATED = example_response(
    WebhookCreated,
    "Registered: the webhook with its signing `secret`, shown this once.",
    {"Registered": examples.CREATED},
)
_WEBHOOK = example_response(Webhook, "The webhook (never its secret).", {"Active": examples.WEBHOOK})
_CHANGED = example_response(Webhook, "The webhook as changed.", {"Paused": examples.PAUSED})
_PAGE = example_response(
    WebhookPage, "A page of your webhooks, newest first.", {"One webhook": examples.PAGE}
)
_DELIVERIES = example_response(
    WebhookDeliveryPage,
    "A page of the webhook's deliveries, newest first, each with every attempt.",
    {"Delivered on the retry": examples.DELIVERIES},
)


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]
    opt = {KEY_SCOPES: ()}  # managed with an access token, never with an API key

    @post(
        "/",
        operation_id="createWebhook",
        summary="Register a webhook",
        status_code=HTTP_201_CREATED,
        responses={201: _CREATED, **problem_responses(400, 409, 422, *AUTHENTICATED)},
    )
    async def create(
        self,
        request: UserRequest,
        data: JSONBody[WebhookCreate],
        webhooks: NamedDependency[WebhookService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[WebhookCreated]:
        """Register an endpoint to be told about `events`; 201 with the signing `secret`, shown once.

        Each event is POSTed as JSON (`type`, `timestamp`, `data`) with Standard Webhooks headers
        (`webhook-id`, `webhook-timestamp`, `webhook-signature`): verify them with the secret. A
        delivery succeeds on a 2xx answer; anything else is retried with growing waits for 24
        hours, and every attempt is in `GET /api/v1/webhooks/{id}/deliveries`. A URL naming a
        loopback, private or link-local address is a 422 (the address a name resolves to is
        checked at each delivery).
        """

        async def register() -> Response[WebhookCreated]:
            document = await webhooks.create(owner(request), data.url, list(data.events), data.description)
            return Response(
                WebhookCreated(**_fields(document), secret=document.secret),
                status_code=HTTP_201_CREATED,
                headers={"Location": f"/api/v1/webhooks/{document.id}"},
            )

        print_ = fingerprint(msgspec.json.encode(data))
        return await respond_once(
            owner(request), idempotency_key, request.url.path, print_, register, _without_secret
        )

    @get(
        "/",
        operation_id="listWebhooks",
        summary="List your webhooks",
        responses={200: _PAGE, **problem_responses(422, *AUTHENTICATED)},
    )
    async def list_webhooks(
        self,
        request: UserRequest,
        webhooks: NamedDependency[WebhookService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> WebhookPage:
        """Your webhooks, newest first (never their secrets)."""
        window = await webhooks.list(owner(request), limit, offset, cursor)
        return WebhookPage(items=[to_webhook(doc) for doc in window.items], **window.envelope())

    @get(
        "/{webhook_id:str}",
        operation_id="getWebhook",
        summary="Get a webhook",
        responses={200: _WEBHOOK, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_webhook(
        self,
        request: UserRequest,
        webhook_id: FromPath[WebhookPathId],
        webhooks: NamedDependency[WebhookService],
    ) -> Webhook:
        """One of your webhooks (never its secret)."""
        return to_webhook(await webhooks.get_owned(owner(request), webhook_id))

    @patch(
        "/{webhook_id:str}",
        operation_id="updateWebhook",
        summary="Change a webhook",
        responses={200: _CHANGED, **problem_responses(400, 404, 422, *AUTHENTICATED)},
    )
    async def update_webhook(
        self,
        request: UserRequest,
        webhook_id: FromPath[WebhookPathId],
        data: JSONBody[WebhookUpdate],
        webhooks: NamedDependency[WebhookService],
    ) -> Webhook:
        """Change `url`, `events`, `description` or `enabled` (false pauses it: events meanwhile are
        not recorded). Absent fields stay. The secret does not change."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return to_webhook(await webhooks.update(owner(request), webhook_id, changes))

    @delete(
        "/{webhook_id:str}",
        operation_id="deleteWebhook",
        summary="Delete a webhook",
        responses=problem_responses(404, *AUTHENTICATED),
    )
    async def delete_webhook(
        self,
        request: UserRequest,
        webhook_id: FromPath[WebhookPathId],
        webhooks: NamedDependency[WebhookService],
    ) -> None:
        """Delete the webhook and its delivery log; 204. Deliveries still waiting are not sent."""
        await webhooks.delete(owner(request), webhook_id)

    @get(
        "/{webhook_id:str}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="List a webhook's deliveries",
        responses={200: _DELIVERIES, **problem_responses(404, 422, *AUTHENTICATED)},
    )
    async def deliveries(
        self,
        request: UserRequest,
        webhook_id: FromPath[WebhookPathId],
        webhooks: NamedDependency[WebhookService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> WebhookDeliveryPage:
        """The delivery log, newest first: each event with its payload, `status` (`queued` with
        `next_attempt_at` while it waits for a retry, `succeeded`, `failed` once it gave up) and
        every attempt with the receiver's status code or the error."""
        window = await webhooks.deliveries(owner(request), webhook_id, limit, offset, cursor)
        return WebhookDeliveryPage(items=[to_delivery(doc) for doc in window.items], **window.envelope())
