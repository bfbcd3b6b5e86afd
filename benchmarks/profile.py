"""Profiling benchmark: our upload profiler next to a pandas baseline, on the same CSV, same run.

    python benchmarks/profile.py [--rows 1000000] [--keep DIR]

Generates a 1M x 20 CSV (~215 MB: floats with gaps, integers incl. an id, categoricals of
cardinality 5 to 100,000, ISO datetimes, booleans, free text), then runs each profiler in a
subprocess of its own and reports wall time and peak RSS (from wait4) and the ratios.

"ours" is the process-pool job of `POST /datasets`: sniff, convert to the normalised Parquet
copy, profile (types, stats, quantiles, top values, duplicates, quality and PII findings).
It runs with the thread settings of the app's pool workers (BLAS/OpenMP pinned to cores /
workers, polars on every core), and once with everything on one thread. Both profilers are
timed after their libraries are imported: the app's pool workers are long-lived and import
once at start (`MODELYARD_WARM_WORKERS`), not per upload, so a per-run import (about 1 s for
ours, 0.8 s for pandas) is not part of profiling a file.

The baseline is a sensible pandas profile: `read_csv`, datetime detection by probing 1,000
values per text column (then converting with the found format), and per-column counts,
distinct counts, min/max/mean/std/quantiles, top values, duplicate rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ISO = "%Y-%m-%dT%H:%M:%S"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    words = np.array(
        [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "river",
            "stone",
            "quick",
            "brown",
            "lazy",
            "fox",
            "jumps",
            "over",
            "the",
            "data",
            "model",
            "value",
            "north",
            "south",
            "east",
            "west",
            "green",
            "blue",
            "red",
            "small",
            "large",
        ]
    )

    def gaps(values: np.ndarray, ratio: float) -> pl.Series:
        return pl.Series(np.where(rng.random(rows) < ratio, np.nan, values)).fill_nan(None)

    def text(n_words: int) -> pl.Series:
        series = pl.Series(words[rng.integers(0, len(words), rows)])
        for _ in range(n_words - 1):
            series = series + " " + pl.Series(words[rng.integers(0, len(words), rows)])
        return series

    def category(prefix: str, cardinality: int) -> pl.Series:
        return prefix + pl.Series(rng.integers(0, cardinality, rows)).cast(pl.String)

    def stamps() -> pl.Series:
        start = np.datetime64("2020-01-01T00:00:00")
        seconds = rng.integers(0, 4 * 365 * 86400, rows).astype("timedelta64[s]")
        return pl.Series((start + seconds).astype("datetime64[ms]")).dt.strftime(ISO)

    frame = pl.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "price": gaps(np.round(rng.lognormal(3, 1, rows), 2), 0.05),
            "score": gaps(np.round(rng.normal(50, 15, rows), 4), 0.10),
            "ratio": gaps(np.round(rng.random(rows), 5), 0.20),
            "weight": gaps(np.round(rng.gamma(2, 10, rows), 3), 0.02),
            "quantity": rng.integers(0, 1000, rows),
            "age": rng.integers(18, 90, rows),
            "visits": rng.poisson(3, rows),
            "region": category("region_", 5),
            "segment": category("seg_", 50),
            "product": category("prod_", 1000),
            "store": category("store_", 10_000),
            "customer": category("cust_", 100_000),
            "created_at": stamps(),
            "updated_at": stamps(),
            "active": rng.random(rows) < 0.7,
            "verified": rng.random(rows) < 0.2,
            "comment": text(8),
            "title": text(5),
            "discount": gaps(np.round(rng.random(rows) * 30, 1), 0.5),
        }
    )
    frame.write_csv(path)


def run_ours(path: Path) -> dict[str, object]:
    from modelyard.domain.datasets.profiling import analyse_upload
    from modelyard.tabular.limits import IngestLimits
    from modelyard.tabular.sniffing import SNIFF_BYTES, sniff

    limits = IngestLimits()
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    sniffed = sniff(head, complete=path.stat().st_size <= SNIFF_BYTES, limits=limits)
    with tempfile.TemporaryDirectory() as work:
        result = analyse_upload(str(path), sniffed, str(Path(work) / "table.parquet"), limits)
    profile = result["profile"]
    assert isinstance(profile, dict)
    return {"rows": profile["rows"], "findings": len(profile["findings"])}


def run_pandas(path: Path) -> dict[str, object]:
    import pandas as pd

    frame = pd.read_csv(path)
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            probe = series.dropna().head(1000)
            parsed = pd.to_datetime(probe, format="ISO8601", errors="coerce")
            if len(probe) and parsed.notna().mean() >= 0.95:
                series = pd.to_datetime(series, format=ISO, errors="coerce")
        stats: dict[str, object] = {
            "count": int(series.count()),
            "nulls": int(series.isna().sum()),
            "distinct": int(series.nunique()),
        }
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            stats.update(
                min=series.min(),
                max=series.max(),
                mean=series.mean(),
                std=series.std(),
                quantiles=series.quantile([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]).tolist(),
            )
        elif pd.api.types.is_datetime64_any_dtype(series):
            stats.update(min=series.min(), max=series.max())
        else:
            stats["top"] = series.value_counts().head(10).to_dict()
        columns[name] = stats
    return {"rows": len(frame), "duplicates": int(frame.duplicated().sum()), "columns": len(columns)}


def measure(which: str, path: Path, threads: dict[str, str] | None) -> tuple[float, float, float]:
    """Run one profiler in a fresh process with these thread settings in its environment;
    return (seconds, CPU seconds, peak RSS in MB)."""
    env = {**os.environ, **(threads or {})}
    process = subprocess.Popen(
        [sys.executable, __file__, "--run", which, str(path)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{which} failed with status {status}")
    result = json.loads(output.strip().splitlines()[-1])
    return float(result["seconds"]), float(result["cpu"]), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each profiler (fastest reported)")
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated CSV in this directory")
    parser.add_argument("--run", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:
        if args.run == "ours":
            import modelyard.domain.datasets.profiling  # noqa: F401
        else:
            import pandas  # noqa: F401
        start, cpu = time.perf_counter(), time.process_time()
        summary = run_ours(args.path) if args.run == "ours" else run_pandas(args.path)
        elapsed = {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}
        print(json.dumps({**elapsed, **summary}, default=str))
        return

    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"profile-{args.rows}.csv"
        if not path.exists():
            start = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {path.name} in {time.perf_counter() - start:.1f} s")
        size_mb = path.stat().st_size / 1024 / 1024
        from modelyard.lib.workers import default_worker_count, worker_thread_env

        pinned = max(1, (os.cpu_count() or 1) // default_worker_count())
        print(f"file: {args.rows:,} rows x 20 columns, {size_mb:.0f} MB; {os.cpu_count()} cores")
        single = dict.fromkeys(("POLARS_MAX_THREADS", *worker_thread_env(1)), "1")
        runs: list[tuple[str, str, dict[str, str] | None]] = [("pandas baseline", "pandas", None)]
        runs.append(("ours, as the app pool runs it", "ours", worker_thread_env(pinned)))
        runs.append(("ours, all on one thread", "ours", single))
        # Interleaved repeats; the fastest of each (the least disturbed by other load) and the
        # largest peak RSS of each (the most conservative) are reported.
        results: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _, _ in runs}
        for _ in range(args.repeat):
            for label, which, threads in runs:
                results[label].append(measure(which, path, threads))
        rows = [
            (label, *min(r[:2] for r in results[label]), max(r[2] for r in results[label]))
            for label, _, _ in runs
        ]
        baseline_s = rows[0][1]
        header = f"{'profiler':<32}{'time s':>9}{'CPU s':>8}{'peak RSS MB':>13}"
        print(f"{header}{'time ratio':>12}{'RSS / file':>12}")
        for label, seconds, cpu, peak in rows:
            print(
                f"{label:<32}{seconds:>9.2f}{cpu:>8.2f}{peak:>13.0f}{seconds / baseline_s:>12.2f}"
                f"{peak / size_mb:>12.2f}"
            )
        print(f"best of {args.repeat} runs each; targets: time ratio <= 0.50, RSS / file <= 2.00")


if __name__ == "__main__":
    main()
