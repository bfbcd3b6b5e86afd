"""Settings: the JWT secret rules, and the variable names of the job and prediction groups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelyard.access_settings import AuthSettings
from modelyard.settings import AppSettings, ConfigurationError, Settings


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


def test_job_and_prediction_settings_read_their_own_and_their_former_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Job-runner and prediction settings left `MODELYARD_TRAINING_*` (#12); the old names still work."""
    monkeypatch.setenv("MODELYARD_TRAINING_LEASE_SECONDS", "12")
    monkeypatch.setenv("MODELYARD_TRAINING_MODEL_CACHE_BYTES", "1000")
    monkeypatch.setenv("MODELYARD_JOBS_POLL_INTERVAL_S", "0.25")
    monkeypatch.setenv("MODELYARD_PREDICTIONS_BATCH_CHUNK_ROWS", "500")
    settings = Settings()
    assert settings.jobs.lease_seconds == 12
    assert settings.predictions.model_cache_bytes == 1000
    assert settings.jobs.poll_interval_s == 0.25
    assert settings.predictions.batch_chunk_rows == 500
    monkeypatch.setenv("MODELYARD_JOBS_LEASE_SECONDS", "30")  # the new name wins over the old one
    assert Settings().jobs.lease_seconds == 30
