"""Dependency providers of API keys (registered by the app)."""

from __future__ import annotations

from litestar.di import NamedDependency

from modelyard.domain.api_keys.services import ApiKeyService
from modelyard.settings import Settings


def provide_api_key_service(settings: NamedDependency[Settings]) -> ApiKeyService:
    """`api_keys`: keys of the caller (stateless; the documents hold it all)."""
    return ApiKeyService(max_per_user=settings.api_keys.max_per_user)
