"""Every API operation the client uses, as a `Call` (method, path, body, result type).

Both clients send these; the operation lives here once. Paging follows the server's opaque
`next_cursor` (stable under inserts and deletes); `next_page` is the one place that knows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from modelyard_client import models as m
from modelyard_client._http import Call

API = "/api/v1"
P = TypeVar(
    "P", m.DatasetPage, m.ModelPage, m.TrainingJobPage, m.AnalysisPage, m.BatchPredictionJobPage, m.ApiKeyPage
)


def next_page(call: Call[P], page: P) -> Call[P] | None:
    """The call for the page after `page`, or None when it was the last."""
    if page.next_cursor is None:
        return None
    params = {key: value for key, value in (call.params or {}).items() if key != "offset"}
    return Call(call.method, call.path, call.result, params={**params, "cursor": page.next_cursor})


# auth
def register(email: str, password: str) -> Call[m.User]:
    return Call("POST", f"{API}/auth/register", m.User, json=m.UserCreate(email=email, password=password))


def token(email: str, password: str) -> Call[m.AccessToken]:
    form = {"username": email, "password": password, "grant_type": "password"}
    return Call("POST", f"{API}/auth/token", m.AccessToken, form=form)


def me() -> Call[m.User]:
    return Call("GET", f"{API}/auth/me", m.User)


# api keys (managed with an access token; a key never manages keys)
def create_api_key(
    name: str, scopes: Sequence[str], model_ids: Sequence[str] | None, expires_at: datetime | None
) -> Call[m.ApiKeyCreated]:
    fields: dict[str, Any] = {"name": name, "scopes": list(scopes), "expires_at": expires_at}
    if model_ids is not None:
        fields["model_ids"] = list(model_ids)
    body = msgspec.convert(fields, m.ApiKeyCreate, from_attributes=True)
    return Call("POST", f"{API}/api-keys", m.ApiKeyCreated, json=body, idempotent_create=True)


def list_api_keys(limit: int, offset: int) -> Call[m.ApiKeyPage]:
    return Call("GET", f"{API}/api-keys", m.ApiKeyPage, params={"limit": limit, "offset": offset})


def delete_api_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"{API}/api-keys/{key_id}")


# datasets
def list_datasets(limit: int, offset: int, name: str | None) -> Call[m.DatasetPage]:
    params = {"limit": limit, "offset": offset, "name": name}
    return Call("GET", f"{API}/datasets", m.DatasetPage, params=params)


def get_dataset(dataset_id: str) -> Call[m.Dataset]:
    return Call("GET", f"{API}/datasets/{dataset_id}", m.Dataset)


def update_dataset(dataset_id: str, update: m.DatasetUpdate) -> Call[m.Dataset]:
    return Call("PATCH", f"{API}/datasets/{dataset_id}", m.Dataset, json=update)


def delete_dataset(dataset_id: str) -> Call[None]:
    return Call("DELETE", f"{API}/datasets/{dataset_id}")


def profile(dataset_id: str) -> Call[m.DatasetProfile]:
    return Call("GET", f"{API}/datasets/{dataset_id}/profile", m.DatasetProfile)


def preview(dataset_id: str, offset: int, limit: int) -> Call[m.PreviewPage]:
    params = {"offset": offset, "limit": limit}
    return Call("GET", f"{API}/datasets/{dataset_id}/preview", m.PreviewPage, params=params)


def upload_dataset(files: Any) -> Call[m.Dataset]:
    return Call("POST", f"{API}/datasets", m.Dataset, files=files, idempotent_create=True)


def download_dataset(dataset_id: str) -> Call[None]:
    return Call("GET", f"{API}/datasets/{dataset_id}/download")


# analyses
def analyse_dataset(dataset_id: str, target: str | None) -> Call[m.Analysis]:
    body = m.AnalysisCreate(target=target) if target else m.AnalysisCreate()
    return Call(
        "POST", f"{API}/datasets/{dataset_id}/analyses", m.Analysis, json=body, idempotent_create=True
    )


def explain_model(model_id: str) -> Call[m.Analysis]:
    return Call("POST", f"{API}/models/{model_id}/analyses", m.Analysis, idempotent_create=True)


def get_analysis(analysis_id: str) -> Call[m.Analysis]:
    return Call("GET", f"{API}/analyses/{analysis_id}", m.Analysis)


# training
def create_training_job(body: m.TrainingJobCreate) -> Call[m.TrainingJob]:
    return Call("POST", f"{API}/training-jobs", m.TrainingJob, json=body, idempotent_create=True)


def list_training_jobs(
    limit: int, offset: int, dataset_id: str | None, status: str | None
) -> Call[m.TrainingJobPage]:
    params = {"limit": limit, "offset": offset, "dataset_id": dataset_id, "status": status}
    return Call("GET", f"{API}/training-jobs", m.TrainingJobPage, params=params)


def get_training_job(job_id: str) -> Call[m.TrainingJob]:
    return Call("GET", f"{API}/training-jobs/{job_id}", m.TrainingJob)


def cancel_training_job(job_id: str) -> Call[m.TrainingJob]:
    # Cancelling twice is harmless, so a retried cancel is safe.
    return Call("POST", f"{API}/training-jobs/{job_id}/cancel", m.TrainingJob, idempotent_create=True)


# models
def list_models(limit: int, offset: int, dataset_id: str | None, stage: str | None) -> Call[m.ModelPage]:
    params = {"limit": limit, "offset": offset, "dataset_id": dataset_id, "stage": stage}
    return Call("GET", f"{API}/models", m.ModelPage, params=params)


def get_model(model_id: str) -> Call[m.Model]:
    return Call("GET", f"{API}/models/{model_id}", m.Model)


def update_model(model_id: str, update: m.ModelUpdate) -> Call[m.Model]:
    return Call("PATCH", f"{API}/models/{model_id}", m.Model, json=update)


def delete_model(model_id: str) -> Call[None]:
    return Call("DELETE", f"{API}/models/{model_id}")


# predictions
def predict(
    model_id: str, records: list[dict[str, Any]], explain_top: int | None = None
) -> Call[m.PredictionResponse]:
    # Scoring has no side effect beyond usage counts: safe to retry.
    body = m.PredictionRequest(records=records)
    params = {"explain": "true", "explain_top": explain_top} if explain_top is not None else None
    return Call(
        "POST",
        f"{API}/models/{model_id}/predictions",
        m.PredictionResponse,
        json=body,
        params=params,
        idempotent_create=True,
    )


def create_batch(model_id: str, files: Any) -> Call[m.BatchPredictionJob]:
    path = f"{API}/models/{model_id}/batch-predictions"
    return Call("POST", path, m.BatchPredictionJob, files=files, idempotent_create=True)


def get_batch(job_id: str) -> Call[m.BatchPredictionJob]:
    return Call("GET", f"{API}/batch-predictions/{job_id}", m.BatchPredictionJob)


def delete_batch(job_id: str) -> Call[None]:
    return Call("DELETE", f"{API}/batch-predictions/{job_id}")


def batch_result(job_id: str) -> Call[None]:
    return Call("GET", f"{API}/batch-predictions/{job_id}/result")
