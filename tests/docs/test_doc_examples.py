"""The curl and Python examples of the quickstart and of every guide run, in order, against a real server.

The runner is `tests.services.doc_examples`. All pages share one server; each page registers its
own account (one per language), so the pages do not see each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.services.doc_examples import LANGS, DocPage, run, unknown_operations
from tests.services.docs_site import REPO
from tests.services.server import RunningServer, start_server

pytestmark = pytest.mark.e2e

NO_EXAMPLES = {
    "guides/problem-types.md": "a table generated from the code of every problem type; the errors "
    "guide's examples show problems happening",
}


def guide_pages() -> list[str]:
    nav = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]
    guides = next(item["Guides"] for item in nav if isinstance(item, dict) and "Guides" in item)
    return [next(iter(entry.values())) for entry in guides]


PAGES = ["quickstart.md", *(name for name in guide_pages() if name not in NO_EXAMPLES)]


def operations(page: DocPage, lang: str) -> set[tuple[str, str]]:
    return {op for example in page.examples(lang) for op in example.operations}


def test_every_guide_has_curl_and_python_examples_of_the_same_operations() -> None:
    assert set(NO_EXAMPLES) <= set(guide_pages()), "NO_EXAMPLES names a page that is not a guide"
    for name in PAGES:
        page = DocPage(name)
        assert page.examples("curl") and page.examples("python"), f"{name} needs curl and Python examples"
        assert operations(page, "curl") == operations(page, "python"), (
            f"{name}: the curl and Python examples call different operations"
        )
        for example in page.examples():
            assert example.operations, f"{name}:{example.line} names no operation"
            assert all(path.startswith("/") for _, path in example.operations), f"{name}:{example.line}"
        if name.startswith("guides/"):
            assert page.unmarked_code() == [], f"{name}: code blocks that no test runs, at lines"
    quickstart = DocPage("quickstart.md")
    assert len(quickstart.examples("curl")) >= 5 and len(quickstart.examples("python")) >= 5


@pytest.fixture(scope="module")
def server(mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Every page's examples come from 127.0.0.1: the per-address rate limit is raised so that
    # the pages together (about 600 requests a minute with their polling) never meet it. The
    # webhooks guide's Python example runs its receiver on this machine.
    env = {"MODELYARD_RATE_LIMIT_PER_MINUTE": "6000", "MODELYARD_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32"}
    with start_server(mongodb_url, tmp_path_factory.mktemp("doc-examples"), extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def spec(server: RunningServer) -> dict[str, object]:
    served: dict[str, object] = httpx.get(server.base_url + "/schema/openapi.json").json()
    return served


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_examples_run(
    name: str, lang: str, server: RunningServer, spec: dict[str, object], tmp_path: Path
) -> None:
    page = DocPage(name)
    assert unknown_operations(page.examples(lang), spec) == [], "examples call operations the server lacks"
    result = run(page, lang, server.base_url, tmp_path)
    assert result.returncode == 0, (
        f"{name} {lang} examples failed (the last '@@' line is the failing step):\n{result.stderr[-3000:]}\n"
        f"stdout:\n{result.stdout[-2000:]}\nserver log:\n{server.log()[-2000:]}"
    )
