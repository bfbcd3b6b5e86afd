"""The real Alertmanager (Debian `prometheus-alertmanager`) with the committed routing and the
receivers `render.py` makes from the environment (webhook, Slack, PagerDuty, heartbeat), all
pointed at a local HTTP receiver: a firing alert arrives at its tier's receivers with its
runbook and dashboard links, the warning tier is inhibited by the critical one, resolves
arrive, and the watchdog reaches the heartbeat receiver.

Only the grouping timers (seconds, not minutes) differ from what `render.py` writes.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.services.processes import free_port, stop, wait_for_port

BINARY = "prometheus-alertmanager"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which(BINARY) is None, reason="Debian package `prometheus-alertmanager` not installed"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "observability" / "alertmanager" / "render.py"
GRAFANA = "http://grafana.test"
ALERT_RULES = ROOT / "observability" / "prometheus" / "rules" / "alerts.yml"


class Receiver:
    """A local webhook endpoint: every notification body, by receiver name (the URL path)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def webhooks(self, receiver: str, status: str) -> list[dict[str, Any]]:
        """Generic-webhook notifications of one Alertmanager receiver (named in the body)."""
        return [
            body
            for path, body in self.received
            if path == "webhook" and body["receiver"] == receiver and body["status"] == status
        ]

    def at(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where == path]

    def wait(self, found: Any, what: str, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not (bodies := found()):
            assert time.monotonic() < deadline, f"no {what}: {self.received}"
            time.sleep(0.2)
        return bodies  # type: ignore[no-any-return]


def local_config(receiver_url: str) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("render", RENDER)
    assert spec is not None and spec.loader is not None
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    env = {
        "ALERTMANAGER_WEBHOOK_URL": f"{receiver_url}/webhook",
        "ALERTMANAGER_SLACK_WEBHOOK_URL": f"{receiver_url}/slack",
        "ALERTMANAGER_PAGERDUTY_ROUTING_KEY": "test-routing-key",
        "ALERTMANAGER_PAGERDUTY_URL": f"{receiver_url}/pagerduty",
        "ALERTMANAGER_HEARTBEAT_URL": f"{receiver_url}/heartbeat",
        "GRAFANA_URL": GRAFANA,
    }
    config: dict[str, Any] = yaml.safe_load(render.render(render.DEFAULT_CONFIG.read_text(), env))
    for route in [config["route"], *config["route"].get("routes", [])]:
        # Seconds, not minutes, so the test takes seconds.
        route |= {"group_wait": "1s", "group_interval": "1s"}
    return config


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, Receiver]]:
    receiver = Receiver()
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(local_config(receiver.url)))
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", receiver
    finally:
        stop(process)
        receiver.server.shutdown()


def rule(alert: str, severity: str) -> dict[str, Any]:
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return next(
        r
        for g in groups
        for r in g["rules"]
        if r.get("alert") == alert and r["labels"]["severity"] == severity
    )


def alert(name: str, severity: str, *, resolved: bool = False) -> dict[str, Any]:
    """The alert as Prometheus sends it (labels of the rule plus the job; its static annotations)."""
    now = datetime.now(UTC)
    ends = now if resolved else now + timedelta(minutes=5)
    return {
        "labels": {"alertname": name, "severity": severity, "job": "modelyard"},
        "annotations": rule(name, severity)["annotations"],
        "startsAt": (now - timedelta(minutes=3)).isoformat(),
        "endsAt": ends.isoformat(),
        "generatorURL": "http://prometheus:9090/graph",
    }


def post(base: str, alerts: list[dict[str, Any]]) -> None:
    response = httpx.post(f"{base}/api/v2/alerts", json=alerts, timeout=10)
    assert response.status_code == 200, response.text


def names(bodies: list[dict[str, Any]]) -> set[str]:
    return {a["labels"]["alertname"] for body in bodies for a in body["alerts"]}


def test_alerts_reach_their_tier_with_links_inhibited_and_resolved(
    alertmanager: tuple[str, Receiver],
) -> None:
    base, receiver = alertmanager
    # The critical tier fires first and is paged; only then the warning tier of the same alert
    # arrives. Alertmanager's inhibitor learns of source alerts asynchronously, so posting both
    # tiers at once races it on a loaded machine (a CI run once saw the warning reach Slack).
    post(base, [alert("ModelyardErrorBudgetBurn", "critical")])
    (page,) = receiver.wait(lambda: receiver.webhooks("pager", "firing"), "page")
    post(
        base,
        [
            alert("ModelyardErrorBudgetBurn", "warning"),
            alert("ModelyardTrainingBacklogGrowing", "warning"),
            alert("ModelyardWatchdog", "none"),
        ],
    )

    heartbeat = receiver.wait(lambda: receiver.at("heartbeat"), "heartbeat")  # the dead man's switch
    assert names(heartbeat) == {"ModelyardWatchdog"}

    (paged,) = page["alerts"]
    assert paged["labels"]["alertname"] == "ModelyardErrorBudgetBurn"
    runbook = "https://modelyard.dev/docs/runbook/alerts/modelyard-error-budget-burn/"
    assert paged["annotations"]["runbook_url"] == runbook
    assert (paged["annotations"]["__dashboardUid__"], paged["annotations"]["__panelId__"]) == (
        "modelyard-system",
        "3",
    )
    pagerduty = receiver.wait(lambda: receiver.at("pagerduty"), "PagerDuty event")[0]
    assert pagerduty["event_action"] == "trigger" and pagerduty["routing_key"] == "test-routing-key"
    assert [link["href"] for link in pagerduty["links"]] == [
        runbook,
        f"{GRAFANA}/d/modelyard-system?viewPanel=3",
    ]

    # The warning tier of the same alert is inhibited; another warning goes to the ticket queue.
    receiver.wait(lambda: receiver.webhooks("tickets", "firing"), "ticket")
    slack = receiver.wait(lambda: receiver.at("slack"), "Slack message")[0]
    (attachment,) = slack["attachments"]
    assert "ModelyardTrainingBacklogGrowing" in attachment["title"]
    assert "/modelyard-training-backlog-growing/" in attachment["text"] and GRAFANA in attachment["text"]
    time.sleep(3)  # several group intervals: the inhibited warning must still not arrive
    assert names(receiver.webhooks("tickets", "firing")) == {"ModelyardTrainingBacklogGrowing"}
    assert not any(
        "ModelyardErrorBudgetBurn" in body["attachments"][0]["title"] for body in receiver.at("slack")
    )

    post(base, [alert("ModelyardErrorBudgetBurn", "critical", resolved=True)])
    resolved = receiver.wait(lambda: receiver.webhooks("pager", "resolved"), "resolve")
    assert names(resolved) == {"ModelyardErrorBudgetBurn"}
    receiver.wait(
        lambda: [b for b in receiver.at("pagerduty") if b["event_action"] == "resolve"], "PagerDuty resolve"
    )
