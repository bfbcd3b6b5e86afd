"""Committed artefacts that are generated from the code must equal what the code generates now."""

from __future__ import annotations

import inspect
from pathlib import Path

from pydantic_settings import BaseSettings

from modelyard import access_settings
from modelyard import settings as settings_module
from modelyard.settings import Settings
from tests.services.openapi import COMMITTED_SPEC, export_text


def test_committed_openapi_spec_matches_the_app(tmp_path: Path) -> None:
    generated = export_text(tmp_path)
    committed = COMMITTED_SPEC.read_text(encoding="utf-8") if COMMITTED_SPEC.exists() else ""
    assert committed == generated, (
        "docs/reference/openapi.json differs from the spec the app generates: run `just openapi` "
        "and commit the result."
    )


def test_every_settings_class_is_in_the_configuration_reference() -> None:
    """The configuration reference is generated from Settings.groups(): a group left out is undocumented."""
    defined = {
        cls
        for module in (settings_module, access_settings)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseSettings) and cls is not BaseSettings and cls.__module__ == module.__name__
    }
    assert defined <= set(Settings.groups().values()), (
        f"add to Settings.groups(): {sorted(c.__name__ for c in defined - set(Settings.groups().values()))}"
    )
    for cls in Settings.groups().values():
        undocumented = [name for name, field in cls.model_fields.items() if not field.description]
        assert undocumented == [], f"{cls.__name__} fields without a description: {undocumented}"
