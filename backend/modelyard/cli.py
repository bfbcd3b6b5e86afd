"""Server command line: `modelyard-server serve|dev|export-openapi` (same as `python -m modelyard ...`).

The `modelyard` command is the client CLI of `clients/python` (modelyard-client).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec
from litestar import Litestar

from modelyard.access_settings import AuthSettings
from modelyard.settings import ConfigurationError, Settings, get_settings


def _serve(settings: Settings) -> None:
    import uvicorn

    # Resolve the secret once so every worker signs with the same one (and a bad one stops us here).
    os.environ["MODELYARD_JWT_SECRET"] = settings.jwt_secret()
    get_settings.cache_clear()
    if settings.app.workers > 1:
        from modelyard.observability.multiprocess import prepare_multiprocess_dir

        # Before any worker imports prometheus-client: they share (and merge) metric files there.
        prepare_multiprocess_dir(settings.app.var_dir)
    uvicorn.run(
        "modelyard.app:create_app",
        factory=True,
        host=settings.app.host,
        port=settings.app.port,
        workers=settings.app.workers,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def cmd_serve(_: argparse.Namespace) -> int:
    _serve(get_settings())
    return 0


def cmd_dev(_: argparse.Namespace) -> int:
    """Serve with the embedded database unless MODELYARD_MONGODB_URL points elsewhere."""
    settings = get_settings()
    if settings.database.url:
        _serve(settings)
        return 0

    from modelyard.embedded import EmbeddedMongo

    var_dir = settings.app.var_dir
    var_dir.mkdir(parents=True, exist_ok=True)
    database = EmbeddedMongo(
        var_dir / "mongo", settings.database.embedded_port, log_file=var_dir / "mongo.log"
    )
    print(
        f"modelyard: starting the embedded database on {database.url} (data in {var_dir / 'mongo'})",
        file=sys.stderr,
    )
    database.start()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        os.environ["MODELYARD_MONGODB_URL"] = database.url
        get_settings.cache_clear()
        _serve(get_settings())
    except KeyboardInterrupt:
        pass
    finally:
        print("modelyard: stopping the embedded database", file=sys.stderr)
        database.stop()
    return 0


def openapi_document(app: Litestar) -> dict[str, Any]:
    """The spec as plain JSON data, exactly as the app serves it at /schema/openapi.json.

    Generated examples are Structs, datetimes and bytes; msgspec turns them into JSON values
    the way the app's own encoder does.
    """
    return msgspec.to_builtins(app.openapi_schema.to_schema())  # type: ignore[no-any-return]


def cmd_export_openapi(args: argparse.Namespace) -> int:
    from modelyard.app import create_app

    # The spec does not depend on secrets or services; don't touch var/ to export it.
    app = create_app(Settings(auth=AuthSettings(secret="export-only-" + "x" * 32)))
    spec = openapi_document(app)
    text = json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if args.path == "-":
        sys.stdout.write(text)
    else:
        Path(args.path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.path).write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modelyard-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "serve", help="serve the API (MongoDB and object store from the environment)"
    ).set_defaults(func=cmd_serve)
    sub.add_parser(
        "dev", help="serve the API with the embedded database unless MODELYARD_MONGODB_URL is set"
    ).set_defaults(func=cmd_dev)
    export = sub.add_parser("export-openapi", help="write the OpenAPI spec as JSON")
    export.add_argument("path", help="output file, or - for stdout")
    export.set_defaults(func=cmd_export_openapi)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as exc:
        print(f"modelyard: configuration error: {exc}", file=sys.stderr)
        return 2
