"""The real Alertmanager (Debian `prometheus-alertmanager`) with the committed routing, delivering
to a local HTTP receiver: a firing alert arrives at its tier's receiver with its runbook and
dashboard links, the warning tier is inhibited by the critical one, resolves arrive, and the
watchdog reaches the heartbeat receiver.

Only the receivers' URLs (pointed at the local receiver) and the grouping timers (seconds, not
minutes) differ from `observability/alertmanager/alertmanager.yml`.
"""

from __future__ import annotations

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
CONFIG = ROOT / "observability" / "alertmanager" / "alertmanager.yml"
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

    def notifications(self, receiver: str, status: str) -> list[dict[str, Any]]:
        return [body for name, body in self.received if name == receiver and body["status"] == status]

    def wait_for(self, receiver: str, status: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not (found := self.notifications(receiver, status)):
            assert time.monotonic() < deadline, f"no {status} notification at {receiver}: {self.received}"
            time.sleep(0.2)
        return found[0]


def local_config(receiver_url: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = f"{receiver_url}/{receiver['name']}"
    for route in [config["route"], *config["route"].get("routes", [])]:
        # Seconds, not minutes; group_wait stays above 0 as in production, so the inhibitor has
        # seen the critical alert before the warning group is first flushed.
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


def test_alerts_reach_their_tier_with_links_inhibited_and_resolved(
    alertmanager: tuple[str, Receiver],
) -> None:
    base, receiver = alertmanager
    both_tiers = [alert("ModelyardErrorBudgetBurn", "critical"), alert("ModelyardErrorBudgetBurn", "warning")]
    post(
        base,
        [
            *both_tiers,
            alert("ModelyardTrainingBacklogGrowing", "warning"),
            alert("ModelyardWatchdog", "none"),
        ],
    )
    heartbeat = receiver.wait_for("heartbeat", "firing")  # the dead man's switch has its own route
    assert [a["labels"]["alertname"] for a in heartbeat["alerts"]] == ["ModelyardWatchdog"]

    page = receiver.wait_for("pager", "firing")
    (paged,) = page["alerts"]
    assert paged["labels"]["alertname"] == "ModelyardErrorBudgetBurn"
    annotations = paged["annotations"]
    assert (
        annotations["runbook_url"] == "https://modelyard.dev/docs/runbook/alerts/modelyard-error-budget-burn/"
    )
    assert (annotations["__dashboardUid__"], annotations["__panelId__"]) == ("modelyard-system", "3")

    # The warning tier of the same alert is inhibited; another warning goes to the ticket queue.
    ticket = receiver.wait_for("tickets", "firing")
    assert [a["labels"]["alertname"] for a in ticket["alerts"]] == ["ModelyardTrainingBacklogGrowing"]
    time.sleep(3)  # several group intervals: the inhibited warning must still not arrive
    ticketed = {
        a["labels"]["alertname"]
        for body in receiver.notifications("tickets", "firing")
        for a in body["alerts"]
    }
    assert ticketed == {"ModelyardTrainingBacklogGrowing"}

    post(base, [alert("ModelyardErrorBudgetBurn", "critical", resolved=True)])
    resolved = receiver.wait_for("pager", "resolved")
    assert [a["labels"]["alertname"] for a in resolved["alerts"]] == ["ModelyardErrorBudgetBurn"]
