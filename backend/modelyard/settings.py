"""Typed settings, one group per concern, all read from the environment.

Every group reads variables with the `MODELYARD_` prefix (plus a group prefix);
the configuration reference in the docs is generated from these classes, so each
field carries a description.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_JWT_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says which setting to fix."""


class AppSettings(BaseSettings):
    """Process-wide settings: environment, server, logging, limits."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        "development",
        description="Deployment environment. `production` enforces a configured JWT secret and JSON logs.",
    )
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port the HTTP server listens on.")
    workers: int = Field(1, ge=1, le=64, description="Number of uvicorn worker processes.")
    var_dir: Path = Field(
        Path("var"), description="Directory for local state: embedded database, objects, generated secrets."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Minimum log level.")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="Log format; `auto` is JSON in production and readable text otherwise."
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute allowed per client address on the API (0 disables)."
    )
    process_workers: int = Field(
        0,
        ge=0,
        le=32,
        description="Processes for CPU-heavy work (profiling, training, batch scoring); 0 picks one per core "
        "(at most 4).",
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1024, description="Largest accepted upload (datasets, batch inputs), in bytes."
    )

    @property
    def is_production(self) -> bool:
        return self.env == "production"


class DatabaseSettings(BaseSettings):
    """MongoDB connection. Unset URL means `./dev run` starts the embedded SecantusDB."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_MONGODB_", extra="ignore")

    url: str | None = Field(
        None,
        description="MongoDB connection string. When unset, `modelyard dev` starts an embedded "
        "SecantusDB server with its data under `var/mongo`.",
    )
    database: str = Field("modelyard", description="Database name.")
    embedded_port: int = Field(
        27027, ge=1, le=65535, description="Port of the embedded database started by `modelyard dev`."
    )
    timeout_ms: int = Field(
        5000, ge=100, description="Server selection and connect timeout, in milliseconds."
    )


class StorageSettings(BaseSettings):
    """Object store for uploaded files and model artifacts."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_STORAGE_", extra="ignore")

    url: str = Field(
        "file://var/objects",
        description="Where objects live: `file://DIR` for the local filesystem, "
        "`s3://BUCKET[/PREFIX]` for S3.",
    )
    s3_endpoint_url: str | None = Field(
        None, description="Custom S3 endpoint (MinIO, moto); unset means AWS. Credentials come from `AWS_*`."
    )
    s3_region: str = Field("us-east-1", description="S3 region.")
    multipart_chunk_bytes: int = Field(
        8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        description="Part size of S3 multipart uploads; objects larger than one part are uploaded in parts.",
    )


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


class Settings:
    """All settings groups together."""

    def __init__(
        self,
        app: AppSettings | None = None,
        database: DatabaseSettings | None = None,
        storage: StorageSettings | None = None,
        auth: AuthSettings | None = None,
    ) -> None:
        self.app = app or AppSettings()
        self.database = database or DatabaseSettings()
        self.storage = storage or StorageSettings()
        self.auth = auth or AuthSettings()

    def jwt_secret(self) -> str:
        """The signing secret: configured, or (outside production) generated once and kept in `var/`."""
        secret = self.auth.secret
        if secret:
            if len(secret) < MIN_JWT_SECRET_LENGTH:
                raise ConfigurationError(
                    f"MODELYARD_JWT_SECRET is too short ({len(secret)} characters); "
                    f"use at least {MIN_JWT_SECRET_LENGTH}, e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`."
                )
            return secret
        if self.app.is_production:
            raise ConfigurationError(
                "MODELYARD_JWT_SECRET is not set. Production needs a secret of at least "
                f"{MIN_JWT_SECRET_LENGTH} characters shared by every worker."
            )
        path = self.app.var_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        generated = secrets.token_urlsafe(48)
        path.write_text(generated)
        path.chmod(0o600)
        return generated

    @classmethod
    def groups(cls) -> dict[str, type[BaseSettings]]:
        """The settings classes, for the generated configuration reference."""
        return {
            "Application": AppSettings,
            "Database": DatabaseSettings,
            "Object storage": StorageSettings,
            "Authentication": AuthSettings,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
