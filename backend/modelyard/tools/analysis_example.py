"""The docs' example analysis: the heuristic analyst run on the bundled sample dataset.

    python -m modelyard.tools.analysis_example            # print the analysis as JSON
    python -m modelyard.tools.analysis_example --write    # regenerate docs/examples/customers.csv too

It runs the same code as the service (ingestion, profiling, signals, heuristic analyst)
in-process, with no server, database or network. `tests/docs/test_analysis_example.py`
checks that the JSON in `docs/guides/analysis.md` is what this prints now.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import msgspec

from modelyard.domain.analysis import heuristic
from modelyard.domain.analysis.signals import signals_from_frame
from modelyard.domain.datasets.profiling import analyse_upload
from modelyard.domain.datasets.schemas import DatasetProfile
from modelyard.tabular.limits import IngestLimits
from modelyard.tabular.sniffing import sniff

SAMPLE = Path("docs/examples/customers.csv")
SAMPLE_ROWS = 400


def sample_csv(rows: int = SAMPLE_ROWS, seed: int = 7) -> str:
    """A small subscription-churn table with the usual problems: an id, an email, gaps, a leaky column."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not secrets
    regions = ["north", "south", "east", "west"]
    plans = [("basic", 9.0), ("standard", 19.0), ("premium", 39.0)]
    lines = [
        "customer_id,email,signup_date,region,plan,monthly_fee,tenure_months,support_tickets,account_closed,churned"
    ]
    for i in range(rows):
        plan, fee = plans[rng.choices([0, 1, 2], weights=[5, 3, 2])[0]]
        tenure = rng.randint(1, 72)
        tickets = min(12, int(rng.expovariate(0.6)))
        risk = 0.55 - tenure / 90 + tickets * 0.08 + (0.1 if plan == "basic" else 0.0)
        churned = rng.random() < max(0.02, min(0.9, risk))
        month = 1 + (i * 5) % 12
        day = 1 + (i * 11) % 28
        region = "" if rng.random() < 0.08 else rng.choice(regions)
        lines.append(
            f"{10_000 + i},customer{i}@example.com,20{18 + i % 6}-{month:02d}-{day:02d},{region},{plan},"
            f"{fee:.2f},{tenure},{tickets},{'yes' if churned else 'no'},{'yes' if churned else 'no'}"
        )
    return "\n".join(lines) + "\n"


def profile_file(path: Path) -> tuple[DatasetProfile, Path, tempfile.TemporaryDirectory[str]]:
    """Ingest and profile a file as an upload would be; returns the profile and the Parquet copy."""
    limits = IngestLimits()
    with path.open("rb") as handle:
        head = handle.read(256 * 1024)
    sniffed = sniff(head, complete=path.stat().st_size <= len(head), limits=limits)
    work = tempfile.TemporaryDirectory(prefix="modelyard-example-")
    table = Path(work.name) / "table.parquet"
    result = analyse_upload(str(path), sniffed, str(table), limits)
    return msgspec.convert(result["profile"], DatasetProfile), table, work


def example_analysis(path: Path = SAMPLE) -> str:
    """The heuristic analysis of `path`, as the indented JSON the docs show."""
    import polars as pl

    profile, table, work = profile_file(path)
    with work:
        targets = [c.column for c in heuristic.rank_targets(profile)[:2]]
        signals = signals_from_frame(pl.read_parquet(table), targets)
    result = heuristic.analyse_dataset(profile, signals)
    return msgspec.json.format(msgspec.json.encode(result), indent=2).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"regenerate {SAMPLE} first")
    parser.add_argument("--csv", type=Path, default=SAMPLE, help="the dataset to analyse")
    args = parser.parse_args(argv)
    if args.write:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        args.csv.write_text(sample_csv())
    sys.stdout.write(example_analysis(args.csv) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
