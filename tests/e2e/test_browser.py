"""Headless Chromium renders the API docs pages and the docs site with no internet access.

Chromium may only reach 127.0.0.1 (host resolver maps every other name to nothing, and a
proxy that does not exist catches everything else), so a page that needs a CDN renders
blank and fails here. Skipped only outside CI when Chromium is absent.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.docs_site import built_site
from tests.services.processes import free_port
from tests.services.server import RunningServer, start_server

pytestmark = pytest.mark.e2e

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (CI installs it and fails instead)", allow_module_level=True)


def chromium(url: str, profile: Path, *, screenshot: Path | None = None, budget_ms: int = 15000) -> str:
    assert CHROMIUM, "chromium is required in CI: .ci/run installs the Debian package"
    profile.mkdir(parents=True, exist_ok=True)
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{free_port()}",
        "--proxy-bypass-list=127.0.0.1",
        f"--virtual-time-budget={budget_ms}",
        "--window-size=1280,1600",
    ]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    else:
        args.append("--dump-dom")
    result = subprocess.run([*args, url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    if screenshot is not None:
        assert screenshot.exists() and screenshot.stat().st_size > 5000, "empty screenshot"
    return result.stdout


@pytest.fixture(scope="module")
def server(mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with start_server(mongodb_url, tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def docs_site() -> Iterator[str]:
    """The built docs site on a local static server on a free port."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(built_site()))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_swagger_ui_renders_offline(server: RunningServer, tmp_path: Path) -> None:
    dom = chromium(server.base_url + "/docs", tmp_path / "profile")
    assert "Modelyard API" in dom
    assert "Register an account" in dom
    assert "registerUser" in dom or "/api/v1/auth/register" in dom


def test_redoc_renders_offline(server: RunningServer, tmp_path: Path) -> None:
    dom = chromium(server.base_url + "/docs/redoc", tmp_path / "profile")
    assert "Modelyard API" in dom
    assert "Register an account" in dom


@pytest.mark.parametrize(
    ("path", "title", "rendered"),
    [
        ("/", "Modelyard", "Where to go next"),
        ("/reference/", "API reference", "Operations by area"),
        ("/reference/api/auth/", "Auth", "Register an account"),
        ("/reference/swagger-ui/", "Swagger UI", "Get an access token"),
        ("/runbook/alerts/modelyard-down/", "ModelyardDown", "First 5 minutes"),
    ],
)
def test_docs_site_pages_render(docs_site: str, path: str, title: str, rendered: str, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    chromium(docs_site + path, tmp_path / "shot-profile", screenshot=shot)
    dom = chromium(docs_site + path, tmp_path / "dom-profile")
    assert "<h1" in dom and title in dom
    assert rendered in dom
    if path == "/":
        # Material swaps the Mermaid code block for a rendered diagram (in a shadow root) once the
        # locally served Mermaid ran; offline with a CDN script, the code block would stay.
        assert 'class="mermaid"></div>' in dom and "flowchart LR" not in dom
