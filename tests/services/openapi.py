"""The app's OpenAPI spec exactly as `python -m modelyard export-openapi` writes it."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Litestar

from modelyard import cli
from modelyard.access_settings import AuthSettings
from modelyard.app import create_app
from modelyard.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMMITTED_SPEC = REPO / "docs" / "reference" / "openapi.json"


def spec_app() -> Litestar:
    """An app for reading the spec: no lifespan runs, so no database or store is needed."""
    return create_app(Settings(auth=AuthSettings(secret="spec-only-" + "x" * 32)))


def export_text(tmp_dir: Path) -> str:
    """Run the export command itself and return what it wrote."""
    out = tmp_dir / "openapi.json"
    assert cli.main(["export-openapi", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def generated_spec() -> dict[str, Any]:
    return cli.openapi_document(spec_app())


def spec_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
