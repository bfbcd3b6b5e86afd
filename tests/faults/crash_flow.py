"""SIGKILL the real server while work is at every step of upload, training, batch scoring and analysis,
then start it again on the same data. What a user and an operator then see:

- every job final (succeeded) soon after the restart, and each retried job with one outcome: one
  model per training job, one result per batch job, one analysis; nothing counted twice;
- no half-stored dataset, no orphaned object, `.part` file or unfinished S3 multipart upload, no
  temporary file or scratch directory of the killed process;
- prediction counts: a SIGKILL loses at most the last flush interval, a SIGTERM nothing.

One server is killed with everything caught at once (park points, `tests.services.parked_server`,
and a half-sent upload), so a run costs three server starts, not one per step. Each storage backend
has its test module (test_crashes_*.py): the runs take minutes, on different xdist workers.
"""

from __future__ import annotations

import io
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.crash_site import FLUSH_S, Site, login, send_half_an_upload, wait_final
from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import RunningServer

RECORD = {"age": 41.5, "city": "paris", "member": "true", "signup": "2021-03-04"}
BATCH_ROWS = 150
JOBS_FINAL_WITHIN_S = 60.0
"""After a restart, interrupted jobs are requeued at once (their process is known dead): they only
need to run again. The bound leaves room for a loaded test machine."""
COUNT_SLACK_S = 1.0
"""Beyond the flush interval, what a kill may also take: the flush being written at that moment, and
how late a loaded machine runs it (the documented bound is one interval plus one flush's write)."""

Crash = dict[str, Any]
"""What the first server left when it was killed: job URLs, ids, prediction times."""


def crash_and_restart(site: Site) -> None:
    """The whole flow: kill with work at every step, restart and check, SIGTERM, restart and count."""
    crash = catch_work_at_every_step_and_kill(site)
    with site.server() as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        headers = login(http, crash["email"], register=False)
        ready = time.monotonic()
        jobs = wait_final(http, crash["jobs"], headers, timeout=JOBS_FINAL_WITHIN_S)
        print(f"[{site.backend}] every job final {time.monotonic() - ready:.1f} s after the restart")
        assert [job["status"] for job in jobs] == ["succeeded"] * len(jobs), jobs
        check_one_outcome_per_job(http, headers, crash, jobs)
        check_nothing_left_behind(site, server, crash, jobs)
        # SIGTERM (a graceful stop) keeps every count: predictions from a model nobody used yet.
        model = jobs[1]["model_id"]
        for _ in range(7):
            assert predict(http, headers, model).status_code == 200
    with site.server() as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        headers = login(http, crash["email"], register=False)
        assert prediction_count(http, headers, model) == 7
        check_counts_after_the_kill(http, headers, crash)


def catch_work_at_every_step_and_kill(site: Site) -> Crash:
    """Start jobs and uploads, each caught at another step, predict until the end, then SIGKILL."""
    crash: Crash = {"email": f"crash-{site.backend}@example.com"}
    with (
        site.server(parked=True) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
        ThreadPoolExecutor(3) as blocked,
    ):
        headers = login(http, crash["email"], register=True)
        crash["dataset"] = upload(http, headers, to_csv(churn_frame(200))).json()["id"]
        trained = train(http, headers, crash["dataset"])
        crash["model"] = wait_for_job_sync(http, trained, headers, timeout=120)["model_id"]

        jobs = {}
        for step, start in (
            ("training-searching", lambda: train(http, headers, crash["dataset"])),
            ("training-done", lambda: train(http, headers, crash["dataset"])),
            ("batch-scoring", lambda: score(http, headers, crash["model"])),
            ("batch-done", lambda: score(http, headers, crash["model"])),
            ("analysis-done", lambda: analyse(http, headers, crash["dataset"])),
        ):
            site.arm(step)
            jobs[step] = start()
            site.wait_parked(step, server)
        crash["jobs"] = list(jobs.values())
        crash["recorded_model"] = only_new_model(http, headers, crash["model"])  # of training-done

        in_flight: list[Future[httpx.Response]] = []
        for step, path, rows in (
            ("upload-profiled", "/api/v1/datasets", 300),
            ("upload-storing", "/api/v1/datasets", 180_000),  # ~7 MB: more than one S3 part
            ("batch-input-storing", f"/api/v1/models/{crash['model']}/batch-predictions", BATCH_ROWS),
        ):
            site.arm(step)
            sent = blocked.submit(upload_elsewhere, server.base_url, path, headers, churn_rows(rows))
            in_flight.append(sent)
            site.wait_parked(step, server)
        complete = set(site.scratch_of(server.process.pid).glob("upload-*"))
        half_sent = send_half_an_upload(server.base_url, headers, churn_rows(60_000))
        wait_for_upload_file(site, server, besides=complete)

        check_leftovers_exist(site, server)
        crash["predicted_at"] = predict_for(http, headers, crash["model"], seconds=4 * FLUSH_S)
        crash["killed_at"] = time.monotonic()
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        half_sent.close()
        for request in in_flight:
            assert isinstance(request.exception(timeout=30), httpx.HTTPError)  # never answered
    return crash


