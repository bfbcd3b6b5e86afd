"""Clients generated from the served spec, as an integrator makes them (docs/client/generated.md).

A Python client from `openapi-python-client` drives the whole journey against the real server;
TypeScript types from `openapi-typescript` type-check tests/client/ts/journey.ts with `tsc --strict`,
and stop type-checking it when the spec loses what the journey needs. One server for the module.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.client.conftest import CUSTOMERS, PASSWORD
from tests.client.generators import (
    DOCS_SPEC_URL,
    JOURNEY_TS,
    PACKAGE,
    PAGE,
    REPO,
    documented_commands,
    generate_python_client,
    generate_typescript_types,
    page_block,
    run,
    type_check,
)
from tests.services.server import RunningServer

pytestmark = pytest.mark.e2e

FINAL = {"succeeded", "failed", "cancelled"}
HEADER = CUSTOMERS.read_text().splitlines()[0].split(",")


# --- Python: openapi-python-client ----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The package generated from the served spec; its parent directory, yielded, is on sys.path."""
    root = tmp_path_factory.mktemp("python-client")
    generate_python_client(f"{server.base_url}/schema/openapi.json", root)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(path: str) -> Any:
    """A generated operation module, e.g. `operation("datasets.create_dataset")`."""
    return importlib.import_module(f"{PACKAGE}.api.{path}")


def schema(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def upload_file(payload: bytes, file_name: str) -> Any:
    file_type = importlib.import_module(f"{PACKAGE}.types").File
    return file_type(payload=io.BytesIO(payload), file_name=file_name, mime_type="text/csv")


def wait(get: Any, job_id: str, client: Any, timeout: float = 120.0) -> Any:
    """Poll a job through its generated `get_*` operation until it is final."""
    deadline = time.monotonic() + timeout
    while True:
        job = get.sync(job_id, client=client)
        assert not isinstance(job, schema("Problem")), job
        if job.status.value in FINAL:
            return job
        assert time.monotonic() < deadline, f"job {job_id} not done in {timeout} s: {job}"
        time.sleep(0.2)


def sign_up(base_url: str, email: str) -> Any:
    """Register, exchange the password for a token; the authenticated client."""
    generated = importlib.import_module(PACKAGE)
    anonymous = generated.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=60)
    account = schema("UserCreate")(email=email, password=PASSWORD)
    registered = operation("auth.register_user").sync_detailed(client=anonymous, body=account)
    assert registered.status_code == 201 and registered.parsed.email == email
    login = schema("TokenRequest")(username=email, password=PASSWORD)
    token = operation("auth.create_access_token").sync(client=anonymous, body=login)
    assert token.token_type == "bearer" and token.expires_in > 0
    client = generated.AuthenticatedClient(
        base_url=base_url, token=token.access_token, raise_on_unexpected_status=True, timeout=60
    )
    assert operation("auth.get_current_user").sync(client=client).email == email
    return client


def upload_and_profile(client: Any) -> Any:
    """Upload the customers table (multipart); the dataset, after checking what its profile says."""
    body = schema("CreateDatasetBody")(
        file=upload_file(CUSTOMERS.read_bytes(), "customers.csv"), name="customers"
    )
    uploaded = operation("datasets.create_dataset").sync_detailed(client=client, body=body)
    assert uploaded.status_code == 201, uploaded.content
    dataset = uploaded.parsed
    assert uploaded.headers["location"] == f"/api/v1/datasets/{dataset.id}"
    assert (dataset.name, dataset.format_.value) == ("customers", "csv")
    assert (dataset.rows, dataset.columns) == (400, len(HEADER))
    profile = operation("datasets.get_dataset_profile").sync(dataset.id, client=client)
    assert profile.rows == 400 and [column.name for column in profile.column_profiles] == HEADER
    email_column = next(column for column in profile.column_profiles if column.name == "email")
    assert [finding.kind.value for finding in email_column.pii] == ["email"]
    return dataset


