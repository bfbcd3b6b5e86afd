"""The examples of the client's docs pages run as printed, against a real server.

- `docs/client/python.md`: its Python example runs as one program.
- `docs/client/cli.md`: every `$ ...` line of its captured session runs through bash, the way a
  user types it, in order. Ids differ on each run: an id the page shows in a command's output
  stands, in later commands, for the id the real run printed at the same place. Each command
  must exit 0 and print the same first line (ids and numbers aside) as the page shows.

Both run in a scratch directory that holds `docs/` (a link), so the pages' relative paths work
and nothing is written into the checkout. The page's account is replaced by a fresh one.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.conftest import REPO
from tests.services.server import RunningServer

pytestmark = pytest.mark.e2e

PAGE_URL = "http://127.0.0.1:8000"
PAGE_EMAIL = "ada@example.com"
OBJECT_ID = re.compile(r"\b[0-9a-f]{24}\b")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
PYTHON_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.M | re.S)
SESSION_BLOCK = re.compile(r"^## A session\n.*?^```text\n(?P<session>.*?)^```", re.M | re.S)


def workdir(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "docs").symlink_to(REPO / "docs")
    return tmp_path


def session_steps(page: str) -> list[tuple[str, list[str]]]:
    """The page's session as (command, the output lines the page shows for it)."""
    found = SESSION_BLOCK.search(page)
    assert found, "docs/client/cli.md has no captured session under '## A session'"
    steps: list[tuple[str, list[str]]] = []
    for line in found["session"].splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before the first command: {line!r}"
            steps[-1][1].append(line)
    return steps


def shape(line: str) -> str:
    """A line with its ids and numbers blanked: what stays the same from run to run."""
    return NUMBER.sub("N", OBJECT_ID.sub("ID", line)).strip()


def test_python_client_page_runs(server: RunningServer, email: str, tmp_path: Path) -> None:
    page = (REPO / "docs" / "client" / "python.md").read_text()
    blocks = PYTHON_BLOCK.findall(page)
    assert blocks, "docs/client/python.md has no Python example"
    assert PAGE_URL in blocks[0] and PAGE_EMAIL in blocks[0]
    program = "\n".join(blocks).replace(PAGE_URL, server.base_url).replace(PAGE_EMAIL, email)
    cwd = workdir(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = result.stdout.splitlines()
    # The upload's progress callback printed (sent, total) and ended at the file's size.
    size = (REPO / "docs" / "examples" / "customers.csv").stat().st_size
    assert f"{size} {size}" in printed
    # The training job's changes came over its event stream: each carries the job's revision.
    changes = [line.split() for line in printed if re.fullmatch(r"(\d+|None) \w+ \d+% \d+", line)]
    assert changes and all(revision.isdigit() for revision, *_ in changes), printed
    assert changes[-1][1:3] == ["status", "100%"]
    # The owner's prediction (a class of the target and its probabilities), then the key's.
    label, _, probabilities = printed[-4].partition(" ")
    assert label in {"yes", "no"} and "yes" in probabilities and "no" in probabilities
    assert printed[-3] == "myk_" + printed[-3][4:12] + " ['predict']"
    assert printed[-2] in ("key yes", "key no")
    assert printed[-1] == "403 This API key lacks the `read` scope this operation needs."
    with (cwd / "scored.csv").open() as scored:
        rows = list(csv.DictReader(scored))
    assert len(rows) == 400 and {"prediction", "probability_yes"} <= set(rows[0])


def test_cli_page_session_runs(server: RunningServer, email: str, tmp_path: Path) -> None:
    steps = session_steps((REPO / "docs" / "client" / "cli.md").read_text())
    assert steps[0][0].startswith("modelyard login") and len(steps) >= 5, [c for c, _ in steps]
    cwd = workdir(tmp_path / "work")
    env = {
        **os.environ,
        "MODELYARD_URL": server.base_url,
        "XDG_CONFIG_HOME": (config := str(tmp_path / "config")),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
    }
    for name in ("MODELYARD_TOKEN", "MODELYARD_API_KEY"):
        env.pop(name, None)
    ids: dict[str, str] = {}  # an id the page shows -> the id this run printed in its place
    for command, shown in steps:
        line = OBJECT_ID.sub(lambda m: ids[m[0]], command.replace(PAGE_EMAIL, email))
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", line],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"$ {line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        # What differs from the page by design: the server's address, the account, the config dir.
        printed = [
            text.replace(server.base_url, PAGE_URL).replace(email, PAGE_EMAIL).replace(config, "/tmp/cfg")
            for text in _in_page_order(result, shown)
        ]
        assert printed and shape(printed[0]) == shape(shown[0]), (
            f"$ {line}: the page shows {shown[0]!r} first, the run printed {printed[:1]!r}"
        )
        page_ids = OBJECT_ID.findall("\n".join(shown))
        run_ids = OBJECT_ID.findall("\n".join(printed))
        assert len(run_ids) >= len(page_ids), f"$ {line}: ids {page_ids} shown, {run_ids} printed"
        ids.update(zip(page_ids, run_ids, strict=False))
    # The session's last step wrote the batch result where the page says.
    assert steps[-1][0].endswith("--output scored.csv")
    with (cwd / "scored.csv").open() as scored:
        assert sum(1 for _ in csv.DictReader(scored)) == 400


def _in_page_order(result: subprocess.CompletedProcess[str], shown: list[str]) -> list[str]:
    """The run's output lines in the order the page shows them: status lines (stderr) and data
    (stdout) interleave on a terminal; captured apart, the stream the page starts with comes first."""
    err, out = result.stderr.splitlines(), result.stdout.splitlines()
    starts_with_data = bool(out) and bool(shown) and shape(out[0]) == shape(shown[0])
    return out + err if starts_with_data else err + out
