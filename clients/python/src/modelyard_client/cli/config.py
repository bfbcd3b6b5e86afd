"""Where the CLI keeps its login: `$XDG_CONFIG_HOME/modelyard/config.json`, mode 0600.

Environment variables override the file: `MODELYARD_URL`, `MODELYARD_TOKEN`, `MODELYARD_API_KEY`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from modelyard_client._http import DEFAULT_BASE_URL


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "modelyard" / "config.json"


@dataclass
class Config:
    url: str = DEFAULT_BASE_URL
    token: str | None = None
    api_key: str | None = None
    email: str | None = None


def load() -> Config:
    """The stored config with the environment's overrides applied."""
    stored: dict[str, str | None] = {}
    path = config_path()
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
    config = Config(**{k: v for k, v in stored.items() if k in Config.__dataclass_fields__})  # type: ignore[arg-type]
    config.url = os.environ.get("MODELYARD_URL") or config.url
    if os.environ.get("MODELYARD_API_KEY"):
        config.api_key, config.token = os.environ["MODELYARD_API_KEY"], None
    if os.environ.get("MODELYARD_TOKEN"):
        config.token, config.api_key = os.environ["MODELYARD_TOKEN"], None
    return config


def save(config: Config) -> Path:
    """Write the config readable by its owner only (0600; the directory 0700)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(config), out, indent=2)
    path.chmod(0o600)
    return path
