"""Single-record online prediction over real HTTP: our endpoint vs a plain Pipeline endpoint.

    .venv/bin/python benchmarks/predict.py [--seconds 10] [--algorithm auto|lightgbm|...]

Both servers are uvicorn with one worker on loopback, loaded with wrk (Debian `wrk`) at
concurrency 1 and 8, in the same run:
- ours: `POST /api/v1/models/{id}/predictions` (bearer token, schema checks, compiled path);
- baseline: a minimal Litestar endpoint that calls the same fitted
  `Pipeline.predict_proba` on a 1-row pandas DataFrame.
Then a 10,000-row check set is scored through our API (10 requests of 1,000 records) and
compared with `Pipeline.predict_proba`: same labels, probabilities within 1e-9.
Target: >= 10x the baseline's throughput at concurrency 8, p99 <= 1/5 of its p99.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.services.processes import free_port, start_secantus, stop, wait_for_port  # noqa: E402
from tests.unit.training.data import mixed_frame  # noqa: E402

BASELINE_APP = """
import os
import pandas as pd
from litestar import Litestar, post
from modelyard.ml.artifacts import load_pipeline

PIPELINE = load_pipeline(open(os.environ["BENCH_ARTIFACT"], "rb").read())


@post("/predict", status_code=200)
async def predict(data: dict) -> dict:
    proba = PIPELINE.predict_proba(pd.DataFrame([data]))[0]
    return {str(c): float(p) for c, p in zip(PIPELINE.classes_, proba)}


