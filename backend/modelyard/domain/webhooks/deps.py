"""Dependency providers of webhooks (registered by the app)."""

from __future__ import annotations

from litestar.di import NamedDependency

from modelyard.domain.webhooks.services import WebhookService


def provide_webhook_service(webhook_service: NamedDependency[WebhookService]) -> WebhookService:
    """`webhooks`: the process's webhook service (it wakes the delivery runner when events arrive)."""
    return webhook_service
