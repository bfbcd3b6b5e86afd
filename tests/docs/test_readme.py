"""The README's settings table is generated from the settings classes and must not drift."""

from __future__ import annotations

from pathlib import Path

from modelyard.settings import Settings
from modelyard.tools.docsgen import README_END, README_START, readme_settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_settings_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index(README_START) : text.index(README_END) + len(README_END)]
    assert table == readme_settings_table(), "README settings table is stale: run `./dev readme`"


def test_readme_lists_every_setting_and_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    for cls in Settings.groups().values():
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, field in cls.model_fields.items():
            var = field.validation_alias if isinstance(field.validation_alias, str) else prefix + name
            assert f"`{var.upper()}`" in text, var
    quickstart = text[text.index("## Quickstart") :]
    assert (
        quickstart.index("./dev run") < quickstart.index("./dev test") < quickstart.index("## Configuration")
    )