app = Litestar([predict])
"""

LUA = """
wrk.method = "POST"
wrk.body = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
{auth}
"""


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}


def _wrk(
    url: str, body: str, token: str | None, concurrency: int, seconds: int, work: Path
) -> tuple[float, float]:
    script = work / f"post-{concurrency}-{int(time.time() * 1000)}.lua"
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script.write_text(LUA.format(body=body, auth=auth))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert match, out
    p99 = float(match.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[match.group(2)]
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return rps, p99


def _serve(app: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *app.split(),
            "--port",
            str(port),
            "--workers=1",
            "--no-access-log",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=env.get("BENCH_CWD", str(ROOT)),
    )
    wait_for_port(port, process, timeout=120)
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    # "auto": every family, the search's winner (the default AutoML model); or one family.
    parser.add_argument("--algorithm", default="auto")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    mongo, mongodb_url = start_secantus()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **os.environ,
            "MODELYARD_ENV": "test",
            "MODELYARD_MONGODB_URL": mongodb_url,
            "MODELYARD_STORAGE_URL": f"file://{work / 'objects'}",
            "MODELYARD_VAR_DIR": str(work / "var"),
            "MODELYARD_JWT_SECRET": "bench-secret-" + "b" * 40,
            "MODELYARD_RATE_LIMIT_PER_MINUTE": "0",
            "MODELYARD_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT / "backend"),
            # Both servers: one OpenMP/BLAS thread (single-row predictions gain nothing from more, and
            # on a shared 2-core machine more threads oversubscribe the cores).
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
        ours, base = _serve("modelyard.app:create_app --factory", env, work / "ours.log")
        processes.append(ours)
        http = httpx.Client(base_url=base, timeout=120)
        user = {"email": "bench@example.com", "password": "bench-password"}
        http.post("/api/v1/auth/register", json=user).raise_for_status()
        token = http.post(
            "/api/v1/auth/token", data={"username": user["email"], "password": user["password"]}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        frame = mixed_frame(3000, seed=1)
        upload = http.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("train.csv", frame.to_csv(index=False), "text/csv")},
        )
        upload.raise_for_status()
        job = http.post(
            "/api/v1/training-jobs",
            headers=headers,
            json={
                "dataset_id": upload.json()["id"],
                "target": "churn",
                "time_budget_s": 20,
                "algorithms": None if args.algorithm == "auto" else [args.algorithm],
            },
        )
        job.raise_for_status()
        while (state := http.get(job.headers["location"], headers=headers).json())["status"] not in (
            "succeeded",
            "failed",
        ):
            time.sleep(0.5)
        assert state["status"] == "succeeded", state
        model = http.get(f"/api/v1/models/{state['model_id']}", headers=headers).json()
        print(f"model {model['algorithm']} {model['params']} inference_path={model['inference_path']}")
        artifact = work / "objects" / "models" / model["id"] / "pipeline.skops"

        (work / "baseline_app.py").write_text(BASELINE_APP)
        baseline, baseline_url = _serve(
            "baseline_app:app",
            {**env, "BENCH_ARTIFACT": str(artifact), "BENCH_CWD": str(work)},
            work / "base.log",
        )
        processes.append(baseline)

        check = mixed_frame(10_000, seed=2).drop(columns=["churn"])
        records = [_record(r) for r in check.astype(object).to_dict("records")]
        one = json.dumps(records[0])
        url = f"{base}/api/v1/models/{model['id']}/predictions"
        body = json.dumps({"records": [records[0]]})
        assert http.post(url, headers=headers, content=body, timeout=30).status_code == 200
        assert httpx.post(f"{baseline_url}/predict", content=one, timeout=30).status_code == 200

        results: dict[tuple[str, int], tuple[float, float]] = {}
        for concurrency in (1, 8):
            _wrk(url, body, token.json()["access_token"], concurrency, 2, work)  # warm-up
            results[("ours", concurrency)] = _wrk(
                url, body, token.json()["access_token"], concurrency, args.seconds, work
            )
            _wrk(f"{baseline_url}/predict", one, None, concurrency, 2, work)
            results[("baseline", concurrency)] = _wrk(
                f"{baseline_url}/predict", one, None, concurrency, args.seconds, work
            )

        print(
            f"\n{'concurrency':>11} | {'baseline req/s':>14} {'p99 ms':>8} | "
            f"{'ours req/s':>10} {'p99 ms':>8} | {'throughput x':>12} {'p99 ratio':>9}"
        )
        for concurrency in (1, 8):
            b_rps, b_p99 = results[("baseline", concurrency)]
            o_rps, o_p99 = results[("ours", concurrency)]
            print(
                f"{concurrency:>11} | {b_rps:>14.1f} {b_p99:>8.2f} | {o_rps:>10.1f} {o_p99:>8.2f} | "
                f"{o_rps / b_rps:>12.1f} {o_p99 / b_p99:>9.3f}"
            )

        # 10,000-row check: our API against Pipeline.predict_proba directly.
        import pandas as pd

        from modelyard.ml.artifacts import load_pipeline

        pipeline = load_pipeline(artifact.read_bytes())
        expected = pipeline.predict_proba(pd.DataFrame(records))
        got_labels: list[Any] = []
        got = []
        for start in range(0, len(records), 1000):
            response = http.post(url, headers=headers, json={"records": records[start : start + 1000]})
            response.raise_for_status()
            for item in response.json()["predictions"]:
                got_labels.append(item["prediction"])
                got.append([item["probabilities"][str(c)] for c in pipeline.classes_])
        diff = float(np.max(np.abs(np.asarray(got) - expected)))
        same = got_labels == [
            str(c) if isinstance(c, str) else c for c in pipeline.classes_[expected.argmax(1)]
        ]
        print(f"\ncheck set: 10,000 rows, labels identical: {same}, max |probability difference|: {diff:.2e}")
        c8 = results[("ours", 8)][0] / results[("baseline", 8)][0]
        p99 = results[("ours", 8)][1] / results[("baseline", 8)][1]
        print(f"target: throughput x >= 10 at c=8 -> {c8:.1f}; p99 ratio <= 0.2 at c=8 -> {p99:.3f}")
    finally:
        for process in processes:
            stop(process)
        stop(mongo)


if __name__ == "__main__":
    main()
