"""Settings of how clients get in and hear back: access tokens, API keys, job event streams, webhooks.

Groups of `modelyard.settings.Settings` like the others (read from `MODELYARD_` variables, each
field described for the generated configuration reference), kept in a module of their own.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    """Authentication: JWT signing and token lifetime."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_JWT_", extra="ignore")

    secret: str | None = Field(
        None,
        description="HS256 signing secret (at least 32 characters). Required in production; in development "
        "one is generated once and kept in `var/jwt-secret`.",
        repr=False,
    )
    expire_minutes: int = Field(60, ge=1, le=60 * 24 * 30, description="Access token lifetime, in minutes.")


class ApiKeySettings(BaseSettings):
    """API keys for machines: how long a server process trusts a key it checked, how many a user holds."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_API_KEYS_", extra="ignore")

    cache_s: float = Field(
        10.0,
        ge=0,
        le=300,
        description="How long a server process trusts an API key it looked up, in seconds. A revoked "
        "(deleted) key is refused at once by the process that revoked it and by every other process "
        "within this bound; 0 looks the key up on every request.",
    )
    max_per_user: int = Field(
        100, ge=1, le=10_000, description="API keys one account may hold at once (creating more is a 409)."
    )


class EventSettings(BaseSettings):
    """Job event streams (`/events`, Server-Sent Events) and polling hints."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_EVENTS_", extra="ignore")

    poll_interval_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often an open event stream reads its job from the database, in seconds: the "
        "most an event lags behind the job (one indexed read per open stream per interval).",
    )
    max_stream_s: float = Field(
        600.0,
        ge=1,
        le=86_400,
        description="Longest a single event stream stays open, in seconds; then it ends and the client "
        "reconnects with `Last-Event-ID`.",
    )
    retry_after_s: int = Field(
        2,
        ge=1,
        le=600,
        description="`Retry-After` sent with a job's GET while the job is queued or running: when a "
        "polling client should ask again, in seconds.",
    )


class WebhookSettings(BaseSettings):
    """Webhook deliveries: where they may go, how long one may take, how long failures are retried."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_WEBHOOKS_", extra="ignore")

    allowed_networks: str = Field(
        "",
        description="Comma-separated networks (CIDR, e.g. `10.1.0.0/16,127.0.0.1/32`) that deliveries may "
        "reach although they are not public; empty, the default, allows public addresses only (no "
        "loopback, private, link-local or reserved ones: SSRF).",
    )
    timeout_s: float = Field(10.0, gt=0, le=60, description="Time one delivery attempt may take, in seconds.")

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)  # a ValueError names the malformed network
        return value

    first_retry_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Wait before the first retry of a failed delivery, in seconds; each later wait is 4 "
        "times longer, up to `MODELYARD_WEBHOOKS_MAX_RETRY_DELAY_S`.",
    )
    max_retry_delay_s: float = Field(
        3600.0, gt=0, le=86_400, description="Longest wait between two attempts of a delivery, in seconds."
    )
    retry_window_s: float = Field(
        86_400.0,
        gt=0,
        le=7 * 86_400,
        description="How long a failing delivery is retried, from its event, in seconds (24 h by default); "
        "then it is marked failed.",
    )
    max_per_user: int = Field(
        20, ge=1, le=1000, description="Webhooks one account may register (creating more is a 409)."
    )