def analyse(client: Any, dataset_id: str) -> Any:
    """An analysis job: 202 with its Location, then a result that ranks the target first."""
    body = schema("AnalysisCreate")(target="churned")
    started = operation("analysis.create_dataset_analysis").sync_detailed(
        dataset_id, client=client, body=body
    )
    assert started.status_code == 202
    assert started.headers["location"] == f"/api/v1/analyses/{started.parsed.id}"
    analysis = wait(operation("analysis.get_analysis"), started.parsed.id, client)
    assert analysis.status.value == "succeeded" and analysis.result.overview
    assert analysis.result.target_suggestions[0].column == "churned"
    assert "customer_id" in {exclusion.column for exclusion in analysis.result.exclude_columns}
    return analysis


def train(client: Any, dataset_id: str) -> tuple[Any, Any]:
    """A training job on a tiny budget; the finished job and the model it made."""
    body = schema("TrainingJobCreate")(
        dataset_id=dataset_id,
        target="churned",
        time_budget_s=2,
        exclude_columns=["customer_id", "email", "account_closed"],
    )
    created = operation("training.create_training_job").sync_detailed(client=client, body=body)
    assert created.status_code == 202
    assert created.headers["location"] == f"/api/v1/training-jobs/{created.parsed.id}"
    job = wait(operation("training.get_training_job"), created.parsed.id, client)
    assert job.status.value == "succeeded" and job.model_id and job.candidates, job
    model = operation("models.get_model").sync(job.model_id, client=client)
    assert model.problem_type.value == "binary" and model.target == "churned"
    assert (model.dataset_id, model.training_job_id) == (dataset_id, job.id)
    return job, model


def predict_online(client: Any, model_id: str) -> None:
    """Three JSON records (numbers as numbers): one answer each, in order, each a class of the target."""
    rows = json.loads(pd.read_csv(CUSTOMERS).drop(columns="churned").head(3).to_json(orient="records"))
    records = [schema("PredictionRequestRecordsItem").from_dict(row) for row in rows]
    body = schema("PredictionRequest")(records=records)
    answer = operation("predictions.predict").sync(model_id, client=client, body=body)
    assert (answer.scored, answer.failed) == (3, 0)
    assert [p.index for p in answer.predictions] == [0, 1, 2]
    assert {p.prediction for p in answer.predictions} <= {"yes", "no"}


