"""Run a docs page's curl and Python examples, in order, against a real server.

An example is a fenced block right after a `<!-- run: curl|python METHOD /path ... -->` line that
names the operations it calls. A page's examples of one language run as one script (bash with
`set -euo pipefail`, or one Python program), so later examples use the shell variables or Python
names of earlier ones. A page may start from a named setup, `<!-- examples-setup: account dataset -->`,
that the page's text describes: the setups below are what the quickstart's first steps do, so a
guide does not repeat them.

Setups define, for curl: `BASE`, `TOKEN`, `AUTH` (account), `DATASET_ID` (dataset: the bundled
`customers.csv` uploaded as `customers`), `JOB_ID` and `MODEL_ID` (model: a small training job);
for Python: `api` (an `httpx.Client` sending the token), `wait(path)` (polls a job until it is
finished), `dataset`, `job` and `model_id`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.services.docs_site import REPO

DOCS = REPO / "docs"
DOCS_BASE = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery staple"
EMAIL = "@@EMAIL@@"  # in a setup: the page's own account (one per page and language)
SAMPLE = DOCS / "examples" / "customers.csv"
MARKER = re.compile(
    r"^(?P<indent>[ \t]*)<!-- run: (?P<lang>curl|python) (?P<ops>[^>]*?) -->\n"
    r"(?P=indent)```\w*\n(?P<code>.*?)\n(?P=indent)```",
    re.M | re.S,
)
SETUP_MARKER = re.compile(r"^<!-- examples-setup: (?P<names>[\w ]+) -->$", re.M)
FENCE = re.compile(r"^[ \t]*```(?P<lang>\w*)\s*$", re.M)
LANGS = ("curl", "python")

# The columns of customers.csv that a model must not learn from: an id, an e-mail address and a
# column that restates the label (see the analysis guide's example).
NOT_FEATURES = '["customer_id", "email", "account_closed"]'

SETUPS: dict[str, dict[str, str]] = {
    "account": {
        "curl": f"""
            BASE={DOCS_BASE}
            curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/register" \\
              -H 'Content-Type: application/json' \\
              -d '{{"email": "@@EMAIL@@", "password": "{PASSWORD}"}}' > /dev/null
            TOKEN=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/token" \\
              -d username=@@EMAIL@@ -d 'password={PASSWORD}' | jq -r .access_token)
            AUTH="Authorization: Bearer $TOKEN"
        """,
        "python": f"""
            import time

            import httpx

            api = httpx.Client(base_url="{DOCS_BASE}", timeout=60)
            account = {{"email": "@@EMAIL@@", "password": "{PASSWORD}"}}
            api.post("/api/v1/auth/register", json=account).raise_for_status()
            token = api.post(
                "/api/v1/auth/token", data={{"username": account["email"], "password": account["password"]}}
            ).raise_for_status().json()["access_token"]
            api.headers["Authorization"] = f"Bearer {{token}}"

            def wait(path: str) -> dict:
                for _ in range(300):
                    job = api.get(path).raise_for_status().json()
                    if job["status"] in ("succeeded", "failed", "cancelled"):
                        return job
                    time.sleep(0.5)
                raise TimeoutError(path)
        """,
    },
    "dataset": {
        "curl": """
            DATASET_ID=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/datasets" -H "$AUTH" \\
              -F file=@customers.csv -F name=customers | jq -r .id)
        """,
        "python": """
            with open("customers.csv", "rb") as file:
                dataset = api.post(
                    "/api/v1/datasets", files={"file": file}, data={"name": "customers"}
                ).raise_for_status().json()
        """,
    },
    "model": {
        "curl": f"""
            JOB_ID=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/training-jobs" -H "$AUTH" \\
              -H 'Content-Type: application/json' -d '{{"dataset_id": "'"$DATASET_ID"'",
                "target": "churned", "time_budget_s": 2, "algorithms": ["linear"],
                "exclude_columns": {NOT_FEATURES}}}' | jq -r .id)
            for _ in $(seq 300); do
              JOB=$(curl -sS --fail-with-body "$BASE/api/v1/training-jobs/$JOB_ID" -H "$AUTH")
              case "$(echo "$JOB" | jq -r .status)" in succeeded) break;; failed|cancelled) exit 1;; esac
              sleep 0.5
            done
            MODEL_ID=$(echo "$JOB" | jq -r .model_id)
        """,
        "python": f"""
            job = api.post("/api/v1/training-jobs", json={{
                "dataset_id": dataset["id"], "target": "churned", "time_budget_s": 2,
                "algorithms": ["linear"], "exclude_columns": {NOT_FEATURES},
            }}).raise_for_status().json()
            job = wait(f"/api/v1/training-jobs/{{job['id']}}")
            assert job["status"] == "succeeded", job
            model_id = job["model_id"]
        """,
    },
}


@dataclass
class Example:
    lang: str
    operations: list[tuple[str, str]]
    code: str
    line: int


@dataclass
class DocPage:
    """A docs page (path relative to docs/) and its runnable examples."""

    name: str

    @property
    def text(self) -> str:
        return (DOCS / self.name).read_text(encoding="utf-8")

    def examples(self, lang: str | None = None) -> list[Example]:
        found = []
        for match in MARKER.finditer(self.text):
            if lang not in (None, match["lang"]):
                continue
            tokens = match["ops"].split()
            ops = [(tokens[i].lower(), tokens[i + 1]) for i in range(0, len(tokens), 2)]
            code = textwrap.dedent(match["code"])
            found.append(Example(match["lang"], ops, code, self.text[: match.start()].count("\n") + 1))
        return found

    def setups(self) -> list[str]:
        match = SETUP_MARKER.search(self.text)
        names = match["names"].split() if match else []
        unknown = [name for name in names if name not in SETUPS]
        assert not unknown, f"{self.name}: unknown examples-setup {unknown}; known: {sorted(SETUPS)}"
        return names

    def unmarked_code(self) -> list[int]:
        """Lines of bash, sh and python blocks that are not marked as runnable examples."""
        marked = {example.line + 1 for example in self.examples()}
        lines, inside = [], False
        for number, line in enumerate(self.text.splitlines(), start=1):
            fence = FENCE.match(line)
            if fence and inside:
                inside = bool(fence["lang"])
            elif fence:
                inside = True
                if fence["lang"] in ("bash", "sh", "python") and number not in marked:
                    lines.append(number)
        return lines


def template(path: str) -> str:
    """`/models/{model_id}` and `/models/{id}` are the same operation."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def unknown_operations(examples: list[Example], spec: dict[str, Any]) -> list[str]:
    """Operations that examples name but the server does not have."""
    paths = {template(path): item for path, item in spec["paths"].items()}
    return sorted(
        {
            f"{method.upper()} {path} (line {example.line})"
            for example in examples
            for method, path in example.operations
            if method not in paths.get(template(path), {})
        }
    )


