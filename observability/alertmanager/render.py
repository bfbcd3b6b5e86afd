"""Write the Alertmanager configuration to run: the committed routing plus receivers from the environment.

    python observability/alertmanager/render.py [alertmanager.yml] > /etc/alertmanager/alertmanager.yml

Alertmanager does not expand environment variables, and its receivers need secrets (webhook
URLs, keys) that must not be committed. `alertmanager.yml` declares the routing tree, the
inhibition and the receivers by name only; this script adds each receiver's integrations
from whichever of these variables are set (none set: alerts are routed but delivered nowhere,
and a warning says so):

| variable | receiver(s) | integration |
| --- | --- | --- |
| `ALERTMANAGER_WEBHOOK_URL` | default, pager, tickets | generic webhook (any HTTP endpoint) |
| `ALERTMANAGER_SLACK_WEBHOOK_URL` (`ALERTMANAGER_SLACK_CHANNEL`) | tickets | Slack incoming webhook |
| `ALERTMANAGER_PAGERDUTY_ROUTING_KEY` (`ALERTMANAGER_PAGERDUTY_URL`) | pager | PagerDuty Events API v2 |
| `ALERTMANAGER_HEARTBEAT_URL` | heartbeat | webhook of a dead man's switch (ModelyardWatchdog) |

`GRAFANA_URL` (default `http://localhost:3000`) turns each alert's `__dashboardUid__` and
`__panelId__` annotations into a dashboard link in Slack and PagerDuty messages. Standard
library only, so it runs in any Python image before Alertmanager starts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).with_name("alertmanager.yml")

# Go templates, evaluated by Alertmanager for each notification.
DASHBOARD = (
    "{GRAFANA}/d/{{{{ .CommonAnnotations.__dashboardUid__ }}}}"
    "?viewPanel={{{{ .CommonAnnotations.__panelId__ }}}}"
)
SLACK_TITLE = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.job }})"
SLACK_TEXT = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
)


def _quoted(value: str) -> str:
    """A YAML scalar that is exactly `value` (JSON strings are valid YAML)."""
    return json.dumps(value)


def integrations(env: Mapping[str, str]) -> dict[str, list[str]]:
    """YAML lines to add under each receiver, from the environment."""
    grafana = env.get("GRAFANA_URL", "http://localhost:3000").rstrip("/")
    dashboard = DASHBOARD.format(GRAFANA=grafana)
    added: dict[str, list[str]] = {"default": [], "pager": [], "tickets": [], "heartbeat": []}
    if webhook := env.get("ALERTMANAGER_WEBHOOK_URL"):
        for receiver in ("default", "pager", "tickets"):
            added[receiver] += [
                "    webhook_configs:",
                f"      - url: {_quoted(webhook)}",
                "        send_resolved: true",
            ]
    if slack := env.get("ALERTMANAGER_SLACK_WEBHOOK_URL"):
        channel = env.get("ALERTMANAGER_SLACK_CHANNEL", "#modelyard-alerts")
        added["tickets"] += [
            "    slack_configs:",
            f"      - api_url: {_quoted(slack)}",
            f"        channel: {_quoted(channel)}",
            "        send_resolved: true",
            f"        title: {_quoted(SLACK_TITLE)}",
            f"        text: {_quoted(SLACK_TEXT + 'Dashboard: ' + dashboard)}",
        ]
    if routing_key := env.get("ALERTMANAGER_PAGERDUTY_ROUTING_KEY"):
        added["pager"] += [
            "    pagerduty_configs:",
            f"      - routing_key: {_quoted(routing_key)}",
            "        send_resolved: true",
            "        links:",
            '          - href: "{{ .CommonAnnotations.runbook_url }}"',
            "            text: Runbook",
            f"          - href: {_quoted(dashboard)}",
            "            text: Dashboard",
        ]
        if url := env.get("ALERTMANAGER_PAGERDUTY_URL"):
            added["pager"].append(f"        url: {_quoted(url)}")
    if heartbeat := env.get("ALERTMANAGER_HEARTBEAT_URL"):
        added["heartbeat"] += [
            "    webhook_configs:",
            f"      - url: {_quoted(heartbeat)}",
            "        send_resolved: false",
        ]
    return added


def render(config: str, env: Mapping[str, str]) -> str:
    """`config` with each `  - name: <receiver>` line followed by its integrations."""
    added = integrations(env)
    lines = []
    for line in config.splitlines():
        lines.append(line)
        name = line.removeprefix("  - name: ").strip() if line.startswith("  - name: ") else None
        if name in added:
            lines += added.pop(name)
    if added:
        raise SystemExit(f"receivers missing from the configuration: {', '.join(added)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CONFIG
    rendered = render(path.read_text(encoding="utf-8"), os.environ)
    if rendered == path.read_text(encoding="utf-8").rstrip("\n") + "\n":
        print("warning: no ALERTMANAGER_* receiver variable is set; alerts go nowhere", file=sys.stderr)
    sys.stdout.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
