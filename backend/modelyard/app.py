"""create_app(): the one place the application is assembled (its lifespan is in lifespan.py)."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Contact, License, Server, Tag
from litestar.types import ControllerRouterHandler

from modelyard import __version__
from modelyard.domain.accounts.auth import PUBLIC_PATHS, TokenIssuer, UserCache, build_token_auth
from modelyard.domain.accounts.deps import provide_account_service
from modelyard.domain.analysis.controllers import (
    AnalysesController,
    DatasetAnalysesController,
    ModelAnalysesController,
)
from modelyard.domain.analysis.deps import provide_analysis_service
from modelyard.domain.api_keys.cache import ApiKeyCache
from modelyard.domain.api_keys.controllers import ApiKeyController
from modelyard.domain.api_keys.deps import provide_api_key_service
from modelyard.domain.api_keys.services import ApiKeyService
from modelyard.domain.datasets.deps import provide_dataset_service
from modelyard.domain.models.deps import provide_model_service
from modelyard.domain.predictions.controllers import BatchPredictionController, ModelPredictionsController
from modelyard.domain.predictions.deps import provide_prediction_service
from modelyard.domain.system.controllers import DocsController, HealthController
from modelyard.domain.training.controllers import TrainingJobController
from modelyard.domain.training.deps import provide_training_service
from modelyard.domain.webhooks.controllers import WebhookController
from modelyard.domain.webhooks.deps import provide_webhook_service
from modelyard.lib.allow import CompleteAllowHeader, allowed_methods
from modelyard.lib.bodies import ApiRequest, check_request_body
from modelyard.lib.errors import EXCEPTION_HANDLERS
from modelyard.lib.events import document_event_streams
from modelyard.lib.key_access import ApiKeyGrant, api_key_guard, document_key_access
from modelyard.lib.response_headers import document_response_headers
from modelyard.lib.spec_rules import finalize_spec
from modelyard.lib.tally import UsageTally
from modelyard.lifespan import Credentials, app_providers, build_lifespan
from modelyard.observability.controllers import MetricsController
from modelyard.observability.logging import RequestIdMiddleware, configure_logging
from modelyard.observability.middleware import HTTPMetricsMiddleware
from modelyard.settings import Settings, get_settings
from modelyard.workflows.controllers import AccountRoutes, DatasetRoutes, ModelRoutes
from modelyard.workflows.deletion import provide_deletion_service
from modelyard.workflows.key_models import provide_owned_models
from modelyard.workflows.monitoring_routes import MonitoringController
from modelyard.workflows.webhook_events import provide_stage_change_hook

API_DESCRIPTION = """\
Modelyard turns tabular data into trained, documented models.

Upload a dataset, read its profile and an AI-written analysis, start an AutoML
training job and call the best model for online or batch predictions.

