"""`Client`: the synchronous Modelyard client.

client = Client("http://127.0.0.1:8000")
client.login("ada@example.com", "correct horse battery")
dataset = client.datasets.upload("customers.csv")
job = client.training.create(dataset.id, target="churned", time_budget_s=30)
model = client.models.get(job.wait().model_id)
client.models.predict(model.id, [{"age": 42, "plan": "pro"}])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import msgspec

from modelyard_client import _calls as calls
from modelyard_client import models as m
from modelyard_client._http import DEFAULT_BASE_URL, Call, RetryPolicy, SyncSender, auth_headers, decode
from modelyard_client._inputs import FileInput, Progress, Upload, chunks, to_records
from modelyard_client.jobs import Job

T = TypeVar("T")
P = TypeVar(
    "P", m.DatasetPage, m.ModelPage, m.TrainingJobPage, m.AnalysisPage, m.BatchPredictionJobPage, m.ApiKeyPage
)
ONLINE_LIMIT = 1000
EXPLAIN_LIMIT = 100
"""Most records one online prediction request takes (the API's limit)."""


class _Resource:
    def __init__(self, client: Client) -> None:
        self._c = client


def _pages(send: SyncSender, first: Call[P]) -> Iterator[Any]:
    call: Call[P] | None = first
    while call is not None:
        page = send(call)
        yield from page.items
        call = calls.next_page(call, page)


class Datasets(_Resource):
    def list(self, *, limit: int = 50, offset: int = 0, name: str | None = None) -> m.DatasetPage:
        return self._c._send(calls.list_datasets(limit, offset, name))

    def iter(self, *, name: str | None = None, page_size: int = 100) -> Iterator[m.Dataset]:
        """Every dataset, page by page."""
        return _pages(self._c._send, calls.list_datasets(page_size, 0, name))

    def get(self, dataset_id: str) -> m.Dataset:
        return self._c._send(calls.get_dataset(dataset_id))

    def update(
        self, dataset_id: str, *, name: str | None = None, description: str | None = None
    ) -> m.Dataset:
        update = m.DatasetUpdate()
        if name is not None:
            update.name = name
        if description is not None:
            update.description = description
        return self._c._send(calls.update_dataset(dataset_id, update))

    def delete(self, dataset_id: str) -> None:
        self._c._send(calls.delete_dataset(dataset_id))

    def profile(self, dataset_id: str) -> m.DatasetProfile:
        return self._c._send(calls.profile(dataset_id))

    def preview(self, dataset_id: str, *, offset: int = 0, limit: int = 20) -> m.PreviewPage:
        return self._c._send(calls.preview(dataset_id, offset, limit))

    def upload(
        self,
        file: FileInput,
        *,
        name: str | None = None,
        description: str | None = None,
        filename: str | None = None,
        progress: Progress | None = None,
    ) -> m.Dataset:
        """Upload a file (a path or a binary file object), streamed; `progress(sent, total)`."""
        upload = Upload(file, progress, filename)
        extra = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        try:
            return self._c._send(calls.upload_dataset(lambda: upload.files(extra)))
        finally:
            upload.close()

    def download(self, dataset_id: str, destination: str | Path | IO[bytes]) -> None:
        """Write the original uploaded bytes to a path or a binary file object."""
        self._c._download(calls.download_dataset(dataset_id), destination)

    def analyse(self, dataset_id: str, *, target: str | None = None) -> Job[m.Analysis]:
        """Start an analysis; `.wait()` on the handle for the result."""
        return self._c._job(self._c._send(calls.analyse_dataset(dataset_id, target)))


class Analyses(_Resource):
    def get(self, analysis_id: str) -> m.Analysis:
        return self._c._send(calls.get_analysis(analysis_id))

    def job(self, analysis_id: str) -> Job[m.Analysis]:
        return self._c._job(self.get(analysis_id))


class Training(_Resource):
    def create(
        self,
        dataset_id: str,
        target: str,
        *,
        time_budget_s: int | None = None,
        metric: str | None = None,
        **options: Any,
    ) -> Job[m.TrainingJob]:
        """Start a training job (options: problem_type, algorithms, exclude_columns, cv_folds, ...)."""
        body: dict[str, Any] = {"dataset_id": dataset_id, "target": target, **options}
        if time_budget_s is not None:
            body["time_budget_s"] = time_budget_s
        if metric is not None:
            body["metric"] = metric
        create = msgspec.convert(body, m.TrainingJobCreate)
        return self._c._job(self._c._send(calls.create_training_job(create)))

    def get(self, job_id: str) -> m.TrainingJob:
        return self._c._send(calls.get_training_job(job_id))

    def job(self, job_id: str) -> Job[m.TrainingJob]:
        return self._c._job(self.get(job_id))

    def list(
        self, *, limit: int = 50, offset: int = 0, dataset_id: str | None = None, status: str | None = None
    ) -> m.TrainingJobPage:
        return self._c._send(calls.list_training_jobs(limit, offset, dataset_id, status))

    def iter(self, *, dataset_id: str | None = None, status: str | None = None) -> Iterator[m.TrainingJob]:
        return _pages(self._c._send, calls.list_training_jobs(100, 0, dataset_id, status))

    def cancel(self, job_id: str) -> m.TrainingJob:
        return self._c._send(calls.cancel_training_job(job_id))


class Models(_Resource):
    def list(
        self, *, limit: int = 50, offset: int = 0, dataset_id: str | None = None, stage: str | None = None
    ) -> m.ModelPage:
        return self._c._send(calls.list_models(limit, offset, dataset_id, stage))

    def iter(self, *, dataset_id: str | None = None, stage: str | None = None) -> Iterator[m.ModelSummary]:
        return _pages(self._c._send, calls.list_models(100, 0, dataset_id, stage))

    def get(self, model_id: str) -> m.Model:
        return self._c._send(calls.get_model(model_id))

    def update(
        self,
        model_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        stage: str | None = None,
        acknowledge_leakage: bool | None = None,
    ) -> m.Model:
        fields = (
            ("name", name),
            ("description", description),
            ("stage", stage),
            ("acknowledge_leakage", acknowledge_leakage),
        )
        body = {k: v for k, v in fields if v is not None}
        return self._c._send(calls.update_model(model_id, msgspec.convert(body, m.ModelUpdate)))

    def promote(
        self, model_id: str, stage: str = "production", *, acknowledge_leakage: bool = False
    ) -> m.Model:
        """Move a model to a lifecycle stage (`staging`, `production`, `archived`, `none`).

        A model with `leakage_findings` reaches `production` only with `acknowledge_leakage=True`
        (`Conflict` listing the findings otherwise)."""
        return self.update(model_id, stage=stage, acknowledge_leakage=acknowledge_leakage or None)

    def delete(self, model_id: str) -> None:
        self._c._send(calls.delete_model(model_id))

    def predict(
        self, model_id: str, records: Any, *, explain: bool = False, explain_top: int = 10
    ) -> m.PredictionResponse:
        """Score records online: a list of dicts or a pandas/polars DataFrame (sent 1000 at a time).

        `explain=True` adds each record's `explanation` (its `explain_top` largest column
        contributions); records are then sent 100 at a time."""
        rows = to_records(records)
        merged: m.PredictionResponse | None = None
        size = EXPLAIN_LIMIT if explain else ONLINE_LIMIT
        top = explain_top if explain else None
        for start, chunk in zip(range(0, len(rows), size), chunks(rows, size), strict=True):
            answer = self._c._send(calls.predict(model_id, chunk, top))
            for item in answer.predictions:
                item.index += start
            merged = answer if merged is None else _merge(merged, answer)
        if merged is None:
            raise ValueError("no records to score")
        return merged

    def batch_predict(
        self, model_id: str, file: FileInput, *, progress: Progress | None = None, filename: str | None = None
    ) -> Job[m.BatchPredictionJob]:
        """Upload a file of rows to score as a batch job (streamed, with `progress(sent, total)`)."""
        upload = Upload(file, progress, filename)
        try:
            return self._c._job(self._c._send(calls.create_batch(model_id, upload.files)))
        finally:
            upload.close()

    def score_file(
        self,
        model_id: str,
        input: FileInput,
        output: str | Path | IO[bytes],
        *,
        progress: Progress | None = None,
        timeout: float | None = None,
    ) -> m.BatchPredictionJob:
        """Batch-score a file and write the result CSV to `output`; the finished job."""
        job = self.batch_predict(model_id, input, progress=progress)
        done = job.wait(timeout=timeout)
        self._c.batch_predictions.download_result(done.id, output)
        return done


def _merge(a: m.PredictionResponse, b: m.PredictionResponse) -> m.PredictionResponse:
    return msgspec.structs.replace(
        a,
        predictions=a.predictions + b.predictions,
        scored=a.scored + b.scored,
        failed=a.failed + b.failed,
        ignored_columns=sorted(set(a.ignored_columns) | set(b.ignored_columns)),
    )


class BatchPredictions(_Resource):
    def get(self, job_id: str) -> m.BatchPredictionJob:
        return self._c._send(calls.get_batch(job_id))

    def job(self, job_id: str) -> Job[m.BatchPredictionJob]:
        return self._c._job(self.get(job_id))

    def download_result(self, job_id: str, destination: str | Path | IO[bytes]) -> None:
        self._c._download(calls.batch_result(job_id), destination)

    def delete(self, job_id: str) -> None:
        self._c._send(calls.delete_batch(job_id))


class ApiKeys(_Resource):
    """API keys for machines (managing them takes a password login; a key never manages keys)."""

    def create(
        self,
        name: str,
        scopes: Sequence[str] = ("predict",),
        *,
        model_ids: Sequence[str] | None = None,
        expires_at: datetime | None = None,
    ) -> m.ApiKeyCreated:
        """A new key; its `secret` is in this answer only (None if a retry replayed the create)."""
        return self._c._send(calls.create_api_key(name, scopes, model_ids, expires_at))

    def list(self, *, limit: int = 50, offset: int = 0) -> m.ApiKeyPage:
        return self._c._send(calls.list_api_keys(limit, offset))

    def iter(self) -> Iterator[m.ApiKey]:
        return _pages(self._c._send, calls.list_api_keys(100, 0))

    def delete(self, key_id: str) -> None:
        """Revoke a key: it stops working at once."""
        self._c._send(calls.delete_api_key(key_id))


class Client:
    """Synchronous client. `token=` a JWT from `login`, or `api_key=` (sent as a bearer token)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if token and api_key:
            raise ValueError("pass token= or api_key=, not both")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers=auth_headers(token or api_key),
        )
        self._send = SyncSender(self._http, RetryPolicy(max_retries=max_retries))
        self._flags: dict[str, bool] = {}
        self.datasets = Datasets(self)
        self.analyses = Analyses(self)
        self.training = Training(self)
        self.models = Models(self)
        self.batch_predictions = BatchPredictions(self)
        self.api_keys = ApiKeys(self)

    def login(self, email: str, password: str) -> m.AccessToken:
        """Exchange email and password for a token, and use it from now on."""
        token = self._send(calls.token(email, password))
        self.set_token(token.access_token)
        return token

    def register(self, email: str, password: str) -> m.User:
        return self._send(calls.register(email, password))

    def me(self) -> m.User:
        return self._send(calls.me())

    def set_token(self, token: str | None) -> None:
        self._http.headers.pop("Authorization", None)
        self._http.headers.update(auth_headers(token))

    def _job(self, state: Any) -> Job[Any]:
        getter, cancel = _job_calls(state)
        return Job(self._send, state, getter, cancel, self._flags)

    def _download(self, call: Call[None], destination: str | Path | IO[bytes]) -> None:
        response = self._send.send(call, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                decode(call, response)
            if isinstance(destination, str | Path):
                with Path(destination).open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
            else:
                for chunk in response.iter_bytes():
                    destination.write(chunk)
        finally:
            response.close()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _job_calls(state: Any) -> tuple[Any, Any]:
    if isinstance(state, m.TrainingJob):
        return calls.get_training_job, calls.cancel_training_job
    if isinstance(state, m.Analysis):
        return calls.get_analysis, None
    return calls.get_batch, None


__all__ = ["Client"]