def check_leftovers_exist(site: Site, server: RunningServer) -> None:
    """Before the kill: what it would leave is really there (so its absence later means something)."""
    scratch = site.scratch_of(server.process.pid)
    names = [path.name for path in scratch.rglob("*")]
    found = {"upload-": 4, "dataset-": 2, "training-": 1, "batch-": 2, "batch-input-": 1}  # batch- holds both
    for prefix, count in found.items():
        assert sum(name.startswith(prefix) for name in names) == count, (prefix, names)
    # The dataset original being stored; the batch input too on the file store (S3 has not started
    # that one: it sends objects smaller than a part in one request, at their end).
    being_stored = [key.split("/")[0] for key in site.unfinished_uploads()]
    assert being_stored == (["datasets"] if site.backend == "s3" else ["batch-predictions", "datasets"])


def check_one_outcome_per_job(
    http: httpx.Client, headers: dict[str, str], crash: Crash, jobs: list[Any]
) -> None:
    searching, done, batch_scoring, batch_done, analysis = jobs
    assert done["model_id"] == crash["recorded_model"], done  # the model recorded before the kill
    models = http.get("/api/v1/models", headers=headers, params={"limit": 100}).json()["items"]
    assert sorted(m["id"] for m in models) == sorted(
        [crash["model"], searching["model_id"], done["model_id"]]
    )
    for batch in (batch_scoring, batch_done):
        assert batch["rows_scored"] == BATCH_ROWS, batch
        result = http.get(batch["result_url"], headers=headers)
        assert result.status_code == 200 and result.text.count("\n") == BATCH_ROWS + 1, result.text[:200]
    batches = http.get(f"/api/v1/models/{crash['model']}/batch-predictions", headers=headers).json()["items"]
    # Not the one whose input was being stored: it never was.
    assert sorted(b["id"] for b in batches) == sorted([batch_scoring["id"], batch_done["id"]])
    analyses = http.get(f"/api/v1/datasets/{crash['dataset']}/analyses", headers=headers).json()["items"]
    assert [a["id"] for a in analyses] == [analysis["id"]]
    datasets = http.get("/api/v1/datasets", headers=headers).json()["items"]
    assert [d["id"] for d in datasets] == [crash["dataset"]]  # no half-stored upload


def check_nothing_left_behind(site: Site, server: RunningServer, crash: Crash, jobs: list[Any]) -> None:
    searching, done, batch_scoring, batch_done, _ = jobs
    expected = sorted(
        [f"datasets/{crash['dataset']}/{name}" for name in ("original", "table.parquet")]
        + [
            f"models/{model}/pipeline.skops"
            for model in (crash["model"], searching["model_id"], done["model_id"])
        ]
        + [
            f"batch-predictions/{job['id']}/{name}"
            for job in (batch_scoring, batch_done)
            for name in ("input.parquet", "result.csv")
        ]
    )
    deadline = time.monotonic() + 30  # the sweep of the abandoned upload runs in the background
    while (site.stored_objects(), site.unfinished_uploads()) != (expected, []):
        assert time.monotonic() < deadline, (site.stored_objects(), site.unfinished_uploads())
        time.sleep(0.2)
    # Only the running server's scratch directory, and nothing in it now that every job is over;
    # nothing ever went to the system's temporary directory.
    assert [d.name for d in site.scratch.iterdir()] == [site.scratch_of(server.process.pid).name]
    assert site.scratch_files() == []
    assert list(site.system_tmp.rglob("*")) == []