**Authentication**: register, then exchange email and password for a bearer token at
`POST /api/v1/auth/token` and send it as `Authorization: Bearer {token}`. Machines use API
keys (`POST /api/v1/api-keys`), sent the same way and limited to their scopes.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable
`type` URI per kind of error.
"""

TAGS = [
    Tag(name="auth", description="Accounts and bearer tokens."),
    Tag(
        name="api-keys",
        description="Credentials for machines: keys scoped to reading and to predicting (with all or "
        "listed models), optionally expiring; the secret is shown once and stored as a hash.",
    ),
    Tag(
        name="webhooks",
        description="Endpoints of yours told when a job finishes or a model changes stage: signed "
        "(Standard Webhooks), retried for 24 hours, every delivery attempt logged.",
    ),
    Tag(name="system", description="Health probes for orchestrators and load balancers."),
    Tag(
        name="datasets",
        description="Upload tables (CSV, TSV, Excel, Parquet, JSON Lines), read their profile, preview, "
        "download and delete them.",
    ),
    Tag(
        name="analysis",
        description="Plain-language analyses of datasets (findings, target suggestions, preprocessing, "
        "columns to exclude) and narratives of trained models, written by a language model or the "
        "built-in heuristic analyst. Each is a job: 202 + `Location`, then poll.",
    ),
    Tag(
        name="training",
        description="AutoML training jobs: from a dataset and a target column to an evaluated model, within "
        "a time budget. Each is a job: 202 + `Location`, then poll; cancellable.",
    ),
    Tag(
        name="models",
        description="The model registry: metrics, feature importance, input schema and leaderboard of each "
        "trained model; rename, promote (`staging`, `production`, `archived`) or delete it.",
    ),
    Tag(
        name="predictions",
        description="Score records with a model: online (1-1000 records per call, per-record errors) or as a "
        "batch job over an uploaded file with a CSV result.",
    ),
    Tag(
        name="monitoring",
        description="A model in service: drift of its inputs and outputs against its training data, and its "
        "live accuracy from the true outcomes you send back (feedback).",
    ),
]


def create_openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Modelyard API",
        version=__version__,
        description=API_DESCRIPTION,
        contact=Contact(name="Modelyard maintainers", url="https://modelyard.dev"),
        license=License(name="Apache-2.0", identifier="Apache-2.0"),
        servers=[Server(url="/", description="This server")],
        tags=TAGS,
        path="/schema",
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        use_handler_docstrings=True,
    )


ROUTES: list[ControllerRouterHandler] = [
    AccountRoutes,
    ApiKeyController,
    WebhookController,
    HealthController,
    DocsController,
    MetricsController,
    DatasetRoutes,
    DatasetAnalysesController,
    ModelAnalysesController,
    AnalysesController,
    TrainingJobController,
    ModelRoutes,
    ModelPredictionsController,
    BatchPredictionController,
    MonitoringController,
]


def _value(value: object) -> Provide:
    return Provide(lambda: value, sync_to_thread=False)


def _dependencies(settings: Settings, tokens: TokenIssuer) -> dict[str, Provide]:
    """Every dependency a handler may ask for: the state's objects, then each area's services."""
    return {
        "settings": _value(settings),
        "tokens": _value(tokens),
        **app_providers(),
        "accounts": Provide(provide_account_service, sync_to_thread=False),
        "datasets": Provide(provide_dataset_service, sync_to_thread=False),
        "training": Provide(provide_training_service, sync_to_thread=False),
        "models": Provide(provide_model_service, sync_to_thread=False),
        "predictions": Provide(provide_prediction_service, sync_to_thread=False),
        "analyses": Provide(provide_analysis_service, sync_to_thread=False),
        "api_keys": Provide(provide_api_key_service, sync_to_thread=False),
        "owned_models": Provide(provide_owned_models, sync_to_thread=False),
        "webhooks": Provide(provide_webhook_service, sync_to_thread=False),
        "stage_changed": Provide(provide_stage_change_hook, sync_to_thread=False),
        "deletion": Provide(provide_deletion_service, sync_to_thread=False),
    }


def _rate_limit_first(settings: Settings) -> Callable[[AppConfig], AppConfig]:
    def insert(config: AppConfig) -> AppConfig:
        # Runs after the JWT plugin put its middleware first: limiting before authentication
        # means unauthenticated floods (password guessing) are limited too.
        if settings.app.rate_limit_per_minute:
            limiter = RateLimitConfig(
                rate_limit=("minute", settings.app.rate_limit_per_minute),
                exclude=[p for p in PUBLIC_PATHS if not p.startswith("^/api")],
            )
            config.middleware.insert(0, limiter.middleware)
        return config

    return insert


def _cors(settings: Settings) -> CORSConfig | None:
    """Browser pages of the configured origins may call the API; none by default."""
    origins = settings.app.cors_origin_list
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-ID"],
        expose_headers=["Location", "Retry-After", "X-Request-ID", "Modelyard-Version"],
        allow_credentials=False,
        max_age=600,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """The application: routes, dependencies, auth, rate limit, errors, OpenAPI, and one lifespan."""
    settings = settings or get_settings()
    configure_logging(
        settings.app.log_level,
        json_output=settings.app.log_format == "json"
        or (settings.app.log_format == "auto" and settings.app.is_production),
    )
    credentials = Credentials(
        users=UserCache(outage_grace=settings.database.outage_grace_s),
        api_keys=ApiKeyCache(ApiKeyService(settings.api_keys.max_per_user), settings.api_keys.cache_s),
        tally=UsageTally(),
    )
    token_auth = build_token_auth(
        settings.jwt_secret(), settings.auth.expire_minutes, credentials.users, credentials.api_keys
    )
    tokens = TokenIssuer(token_auth, settings.auth.expire_minutes)

    def count_key_use(grant: ApiKeyGrant, scope: str, allowed: bool) -> None:
        credentials.tally.key_used(grant.key_id, scope, allowed)

    app = Litestar(
        route_handlers=ROUTES,
        on_app_init=[token_auth.on_app_init, _rate_limit_first(settings)],
        guards=[api_key_guard(count_key_use)],
        dependencies=_dependencies(settings, tokens),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=check_request_body,
        request_class=ApiRequest,
        openapi_config=create_openapi_config(),
        cors_config=_cors(settings),
        lifespan=[build_lifespan(settings, credentials)],
        logging_config=None,
        debug=False,
    )
    # Outermost wrapper, outside Litestar's router: unmatched routes (404/405) get a request id too.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    app.asgi_handler = CompleteAllowHeader(app.asgi_handler, allowed_methods(app.routes))
    # Outermost of all: HTTP metrics see every response with its real status (401, 404, 413, 429...).
    app.asgi_handler = HTTPMetricsMiddleware(app.asgi_handler)
    # Key access first: finalize_spec keeps the security it declares and fits its 403s' examples.
    document_key_access(app.openapi_schema, app.routes, token_auth.openapi_security_scheme_name)
    finalize_spec(app.openapi_schema)
    document_event_streams(app.openapi_schema)
    document_response_headers(app.openapi_schema)
    return app
