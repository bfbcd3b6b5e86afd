"""Typed settings, one group per concern, all read from the environment.

Every group reads variables with the `MODELYARD_` prefix (plus a group prefix);
the configuration reference in the docs is generated from these classes, so each
field carries a description.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from modelyard.access_settings import ApiKeySettings, AuthSettings, EventSettings, WebhookSettings
from modelyard.lib.security import read_or_create_secret

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
        Path("var"),
        description="Directory for local state: embedded database, objects, generated secrets, and "
        "temporary files (`tmp/`; a start removes what killed processes left there).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Minimum log level.")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="Log format; `auto` is JSON in production and readable text otherwise."
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute allowed per client address on the API (0 disables)."
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins (e.g. `https://app.example.com`) whose browser pages may call "
        "the API (CORS); empty, the default, allows none. `*` allows any origin.",
    )
    process_workers: int = Field(
        0,
        ge=0,
        le=32,
        description="Processes for CPU-heavy work (profiling, training, batch scoring); 0 picks one per core "
        "(at most 4).",
    )
    warm_workers: bool = Field(
        True,
        description="Start the process workers with the server, libraries imported, so the first upload, "
        "training or batch job does not wait 1-2 s for them.",
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1024, description="Largest accepted upload (datasets, batch inputs), in bytes."
    )
    max_dataset_columns: int = Field(
        2000,
        ge=1,
        le=100_000,
        description="Most columns a dataset may have; wider uploads are rejected (422).",
    )
    max_cell_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest single cell of a dataset, in bytes; an upload with a larger cell is "
        "rejected (422).",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def is_production(self) -> bool:
        return self.env == "production"


class DatabaseSettings(BaseSettings):
    """MongoDB connection. Unset URL means `./dev run` starts the embedded SecantusDB."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_MONGODB_", extra="ignore")

    url: str | None = Field(
        None,
        description="MongoDB connection string. When unset, `modelyard-server dev` starts an embedded "
        "SecantusDB server with its data under `var/mongo`.",
    )
    database: str = Field("modelyard", description="Database name.")
    embedded_port: int = Field(
        27027, ge=1, le=65535, description="Port of the embedded database started by `modelyard-server dev`."
    )
    timeout_ms: int = Field(
        5000,
        ge=100,
        description="Server selection and connect timeout at start-up (index creation), in milliseconds.",
    )
    operation_timeout_ms: int = Field(
        1500,
        ge=100,
        le=60_000,
        description="Bound on each database operation while serving, in milliseconds (pymongo "
        "`timeoutMS`). When the database is down or frozen, a request fails after about this long "
        "with a 503 and `Retry-After` instead of waiting; background jobs retry.",
    )
    outage_grace_s: float = Field(
        300.0,
        ge=0,
        le=86_400,
        description="While the database is unreachable, online predictions keep serving models "
        "already in the model cache, and bearer tokens of users already known to the process keep "
        "working, for this many seconds after each was last confirmed in the database; later "
        "calls answer 503.",
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


class TrainingSettings(BaseSettings):
    """Training jobs: their search budgets."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_TRAINING_", extra="ignore")

    default_time_budget_s: int = Field(
        60, ge=1, le=86_400, description="Search budget of a training job that sets none, in seconds."
    )
    max_time_budget_s: int = Field(
        3600, ge=1, le=86_400, description="Largest `time_budget_s` a training job may ask for, in seconds."
    )


def _formerly(name: str, field: str) -> AliasChoices:
    """Accept the variable's name from before the settings were split (`MODELYARD_TRAINING_*`) too."""
    return AliasChoices(f"{name}{field}".upper(), f"MODELYARD_TRAINING_{field}".upper(), field)


class JobSettings(BaseSettings):
    """The job runner that runs training, batch-prediction and analysis jobs.

    Each variable was `MODELYARD_TRAINING_*` before; the old names are still read.
    """

    model_config = SettingsConfigDict(env_prefix="MODELYARD_JOBS_", extra="ignore", populate_by_name=True)

    max_attempts: int = Field(
        3,
        ge=1,
        le=20,
        validation_alias=_formerly("MODELYARD_JOBS_", "max_attempts"),
        description="Times a job is started before one interrupted by a server restart is failed "
        "instead of requeued.",
    )
    lease_seconds: float = Field(
        60.0,
        ge=1.0,
        validation_alias=_formerly("MODELYARD_JOBS_", "lease_seconds"),
        description="How long a claimed job stays owned without a heartbeat; a job whose lease ran "
        "out is requeued.",
    )
    poll_interval_s: float = Field(
        0.5,
        gt=0,
        le=60,
        validation_alias=_formerly("MODELYARD_JOBS_", "poll_interval_s"),
        description="How often the job runner looks for queued jobs and reports progress, in seconds.",
    )
    concurrent_jobs: int = Field(
        0,
        ge=0,
        le=64,
        validation_alias=_formerly("MODELYARD_JOBS_", "concurrent_jobs"),
        description="Jobs one server process runs at a time; 0 means one per process-pool worker.",
    )


class PredictionSettings(BaseSettings):
    """Online and batch predictions: the model cache, usage counts, batch chunks.

    Each variable was `MODELYARD_TRAINING_*` before; the old names are still read.
    """

    model_config = SettingsConfigDict(
        env_prefix="MODELYARD_PREDICTIONS_", extra="ignore", populate_by_name=True
    )

    model_cache_bytes: int = Field(
        512 * 1024 * 1024,
        ge=0,
        validation_alias=_formerly("MODELYARD_PREDICTIONS_", "model_cache_bytes"),
        description="Memory bound of the in-process model cache used by online predictions, in bytes.",
    )
    prediction_count_flush_s: float = Field(
        5.0,
        gt=0,
        validation_alias=_formerly("MODELYARD_PREDICTIONS_", "prediction_count_flush_s"),
        description="How often aggregated usage counts (predictions per model, datasets created, models "
        "trained, API key uses and last-use times) are written to the database, in seconds; a killed "
        "process loses at most this much.",
    )
    batch_chunk_rows: int = Field(
        10_000,
        ge=100,
        validation_alias=_formerly("MODELYARD_PREDICTIONS_", "batch_chunk_rows"),
        description="Rows scored per chunk by batch predictions (bounds their memory).",
    )
    monitoring_retention_days: float = Field(
        30.0, gt=0, description="Days the hourly monitoring sketches of models' inputs and outputs are kept."
    )


class MetricsSettings(BaseSettings):
    """Prometheus metrics at `/metrics`."""

    model_config = SettingsConfigDict(env_prefix="MODELYARD_METRICS_", extra="ignore")

    refresh_seconds: float = Field(
        15.0,
        ge=0.1,
        le=3600,
        description="How often the database-backed business metrics (users, datasets, models, predictions) "
        "are recomputed in the background, in seconds; scrapes serve the last values.",
    )


class AnalysisSettings(BaseSettings):
    """AI analysis of datasets and models: the provider, its limits and what may be sent to it.

    The OpenAI connection reads the standard `OPENAI_API_KEY` and `OPENAI_BASE_URL` variables
    (no `MODELYARD_` prefix), so any OpenAI-compatible server (vLLM, Ollama, LiteLLM) works.
    """

    model_config = SettingsConfigDict(env_prefix="MODELYARD_ANALYSIS_", extra="ignore", populate_by_name=True)

    provider: Literal["auto", "openai", "heuristic"] = Field(
        "auto",
        description="Who writes analyses: `openai` (a language model), `heuristic` (the built-in offline "
        "analyst) or `auto` (`openai` when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set, else `heuristic`).",
    )
    model: str = Field("gpt-4o-mini", min_length=1, description="Chat model name passed to the OpenAI API.")
    openai_api_key: str | None = Field(
        None, validation_alias="OPENAI_API_KEY", repr=False, description="`OPENAI_API_KEY`: the API key."
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias="OPENAI_BASE_URL",
        description="`OPENAI_BASE_URL`: an OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1`.",
    )
    timeout_s: float = Field(
        60.0, gt=0, le=600, description="Timeout of one language-model request, in seconds."
    )
    max_retries: int = Field(
        2, ge=0, le=10, description="Retries (with backoff) of a request failing with 429, 5xx or a timeout."
    )
    max_tokens: int = Field(
        2000, ge=100, le=32_000, description="Upper bound of tokens the model may generate per answer."
    )
    send_samples: bool = Field(
        True,
        description="Send masked sample and top values of non-PII columns to the language model; `false` "
        "sends no row values at all (only aggregates and column names). PII values are never sent.",
    )
    max_prompt_chars: int = Field(
        24_000,
        ge=2_000,
        le=400_000,
        description="Size bound of the dataset summary sent to the model; wide datasets are summarised.",
    )
    fallback: bool = Field(
        True,
        description="When the language model fails (after retries and one repair attempt), answer with the "
        "heuristic analyst and record it in the provenance; `false` fails the analysis job instead.",
    )
    max_concurrent_per_user: int = Field(
        2, ge=1, le=100, description="Analysis jobs a user may have queued or running at once (beyond: 429)."
    )
    max_per_hour_per_user: int = Field(
        30, ge=1, le=10_000, description="Analysis jobs one user may start per rolling hour (more is a 429)."
    )
    readiness_cache_s: float = Field(
        300.0,
        ge=0,
        description="How long the readiness probe reuses its last check of the OpenAI endpoint, in seconds.",
    )

    @property
    def resolved_provider(self) -> Literal["openai", "heuristic"]:
        if self.provider == "auto":
            return "openai" if (self.openai_api_key or self.openai_base_url) else "heuristic"
        return self.provider


class Settings:
    """All settings groups together."""

    def __init__(
        self,
        app: AppSettings | None = None,
        database: DatabaseSettings | None = None,
        storage: StorageSettings | None = None,
        auth: AuthSettings | None = None,
        api_keys: ApiKeySettings | None = None,
        events: EventSettings | None = None,
        webhooks: WebhookSettings | None = None,
        training: TrainingSettings | None = None,
        jobs: JobSettings | None = None,
        predictions: PredictionSettings | None = None,
        metrics: MetricsSettings | None = None,
        analysis: AnalysisSettings | None = None,
    ) -> None:
        self.app = app or AppSettings()
        self.database = database or DatabaseSettings()
        self.storage = storage or StorageSettings()
        self.auth = auth or AuthSettings()
        self.api_keys = api_keys or ApiKeySettings()
        self.events = events or EventSettings()
        self.webhooks = webhooks or WebhookSettings()
        self.training = training or TrainingSettings()
        self.jobs = jobs or JobSettings()
        self.predictions = predictions or PredictionSettings()
        self.metrics = metrics or MetricsSettings()
        self.analysis = analysis or AnalysisSettings()

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
        secret = read_or_create_secret(path)
        if not secret:
            raise ConfigurationError(f"{path} is empty; delete it to generate a new secret")
        return secret

    @classmethod
    def groups(cls) -> dict[str, type[BaseSettings]]:
        """The settings classes, for the generated configuration reference."""
        return {
            "Application": AppSettings,
            "Database": DatabaseSettings,
            "Object storage": StorageSettings,
            "Authentication": AuthSettings,
            "API keys": ApiKeySettings,
            "Job events": EventSettings,
            "Webhooks": WebhookSettings,
            "Training": TrainingSettings,
            "Jobs": JobSettings,
            "Predictions": PredictionSettings,
            "Metrics": MetricsSettings,
            "Analysis": AnalysisSettings,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