def check_counts_after_the_kill(http: httpx.Client, headers: dict[str, str], crash: Crash) -> None:
    """The model's count: the batches once each, and the online predictions but those of (at most)
    the last flush interval before the SIGKILL."""
    made = crash["predicted_at"]
    surely_flushed = [t for t in made if t <= crash["killed_at"] - FLUSH_S - COUNT_SLACK_S]
    count = prediction_count(http, headers, crash["model"])
    assert 2 * BATCH_ROWS + len(surely_flushed) <= count <= 2 * BATCH_ROWS + len(made), (
        count,
        len(surely_flushed),
        len(made),
    )
    trained = models_trained(http)
    assert trained == 3, trained  # the first model, and one per interrupted training job: none twice


# -- calls --------------------------------------------------------------------------------------------


def upload(http: httpx.Client, headers: dict[str, str], data: bytes) -> httpx.Response:
    response = http.post(
        "/api/v1/datasets", headers=headers, files={"file": ("d.csv", io.BytesIO(data), "text/csv")}
    )
    assert response.status_code == 201, response.text
    return response


def upload_elsewhere(base_url: str, path: str, headers: dict[str, str], data: bytes) -> httpx.Response:
    """An upload from another thread (it stays parked until the server is killed)."""
    with httpx.Client(base_url=base_url, timeout=120) as http:
        return http.post(path, headers=headers, files={"file": ("rows.csv", data, "text/csv")})


def train(http: httpx.Client, headers: dict[str, str], dataset: str) -> str:
    body = {"dataset_id": dataset, "target": "target", "time_budget_s": 1, "algorithms": ["linear"]}
    response = http.post("/api/v1/training-jobs", headers=headers, json=body)
    assert response.status_code == 202, response.text
    return str(response.headers["location"])


def score(http: httpx.Client, headers: dict[str, str], model: str) -> str:
    data = to_csv(churn_frame(BATCH_ROWS, seed=1))
    response = http.post(
        f"/api/v1/models/{model}/batch-predictions",
        headers=headers,
        files={"file": ("rows.csv", data, "text/csv")},
    )
    assert response.status_code == 202, response.text
    return str(response.headers["location"])


def analyse(http: httpx.Client, headers: dict[str, str], dataset: str) -> str:
    response = http.post(f"/api/v1/datasets/{dataset}/analyses", headers=headers, json={})
    assert response.status_code == 202, response.text
    return str(response.headers["location"])


def predict(http: httpx.Client, headers: dict[str, str], model: str) -> httpx.Response:
    return http.post(f"/api/v1/models/{model}/predictions", headers=headers, json={"records": [RECORD]})


def predict_for(http: httpx.Client, headers: dict[str, str], model: str, seconds: float) -> list[float]:
    """One-record predictions for `seconds`; when each was answered (monotonic clock)."""
    answered = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        response = predict(http, headers, model)
        assert response.status_code == 200, response.text
        answered.append(time.monotonic())
    return answered


def prediction_count(http: httpx.Client, headers: dict[str, str], model: str) -> int:
    response = http.get(f"/api/v1/models/{model}", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["prediction_count"])


def models_trained(http: httpx.Client) -> float:
    text = http.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "modelyard_models_trained_total"
    )


def only_new_model(http: httpx.Client, headers: dict[str, str], known: str) -> str:
    models = http.get("/api/v1/models", headers=headers, params={"limit": 100}).json()["items"]
    new = [m["id"] for m in models if m["id"] != known]
    assert len(new) == 1, models
    return str(new[0])


def churn_rows(rows: int) -> bytes:
    return to_csv(churn_frame(rows, seed=2))


def wait_for_upload_file(
    site: Site, server: RunningServer, besides: set[Path], timeout: float = 30.0
) -> None:
    """Until the half-sent upload (a temporary file not in `besides`) has bytes on disk (1 MB steps)."""
    deadline = time.monotonic() + timeout
    scratch = site.scratch_of(server.process.pid)
    while not [p for p in set(scratch.glob("upload-*")) - besides if p.stat().st_size >= 1024 * 1024]:
        assert time.monotonic() < deadline, list(scratch.rglob("*"))
        time.sleep(0.05)
