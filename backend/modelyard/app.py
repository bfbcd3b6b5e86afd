"""create_app(): the one place the application is assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Contact, License, Server, Tag

from modelyard import __version__
from modelyard.domain.accounts.auth import PUBLIC_PATHS, TokenIssuer, UserCache, build_token_auth
from modelyard.domain.accounts.controllers import AuthController
from modelyard.domain.accounts.documents import UserDocument
from modelyard.domain.accounts.services import AccountService
from modelyard.domain.analysis.controllers import (
    AnalysesController,
    DatasetAnalysesController,
    ModelAnalysesController,
)
from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.services import analysis_lifespan
from modelyard.domain.datasets.controllers import DatasetController
from modelyard.domain.datasets.documents import DatasetDocument
from modelyard.domain.datasets.services import datasets_lifespan, provide_dataset_service
from modelyard.domain.models.controllers import ModelController
from modelyard.domain.models.documents import ModelDocument
from modelyard.domain.predictions.controllers import BatchPredictionController, ModelPredictionsController
from modelyard.domain.predictions.documents import BatchPredictionJobDocument
from modelyard.domain.predictions.runtime import ml_lifespan
from modelyard.domain.system.controllers import DocsController, HealthController
from modelyard.domain.training.controllers import TrainingJobController
from modelyard.domain.training.documents import TrainingJobDocument
from modelyard.lib.db import connect_database, ping_database
from modelyard.lib.errors import EXCEPTION_HANDLERS
from modelyard.lib.openapi import finalize_spec
from modelyard.lib.storage import ObjectStore, create_object_store
from modelyard.lib.workers import create_process_pool
from modelyard.observability.controllers import MetricsController
from modelyard.observability.logging import RequestIdMiddleware, configure_logging
from modelyard.observability.middleware import HTTPMetricsMiddleware
from modelyard.settings import Settings, get_settings
from modelyard.workflows.business_metrics import business_metrics_lifespan
from modelyard.workflows.deletion import provide_deletion_service

DOCUMENTS = [UserDocument, DatasetDocument, AnalysisJobDocument]
DOCUMENTS += [TrainingJobDocument, ModelDocument, BatchPredictionJobDocument]
WORKER_MODULES = (
    # What the process pool runs: profiling, training, batch scoring, analysis signals.
    "modelyard.domain.datasets.profiling",
    "modelyard.domain.training.worker",
    "modelyard.domain.predictions.batch",
    "modelyard.domain.analysis.signals",
)

API_DESCRIPTION = """\
Modelyard turns tabular data into trained, documented models.

Upload a dataset, read its profile and an AI-written analysis, start an AutoML
training job and call the best model for online or batch predictions.

**Authentication**: register, then exchange email and password for a bearer token at
`POST /api/v1/auth/token` and send it as `Authorization: Bearer <token>`.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable
`type` URI per kind of error.
"""

TAGS = [
    Tag(name="auth", description="Accounts and bearer tokens."),
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
]


def provide_object_store(state: State) -> ObjectStore:
    return state.object_store  # type: ignore[no-any-return]


def provide_process_pool(state: State) -> ProcessPoolExecutor:
    return state.process_pool  # type: ignore[no-any-return]


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


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(
        settings.app.log_level,
        json_output=settings.app.log_format == "json"
        or (settings.app.log_format == "auto" and settings.app.is_production),
    )
    users = UserCache()
    token_auth = build_token_auth(settings.jwt_secret(), settings.auth.expire_minutes, users)
    tokens = TokenIssuer(token_auth, settings.auth.expire_minutes)
    mongodb_url = settings.database.url or f"mongodb://127.0.0.1:{settings.database.embedded_port}"

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = create_object_store(
            settings.storage.url,
            endpoint_url=settings.storage.s3_endpoint_url,
            region=settings.storage.s3_region,
            part_size=settings.storage.multipart_chunk_bytes,
        )
        client = await connect_database(
            mongodb_url, settings.database.database, DOCUMENTS, timeout_ms=settings.database.timeout_ms
        )
        pool = create_process_pool(
            settings.app.process_workers or None, preload=WORKER_MODULES, warm=settings.app.warm_workers
        )
        app.state.process_pool = pool
        app.state.user_cache = users
        app.state.object_store = store
        app.state.db_client = client
        app.state.database_name = settings.database.database
        app.state.readiness_probes = {"mongodb": lambda: ping_database(client), "object_store": store.ping}
        try:
            yield
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            await client.close()
            await store.close()

    def rate_limit_first(config: AppConfig) -> AppConfig:
        # Runs after the JWT plugin put its middleware first: limiting before authentication
        # means unauthenticated floods (password guessing) are limited too.
        if settings.app.rate_limit_per_minute:
            limiter = RateLimitConfig(
                rate_limit=("minute", settings.app.rate_limit_per_minute),
                exclude=[p for p in PUBLIC_PATHS if not p.startswith("^/api")],
            )
            config.middleware.insert(0, limiter.middleware)
        return config

    app = Litestar(
        route_handlers=[
            AuthController,
            HealthController,
            DocsController,
            MetricsController,
            DatasetController,
            DatasetAnalysesController,
            ModelAnalysesController,
            AnalysesController,
            TrainingJobController,
            ModelController,
            ModelPredictionsController,
            BatchPredictionController,
        ],
        on_app_init=[token_auth.on_app_init, rate_limit_first],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "accounts": Provide(AccountService, sync_to_thread=False),
            "tokens": Provide(lambda: tokens, sync_to_thread=False),
            "object_store": Provide(provide_object_store, sync_to_thread=False),
            "process_pool": Provide(provide_process_pool, sync_to_thread=False),
            "datasets": Provide(provide_dataset_service, sync_to_thread=False),
            "deletion": Provide(provide_deletion_service, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=create_openapi_config(),
        # Business metrics read the database the first lifespan connects: keep them after it.
        lifespan=[
            lifespan,
            # Removes datasets a crashed process left half-stored or half-deleted.
            datasets_lifespan(settings),
            business_metrics_lifespan(settings.metrics.refresh_seconds),
            # Training and predictions: creates the job runner (recovering interrupted jobs), the model
            # cache and the prediction-count flusher; before analysis, which reuses the runner.
            ml_lifespan(settings),
            # After the main lifespan: it needs the store, the pool and the readiness probes.
            analysis_lifespan(settings),
        ],
        logging_config=None,
        debug=False,
    )
    # Outermost wrapper, outside Litestar's router: unmatched routes (404/405) get a request id too.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    # Outermost of all: HTTP metrics see every response with its real status (401, 404, 413, 429...).
    app.asgi_handler = HTTPMetricsMiddleware(app.asgi_handler)
    finalize_spec(app.openapi_schema)
    return app
