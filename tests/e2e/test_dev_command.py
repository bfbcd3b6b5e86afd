"""`modelyard-server dev` (what `./dev run` starts): embedded database, data kept on restart, clean stop."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from modelyard.embedded import port_open
from tests.services.processes import free_port
from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def test_dev_keeps_data_across_restarts_and_stops_its_database(tmp_path: Path) -> None:
    db_port = free_port()
    env = {"MODELYARD_MONGODB_EMBEDDED_PORT": str(db_port), "MODELYARD_MONGODB_DATABASE": "modelyard"}
    credentials = {"username": "dev@example.com", "password": "dev-password"}

    with start_server(None, tmp_path, command=("dev",), extra_env=env) as server:
        assert port_open("127.0.0.1", db_port)
        created = httpx.post(
            server.base_url + "/api/v1/auth/register",
            json={"email": credentials["username"], "password": credentials["password"]},
        )
        assert created.status_code == 201
        server.process.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        assert server.process.wait(30) == 0
    assert not port_open("127.0.0.1", db_port), "the embedded database outlived the server"
    assert (tmp_path / "var" / "mongo").is_dir()

    with start_server(None, tmp_path, command=("dev",), extra_env=env) as server:
        token = httpx.post(server.base_url + "/api/v1/auth/token", data=credentials)
        assert token.status_code == 200, server.log()
    assert not port_open("127.0.0.1", db_port)


def test_dev_with_database_url_starts_no_embedded_database(mongodb_url: str, tmp_path: Path) -> None:
    db_port = free_port()
    env = {"MODELYARD_MONGODB_EMBEDDED_PORT": str(db_port)}
    with start_server(mongodb_url, tmp_path, command=("dev",), extra_env=env) as server:
        assert httpx.get(server.base_url + "/health/ready").status_code == 200
        assert not port_open("127.0.0.1", db_port)
        assert not (tmp_path / "var" / "mongo").exists()
