"""JWT secret rules: generated once in development, required and long in production."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelyard.settings import AppSettings, AuthSettings, ConfigurationError, Settings


def test_development_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(app=AppSettings(var_dir=tmp_path), auth=AuthSettings(secret=None))
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: settings.jwt_secret(), range(16)))
    assert len(secrets) == 1 and len(secrets.pop()) >= 32
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600


def test_production_requires_a_long_secret(tmp_path: Path) -> None:
    production = AppSettings(env="production", var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="not set"):
        Settings(app=production, auth=AuthSettings(secret=None)).jwt_secret()
    with pytest.raises(ConfigurationError, match="too short") as raised:
        Settings(app=production, auth=AuthSettings(secret="short-secret")).jwt_secret()
    assert "short-secret" not in str(raised.value)
    assert not (tmp_path / "jwt-secret").exists()
    long_secret = "p" * 40
    assert Settings(app=production, auth=AuthSettings(secret=long_secret)).jwt_secret() == long_secret
