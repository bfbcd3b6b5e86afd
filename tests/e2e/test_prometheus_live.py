"""The live truth: a real Prometheus scrapes a real server while a scripted workload runs.

The app runs in a uvicorn subprocess (one worker, then two), Debian's `prometheus` scrapes it
every second and evaluates the committed recording and alert rules every second. The
workload goes through the public HTTP API only, and does each kind of event a known number
of times, most of them exactly once: register, upload, train a classifier and a regressor,
promote, predict online once, a batch job, feedback on the online predictions once monitoring
has them, one analysis with the `openai` provider against
a local OpenAI-compatible server (so token counts are real), one each of 401, 404, 405 and
422, and real 5xx (the database is stopped under the running server). Every request the
workload sends is tallied by status class on the client side.

Then every Grafana target (variables substituted as Grafana would) goes through
Prometheus' HTTP API: each panel must show data over the test's time range, and each count
panel (`PanelSpec.truth`) must equal the workload's tally. Nothing waits for Prometheus to
"see" a series before its first event: the series exist at 0 from process start.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from collections import Counter
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
PROMPT_TOKENS, COMPLETION_TOKENS = 321, 123


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
    url = f"http://127.0.0.1:{port}"
    # The port opens before the storage is ready: queries answer 503 "Service Unavailable" until then.
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}/-/ready", timeout=5).status_code != 200:
        assert time.monotonic() < deadline and process.poll() is None, "Prometheus did not become ready"
        time.sleep(0.1)
    return process, url


def query(prometheus: str, expr: str) -> dict[str, Any]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]  # type: ignore[no-any-return]


def query_range(prometheus: str, expr: str, start: float) -> list[dict[str, Any]]:
    params: dict[str, str | float] = {"query": expr, "start": start, "end": time.time(), "step": 2}
    response = httpx.get(f"{prometheus}/api/v1/query_range", params=params, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]["result"]  # type: ignore[no-any-return]


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


class Workload:
    """The scripted events, and the truth they make: every response tallied by status class."""

    def __init__(self, base_url: str) -> None:
        self.statuses: Counter[str] = Counter()
        self.http = httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [self._tally]})
        self.headers: dict[str, str] = {}

    def _tally(self, response: httpx.Response) -> None:
        self.statuses[f"{response.status_code // 100}xx"] += 1

    def poll(self, url: str, timeout: float = 90) -> dict[str, Any]:
        job = wait_for_job_sync(self.http, url, self.headers, timeout=timeout, interval=0.3)
        assert job["status"] == "succeeded", job
        return job

    def accounts(self) -> None:
        for n in range(3):
            email = f"live{n}@example.com"
            registered = self.http.post("/api/v1/auth/register", json={"email": email, "password": "p" * 10})
            assert registered.status_code == 201, registered.text
            token = self.http.post("/api/v1/auth/token", data={"username": email, "password": "p" * 10})
            self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert self.http.get("/api/v1/auth/me", headers=self.headers).status_code == 200
        assert self.http.get("/api/v1/auth/me").status_code == 401
        assert self.http.get("/api/v1/nothing/here").status_code == 404
        assert self.http.put("/api/v1/auth/me").status_code == 405  # GET and DELETE only
        assert self.http.post("/api/v1/auth/register", json={"email": "bad"}).status_code == 422

    def upload(self, problem: str) -> str:
        csv = to_csv(churn_frame(200, problem=problem))
        upload = self.http.post(
            "/api/v1/datasets", headers=self.headers, files={"file": (f"{problem}.csv", csv, "text/csv")}
        )
        assert upload.status_code == 201, upload.text
        return str(upload.json()["id"])

    def train(self, dataset_id: str) -> str:
        body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 3, "algorithms": ["linear"]}
        started = self.http.post("/api/v1/training-jobs", headers=self.headers, json=body)
        assert started.status_code == 202, started.text
        return str(self.poll(started.headers["location"])["model_id"])

    def predict(self, model_id: str, batch_rows: int) -> list[str]:
        """Score 3 records online and `batch_rows` in a batch; the online predictions' ids."""
        record = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}
        url = f"/api/v1/models/{model_id}"
        online = self.http.post(f"{url}/predictions", headers=self.headers, json={"records": [record] * 3})
        assert online.status_code == 200, online.text
        rows = to_csv(churn_frame(batch_rows, seed=9).drop(columns=["target"]))
        batch = self.http.post(
            f"{url}/batch-predictions", headers=self.headers, files={"file": ("rows.csv", rows, "text/csv")}
        )
        assert batch.status_code == 202, batch.text
        self.poll(batch.headers["location"])
        return [p["prediction_id"] for p in online.json()["predictions"]]

    def feedback(self, model_id: str, prediction_ids: list[str], rows: int) -> None:
        """Once monitoring has flushed the `rows` predictions (and kept the online ones), label the
        online ones: the drift and feedback-delay panels get their data."""
        url = f"/api/v1/models/{model_id}"
        deadline = time.monotonic() + 60
        while True:
            report = self.http.get(f"{url}/monitoring?window=1h", headers=self.headers)
            assert report.status_code == 200, report.text
            if report.json()["rows"] >= rows:
                break
            assert time.monotonic() < deadline, report.text
            time.sleep(0.5)
        items = [{"prediction_id": i, "actual": "yes"} for i in prediction_ids]
        sent = self.http.post(f"{url}/feedback", headers=self.headers, json={"items": items})
        assert sent.status_code == 200 and sent.json()["accepted"] == len(items), sent.text

    def run(self) -> dict[str, Any]:
        """Every kind of event, once unless said otherwise; returns the count panels' truth."""
        self.accounts()
        binary, regression = self.upload("binary"), self.upload("regression")
        model_id = self.train(binary)
        self.train(regression)
        promoted = self.http.patch(
            f"/api/v1/models/{model_id}", headers=self.headers, json={"stage": "production"}
        )
        assert promoted.status_code == 200, promoted.text
        online_ids = self.predict(model_id, batch_rows=50)
        self.feedback(model_id, online_ids, rows=3 + 50)
        started = self.http.post(f"/api/v1/datasets/{binary}/analyses", headers=self.headers, json={})
        assert started.status_code == 202, started.text
        analysis = self.poll(started.headers["location"])
        assert analysis["provenance"]["provider"] == "openai", analysis["provenance"]["fallback_reason"]
        return {
            "users": 3,
            "datasets_created": 2,
            "models_trained": 2,
            "training_jobs_finished": 2,
            "training_jobs_by_status": {"succeeded": 2, "failed": 0, "cancelled": 0},
            # Every kind of job: two trainings, one batch prediction, one analysis.
            "jobs_by_kind_and_status": {
                "training/succeeded": 2,
                "batch_prediction/succeeded": 1,
                "analysis/succeeded": 1,
            },
            "rows_predicted": 3 + 50,
            "llm_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            "llm_tokens_by_kind": {"prompt": PROMPT_TOKENS, "completion": COMPLETION_TOKENS},
        }

    def http_truth(self) -> dict[str, Any]:
        return {"requests": sum(self.statuses.values()), "responses_by_class": dict(self.statuses)}


