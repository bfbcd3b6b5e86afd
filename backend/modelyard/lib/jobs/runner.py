"""The one job runner for long work: training, batch prediction, analysis.

A job is a MongoDB document (a subclass of `JobDocument`, one collection per kind).
An area registers its document class and an async handler with the `JobRunner`;
the runner of every server process claims queued jobs atomically
(`find_one_and_update`, so two processes never run the same job), keeps a lease
alive with heartbeats while the handler runs, and records the outcome.

CPU work leaves the event loop through `JobContext.run_in_process`: the function runs in the
process pool with a `JobControl`, a picklable handle on a per-job directory where the worker
writes progress (and live fields such as a leaderboard) and looks for a cancel flag file; the
runner copies progress into MongoDB and drops the flag file when a user cancels. Files, not
multiprocessing managers: no extra process, nothing to leak, and they survive a worker crash.

A job left `running` by a dead process (lease run out, or pid gone: `lib.processes`) is requeued,
or failed once it used `max_attempts`. Job directories live in the process's scratch (`lib.scratch`).

Outages (see `outages`): a job that meets an unreachable database or object store is requeued
with a delay, never failed; an outcome that cannot be written is retried until it is; a runner
that cannot renew a job's lease for a whole lease period stops the job's work and gives it
back, since another process may already have taken it over.

A handler that raises `RetryLaterError` (a webhook receiver that failed) has its job requeued
to run after the delay it names, without charging an attempt.

For the metrics, `on_finished(kind, status)` is called once per job this process brought to a
final status, and `queue_stats()` reads each registered kind's queue (`queues`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from pymongo import ASCENDING, ReturnDocument

from modelyard.lib.background import stop_task
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import AppError
from modelyard.lib.jobs.context import JobContext
from modelyard.lib.jobs.control import JobCancelledError, RetryLaterError, read_progress
from modelyard.lib.jobs.documents import BUMP, JobDocument, problem_dict
from modelyard.lib.jobs.leases import holder_is_dead, new_worker_id
from modelyard.lib.jobs.outages import OutageLog, give_back, outage_of, write_until_done
from modelyard.lib.jobs.queues import QueueStats, job_kind, queue_stats
from modelyard.lib.schema import FINAL_STATUSES
from modelyard.lib.scratch import process_scratch

log = structlog.get_logger("modelyard.jobs")

JobHandler = Callable[[Any, JobContext], Awaitable[dict[str, Any] | None]]
"""Runs one job; returns extra fields to store with `succeeded` (or None)."""

FinishedHook = Callable[[str, str], None]
"""Called with (kind, final status) when this runner has recorded a job's outcome."""


@dataclass
class _Registration:
    document: type[JobDocument]
    handler: JobHandler

    @property
    def kind(self) -> str:
        return job_kind(self.document)


