"""The client generators as docs/client/generated.md tells an integrator to run them.

One definition of each command line: the tests run these, and check that the page shows them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.services.node_tools import node_tool
from tests.services.processes import VENV_BIN

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "client" / "generated.md"
DOCS_SPEC_URL = "http://127.0.0.1:8000/schema/openapi.json"
PACKAGE = "modelyard_api"
TYPES_FILE = "modelyard.d.ts"
JOURNEY_TS = Path(__file__).parent / "ts" / "journey.ts"


def python_generate_args(spec_url: str) -> list[str]:
    """`openapi-python-client ARGS`: the package alone (`--meta none`) into ./modelyard_api."""
    return ["generate", "--url", spec_url, "--meta", "none", "--output-path", PACKAGE]


def typescript_generate_args(spec: str) -> list[str]:
    # --default-non-nullable false: a request field with a default (TrainingJobCreate.cv_folds) stays
    # optional; openapi-typescript 7 otherwise makes it required in every schema under components/.
    return [spec, "--default-non-nullable", "false", "-o", TYPES_FILE]


def tsc_args(script: str) -> list[str]:
    return [
        *("--noEmit", "--strict", "--target", "es2022", "--module", "es2022"),
        *("--moduleResolution", "bundler", "--lib", "es2022,dom", script),
    ]


def documented_commands() -> list[str]:
    """The shell lines the page must show, as the tests run them (against the default server URL)."""
    return [
        f"openapi-python-client {' '.join(python_generate_args(DOCS_SPEC_URL))}",
        f"npx openapi-typescript {' '.join(typescript_generate_args(DOCS_SPEC_URL))}",
        f"npx tsc {' '.join(tsc_args('journey.ts'))}",
    ]


def page_block(language: str) -> str:
    """The one fenced `language` block of the page."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) == 1, f"{PAGE.name}: {len(blocks)} ```{language} blocks, expected one"
    return str(blocks[0])


def run(command: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # .venv/bin first on PATH, as in an activated venv: openapi-python-client's default post-hooks
    # format the generated package with ruff from there.
    path = f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
    full_env = {**os.environ, "PATH": path, "NO_UPDATE_NOTIFIER": "1", **env}
    command_line = [str(part) for part in command]
    return subprocess.run(command_line, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=180)


def generate_python_client(spec_url: str, root: Path) -> Path:
    """Generate the package into `root`; its directory. A generator warning (something left out) fails."""
    result = run([sys.executable, "-m", "openapi_python_client", *python_generate_args(spec_url)], cwd=root)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Warning(s) encountered" not in output, output
    return root / PACKAGE


def generate_typescript_types(spec: str | Path, out_dir: Path) -> None:
    """`modelyard.d.ts` from `spec` (a URL or a file) in `out_dir`, beside a copy of journey.ts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = run([node_tool("openapi-typescript"), *typescript_generate_args(str(spec))], cwd=out_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.copy(JOURNEY_TS, out_dir / JOURNEY_TS.name)


def type_check(out_dir: Path, script: str = JOURNEY_TS.name) -> subprocess.CompletedProcess[str]:
    return run([node_tool("tsc"), *tsc_args(script)], cwd=out_dir)
