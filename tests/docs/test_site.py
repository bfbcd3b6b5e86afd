"""The docs site: strict build, generated references complete, runbook links resolve, offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
import yaml

from modelyard.lib.errors import PROBLEM_KINDS
from modelyard.observability.definitions import LABEL_VALUES
from modelyard.tools import docsgen
from tests.services.docs_site import REPO, built_site

SITE_URL = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"]
RULE_FILES = sorted((REPO / "observability" / "prometheus").glob("**/*.yml")) + sorted(
    (REPO / "observability" / "prometheus").glob("**/*.yaml")
)


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        url = values.get("src") if tag in ("script", "img", "iframe") else None
        if tag == "link" and values.get("rel") in ("stylesheet", "preload", "modulepreload", "icon"):
            url = values.get("href")
        if (url and urlparse(url).scheme in ("http", "https")) or (url or "").startswith("//"):
            self.external.append(f"<{tag}> {url}")


def page(path: str) -> tuple[str, Ids]:
    html = (built_site() / path / "index.html").read_text(encoding="utf-8")
    parser = Ids()
    parser.feed(html)
    return html, parser


def alerts() -> list[dict[str, object]]:
    found = []
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            continue
        for group in data.get("groups", []) or []:
            for rule in group.get("rules", []) or []:
                if "alert" in rule:
                    found.append({**rule, "file": path.name})
    return found


def test_strict_build_succeeds() -> None:
    site = built_site()
    for path in ("index.html", "quickstart/index.html", "reference/index.html", "runbook/index.html"):
        assert (site / path).exists(), path


def test_spec_is_downloadable_as_json_and_yaml() -> None:
    site = built_site()
    spec = yaml.safe_load((site / "reference" / "openapi.yaml").read_text())
    assert (site / "reference" / "openapi.json").read_text() == (
        REPO / "docs/reference/openapi.json"
    ).read_text()
    assert spec["info"]["title"] == "Modelyard API"
    html, _ = page("reference")
    assert 'href="openapi.json"' in html and 'href="openapi.yaml"' in html


def test_configuration_reference_lists_every_setting() -> None:
    html, _ = page("operations/configuration")
    for _, _, fields in docsgen.configuration_settings():
        for var, _, field in fields:
            assert f"<code>{var}</code>" in html, var
            assert (field.description or "")[:30].replace("`", "") in re.sub(r"</?code>", "", html), var


def test_metrics_reference_lists_every_metric() -> None:
    specs = docsgen.metric_specs()
    html, ids = page("reference/metrics")
    for spec in specs:
        assert spec.name in ids.ids, f"metric {spec.name} has no section in the metrics reference"
        assert spec.kind in html
    rows = {
        (name, tuple(re.findall(r"<code>([^<]*)</code>", cells)))
        for name, cells in re.findall(r"<td><code>([a-z_]+)</code>[^<]*</td>\s*<td>(.*?)</td>", html, re.S)
    }
    for label, values in LABEL_VALUES.items():  # every bounded label's values are listed
        assert (label.partition(" ")[0], values) in rows, label


def test_errors_guide_explains_every_problem_type() -> None:
    _html, ids = page("guides/errors")
    for kind in PROBLEM_KINDS:
        assert kind in ids.ids, f"problem type {kind} has no section in docs/guides/errors.md"
    _, table = page("guides/problem-types")
    assert len(PROBLEM_KINDS) > 0 and table.ids


@pytest.mark.parametrize(
    "alert", alerts() or [pytest.param(None, marks=pytest.mark.skip("no alert rules yet"))]
)
def test_alert_runbook_url_resolves(alert: dict[str, object] | None) -> None:
    assert alert is not None
    name = alert["alert"]
    annotations = alert.get("annotations") or {}
    assert isinstance(annotations, dict)
    url = str(annotations.get("runbook_url", ""))
    assert url.startswith(SITE_URL), f"{name}: runbook_url {url!r} is not on the docs site {SITE_URL}"
    parsed = urlparse(url)
    relative = parsed.path.removeprefix(urlparse(SITE_URL).path).strip("/")
    target = built_site() / relative / "index.html"
    assert target.exists(), f"{name}: {url} has no page (expected docs/{relative}.md)"
    if parsed.fragment:
        _, ids = page(relative)
        assert parsed.fragment in ids.ids, f"{name}: {url} points to a missing anchor"
    html, _ = page(relative)
    for section in ("Impact", "First 5 minutes", "Diagnosis", "Mitigation", "Escalation"):
        assert section in html, f"{name}: runbook page lacks a '{section}' section"


def test_every_alert_page_belongs_to_an_alert() -> None:
    """A page for an alert that no longer exists misleads on-call; delete or rename it with the alert."""
    rules = alerts()
    if not rules:
        pytest.skip("no alert rules yet")
    urls = {str((a.get("annotations") or {}).get("runbook_url", "")).split("#")[0] for a in rules}  # type: ignore[union-attr]
    for path in (REPO / "docs" / "runbook" / "alerts").glob("*.md"):
        if path.name != "index.md":
            assert f"{SITE_URL}runbook/alerts/{path.stem}/" in urls, (
                f"{path.name} matches no alert's runbook_url"
            )


def test_pages_load_nothing_from_the_internet() -> None:
    offenders = []
    for html_file in built_site().rglob("*.html"):
        parser = Ids()
        parser.feed(html_file.read_text(encoding="utf-8"))
        offenders += [f"{html_file.relative_to(built_site())}: {e}" for e in parser.external]
    for css in built_site().rglob("*.css"):
        if re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text(encoding="utf-8", errors="replace")):
            offenders.append(f"{css.relative_to(built_site())}: @import from the internet")
    assert offenders == []


def test_runbook_queries_use_metrics_that_exist() -> None:
    """Every `modelyard_*` series a runbook query names is a defined metric or recording rule."""
    specs = docsgen.metric_specs()
    if not specs:
        pytest.skip("no metrics module yet")
    known = {spec.name for spec in specs}
    known |= {f"{spec.name}_{suffix}" for spec in specs for suffix in ("bucket", "sum", "count")}
    for path in RULE_FILES:
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []) or []:
            known |= {rule["record"] for rule in group.get("rules", []) or [] if "record" in rule}
    unknown = []
    for md in (REPO / "docs" / "runbook").rglob("*.md"):
        for block in re.findall(r"```promql\n(.*?)```", md.read_text(), re.S):
            for name in re.findall(r"[a-z_:]*modelyard_[a-z0-9_:]+", block):
                if name not in known:
                    unknown.append(f"{md.relative_to(REPO)}: {name}")
    assert unknown == []
