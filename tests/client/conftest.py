"""Fixtures of the client and CLI tests: one real server process per module, and an account on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.server import RunningServer, start_server

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = REPO / "docs" / "examples" / "customers.csv"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with start_server(
        mongodb_url, tmp_path_factory.mktemp("client"), extra_env={"MODELYARD_WARM_WORKERS": "true"}
    ) as running:
        yield running


@pytest.fixture
def email() -> str:
    return f"ada-{uuid.uuid4().hex[:8]}@example.com"
