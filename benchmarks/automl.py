"""Our AutoML against the HGB default, FLAML and AutoGluon: same splits, same budget, one thread.

    just bench-automl                       # creates .bench-venv (the peers), then runs this
    .venv/bin/python benchmarks/automl.py [--budgets 30 60] [--sets digits orders]
        [--methods ours hgb flaml autogluon] [--jobs 2] [--json results.json]

Methods, each in a process of its own (`automl_runner.py`) with one OpenMP/BLAS thread:
- `ours`: `run_automl` with `time_budget_s` = the budget, in the product's .venv;
- `hgb`: `HistGradientBoosting*(random_state=seed)`, default parameters (categories native,
  datetimes as days), the baseline of the relative scores; it has no budget, it runs once per set;
- `flaml`: FLAML `AutoML.fit(time_budget=budget, n_jobs=1)`, all its default learners;
- `autogluon`: AutoGluon `TabularPredictor.fit(time_limit=budget, presets="medium_quality",
  num_cpus=1)` without torch (its neural networks are skipped).
The peers run in `.bench-venv` (`--bench-python`), created by `just bench-automl`.

Each method first runs once on wine, unmeasured (a warm-up). Every set (`automl_data`) is
split once: 80/20, seed 0, stratified for classification, the split our AutoML makes
itself (it is given the whole table; the check "same split" compares its own test score
with ours computed here). Each method is scored on the same
test rows with the same metric: ROC AUC (binary), macro F1 (multiclass), RMSE (regression).

Relative score of a method on a set: its improvement over the HGB default, as a share of
the HGB default's metric, sign-adjusted so higher is better for every metric:
(m - hgb) / |hgb|, or (hgb - m) / |hgb| for RMSE. The mean over sets ranks the methods.

Targets (issue #17), printed as PASS/FAIL lines per budget: ours >= AutoGluon on the mean
relative score; ours never worse than the HGB default by more than 0.5% on any set; ours
never worse than FLAML on any set; budget honoured (our wall time <= budget + 10%).
The exit status is 1 when a method failed or a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from automl_data import DATASETS  # noqa: E402
from automl_report import Outcome, print_report  # noqa: E402
from modelyard.domain.training.automl import DEFAULT_METRIC, metric_value, target_array  # noqa: E402
from modelyard.ml.features import check_target  # noqa: E402

METHODS = ("ours", "hgb", "flaml", "autogluon")
PEERS = ("flaml", "autogluon")
RUNNER = Path(__file__).resolve().parent / "automl_runner.py"
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def prepare(name: str, work: Path, seed: int) -> dict[str, Any]:
    """Write the set's table, its split and its spec into `work`; returns the spec."""
    frame = DATASETS[name]()
    problem = check_target(frame, "y", None)
    frame = frame[frame["y"].notna()].reset_index(drop=True)
    classify = problem != "regression"
    y = target_array(frame["y"], classify)
    train_index, test_index = train_test_split(
        np.arange(len(frame)), test_size=0.2, random_state=seed, stratify=y if classify else None
    )
    work.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(work / "full.parquet")
    frame.iloc[train_index].reset_index(drop=True).to_parquet(work / "train.parquet")
    frame.iloc[test_index].reset_index(drop=True).to_parquet(work / "test.parquet")
    classes = np.unique(y[train_index]).tolist() if classify else []
    spec = {
        "set": name,
        "problem": problem,
        "metric": DEFAULT_METRIC[problem],
        "seed": seed,
        "classes": classes,
    }
    (work / "spec.json").write_text(json.dumps(spec))
    spec.update(rows=len(frame), y_test=y[test_index], classes_array=np.unique(y[train_index]))
    return spec


def run_method(method: str, work: Path, budget: float, python: str) -> tuple[dict[str, Any], str]:
    """Run one method in its own process; (its detail, or {} when it failed; stderr's tail)."""
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(ROOT / "backend")}
    command = [python, str(RUNNER), method, str(work), f"{budget:g}"]
    # In the work directory: the peers' learners leave files in the current one (CatBoost's catboost_*/).
    done = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=budget * 5 + 600
    )
    if done.returncode != 0:
        return {}, done.stderr[-2000:]
    return json.loads((work / f"{method}-{budget:g}.json").read_text()), ""


def score(spec: dict[str, Any], work: Path, method: str, budget: float) -> float:
    out = np.load(work / f"{method}-{budget:g}.npz")["out"]
    classes = spec["classes_array"]
    if spec["problem"] == "regression":
        return metric_value(spec["metric"], spec["y_test"], None, out, None)
    return metric_value(spec["metric"], spec["y_test"], out, classes[np.argmax(out, axis=1)], classes)


def warm_up(args: argparse.Namespace, root: Path) -> None:
    """Run each method once on wine, unmeasured: a first run in a fresh virtualenv loads its
    libraries from a cold disk cache (measured: FLAML's 3 s fit took 143 s the first time)."""
    prepare("wine", root / "warm-up", args.seed)
    for method in args.methods:
        python = args.bench_python if method in PEERS else sys.executable
        _, error = run_method(method, root / "warm-up", 2.0, python)
        if error:
            print(f"warm-up of {method} failed:\n{error}")


def run_all(args: argparse.Namespace, root: Path) -> list[Outcome]:
    warm_up(args, root)
    specs = {name: prepare(name, root / name, args.seed) for name in args.sets}
    tasks: list[tuple[str, str, float]] = []
    for name in args.sets:
        if "hgb" in args.methods:
            tasks.append((name, "hgb", 0.0))
        tasks += [(name, m, b) for b in args.budgets for m in args.methods if m != "hgb"]
    # Longest first, so the last minutes are not one process alone.
    tasks.sort(key=lambda task: -task[2])

    def one(task: tuple[str, str, float]) -> Outcome:
        name, method, budget = task
        python = args.bench_python if method in PEERS else sys.executable
        detail, error = run_method(method, root / name, budget, python)
        value = score(specs[name], root / name, method, budget) if detail else float("nan")
        print(f"  {name:<16} {method:<10} budget {budget:>4g} s: {value:.4f}" + (" FAILED" if error else ""))
        return Outcome(name, specs[name]["metric"], method, budget, value, detail, error)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        return list(pool.map(one, tasks))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[30.0, 60.0], help="seconds per method")
    parser.add_argument("--sets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--jobs", type=int, default=1, help="methods running at once (one thread each)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (and each method's seed)")
    parser.add_argument(
        "--bench-python", default=str(ROOT / ".bench-venv/bin/python"), help="the peers' python"
    )
    parser.add_argument("--json", type=Path, help="write every result to this file")
    args = parser.parse_args()
    args.bench_python = os.path.abspath(args.bench_python)  # not resolve(): a venv's python is a symlink
    if set(args.methods) & set(PEERS) and not Path(args.bench_python).exists():
        parser.error(f"{args.bench_python} does not exist: `just bench-automl` creates the peers' virtualenv")
    return args


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-automl-") as tmp:
        outcomes = run_all(args, Path(tmp))
    print(
        f"\n{len(args.sets)} sets; split 80/20, seed {args.seed}; one thread per method, {args.jobs} at once"
    )
    ok = print_report(outcomes, args.sets, args.methods, args.budgets)
    if args.json:
        records = [outcome.record() for outcome in outcomes]
        args.json.write_text(json.dumps(records, indent=2, default=float) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    sys.exit(main())