def script(page: DocPage, lang: str, base_url: str, email: str) -> list[str]:
    """The command that runs the page's setup and examples of `lang`, in order."""
    steps = [(f"setup {name}", textwrap.dedent(SETUPS[name][lang])) for name in page.setups()]
    steps += [(f"example at {page.name}:{e.line}", e.code) for e in page.examples(lang)]
    if lang == "curl":
        for tool in ("curl", "jq"):
            assert shutil.which(tool), f"{tool} is needed to run the curl examples (.ci/run installs it)"
        body = "\n".join(f'echo "@@ {label}" >&2\n{code}' for label, code in steps)
        return ["bash", "-c", "set -euo pipefail\n" + body.replace(DOCS_BASE, base_url).replace(EMAIL, email)]
    body = "\n".join(f'print("@@ {label}", file=__import__("sys").stderr)\n{code}' for label, code in steps)
    return [sys.executable, "-c", body.replace(DOCS_BASE, base_url).replace(EMAIL, email)]


def run(
    page: DocPage, lang: str, base_url: str, workdir: Path, *, account: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the page's examples of `lang` in `workdir` (which gets a copy of customers.csv).

    The setup registers `<page>-<lang><account>@example.com`: one account per page and language
    on a server, unless `account` tells runs apart.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, workdir / SAMPLE.name)
    email = re.sub(r"[^a-z0-9]+", "-", f"{Path(page.name).stem}-{lang}{account}") + "@example.com"
    command = script(page, lang, base_url, email)
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
