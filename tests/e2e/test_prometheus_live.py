"""The real server scraped by a real Prometheus: every dashboard and rule query parses, and panels show data.

The app runs in a uvicorn subprocess, Debian's `prometheus` scrapes it every second and
evaluates the committed recording and alert rules every second. The workload goes through
the public HTTP API only: register, upload a CSV, train (twice, so rates and increases have
two points), promote the model to production, predict online several times and in a
batch, analyse the dataset (twice) with the `openai` provider against a local
OpenAI-compatible server (so token counts are real), some 4xx, and real 5xx (the database
is stopped under the running server). Then every Grafana target and every rule expression
goes through Prometheus' HTTP API.

Prometheus' `increase`/`rate` ignore a series' first sample, so each kind of event happens
again after Prometheus has seen its series once (`wait_until` between them).
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

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.openai_server import FakeOpenAI, Reply
from tests.services.processes import free_port, start_secantus, stop, wait_for_port
from tests.services.server import start_server

pytestmark = [
    pytest.mark.e2e,
    # Alone (`just test` runs it after the parallel run): it waits on a 1 s scrape and rule
    # evaluation cycle and drives a 5xx ratio over time, which a loaded machine stretches.
    pytest.mark.serial,
    pytest.mark.skipif(
        shutil.which("prometheus") is None, reason="Debian package `prometheus` not installed"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "observability" / "prometheus" / "rules"

# Panels that cannot show data in this test, and why (everything else must show data).
NO_DATA_EXPECTED: dict[str, str] = {
    "Users week over week": "compares with a week ago (`offset 1w`): needs a week of history",
    "Predictions week over week": "compares with the week before (`[7d] offset 1w`): needs 2 weeks of data",
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


# What the fake language model answers for a dataset analysis (columns of `churn_frame`).
LLM_ANSWER = {
    "overview": "Customer records with a churn label.",
    "findings": [
        {
            "category": "data_quality",
            "severity": "info",
            "title": "age has gaps",
            "detail": "About one row in eleven has no age.",
            "columns": ["age"],
        }
    ],
    "target_suggestions": [{"column": "target", "problem_type": "binary", "reason": "A yes/no outcome."}],
    "preprocessing": [{"action": "impute", "columns": ["age"], "reason": "It has gaps."}],
    "exclude_columns": [{"column": "id", "reason_code": "identifier", "reason": "A row number."}],
    "caveats": ["Based on a profile, not the business meaning."],
}


def poll(http: httpx.Client, url: str, headers: dict[str, str]) -> dict[str, Any]:
    job = wait_for_job_sync(http, url, headers, timeout=60, interval=0.5)
    assert job["status"] == "succeeded", job
    return job


def drive_workload(base_url: str, prometheus: str) -> dict[str, str]:
    """The real workload over HTTP; returns the last user's auth headers."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
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
        assert http.put("/api/v1/auth/me").status_code == 405  # GET and DELETE only
        assert http.post("/api/v1/auth/register", json={"email": "bad"}).status_code in (400, 422)

        upload = http.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("churn.csv", to_csv(churn_frame(200)), "text/csv")},
        )
        assert upload.status_code == 201, upload.text
        dataset_id = upload.json()["id"]

        # Two jobs, one after the other, with the same algorithm; the second starts only once
        # Prometheus has scraped the first one's training-duration series, so the second one is
        # an increase (queued together, the second could finish before that scrape on a busy machine).
        body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 3, "algorithms": ["linear"]}
        first_job = http.post("/api/v1/training-jobs", headers=headers, json=body)
        assert first_job.status_code == 202, first_job.text
        model_id = poll(http, first_job.headers["location"], headers)["model_id"]
        wait_until(prometheus, "modelyard_training_duration_seconds_count")
        second_job = http.post("/api/v1/training-jobs", headers=headers, json=body)
        assert second_job.status_code == 202, second_job.text
        poll(http, second_job.headers["location"], headers)
        promoted = http.patch(f"/api/v1/models/{model_id}", headers=headers, json={"stage": "production"})
        assert promoted.status_code == 200, promoted.text

        def predict() -> None:
            record = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}
            response = http.post(
                f"/api/v1/models/{model_id}/predictions", headers=headers, json={"records": [record] * 3}
            )
            assert response.status_code == 200, response.text

        predict()
        wait_until(prometheus, 'modelyard_predictions_total{kind="online"}')
        for _ in range(5):
            predict()
        batch = http.post(
            f"/api/v1/models/{model_id}/batch-predictions",
            headers=headers,
            files={
                "file": ("rows.csv", to_csv(churn_frame(50, seed=9).drop(columns=["target"])), "text/csv")
            },
        )
        assert batch.status_code == 202, batch.text
        poll(http, batch.headers["location"], headers)

        def analyse() -> dict[str, Any]:
            started = http.post(f"/api/v1/datasets/{dataset_id}/analyses", headers=headers, json={})
            assert started.status_code == 202, started.text
            return poll(http, started.headers["location"], headers)

        first = analyse()
        assert first["provenance"]["provider"] == "openai", first["provenance"]["fallback_reason"]
        wait_until(prometheus, 'modelyard_llm_tokens_total{kind="completion"}')
        analyse()
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
    fake_llm = FakeOpenAI().start()
    fake_llm.reset(Reply.json(LLM_ANSWER, prompt_tokens=321, completion_tokens=123))
    env |= {
        "MODELYARD_JOBS_CONCURRENT_JOBS": "1",
        "MODELYARD_JOBS_POLL_INTERVAL_S": "0.1",
        "MODELYARD_ANALYSIS_PROVIDER": "openai",
        "MODELYARD_ANALYSIS_MODEL": "fake-model",
        "OPENAI_BASE_URL": fake_llm.base_url,
        "OPENAI_API_KEY": "test-key",
    }
    try:
        with start_server(mongodb_url, tmp_path / "app", extra_env=env) as server:
            app_port = int(server.base_url.rsplit(":", 1)[1])
            prometheus_process, prometheus = start_prometheus(app_port, tmp_path)
            wait_until(prometheus, 'up{job="modelyard"} == 1')  # before any event: see the note on top
            headers = drive_workload(server.base_url, prometheus)
            wait_until(prometheus, 'modelyard_production_model_score{metric="roc_auc"}')
            wait_until(prometheus, 'modelyard_http_requests_total{status_code="405"}')
            # Real 5xx: the database goes away under the running server. (Listing datasets reads
            # MongoDB on every request; authentication may be served from a cache.)
            stop(mongo)
            # Enough of them to put more than 10% of all requests in error (the warning tier is 5%).
            failed: list[int] = []
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                while not query(prometheus, "job:modelyard_http_5xx_ratio:rate5m > 0.1")["result"]:
                    assert len(failed) < 200, "the 5xx ratio does not rise"
                    failed += [http.get("/api/v1/datasets", headers=headers).status_code for _ in range(5)]
                    time.sleep(0.3)
            assert failed and all(code >= 500 for code in failed), failed
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
        fake_llm.stop()
