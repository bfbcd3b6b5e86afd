"""The `modelyard` CLI run as a subprocess, the way a user runs it, against the real server."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.client.conftest import CUSTOMERS, PASSWORD
from tests.client.test_client_e2e import expired_token
from tests.services.server import RunningServer, start_server

pytestmark = pytest.mark.e2e


class Cli:
    def __init__(self, base_url: str, home: Path) -> None:
        self.env = {**os.environ, "MODELYARD_URL": base_url, "XDG_CONFIG_HOME": str(home), "NO_COLOR": "1"}
        for name in ("MODELYARD_TOKEN", "MODELYARD_API_KEY"):
            self.env.pop(name, None)

    def __call__(
        self, *args: str, stdin: str | None = None, code: int = 0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "modelyard_client", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=300,
        )
        assert result.returncode == code, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads(self(*args, "--json", **kwargs).stdout)


@pytest.fixture
def cli(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.base_url, tmp_path / "config")


def requests_to(server: RunningServer, route: str) -> int:
    """GET requests the server answered 200 on `route` (a route template), from its /metrics."""
    text = httpx.get(server.base_url + "/metrics", timeout=10).text
    labels = ('method="GET"', f'route="{route}"', 'status_code="200"')
    total = 0.0
    for line in text.splitlines():
        name, _, rest = line.partition("{")
        if name == "modelyard_http_requests_total" and all(label in rest for label in labels):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def test_cli_journey(cli: Cli, server: RunningServer, email: str, tmp_path: Path) -> None:
    login = cli("login", "--register", "--email", email, "--password", PASSWORD)
    assert "Logged in" in login.stdout
    config = tmp_path / "config" / "modelyard" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert email in cli("whoami").stdout

    upload = cli("datasets", "upload", str(CUSTOMERS))
    assert "400 rows" in upload.stdout and "PII: email" in upload.stdout, upload.stdout
    assert "bytes sent" in upload.stderr  # not a terminal: a plain line, no bar
    [dataset] = cli.json("datasets", "list")
    assert "customer_id" in cli("datasets", "preview", dataset["id"], "--rows", "2").stdout
    assert cli.json("datasets", "show", dataset["id"])["rows"] == 400
    assert cli.json("datasets", "profile", dataset["id"])["rows"] == 400

    analysis = cli("analyse", dataset["id"], "--target", "churned")
    assert "Findings" in analysis.stdout
    assert requests_to(server, "/api/v1/analyses/{analysis_id}/events") >= 1

    # account_closed restates the target (the analysis said so): the leakage gate flags it too.
    # The leaderboard is fed by the job's event stream: the CLI never polls the job.
    streams, polls = (
        requests_to(server, f"/api/v1/training-jobs/{{job_id}}{end}") for end in ("/events", "")
    )
    train = cli("train", dataset["id"], "--target", "churned", "--budget", "2", "--exclude", "customer_id")
    assert requests_to(server, "/api/v1/training-jobs/{job_id}/events") == streams + 1
    assert requests_to(server, "/api/v1/training-jobs/{job_id}") == polls
    assert "Leaderboard" in train.stdout and "candidates" in train.stderr
    assert "Leakage findings" in train.stdout and "derived_from_target" in train.stdout, train.stdout
    model_id = train.stdout.split("Model ", 1)[1].split()[0]
    assert cli.json("models", "list")[0]["id"] == model_id
    shown = cli("models", "show", model_id).stdout
    assert "Feature importance" in shown and "account_closed" in shown
    refused = cli("models", "promote", model_id, code=2)
    assert "409" in refused.stderr and "acknowledge_leakage" in refused.stderr, refused.stderr
    promoted = cli.json("models", "promote", model_id, "--acknowledge-leakage")
    assert promoted["stage"] == "production" and promoted["leakage_acknowledged_at"]

    rows = CUSTOMERS.read_text().splitlines()
    few = "\n".join(rows[:6]) + "\n"
    online = list(csv.DictReader(io.StringIO(cli("predict", model_id, "--input", "-", stdin=few).stdout)))
    assert len(online) == 5 and online[0]["prediction"] in ("yes", "no") and "probability_yes" in online[0]

    # A machine scores with a predict-only key stored by `login --api-key`; it can do nothing else.
    secret = cli("api-keys", "create", "scoring", "--model", model_id, "--secret-only").stdout.strip()
    [key] = cli.json("api-keys", "list")
    assert (
        key["scopes"] == ["predict"] and key["model_ids"] == [model_id] and secret.startswith(key["prefix"])
    )
    machine = Cli(cli.env["MODELYARD_URL"], tmp_path / "machine")
    assert "Stored the API key" in machine("login", "--api-key", secret).stdout
    stored = tmp_path / "machine" / "modelyard" / "config.json"
    assert (
        stat.S_IMODE(stored.stat().st_mode) == 0o600 and json.loads(stored.read_text())["api_key"] == secret
    )
    out = tmp_path / "scored.json"
    streams = requests_to(server, "/api/v1/batch-predictions/{job_id}/events")
    batch = machine(
        "predict", model_id, "--input", str(CUSTOMERS), "--online-limit", "10", "--output", str(out)
    )
    assert "batch" in batch.stderr
    assert requests_to(server, "/api/v1/batch-predictions/{job_id}/events") == streams + 1
    scored = json.loads(out.read_text())
    assert len(scored) == 400 and scored[0]["prediction"] in ("yes", "no")
    listing = machine("datasets", "list", code=2)
    assert "403" in listing.stderr and "lacks the `read` scope" in listing.stderr, listing.stderr
    training = machine("train", dataset["id"], "--target", "churned", code=2)
    assert "403" in training.stderr and "API keys cannot call this operation" in training.stderr
    # The environment overrides the stored key; a revoked key stops at once.
    bogus = machine(
        "predict", model_id, "--input", "-", stdin=few, code=2, MODELYARD_API_KEY="myk_" + "x" * 40
    )
    assert "401" in bogus.stderr
    cli("api-keys", "delete", key["id"])
    assert "401" in machine("predict", model_id, "--input", "-", stdin=few, code=2).stderr

    cli("models", "delete", model_id, "--yes")
    cli("datasets", "delete", dataset["id"], "--yes")


def test_cli_error_paths(cli: Cli, email: str, tmp_path: Path) -> None:
    cli("datasets", "list", code=1)  # not logged in: usage
    cli("train", code=1)
    cli("login", "--register", "--email", email, "--password", PASSWORD)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02\x03 binary")
    bad = cli("datasets", "upload", str(junk), code=2)
    assert "415" in bad.stderr
    missing = cli("models", "show", "0" * 24, code=2)
    assert "404" in missing.stderr
    unknown = cli("predict", "0" * 24, "--input", "-", stdin="plan\nbasic\n", code=2)
    assert "404" in unknown.stderr and "model" in unknown.stderr.lower(), unknown.stderr
    cli("datasets", "upload", str(tmp_path / "nope.csv"), code=1)
    stale = expired_token(cli.json("whoami")["id"])
    expired = cli("whoami", code=2, MODELYARD_TOKEN=stale)
    assert "401" in expired.stderr and "expired" in expired.stderr and "modelyard login" in expired.stderr


def test_cli_rate_limited(mongodb_url: str, tmp_path: Path, email: str) -> None:
    env = {"MODELYARD_RATE_LIMIT_PER_MINUTE": "3"}
    with start_server(mongodb_url, tmp_path / "server", extra_env=env) as limited:
        cli = Cli(limited.base_url, tmp_path / "config")
        results = [cli("whoami", code=2, MODELYARD_MAX_RETRIES="0", MODELYARD_TOKEN="x") for _ in range(5)]
        assert "429" in results[-1].stderr and "Try again in" in results[-1].stderr, results[-1].stderr
