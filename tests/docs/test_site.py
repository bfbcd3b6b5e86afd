"""The docs site: strict build, generated references complete, runbook links resolve, offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import markdown
import pytest
import yaml

from modelyard.lib.errors import PROBLEM_KINDS
from modelyard.observability.definitions import LABEL_VALUES
from modelyard.tools import api_reference, docsgen
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


class Links(HTMLParser):
    """Every local link of a page (`href`, `src`), and the links of its table of contents."""

    def __init__(self) -> None:
        super().__init__()
        self.local: list[str] = []
        self.toc: list[str] = []
        self._navs: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav":
            self._navs.append("md-nav--secondary" in (values.get("class") or ""))
        url = values.get("href") if tag in ("a", "link") else values.get("src")
        if url and not urlparse(url).scheme and not url.startswith("//"):
            self.local.append(url)
            if tag == "a" and any(self._navs):
                self.toc.append(url)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._navs:
            self._navs.pop()


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


# --- API reference ---------------------------------------------------------------------------


def spec_operations() -> list[tuple[str, str, str]]:
    """(first tag, operationId, "METHOD /path") of every operation in the committed spec."""
    spec = docsgen.load_spec()
    return [
        (op["tags"][0], op["operationId"], f"{method.upper()} {path}")
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    ]


def tag_page(tag: str) -> str:
    return "reference/api/" + re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def links(path: str) -> Links:
    parser = Links()
    parser.feed((built_site() / path / "index.html").read_text(encoding="utf-8"))
    return parser


def test_reference_has_one_page_per_tag_listed_on_its_index() -> None:
    tags = {t["name"] for t in docsgen.load_spec()["tags"]} | {tag for tag, _, _ in spec_operations()}
    index = links("reference")
    for tag in sorted(tags):
        assert (built_site() / tag_page(tag) / "index.html").exists(), f"no reference page for tag {tag}"
        assert tag_page(tag).removeprefix("reference/") + "/" in index.local, f"index lacks tag {tag}"
    assert len(list((built_site() / "reference" / "api").iterdir())) == len(tags)


def test_every_operation_is_on_exactly_one_reference_page() -> None:
    pages = {tag_page(tag) for tag, _, _ in spec_operations()}
    found: dict[str, list[str]] = {}
    for path in pages:
        html, ids = page(path)
        for _, operation_id, route in spec_operations():
            if operation_id in ids.ids:
                found.setdefault(operation_id, []).append(path)
                assert f"<code>{route}</code>" in html, f"{path}: {operation_id} does not show {route}"
    for tag, operation_id, _ in spec_operations():
        assert found.get(operation_id) == [tag_page(tag)], f"{operation_id} is on {found.get(operation_id)}"


def test_reference_pages_have_a_table_of_contents() -> None:
    """A tag page's table of contents is its operations; the schemas page's, its schemas.

    (Material shows the table of contents twice: in the sidebar and, for small screens, in the
    navigation; `toc_entries` reads each entry once.)
    """
    by_tag: dict[str, list[str]] = {}
    for tag, operation_id, _ in spec_operations():
        by_tag.setdefault(tag, []).append(f"#{operation_id}")
    for tag, expected in by_tag.items():
        assert sorted(toc_entries(tag_page(tag))) == sorted(expected), tag
    schemas = docsgen.load_spec()["components"]["schemas"]
    assert toc_entries("reference/schemas") == [f"#{name}" for name in sorted(schemas)]
    assert toc_entries("reference"), "the reference index has an empty table of contents"


def toc_entries(path: str) -> list[str]:
    return list(dict.fromkeys(links(path).toc))


@pytest.mark.parametrize("path", ["reference", "reference/schemas", "reference/swagger-ui"])
def test_reference_links_resolve(path: str) -> None:
    check_links(path)


def test_tag_page_links_resolve() -> None:
    for tag in sorted({tag for tag, _, _ in spec_operations()}):
        check_links(tag_page(tag))


def check_links(path: str) -> None:
    """Every local link and asset of the page exists, and every fragment is an id of its target."""
    base = f"https://site.invalid/{path}/"
    broken = []
    for url in set(links(path).local):
        target = urlparse(urljoin(base, url))
        file: Path = built_site() / target.path.removeprefix("/")
        file = file / "index.html" if target.path.endswith("/") else file
        if not file.exists():
            broken.append(url)
        elif target.fragment and file.suffix == ".html":
            ids = Ids()
            ids.feed(file.read_text(encoding="utf-8"))
            if target.fragment not in ids.ids:
                broken.append(url)
    assert broken == [], f"{path}: broken links {sorted(broken)}"


def test_descriptions_keep_angle_bracket_placeholders_visible() -> None:
    """`<name>` in a description is text, not an HTML tag the browser swallows; code spans stay code."""
    spec: dict[str, Any] = {
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "tags": ["things"],
                    "description": "Send `Authorization: Bearer <access_token>` as Bearer <access_token>.",
                    "responses": {"200": {"description": "Columns `probability_<class>` | <class>"}},
                }
            }
        },
        "components": {"schemas": {}},
    }
    pages = api_reference.reference_pages(spec)
    html = markdown.markdown(pages["reference/api/things.md"], extensions=["tables", "attr_list"])
    assert "<code>Authorization: Bearer &lt;access_token&gt;</code> as Bearer &lt;access_token&gt;." in html
    assert "<td>Columns <code>probability_&lt;class&gt;</code> | &lt;class&gt;</td>" in html
