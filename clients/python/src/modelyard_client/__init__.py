"""Modelyard's Python client: typed, sync (`Client`) and async (`AsyncClient`)."""

from __future__ import annotations

__version__ = "0.1.0"

from modelyard_client.aclient import AsyncClient
from modelyard_client.client import Client
from modelyard_client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    JobFailed,
    ModelyardError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    TransportError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from modelyard_client.jobs import AsyncJob, Job, JobEvent

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncJob",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "Job",
    "JobEvent",
    "JobFailed",
    "ModelyardError",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "TransportError",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "__version__",
]
