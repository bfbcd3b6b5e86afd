"""API keys against the real server: every operation within a key's scopes only, predictions with
model-limited keys, and a revoked key refused by two worker processes within the documented bound."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from bson import ObjectId
from prometheus_client.mmap_dict import MmapedDict

from tests.integration.training.helpers import churn_frame, to_csv
from tests.services.jobs import wait_for_job_sync
from tests.services.server import RunningServer, start_server

pytestmark = pytest.mark.e2e

PUBLIC = {"registerUser", "createAccessToken"}
KEY_SCHEMES = {"read": "ApiKeyRead", "predict": "ApiKeyPredict"}
"""The spec's security scheme of a key with each scope."""
PREDICT_ONLY = {"predict", "createBatchPrediction"}
READ_OR_PREDICT = {
    "listBatchPredictions",
    "getBatchPrediction",
    "getBatchPredictionResult",
    "streamBatchPredictionEvents",
}
NEVER_FOR_KEYS = {"listApiKeys", "getApiKey", "listWebhooks", "getWebhook", "listWebhookDeliveries"}
"""Credentials and integrations are managed with an access token only."""


def policy(method: str, operation_id: str) -> tuple[str, ...]:
    """The documented rule, written out: the key scopes that reach an operation."""
    if operation_id in PREDICT_ONLY:
        return ("predict",)
    if operation_id in READ_OR_PREDICT:
        return ("read", "predict")
    if operation_id in NEVER_FOR_KEYS or method != "get":
        return ()
    return ("read",)


def login(http: httpx.Client, email: str) -> dict[str, str]:
    account = {"email": email, "password": "machine-password"}
    assert http.post("/api/v1/auth/register", json=account).status_code == 201
    token = http.post("/api/v1/auth/token", data={"username": email, "password": account["password"]})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def new_key(http: httpx.Client, headers: dict[str, str], **body: Any) -> dict[str, str]:
    created = http.post("/api/v1/api-keys", headers=headers, json={"name": "machine", **body})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


@pytest.fixture(scope="module")
def server(mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"MODELYARD_WARM_WORKERS": "true", "MODELYARD_RATE_LIMIT_PER_MINUTE": "0"}
    with start_server(mongodb_url, tmp_path_factory.mktemp("keys"), extra_env=env) as running:
        yield running


def test_every_operation_answers_a_key_within_its_scopes_only(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        spec = http.get("/schema/openapi.json").json()
        user = login(http, "scopes@example.com")
        reader = new_key(http, user, scopes=["read"])
        predictor = new_key(http, user, scopes=["predict"])
        keys = {"read": reader, "predict": predictor}
        checked: Counter[str] = Counter()
        for path, item in sorted(spec["paths"].items()):
            for method, operation in item.items():
                op_id = operation["operationId"]
                if not path.startswith("/api/") or op_id in PUBLIC:
                    continue
                needed = policy(method, op_id)
                security = operation.get("security", spec["security"])
                documented = [r for r in security if any(name.startswith("ApiKey") for name in r)]
                assert documented == [{KEY_SCHEMES[scope]: []} for scope in needed], op_id
                url = path.format(**{name: str(ObjectId()) for name in _path_names(path)})
                body = {"json": {}} if method in ("post", "patch", "put") else {}
                for scope, key in keys.items():
                    response = http.request(method.upper(), url, headers=key, **body)
                    if scope in needed:
                        assert response.status_code not in (401, 403), (op_id, scope, response.text)
                        checked["reached"] += 1
                        continue
                    assert response.status_code == 403, (op_id, scope, response.text)
                    problem = response.json()
                    assert problem["type"].endswith("/forbidden"), problem
                    wanted = f"`{needed[0]}` scope" if needed else "cannot call this operation"
                    assert wanted in problem["detail"], (op_id, problem["detail"])
                    checked["refused"] += 1
    assert checked["refused"] >= 20 and checked["reached"] >= 15, checked


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _train(http: httpx.Client, user: dict[str, str], dataset_id: str) -> str:
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 2}
    created = http.post("/api/v1/training-jobs", headers=user, json=body)
    assert created.status_code == 202, created.text
    return created.headers["location"]