def predict_batch(client: Any, model_id: str) -> Any:
    """Upload 50 rows without the target (multipart), wait for the job, read the scored CSV."""
    with CUSTOMERS.open() as table:
        rows = [{k: v for k, v in row.items() if k != "churned"} for row in list(csv.DictReader(table))[:50]]
    upload = io.StringIO()
    writer = csv.DictWriter(upload, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    body = schema("CreateBatchPredictionBody")(file=upload_file(upload.getvalue().encode(), "rows.csv"))
    queued = operation("predictions.create_batch_prediction").sync_detailed(
        model_id, client=client, body=body
    )
    assert queued.status_code == 202, queued.content
    assert queued.headers["location"] == f"/api/v1/batch-predictions/{queued.parsed.id}"
    batch = wait(operation("predictions.get_batch_prediction"), queued.parsed.id, client)
    assert batch.status.value == "succeeded" and (batch.input_rows, batch.rows_scored) == (50, 50)
    assert batch.result_url == f"/api/v1/batch-predictions/{batch.id}/result"
    result = operation("predictions.get_batch_prediction_result").sync_detailed(batch.id, client=client)
    assert result.status_code == 200
    scored = list(csv.DictReader(io.StringIO(result.parsed)))
    assert [row["customer_id"] for row in scored] == [row["customer_id"] for row in rows]
    assert all(row["prediction"] in ("yes", "no") for row in scored)
    assert abs(float(scored[0]["probability_no"]) + float(scored[0]["probability_yes"]) - 1) < 1e-9
    return batch


def test_generated_python_client_runs_the_whole_journey(
    server: RunningServer, generated: Path, email: str
) -> None:
    client = sign_up(server.base_url, email)
    dataset = upload_and_profile(client)
    analysis = analyse(client, dataset.id)
    job, model = train(client, dataset.id)
    predict_online(client, model.id)
    batch = predict_batch(client, model.id)

    # Delete everything, then the account: what was deleted is a 404 problem, the token a 401.
    deletions = [
        ("predictions.delete_batch_prediction", batch.id),
        ("analysis.delete_analysis", analysis.id),
        ("training.delete_training_job", job.id),
        ("models.delete_model", model.id),
        ("datasets.delete_dataset", dataset.id),
    ]
    for delete, resource_id in deletions:
        assert operation(delete).sync_detailed(resource_id, client=client).status_code == 204, delete
    gone = operation("models.get_model").sync_detailed(model.id, client=client)
    assert gone.status_code == 404 and gone.parsed.status == 404 and gone.parsed.title
    assert operation("datasets.list_datasets").sync(client=client).items == []
    assert operation("auth.delete_current_user").sync_detailed(client=client).status_code == 204
    refused = operation("auth.get_current_user").sync_detailed(client=client)
    assert refused.status_code == 401 and refused.parsed.status == 401


def test_docs_python_example_runs(server: RunningServer, generated: Path) -> None:
    """The page's Python example, against the test server, with the package generated as the page says."""
    code = page_block("python").replace("http://127.0.0.1:8000", server.base_url)
    code += (
        "\nassert batch.status == 'succeeded' and scored_csv.count('\\n') == 401, (batch, scored_csv[:200])\n"
    )
    example = generated / "example.py"
    example.write_text(code)
    result = run([sys.executable, example], cwd=REPO, PYTHONPATH=str(generated))
    assert result.returncode == 0, result.stdout + result.stderr


# --- TypeScript: openapi-typescript + tsc ---------------------------------------------------------


def test_typescript_journey_type_checks_against_the_served_spec(
    server: RunningServer, tmp_path: Path
) -> None:
    generate_typescript_types(f"{server.base_url}/schema/openapi.json", tmp_path)
    checked = type_check(tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "example.ts").write_text(page_block("ts"))
    example = type_check(tmp_path, "example.ts")
    assert example.returncode == 0, (
        f"the TypeScript example of {PAGE.name}:\n{example.stdout}{example.stderr}"
    )


def _drop_batch_upload_body(spec: dict[str, Any]) -> None:
    del spec["paths"]["/api/v1/models/{model_id}/batch-predictions"]["post"]["requestBody"]


def _drop_training_job_model_id(spec: dict[str, Any]) -> None:
    job = spec["components"]["schemas"]["TrainingJob"]
    del job["properties"]["model_id"]
    job["required"].remove("model_id")


def _drop_register_201(spec: dict[str, Any]) -> None:
    del spec["paths"]["/api/v1/auth/register"]["post"]["responses"]["201"]


@pytest.mark.parametrize(
    ("regression", "flagged"),
    [
        (_drop_batch_upload_body, '"/api/v1/models/{model_id}/batch-predictions", "post">>>({'),
        (_drop_training_job_model_id, "job.model_id"),
        (_drop_register_201, '"/api/v1/auth/register", 201'),
    ],
    ids=["batch-upload-body", "training-job-model-id", "register-201"],
)
def test_typescript_journey_fails_on_a_spec_regression(
    server: RunningServer, tmp_path: Path, regression: Callable[[dict[str, Any]], None], flagged: str
) -> None:
    spec = httpx.get(f"{server.base_url}/schema/openapi.json", timeout=30).json()
    regression(spec)
    broken = tmp_path / "openapi.json"
    broken.write_text(json.dumps(spec))
    generate_typescript_types(broken, tmp_path / "types")
    checked = type_check(tmp_path / "types")
    assert checked.returncode != 0
    errors = [line for line in checked.stdout.splitlines() if line.startswith("journey.ts(")]
    # The first error is where the journey uses what was removed (later ones may follow from it).
    assert errors, checked.stdout + checked.stderr
    first_line = int(errors[0].removeprefix("journey.ts(").split(",")[0])
    assert flagged in JOURNEY_TS.read_text().splitlines()[first_line - 1], checked.stdout


# --- The docs page --------------------------------------------------------------------------------


def test_docs_page_shows_the_commands_and_versions_the_tests_use() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for command in documented_commands():
        assert command in page, f"{PAGE.name} should show `{command}`"
    assert DOCS_SPEC_URL in page
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pin = next(requirement for requirement in dev if requirement.startswith("openapi-python-client"))
    assert f"pip install '{pin}'" in page
    justfile = (REPO / "justfile").read_text()
    pins = dict(re.findall(r'^(openapi_typescript|typescript)_version := "([^"]+)"', justfile, re.M))
    packages = f"openapi-typescript@{pins['openapi_typescript']} typescript@{pins['typescript']}"
    assert f"npm install --save-dev {packages}" in page