def substitute(expr: str, range_seconds: int) -> str:
    """Grafana's variables as Grafana expands them: "All" is `.*`, the range is the test's."""
    variables = {
        "$__rate_interval": "1m",
        "$__range": f"{range_seconds}s",
        "$job": "modelyard",
        "$instance": ".*",
    }
    for variable, value in variables.items():
        expr = expr.replace(variable, value)
    return expr


def counted(result: list[dict[str, Any]]) -> Any:
    """A count panel's value: a number, or {label values: number} for one series per label value
    (several labels joined with `/` in the order of their names, e.g. `training/succeeded`)."""
    if len(result) == 1 and not result[0]["metric"]:
        return float(result[0]["value"][1])
    return {
        "/".join(value for _, value in sorted(r["metric"].items())): float(r["value"][1])
        for r in result
        if r["metric"]
    }


def count_mismatches(
    dashboards: ModuleType, prometheus: str, truth: dict[str, Any], since: float
) -> dict[str, tuple[Any, Any]]:
    wrong = {}
    for board in dashboards.DASHBOARDS:
        for panel in board.panels:
            if panel.truth is None:
                continue
            expected = truth[panel.truth]
            expr = substitute(panel.queries[0].expr, int(time.time() - since) + 1)
            got = counted(query(prometheus, expr)["result"])
            if isinstance(expected, dict):  # label values absent from the truth must be 0
                expected = {key: float(expected.get(key, 0)) for key in {*expected, *got}}
            if got != expected:
                wrong[f"{board.title} / {panel.title}"] = (got, expected)
    return wrong


