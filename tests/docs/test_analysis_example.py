"""The analysis guide's example is real, current output of the heuristic analyst on the bundled sample."""

from __future__ import annotations

import re
from pathlib import Path

from modelyard.tools.analysis_example import SAMPLE, example_analysis, sample_csv

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs/guides/analysis.md"
BLOCK = re.compile(r"<!-- example-output:start -->\n```json\n(.*?)\n```\n<!-- example-output:end -->", re.S)


def test_bundled_sample_is_what_the_generator_writes() -> None:
    assert (ROOT / SAMPLE).read_text() == sample_csv()


def test_guide_shows_what_the_example_script_prints_now() -> None:
    match = BLOCK.search(PAGE.read_text())
    assert match, "docs/guides/analysis.md lost its example-output block"
    assert match.group(1) == example_analysis(ROOT / SAMPLE), (
        "The example in docs/guides/analysis.md is stale: regenerate it from "
        "`python -m modelyard.tools.analysis_example`."
    )