def test_model_limited_keys_predict_with_their_models_only(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        user = login(http, "predictions@example.com")
        upload = http.post(
            "/api/v1/datasets", headers=user, files={"file": ("c.csv", to_csv(churn_frame(160)), "text/csv")}
        )
        assert upload.status_code == 201, upload.text
        jobs = [_train(http, user, upload.json()["id"]) for _ in range(2)]
        model_a, model_b = (wait_for_job_sync(http, job, user)["model_id"] for job in jobs)
        key_a = new_key(http, user, scopes=["predict"], model_ids=[model_a])
        key_b = new_key(http, user, scopes=["predict"], model_ids=[model_b])
        reader = new_key(http, user, scopes=["read"])
        record = {"age": 33, "city": "lyon", "member": "false", "signup": "2021-07-01"}

        online = http.post(f"/api/v1/models/{model_a}/predictions", headers=key_a, json={"records": [record]})
        assert online.status_code == 200 and online.json()["predictions"][0]["prediction"] in ("yes", "no")
        other = http.post(f"/api/v1/models/{model_b}/predictions", headers=key_a, json={"records": [record]})
        assert other.status_code == 403 and f"does not include model {model_b}" in other.json()["detail"]
        assert http.get(f"/api/v1/models/{model_a}", headers=key_a).status_code == 403  # needs `read`

        rows = churn_frame(30, seed=5).drop(columns=["target"])
        batch = http.post(
            f"/api/v1/models/{model_a}/batch-predictions",
            headers=key_a,
            files={"file": ("rows.csv", io.BytesIO(to_csv(rows)), "text/csv")},
        )
        assert batch.status_code == 202, batch.text
        done = wait_for_job_sync(http, batch.headers["location"], key_a)
        assert done["status"] == "succeeded", done
        result = http.get(done["result_url"], headers=key_a)
        assert result.status_code == 200 and result.text.count("\n") == 31
        for url in (batch.headers["location"], done["result_url"]):
            refused = http.get(url, headers=key_b)
            assert refused.status_code == 403 and model_a in refused.json()["detail"]
            assert http.get(url, headers=reader).status_code == 200
        listed = http.get(f"/api/v1/models/{model_b}/batch-predictions", headers=key_a)
        assert listed.status_code == 403


# --- revocation across worker processes ------------------------------------------------------

CACHE_S = 3.0
ROUTE = "/api/v1/datasets"


def answered_by_worker(multiproc_dir: Path, status: int) -> dict[str, float]:
    """Requests to ROUTE answered with `status`, per worker process (from each one's counter file)."""
    counts: dict[str, float] = {}
    for path in multiproc_dir.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if (
                name == "modelyard_http_requests_total"
                and labels.get("route") == ROUTE
                and labels.get("status_code") == str(status)
            ):
                counts[path.stem] = counts.get(path.stem, 0.0) + value
    return counts


def test_a_revoked_key_is_refused_by_every_worker_within_the_bound(mongodb_url: str, tmp_path: Path) -> None:
    env = {
        "MODELYARD_WORKERS": "2",
        "MODELYARD_API_KEYS_CACHE_S": str(CACHE_S),
        "MODELYARD_RATE_LIMIT_PER_MINUTE": "0",
    }
    with start_server(mongodb_url, tmp_path, extra_env=env) as server:
        multiproc = tmp_path / "var" / "prometheus-multiproc"
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            user = login(http, "revoke@example.com")
            created = http.post("/api/v1/api-keys", headers=user, json={"name": "m", "scopes": ["read"]})
            key = {"Authorization": f"Bearer {created.json()['secret']}"}

        def call(_: int) -> tuple[float, int]:
            sent = time.monotonic()  # a fresh connection each time, so both workers get some
            return sent, httpx.get(server.base_url + ROUTE, headers=key, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            for _ in range(20):  # until both workers served (and so cached) the key
                assert {status for _, status in pool.map(call, range(20))} == {200}
                if len(answered_by_worker(multiproc, 200)) == 2:
                    break
            assert len(answered_by_worker(multiproc, 200)) == 2, "one worker served every request"

            revoked = httpx.delete(f"{server.base_url}/api/v1/api-keys/{created.json()['id']}", headers=user)
            assert revoked.status_code == 204
            bound = time.monotonic() + CACHE_S
            while time.monotonic() < bound:  # within the bound either answer is allowed
                assert {status for _, status in pool.map(call, range(8))} <= {200, 401}
            refused_before = answered_by_worker(multiproc, 401)
            results = []
            for _ in range(20):  # after it: every answer is 401, from both workers
                results += pool.map(call, range(20))
                refusing = answered_by_worker(multiproc, 401)
                if len(refusing) == 2 and all(refusing[w] > refused_before.get(w, 0) for w in refusing):
                    break
    assert results and all(sent >= bound and status == 401 for sent, status in results), results
    assert len(refusing) == 2 and all(refusing[w] > refused_before.get(w, 0) for w in refusing), refusing