class JobRunner:
    """Claims and runs the registered kinds of jobs in this server process."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        *,
        concurrency: int = 1,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.5,
        max_attempts: int = 3,
        scratch_root: Path,
        on_finished: FinishedHook | None = None,
    ) -> None:
        self.pool = pool
        self.on_finished = on_finished
        self.concurrency = max(1, concurrency)
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.worker_id = new_worker_id()
        self._registrations: dict[str, _Registration] = {}
        self._work_root = Path(tempfile.mkdtemp(prefix="modelyard-jobs-", dir=process_scratch(scratch_root)))
        self._wake = asyncio.Event()
        self._active: dict[str, asyncio.Task[None]] = {}
        self._directories: dict[str, Path] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_kind = 0
        self._sweep_now = False
        self._outages = OutageLog()
        self._lost: set[str] = set()
        """Jobs whose lease this runner could not renew: their work is stopped and they go back."""

    def register(self, document: type[JobDocument], handler: JobHandler) -> None:
        self._registrations[document.get_collection_name()] = _Registration(document, handler)
        self._sweep_now = True  # recover this kind's interrupted jobs at the next iteration
        self._wake.set()

    @property
    def kinds(self) -> list[str]:
        """The registered kinds of jobs (`training`, `analysis`, ...)."""
        return [registration.kind for registration in self._registrations.values()]

    async def queue_stats(self) -> dict[str, QueueStats]:
        """Queued jobs of each registered kind and the age of the oldest, from MongoDB."""
        return await queue_stats(registration.document for registration in self._registrations.values())

    def _finished(self, registration: _Registration, status: str) -> None:
        if self.on_finished is not None and status in FINAL_STATUSES:
            try:
                self.on_finished(registration.kind, status)
            except Exception:  # a metric must never break the runner
                log.exception("job outcome hook failed")

    def wake(self) -> None:
        """A job was queued here: look now rather than at the next poll."""
        self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.recover()
        self._loop_task = asyncio.create_task(self._loop(), name="job-runner")

    async def stop(self) -> None:
        """Stop claiming; interrupt running jobs and hand them back to the queue."""
        self._stopping = True
        self._wake.set()
        for directory in self._directories.values():
            with contextlib.suppress(OSError):
                (directory / "cancel").touch()
        if self._loop_task is not None:
            await stop_task(self._loop_task)
        await asyncio.gather(*(stop_task(task) for task in list(self._active.values())))
        shutil.rmtree(self._work_root, ignore_errors=True)

    # -- recovery ----------------------------------------------------------------------------

    async def recover(self) -> int:
        """Requeue (or fail, after max_attempts) jobs left running by dead processes."""
        now = utcnow()
        recovered = 0
        for registration in self._registrations.values():
            collection = registration.document.get_pymongo_collection()
            async for raw in collection.find({"status": "running"}):
                claimed_by = raw.get("claimed_by")
                if str(raw["_id"]) in self._active or not holder_is_dead(
                    claimed_by, raw.get("lease_expires_at"), now, self.worker_id
                ):
                    continue
                guard = {"_id": raw["_id"], "status": "running", "claimed_by": claimed_by}
                attempts = int(raw.get("attempts", 0))
                update: dict[str, Any]
                if raw.get("cancel_requested"):
                    update = {"status": "cancelled", "finished_at": now, "message": "Cancelled."}
                elif attempts - int(raw.get("outage_retries", 0)) >= self.max_attempts:
                    update = {
                        "status": "failed",
                        "finished_at": now,
                        "message": "Failed.",
                        "error": problem_dict(
                            "internal-error",
                            f"The job was interrupted {attempts} times (the server running it stopped) "
                            "and was not retried again.",
                        ),
                    }
                else:
                    update = {"status": "queued", "progress": 0.0, "message": "Requeued after a restart."}
                update.update({"claimed_by": None, "lease_expires_at": None})
                result = await collection.update_one(guard, {"$set": update, "$inc": BUMP})
                if result.modified_count:
                    recovered += 1
                    self._finished(registration, update["status"])
                    log.warning(
                        "job recovered", job_id=str(raw["_id"]), status=update["status"], attempts=attempts
                    )
        return recovered

    # -- the loop ----------------------------------------------------------------------------

    async def _loop(self) -> None:
        last_sweep = asyncio.get_running_loop().time()
        sweep_every = max(self.poll_interval, self.lease.total_seconds() / 4)
        while not self._stopping:
            try:
                now = asyncio.get_running_loop().time()
                if self._sweep_now or now - last_sweep >= sweep_every:
                    last_sweep, self._sweep_now = now, False
                    await self.recover()
                while len(self._active) < self.concurrency and not self._stopping:
                    claimed = await self._claim()
                    if claimed is None:
                        break
                    registration, job = claimed
                    task = asyncio.create_task(self._run(registration, job), name=f"job-{job.id}")
                    self._active[str(job.id)] = task
                    task.add_done_callback(self._forget)
                self._outages.ok()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the runner alive whatever happens
                if not self._outages.failed("claim", exc):
                    log.exception("job runner iteration failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()

    def _forget(self, task: asyncio.Task[None]) -> None:
        for key, active in list(self._active.items()):
            if active is task:
                del self._active[key]

    async def _claim(self) -> tuple[_Registration, JobDocument] | None:
        registrations = list(self._registrations.values())
        for i in range(len(registrations)):
            registration = registrations[(self._next_kind + i) % len(registrations)]
            now = utcnow()
            raw = await registration.document.get_pymongo_collection().find_one_and_update(
                {"status": "queued", "$or": [{"not_before": None}, {"not_before": {"$lte": now}}]},
                {
                    "$set": {
                        "status": "running",
                        "claimed_by": self.worker_id,
                        "lease_expires_at": now + self.lease,
                        "heartbeat_at": now,
                        "started_at": now,
                        "message": "Started.",
                    },
                    "$inc": {"attempts": 1, **BUMP},
                },
                sort=[("created_at", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if raw is None:
                continue
            self._next_kind = (self._next_kind + i + 1) % len(registrations)
            job = await registration.document.get(raw["_id"])
            if job is None:  # deleted in between
                continue
            return registration, job
        return None

    async def _run(self, registration: _Registration, job: JobDocument) -> None:
        key = str(job.id)
        directory = self._work_root / key
        directory.mkdir(parents=True, exist_ok=True)
        self._directories[key] = directory
        context = JobContext(self, job, directory)
        collection = registration.document.get_pymongo_collection()
        guard = {"_id": job.id, "claimed_by": self.worker_id, "status": "running"}
        # The pump ends on `done`, not only on a cancel: a cancel that meets a completing database
        # call is lost (3.11's wait_for, inside pymongo), and a pump that outlived its job would
        # hold the job `running`, renewing its lease, for ever.
        done = asyncio.Event()
        pump = asyncio.create_task(self._pump(collection, guard, directory, key, done))
        try:
            update = await self._outcome(registration, job, context, collection, guard, done)
        finally:
            done.set()
            await stop_task(pump)
            self._directories.pop(key, None)
            self._lost.discard(key)
            shutil.rmtree(directory, ignore_errors=True)
        update["$set"].update({"claimed_by": None, "lease_expires_at": None})
        update["$inc"] = {**update.get("$inc", {}), **BUMP}
        if update["$set"]["status"] != "queued":
            update["$set"]["finished_at"] = utcnow()
        if await write_until_done(collection, guard, update, self._outages, key):
            self._finished(registration, update["$set"]["status"])
        else:
            log.warning(
                "job taken over before its outcome was recorded", job_id=key, outcome=update["$set"]["status"]
            )

    async def _outcome(
        self,
        registration: _Registration,
        job: JobDocument,
        context: JobContext,
        collection: Any,
        guard: dict[str, Any],
        done: asyncio.Event,
    ) -> dict[str, Any]:
        """Run the handler; return the update that records how the job ended (or hands it back)."""
        key = str(job.id)
        try:
            if job.cancel_requested:
                raise JobCancelledError
            fields = await registration.handler(job, context)
        except RetryLaterError as again:
            later = utcnow() + timedelta(seconds=again.delay_s)
            queued = {"status": "queued", "progress": 0.0, "message": again.message, "not_before": later}
            return {"$set": queued, "$inc": {"attempts": -1}}
        except JobCancelledError:
            if key in self._lost:
                return give_back(job.id, job.outage_retries, "database", "lost its lease")
            return {"$set": {"status": "cancelled", "message": "Cancelled."}}
        except asyncio.CancelledError:
            # This server is stopping: hand the job back without charging an attempt.
            done.set()  # no heartbeat may follow the hand-back
            handback = {"status": "queued", "claimed_by": None, "lease_expires_at": None}
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    collection.update_one(guard, {"$set": handback, "$inc": {"attempts": -1, **BUMP}})
                )
            raise
        except Exception as exc:
            dependency = outage_of(exc)
            if dependency is not None:  # not the job's fault: it runs again when the dependency is back
                self._outages.failed("job", exc)
                return give_back(job.id, job.outage_retries, dependency, f"{type(exc).__name__}")
            if isinstance(exc, AppError):
                error = problem_dict(exc.kind, exc.detail, exc.errors)
            else:
                log.exception("job failed", job_id=key, kind=registration.document.get_collection_name())
                error = problem_dict(
                    "internal-error", f"The job failed unexpectedly: {type(exc).__name__}: {exc}"
                )
            return {"$set": {"status": "failed", "message": "Failed.", "error": error}}
        return {"$set": {"status": "succeeded", "progress": 1.0, "message": "Done.", **(fields or {})}}

    async def _pump(
        self, collection: Any, guard: dict[str, Any], directory: Path, key: str, done: asyncio.Event
    ) -> None:
        """Heartbeat the lease, copy progress to the document, pass cancellation to the worker.

        A lease not renewed for a whole lease period may already belong to another runner:
        the work is stopped and the job handed back.
        """
        last: dict[str, Any] | None = None
        clock = asyncio.get_running_loop().time
        renewed = clock()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await done.wait()
            if done.is_set():
                return
            try:
                now = utcnow()
                update: dict[str, Any] = {"heartbeat_at": now, "lease_expires_at": now + self.lease}
                report = await asyncio.to_thread(read_progress, directory)
                if report is not None and report != last:
                    update["progress"] = report["progress"]
                    update.update(report.get("fields") or {})
                changes: dict[str, Any] = {"$set": update}
                if "progress" in update:  # something a client sees changed
                    changes["$inc"] = BUMP
                raw = await collection.find_one_and_update(guard, changes, projection={"cancel_requested": 1})
                last, renewed = report if "progress" in update else last, clock()
                self._outages.ok()
                if raw is None:  # no longer ours (deleted, or taken over): stop the work
                    self._lost.add(key)
                if raw is None or raw.get("cancel_requested"):
                    (directory / "cancel").touch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._outages.failed("heartbeat", exc):
                    log.exception("job heartbeat failed")
                if clock() - renewed >= self.lease.total_seconds() and key not in self._lost:
                    log.warning("job lease could not be renewed; giving the job up", job_id=key)
                    self._lost.add(key)
                    (directory / "cancel").touch()
