"""Health probes and the offline API documentation pages."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, SkipValidation
from litestar.response import File

from modelyard.domain.system.schemas import Liveness
from modelyard.lib.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem, problem_type
from modelyard.lib.health import Probe, Readiness, check_readiness
from modelyard.lib.openapi import PublicOperation, problem_responses


class HealthController(Controller):
    path = "/health"
    tags = ["system"]
    security = []

    @get(
        "/live",
        operation_id="getLiveness",
        summary="Liveness probe",
        security=[],
        operation_class=PublicOperation,
    )
    async def live(self) -> Liveness:
        """200 while the process can serve HTTP. It checks no dependency: use it for restarts, not routing."""
        return Liveness(status="ok")

    @get(
        "/ready",
        operation_id="getReadiness",
        operation_class=PublicOperation,
        summary="Readiness probe",
        security=[],
        responses={
            # The handler returns a Readiness or a Problem; only the 200 carries a Readiness.
            200: ResponseSpec(Readiness, description="Every dependency answered."),
            **problem_responses(503),
        },
    )
    async def ready(
        self,
        request: Request[Any, Any, Any],
        readiness_probes: NamedDependency[SkipValidation[dict[str, Probe]]],
    ) -> Response[Readiness | Problem]:
        """200 when MongoDB answers a ping and the object store is usable; otherwise 503.

        The 503 body is a problem whose `errors` name each failed check (`location` is the
        check's name: `mongodb`, `object_store`).
        """
        readiness = await check_readiness(readiness_probes)
        if readiness.status == "ok":
            return Response(readiness)
        failed = [c for c in readiness.checks if not c.ok]

        problem = Problem(
            type=problem_type("service-unavailable"),
            title="Service unavailable",
            status=503,
            detail="; ".join(f"{c.name}: {c.detail}" for c in failed),
            instance=request.url.path,
            request_id=request.scope.get("state", {}).get("request_id"),
            errors=[FieldError(message=c.detail, location=c.name) for c in failed],
        )
        return Response(problem, status_code=503, media_type=PROBLEM_MEDIA_TYPE)


# Swagger UI and Redoc bundles come from a package, so the pages work with no internet.
_ASSET_PACKAGE = "drf_spectacular_sidecar"
_ASSETS = {
    "swagger-ui-bundle.js": "static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js": (
        "static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js"
    ),
    "swagger-ui.css": "static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
    "redoc.standalone.js": "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
}

_SWAGGER_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Swagger UI</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "/schema/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout",
  persistAuthorization: true, validatorUrl: null
}});
</script></body></html>
"""

_REDOC_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Redoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ margin: 0; padding: 0; }}</style></head>
<body><redoc spec-url="/schema/openapi.json" hide-download-button="false"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script></body></html>
"""


def _asset_path(name: str) -> Path:
    relative = _ASSETS.get(name)
    if relative is None:
        raise NotFoundException(f"No documentation asset named {name!r}.")
    return _asset_root() / relative


@lru_cache(maxsize=1)
def _asset_root() -> Path:
    # find_spec locates the package without importing it (its __init__ imports Django).
    spec = importlib.util.find_spec(_ASSET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{_ASSET_PACKAGE} is not installed; the docs pages need it")
    return Path(next(iter(spec.submodule_search_locations)))


class DocsController(Controller):
    path = "/docs"
    include_in_schema = False
    security = []

    @get("/", media_type=MediaType.HTML)
    async def swagger(self, request: Request[Any, Any, Any]) -> str:
        return _SWAGGER_HTML.format(title=request.app.openapi_config.title)  # type: ignore[union-attr]

    @get("/redoc", media_type=MediaType.HTML)
    async def redoc(self, request: Request[Any, Any, Any]) -> str:
        return _REDOC_HTML.format(title=request.app.openapi_config.title)  # type: ignore[union-attr]

    @get("/assets/{name:str}")
    async def asset(self, name: FromPath[str]) -> File:
        return File(_asset_path(name), filename=name, content_disposition_type="inline")
