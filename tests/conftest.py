"""Shared fixtures: real SecantusDB and moto S3 (session scope), a fresh database per test."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from modelyard.app import create_app
from modelyard.lifespan import app_state
from modelyard.settings import (
    AnalysisSettings,
    AppSettings,
    AuthSettings,
    DatabaseSettings,
    Settings,
    StorageSettings,
)
from tests.services.processes import SUITE_OPERATION_TIMEOUT_MS, start_moto, start_secantus, stop

TEST_JWT_SECRET = "test-secret-" + "s" * 40

# S3 credentials for moto; set before any client is built.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


# Under pytest-xdist (`just test`, `--dist loadfile`) each worker is a test session of its own: the
# session fixtures below (SecantusDB, moto S3) start once per worker, each test gets its own
# database and directories, so workers share nothing; a module's tests run on one worker, so its
# module-scoped fixtures (an app with its process pool, a server) start once.


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    process, url = start_secantus()
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    process, url = start_moto()
    try:
        yield url
    finally:
        stop(process)


PRODUCT_OPERATION_TIMEOUT_MS = DatabaseSettings.model_fields["operation_timeout_ms"].default


def make_settings(
    mongodb_url: str,
    storage_url: str,
    *,
    s3_endpoint: str | None = None,
    var_dir: Path,
    operation_timeout_ms: int = SUITE_OPERATION_TIMEOUT_MS,
    **app: object,
) -> Settings:
    app.setdefault("warm_workers", False)  # most tests never use the pool; the e2e servers warm it
    database = DatabaseSettings(
        url=mongodb_url,
        database=f"t_{uuid.uuid4().hex[:16]}",
        timeout_ms=3000,
        operation_timeout_ms=operation_timeout_ms,
    )
    return Settings(
        app=AppSettings(env="test", var_dir=var_dir, **app),  # type: ignore[arg-type]
        database=database,
        storage=StorageSettings(url=storage_url, s3_endpoint_url=s3_endpoint),
        auth=AuthSettings(secret=TEST_JWT_SECRET, expire_minutes=30),
        # Never the network: an OPENAI_API_KEY in the environment must not switch tests to OpenAI.
        analysis=AnalysisSettings(provider="heuristic"),
    )


@pytest.fixture
def settings(mongodb_url: str, tmp_path: Path) -> Settings:
    return make_settings(mongodb_url, f"file://{tmp_path / 'objects'}", var_dir=tmp_path / "var")


@asynccontextmanager
async def running(application: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in one task of its own.

    Litestar's lifespan holds anyio cancel scopes that must be entered and left by the
    same task; pytest-asyncio sets a fixture up and tears it down in different tasks.
    """
    started, finish = asyncio.Event(), asyncio.Event()
    failure: list[BaseException] = []

    async def hold() -> None:
        try:
            async with application.lifespan():
                started.set()
                await finish.wait()
                await app_state(application).client.drop_database(app_state(application).database_name)
        except BaseException as exc:
            failure.append(exc)
            started.set()
            raise

    task = asyncio.create_task(hold())
    await started.wait()
    if failure:
        await asyncio.gather(task, return_exceptions=True)
        raise failure[0]
    try:
        yield application
    finally:
        finish.set()
        done, _ = await asyncio.wait({task}, timeout=LIFESPAN_EXIT_S)
        if not done:  # a hang becomes a failure that says where every task waits
            pytest.fail(f"the app's lifespan did not end within {LIFESPAN_EXIT_S:.0f} s:\n{task_stacks()}")
        await task


LIFESPAN_EXIT_S = 60.0


def task_stacks() -> str:
    """Where each asyncio task of the running loop is waiting."""
    out = io.StringIO()
    for each in asyncio.all_tasks():
        out.write(f"--- {each.get_name()}\n")
        each.print_stack(file=out)
    return out.getvalue()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    async with running(create_app(settings)) as application:
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def register_and_login(
    client: httpx.AsyncClient, email: str | None = None, password: str = "a-long-password"
) -> dict[str, str]:
    """Register an account and return the Authorization header for it."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    response = await client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def auth_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return await register_and_login(client)
