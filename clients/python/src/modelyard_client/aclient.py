"""`AsyncClient`: the same API as `Client`, with `await` (for asyncio applications)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import msgspec

from modelyard_client import _calls as calls
from modelyard_client import models as m
from modelyard_client._http import DEFAULT_BASE_URL, AsyncSender, Call, RetryPolicy, auth_headers, decode
from modelyard_client._inputs import FileInput, Progress, Upload, chunks, to_records
from modelyard_client.client import EXPLAIN_LIMIT, ONLINE_LIMIT, _job_calls, _merge
from modelyard_client.jobs import AsyncJob

P = TypeVar(
    "P", m.DatasetPage, m.ModelPage, m.TrainingJobPage, m.AnalysisPage, m.BatchPredictionJobPage, m.ApiKeyPage
)


async def _pages(send: AsyncSender, first: Call[P]) -> AsyncIterator[Any]:
    call: Call[P] | None = first
    while call is not None:
        page = await send(call)
        for item in page.items:
            yield item
        call = calls.next_page(call, page)


class _Resource:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client


class AsyncDatasets(_Resource):
    async def list(self, *, limit: int = 50, offset: int = 0, name: str | None = None) -> m.DatasetPage:
        return await self._c._send(calls.list_datasets(limit, offset, name))

    def iter(self, *, name: str | None = None, page_size: int = 100) -> AsyncIterator[m.Dataset]:
        return _pages(self._c._send, calls.list_datasets(page_size, 0, name))

    async def get(self, dataset_id: str) -> m.Dataset:
        return await self._c._send(calls.get_dataset(dataset_id))

    async def delete(self, dataset_id: str) -> None:
        await self._c._send(calls.delete_dataset(dataset_id))

    async def profile(self, dataset_id: str) -> m.DatasetProfile:
        return await self._c._send(calls.profile(dataset_id))

    async def preview(self, dataset_id: str, *, offset: int = 0, limit: int = 20) -> m.PreviewPage:
        return await self._c._send(calls.preview(dataset_id, offset, limit))

    async def upload(
        self,
        file: FileInput,
        *,
        name: str | None = None,
        description: str | None = None,
        filename: str | None = None,
        progress: Progress | None = None,
    ) -> m.Dataset:
        upload = Upload(file, progress, filename)
        extra = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        try:
            return await self._c._send(calls.upload_dataset(lambda: upload.files(extra)))
        finally:
            upload.close()

    async def analyse(self, dataset_id: str, *, target: str | None = None) -> AsyncJob[m.Analysis]:
        return self._c._job(await self._c._send(calls.analyse_dataset(dataset_id, target)))


class AsyncTraining(_Resource):
    async def create(
        self,
        dataset_id: str,
        target: str,
        *,
        time_budget_s: int | None = None,
        metric: str | None = None,
        **options: Any,
    ) -> AsyncJob[m.TrainingJob]:
        body: dict[str, Any] = {"dataset_id": dataset_id, "target": target, **options}
        if time_budget_s is not None:
            body["time_budget_s"] = time_budget_s
        if metric is not None:
            body["metric"] = metric
        create = msgspec.convert(body, m.TrainingJobCreate)
        return self._c._job(await self._c._send(calls.create_training_job(create)))

    async def get(self, job_id: str) -> m.TrainingJob:
        return await self._c._send(calls.get_training_job(job_id))

    async def job(self, job_id: str) -> AsyncJob[m.TrainingJob]:
        return self._c._job(await self.get(job_id))

    def iter(
        self, *, dataset_id: str | None = None, status: str | None = None
    ) -> AsyncIterator[m.TrainingJob]:
        return _pages(self._c._send, calls.list_training_jobs(100, 0, dataset_id, status))

    async def cancel(self, job_id: str) -> m.TrainingJob:
        return await self._c._send(calls.cancel_training_job(job_id))


class AsyncModels(_Resource):
    async def list(
        self, *, limit: int = 50, offset: int = 0, dataset_id: str | None = None, stage: str | None = None
    ) -> m.ModelPage:
        return await self._c._send(calls.list_models(limit, offset, dataset_id, stage))

    def iter(
        self, *, dataset_id: str | None = None, stage: str | None = None
    ) -> AsyncIterator[m.ModelSummary]:
        return _pages(self._c._send, calls.list_models(100, 0, dataset_id, stage))

    async def get(self, model_id: str) -> m.Model:
        return await self._c._send(calls.get_model(model_id))

    async def promote(
        self, model_id: str, stage: str = "production", *, acknowledge_leakage: bool = False
    ) -> m.Model:
        body: dict[str, Any] = {"stage": stage}
        if acknowledge_leakage:
            body["acknowledge_leakage"] = True
        update = msgspec.convert(body, m.ModelUpdate)
        return await self._c._send(calls.update_model(model_id, update))

    async def delete(self, model_id: str) -> None:
        await self._c._send(calls.delete_model(model_id))

    async def predict(
        self, model_id: str, records: Any, *, explain: bool = False, explain_top: int = 10
    ) -> m.PredictionResponse:
        rows = to_records(records)
        merged: m.PredictionResponse | None = None
        size = EXPLAIN_LIMIT if explain else ONLINE_LIMIT
        top = explain_top if explain else None
        for start, chunk in zip(range(0, len(rows), size), chunks(rows, size), strict=True):
            answer = await self._c._send(calls.predict(model_id, chunk, top))
            for item in answer.predictions:
                item.index += start
            merged = answer if merged is None else _merge(merged, answer)
        if merged is None:
            raise ValueError("no records to score")
        return merged

    async def batch_predict(
        self, model_id: str, file: FileInput, *, progress: Progress | None = None
    ) -> AsyncJob[m.BatchPredictionJob]:
        upload = Upload(file, progress)
        try:
            return self._c._job(await self._c._send(calls.create_batch(model_id, upload.files)))
        finally:
            upload.close()

    async def score_file(
        self,
        model_id: str,
        input: FileInput,
        output: str | Path | IO[bytes],
        *,
        progress: Progress | None = None,
        timeout: float | None = None,
    ) -> m.BatchPredictionJob:
        job = await self.batch_predict(model_id, input, progress=progress)
        done = await job.wait(timeout=timeout)
        await self._c._download(calls.batch_result(done.id), output)
        return done


class AsyncApiKeys(_Resource):
    async def create(
        self,
        name: str,
        scopes: Sequence[str] = ("predict",),
        *,
        model_ids: Sequence[str] | None = None,
        expires_at: datetime | None = None,
    ) -> m.ApiKeyCreated:
        return await self._c._send(calls.create_api_key(name, scopes, model_ids, expires_at))

    async def list(self, *, limit: int = 50, offset: int = 0) -> m.ApiKeyPage:
        return await self._c._send(calls.list_api_keys(limit, offset))

    def iter(self) -> AsyncIterator[m.ApiKey]:
        return _pages(self._c._send, calls.list_api_keys(100, 0))

    async def delete(self, key_id: str) -> None:
        await self._c._send(calls.delete_api_key(key_id))


class AsyncClient:
    """Asynchronous client; use `async with AsyncClient(...) as client:`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if token and api_key:
            raise ValueError("pass token= or api_key=, not both")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers=auth_headers(token or api_key),
        )
        self._send = AsyncSender(self._http, RetryPolicy(max_retries=max_retries))
        self._flags: dict[str, bool] = {}
        self.datasets = AsyncDatasets(self)
        self.training = AsyncTraining(self)
        self.models = AsyncModels(self)
        self.api_keys = AsyncApiKeys(self)

    async def login(self, email: str, password: str) -> m.AccessToken:
        token = await self._send(calls.token(email, password))
        self._http.headers["Authorization"] = f"Bearer {token.access_token}"
        return token

    async def register(self, email: str, password: str) -> m.User:
        return await self._send(calls.register(email, password))

    async def me(self) -> m.User:
        return await self._send(calls.me())

    async def analysis(self, analysis_id: str) -> m.Analysis:
        return await self._send(calls.get_analysis(analysis_id))

    async def batch_prediction(self, job_id: str) -> m.BatchPredictionJob:
        return await self._send(calls.get_batch(job_id))

    def _job(self, state: Any) -> AsyncJob[Any]:
        getter, cancel = _job_calls(state)
        return AsyncJob(self._send, state, getter, cancel, self._flags)

    async def _download(self, call: Call[None], destination: str | Path | IO[bytes]) -> None:
        response = await self._send.send(call, stream=True)
        try:
            if response.status_code >= 400:
                await response.aread()
                decode(call, response)
            out = Path(destination).open("wb") if isinstance(destination, str | Path) else destination  # noqa: ASYNC230, SIM115
            try:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
            finally:
                if out is not destination:
                    out.close()
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
