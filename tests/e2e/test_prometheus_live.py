"""The real server scraped by a real Prometheus: every dashboard and rule query parses, and panels show data.

The app runs in a uvicorn subprocess, Debian's `prometheus` scrapes it every second and
evaluates the committed recording and alert rules every second. After a workload (with
4xx responses and real 5xx ones: the database is stopped under the running server),
every Grafana target and every rule expression goes through Prometheus' HTTP API.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml
from pymongo import MongoClient

from tests.services.processes import free_port, start_secantus, stop, wait_for_port
from tests.services.server import start_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("prometheus") is None, reason="Debian package `prometheus` not installed"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "observability" / "prometheus" / "rules"

# Panels that cannot show data in this test, and why. Shrink this as the areas land.
NEEDS_OTHER_AREAS = (
    "process-local metric recorded by an area (training, predictions, datasets, analysis) whose "
)
"instrumentation has not landed yet"
NO_DATA_EXPECTED: dict[str, str] = {
    "Training jobs finished (24h)": NEEDS_OTHER_AREAS,
    "Rows predicted (24h)": NEEDS_OTHER_AREAS,
    "LLM tokens (24h)": NEEDS_OTHER_AREAS,
    "Training duration p50 / p95": NEEDS_OTHER_AREAS,
    "Training job outcomes (1h)": NEEDS_OTHER_AREAS,
    "Training failure ratio (1h)": NEEDS_OTHER_AREAS,
    "Online prediction latency p50 / p99": NEEDS_OTHER_AREAS,
    "Prediction throughput": NEEDS_OTHER_AREAS,
    "Dataset size at upload (rows)": NEEDS_OTHER_AREAS,
    "Dataset size at upload (bytes)": NEEDS_OTHER_AREAS,
    "LLM calls by outcome": NEEDS_OTHER_AREAS,
    "LLM error ratio (10m)": NEEDS_OTHER_AREAS,
    "LLM latency p95": NEEDS_OTHER_AREAS,
    "LLM tokens per hour": NEEDS_OTHER_AREAS,
    "Users week over week": "compares with a week ago (`offset 1w`): needs a week of history",
    "Predictions week over week": "compares with a week ago (`offset 1w`): needs a week of history",
}
# Grafana's built-in variables, as Grafana would expand them for a short time range.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "5m"}


def load_dashboards() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dashboards", ROOT / "observability" / "grafana" / "dashboards.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dashboards"] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def rule_expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found.append((rule.get("record") or rule["alert"], rule["expr"]))
    return found


def start_prometheus(app_port: int, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
        "rule_files": [str(RULES / "recording.yml"), str(RULES / "alerts.yml")],
        "scrape_configs": [
            {"job_name": "modelyard", "static_configs": [{"targets": [f"127.0.0.1:{app_port}"]}]}
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}"


def query(prometheus: str, expr: str) -> dict[str, Any]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]  # type: ignore[no-any-return]


def wait_until(prometheus: str, expr: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(prometheus, expr)["result"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"no data for {expr!r} within {timeout} s")


def drive_workload(base_url: str, mongodb_url: str, database: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        headers = {}
        for n in range(3):
            email = f"live{n}@example.com"
            assert (
                http.post("/api/v1/auth/register", json={"email": email, "password": "p" * 10}).status_code
                == 201
            )
            token = http.post("/api/v1/auth/token", data={"username": email, "password": "p" * 10})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for _ in range(20):
            assert http.get("/api/v1/auth/me", headers=headers).status_code == 200
        assert http.get("/api/v1/auth/me").status_code == 401
        assert http.get("/api/v1/nothing/here").status_code == 404
        assert http.delete("/api/v1/auth/me").status_code == 405
        assert http.post("/api/v1/auth/register", json={"email": "bad"}).status_code in (400, 422)
    # Until the training area lands, its documents are seeded the way it will store them.
    with MongoClient(mongodb_url) as client:
        db = client[database]
        db["models"].insert_many(
            [
                {"problem_type": "binary", "stage": "production", "test_metrics": {"roc_auc": 0.91}},
                {"problem_type": "regression", "stage": "none", "test_metrics": {"r2": 0.7}},
            ]
        )
        db["training_jobs"].insert_many([{"status": "succeeded"}, {"status": "queued"}])
    return headers


def test_dashboards_and_rules_against_live_prometheus(tmp_path: Path) -> None:
    dashboards = load_dashboards()
    mongo, mongodb_url = start_secantus()  # our own: it is stopped mid-test
    database = "live_metrics"
    env = {
        "MODELYARD_METRICS_REFRESH_SECONDS": "0.5",
        "MODELYARD_MONGODB_TIMEOUT_MS": "300",
        "MODELYARD_MONGODB_DATABASE": database,
    }
    prometheus_process = None
    try:
        with start_server(mongodb_url, tmp_path / "app", extra_env=env) as server:
            app_port = int(server.base_url.rsplit(":", 1)[1])
            prometheus_process, prometheus = start_prometheus(app_port, tmp_path)
            headers = drive_workload(server.base_url, mongodb_url, database)
            wait_until(prometheus, 'modelyard_production_model_score{metric="roc_auc"}')
            wait_until(prometheus, 'modelyard_http_requests_total{status_code="405"}')
            # Real 5xx: the database goes away under the running server.
            stop(mongo)
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                failed = [http.get("/api/v1/auth/me", headers=headers).status_code for _ in range(5)]
            assert all(code >= 500 for code in failed), failed
            wait_until(prometheus, "job:modelyard_http_5xx_ratio:rate5m > 0")
            wait_until(prometheus, 'modelyard_dependency_up{dependency="mongodb"} == 0')

            for _name, expr in rule_expressions():
                query(prometheus, expr)  # parses and evaluates, with or without data
            rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
            unhealthy = [r["name"] for g in rules for r in g["rules"] if r["health"] != "ok"]
            assert not unhealthy
            assert sum(len(g["rules"]) for g in rules) == len(rule_expressions())

            empty = {}
            for board in dashboards.DASHBOARDS:
                for panel in board.panels:
                    results = []
                    for target in panel.queries:
                        expr = target.expr
                        for variable, value in GRAFANA_VARIABLES.items():
                            expr = expr.replace(variable, value)
                        # NaN (e.g. a quantile of a histogram with no observations) shows as no value.
                        results.extend(r for r in query(prometheus, expr)["result"] if r["value"][1] != "NaN")
                    if not results:
                        empty[panel.title] = board.title
            unexpected = {title: board for title, board in empty.items() if title not in NO_DATA_EXPECTED}
            assert not unexpected, f"panels without data: {unexpected}"
            stale = set(NO_DATA_EXPECTED) - set(empty)
            assert not stale, f"these panels have data now; remove them from NO_DATA_EXPECTED: {stale}"
            # The real failure puts its alerts on the way to firing (their `for` outlasts the test).
            wait_until(prometheus, 'ALERTS{alertname="ModelyardNotReady", dependency="mongodb"}')
            wait_until(prometheus, 'ALERTS{alertname="ModelyardHighErrorRatio", severity="warning"}')
    finally:
        if prometheus_process is not None:
            stop(prometheus_process)
        stop(mongo)
