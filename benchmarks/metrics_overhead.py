"""Cost of the HTTP metrics middleware, and of a /metrics scrape over a populated database.

    .venv/bin/python benchmarks/metrics_overhead.py [--seconds 8] [--rounds 2]

1. Throughput of a cheap route served by uvicorn (one worker) with and without the
   metrics middleware, measured alternately in the same run with wrk (Debian `wrk`).
   Target: with / without >= 0.9.
2. `/metrics` latency with 10,000 datasets and 1,000 models in MongoDB (SecantusDB),
   plus how long the background refresh of those numbers takes. Target: scrape < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.services.processes import free_port, start_secantus, stop, wait_for_port  # noqa: E402

PING = "/docs/bench-ping"  # public (no token), counted by the metrics middleware


def _app(with_metrics: bool) -> Any:
    from litestar import get

    from modelyard.app import create_app
    from modelyard.observability.middleware import HTTPMetricsMiddleware

    @get(PING, include_in_schema=False, sync_to_thread=False)
    def ping() -> str:
        return "pong"

    app = create_app()
    app.register(ping)
    if not with_metrics:
        assert isinstance(app.asgi_handler, HTTPMetricsMiddleware)
        app.asgi_handler = app.asgi_handler.app
    return app


def app_with_metrics() -> Any:
    return _app(True)


def app_without_metrics() -> Any:
    return _app(False)


def serve(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"benchmarks.metrics_overhead:{factory}",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return process, base


def wrk(url: str, seconds: int) -> float:
    result = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    assert match, result.stdout
    return float(match.group(1))


def throughput(env: dict[str, str], seconds: int, rounds: int) -> None:
    results: dict[str, list[float]] = {"app_without_metrics": [], "app_with_metrics": []}
    for _ in range(rounds):
        for factory in results:
            process, base = serve(factory, env)
            try:
                assert httpx.get(base + PING).status_code == 200
                wrk(base + PING, 2)  # warm up
                results[factory].append(wrk(base + PING, seconds))
            finally:
                stop(process)
    without = statistics.median(results["app_without_metrics"])
    with_ = statistics.median(results["app_with_metrics"])
    print(f"cheap route GET {PING}, uvicorn 1 worker, wrk -t1 -c16, {rounds} x {seconds} s each, median:")
    print(f"  without metrics middleware: {without:8.0f} req/s   {results['app_without_metrics']}")
    print(f"  with metrics middleware:    {with_:8.0f} req/s   {results['app_with_metrics']}")
    print(f"  ratio with/without: {with_ / without:.3f}x (target >= 0.9x)")


def scrape_time(env: dict[str, str], mongodb_url: str, database: str) -> None:
    from pymongo import MongoClient

    with MongoClient(mongodb_url) as client:
        db = client[database]
        started = time.perf_counter()
        db["datasets"].insert_many([{"name": f"dataset-{i}", "rows": i} for i in range(10_000)])
        db["models"].insert_many(
            [
                {
                    "problem_type": ("binary", "multiclass", "regression")[i % 3],
                    "stage": "production" if i % 100 == 0 else ("none", "staging", "archived")[i % 3],
                    "test_metrics": {"roc_auc": 0.8 + (i % 10) / 100},
                }
                for i in range(1_000)
            ]
        )
        print(f"inserted 10,000 datasets and 1,000 models in {time.perf_counter() - started:.1f} s")
    process, base = serve("app_with_metrics", {**env, "MODELYARD_METRICS_REFRESH_SECONDS": "2"})
    try:
        with httpx.Client(base_url=base) as http:
            deadline = time.monotonic() + 120
            while "modelyard_datasets 10000.0" not in (text := http.get("/metrics").text):
                assert time.monotonic() < deadline, "the collectors never reported the datasets"
                time.sleep(0.5)
            refresh = re.search(r"modelyard_business_metrics_refresh_duration_seconds ([\d.e+-]+)", text)
            for _ in range(20):
                http.get(PING)
            timings = []
            for _ in range(200):
                started = time.perf_counter()
                response = http.get("/metrics")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            timings.sort()
    finally:
        stop(process)
    print(
        f"/metrics with 10,000 datasets and 1,000 models: median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, max {timings[-1]:.2f} ms over 200 scrapes "
        "(target < 100 ms)"
    )
    if refresh:
        print(f"  background refresh of the business metrics took {float(refresh.group(1)) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    mongo, mongodb_url = start_secantus()
    tmp = Path(tempfile.mkdtemp(prefix="modelyard-bench-"))
    database = "bench_metrics"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MODELYARD_ENV": "test",
        "MODELYARD_MONGODB_URL": mongodb_url,
        "MODELYARD_MONGODB_DATABASE": database,
        "MODELYARD_STORAGE_URL": f"file://{tmp / 'objects'}",
        "MODELYARD_VAR_DIR": str(tmp / "var"),
        "MODELYARD_JWT_SECRET": "bench-secret-" + "b" * 40,
        "MODELYARD_RATE_LIMIT_PER_MINUTE": "0",
        "MODELYARD_LOG_LEVEL": "WARNING",
    }
    try:
        throughput(env, args.seconds, args.rounds)
        scrape_time(env, mongodb_url, database)
    finally:
        stop(mongo)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