def wait_for_truth(
    dashboards: ModuleType, prometheus: str, truth: dict[str, Any], since: float, timeout: float = 30
) -> None:
    """Count panels equal the truth once Prometheus has scraped the last events (and the tallies)."""
    deadline = time.monotonic() + timeout
    while wrong := count_mismatches(dashboards, prometheus, truth, since):
        if time.monotonic() > deadline:
            raise AssertionError(f"count panels differ from the truth (got, expected): {wrong}")
        time.sleep(1)


def panels_without_data(dashboards: ModuleType, prometheus: str, since: float) -> dict[str, str]:
    """Panels whose every target is empty or NaN over the test's time range, as Grafana draws them."""
    empty = {}
    range_seconds = int(time.time() - since) + 1
    for board in dashboards.DASHBOARDS:
        for panel in board.panels:
            values = []
            for target in panel.queries:
                expr = substitute(target.expr, range_seconds)
                if panel.kind == "piechart":  # instant targets
                    series = [[r["value"]] for r in query(prometheus, expr)["result"]]
                else:
                    series = [r["values"] for r in query_range(prometheus, expr, since)]
                values += [v for points in series for _, v in points if v != "NaN"]
            if not values:
                empty[panel.title] = board.title
    return empty


@pytest.mark.parametrize("workers", [1, 2])
def test_dashboards_tell_the_truth_against_live_prometheus(tmp_path: Path, workers: int) -> None:
    dashboards = load_dashboards()
    mongo, mongodb_url = start_secantus()  # our own: it is stopped mid-test
    prometheus_process = None
    fake_llm = FakeOpenAI().start()
    fake_llm.reset(Reply.json(LLM_ANSWER, prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS))
    env = {
        "MODELYARD_WORKERS": str(workers),
        "MODELYARD_METRICS_REFRESH_SECONDS": "0.5",
        "MODELYARD_MONGODB_TIMEOUT_MS": "300",
        # It runs alone and stops the database: a short bound, so the 5xx it needs come quickly.
        "MODELYARD_MONGODB_OPERATION_TIMEOUT_MS": "500",
        "MODELYARD_MONGODB_DATABASE": "live_metrics",
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
            wait_until(prometheus, 'up{job="modelyard"} == 1')  # the series at 0, before any event
            since = time.time() - 2
            workload = Workload(server.base_url)
            truth = workload.run()
            wait_for_truth(dashboards, prometheus, truth | workload.http_truth(), since)

            # Real 5xx: the database goes away under the running server. (Listing datasets reads
            # MongoDB on every request; authentication may be served from a cache.)
            stop(mongo)
            # Until the fast burn of the availability budget is pending: more than 7.2% of requests
            # in error over 5 minutes and an hour, with at least 100 requests in the hour.
            burning = 'ALERTS{alertname="ModelyardErrorBudgetBurn", severity="critical"}'
            while not query(prometheus, burning)["result"]:
                assert workload.statuses["5xx"] < 300, "the error budget burn does not show"
                for _ in range(5):
                    assert workload.http.get("/api/v1/datasets", headers=workload.headers).status_code >= 500
                time.sleep(0.3)
            wait_until(prometheus, 'modelyard_dependency_up{dependency="mongodb"} == 0')
            workload.http.close()
            wait_for_truth(dashboards, prometheus, truth | workload.http_truth(), since)

            for _name, expr in rule_expressions():
                query(prometheus, expr)  # parses and evaluates, with or without data
            rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
            unhealthy = [r["name"] for g in rules for r in g["rules"] if r["health"] != "ok"]
            assert not unhealthy
            assert sum(len(g["rules"]) for g in rules) == len(rule_expressions())

            empty = panels_without_data(dashboards, prometheus, since)
            unexpected = {title: board for title, board in empty.items() if title not in NO_DATA_EXPECTED}
            assert not unexpected, f"panels without data: {unexpected}"
            stale = set(NO_DATA_EXPECTED) - set(empty)
            assert not stale, f"these panels have data now; remove them from NO_DATA_EXPECTED: {stale}"
            # The real failure puts its alerts on the way to firing (their `for` outlasts the test).
            wait_until(prometheus, 'ALERTS{alertname="ModelyardNotReady", dependency="mongodb"}')
            wait_until(prometheus, 'ALERTS{alertname="ModelyardErrorBudgetBurn", severity="warning"}')
    finally:
        if prometheus_process is not None:
            stop(prometheus_process)
        stop(mongo)
        fake_llm.stop()
