"""Bad uploads: each a 4xx problem-details response, and nothing stored (no object, no dataset)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import pytest

from tests.integration.datasets.conftest import MAX_UPLOAD, PROBLEM, DatasetEnv

pytestmark = pytest.mark.integration


async def assert_nothing_stored(env: DatasetEnv, headers: dict[str, str]) -> None:
    listing = await env.client.get("/api/v1/datasets", headers=headers)
    assert listing.json()["total"] == 0
    assert env.stored_objects() == []


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


WIDE = (
    ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" for _ in range(10_000)) + "\n"
).encode()
HUGE_CELL = b"id,blob\n1," + b"x" * (10 * 1024 * 1024) + b"\n2,small\n"
RAGGED_LATE = b"a,b,c\n" + b"1,2,3\n" * 50_000 + b"1,2,3,4\n"
SHORT_LATE = b"a,b,c\n" + b"1,2,3\n" * 50_000 + b"1,2\n" + b"1,2,3\n" * 10  # past the sniffed head


@pytest.mark.parametrize(
    ("content", "filename", "status", "words"),
    [
        (b"", "empty.csv", 422, "empty"),
        (b"   \n\n", "blank.csv", 422, "empty"),
        (b"id,name,score\n", "header.csv", 422, "no data rows"),
        (bytes(range(256)) * 64, "garbage.csv", 415, "binary"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 500, "image.csv", 415, "png image"),
        (b"a,b,c\n1,2,3\n4,5\n", "ragged.csv", 422, "ragged"),
        (RAGGED_LATE, "ragged-late.csv", 422, "ragged"),
        (SHORT_LATE, "short-late.csv", 422, "record 50002 has 2 fields but the header has 3"),
        (WIDE, "wide.csv", 422, "columns"),
        (HUGE_CELL, "cell.csv", 422, "cell"),
        (zip_bomb(), "bomb.xlsx", 422, "zip bomb"),
        (plain_zip(), "archive.xlsx", 415, "not an excel workbook"),
        (b"PAR1 this is not really parquet", "fake.parquet", 422, "parquet"),
    ],
    ids=[
        "empty",
        "whitespace",
        "header-only",
        "binary-garbage",
        "png-named-csv",
        "ragged",
        "ragged-late",
        "short-row-late",
        "10000-columns",
        "10MB-cell",
        "xlsx-zip-bomb",
        "zip-not-xlsx",
        "broken-parquet",
    ],
)
async def test_bad_upload_is_rejected_and_nothing_stored(
    env: DatasetEnv, content: bytes, filename: str, status: int, words: str
) -> None:
    headers = await env.headers()
    response = await env.upload(headers, content, filename)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert words in response.json()["detail"].lower(), response.json()
    await assert_nothing_stored(env, headers)


PARSER_WORDS = (
    "new_columns",
    "extra_columns",
    "dtype",
    "row_offset",
    "chunk",
    "supertype",
    "struct[",
    "polars",
)


@pytest.mark.parametrize(
    ("content", "filename", "words"),
    [
        (b"a,b\r1,2\r3,4\r", "mac.csv", "carriage return alone"),
        (b'a,b\n1,"2\n3,4\n', "open-quote.csv", "quote that is never closed"),
        (b'a,b\n1,2"x\n3,4\n', "stray-quote.csv", "quote inside an unquoted value"),
        (b'{"a": 1}\n{"a": 2\n{"a": 3}\n', "cut.jsonl", "not one complete json object"),
        (b'{"a": {"b": 1}}\n{"a": [1, 2]}\n', "kinds.jsonl", "values of different kinds"),
    ],
    ids=["cr-only-line-endings", "unclosed-quote", "stray-quote", "broken-json-line", "mixed-json-kinds"],
)
async def test_unreadable_files_are_explained_in_the_uploaders_terms(
    env: DatasetEnv, content: bytes, filename: str, words: str
) -> None:
    headers = await env.headers()
    response = await env.upload(headers, content, filename)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert words in detail.lower(), detail
    assert not [word for word in PARSER_WORDS if word in detail.lower()], detail  # no parser internals
    await assert_nothing_stored(env, headers)


async def test_upload_over_the_size_limit_is_413(env: DatasetEnv) -> None:
    headers = await env.headers()
    response = await env.upload(headers, b"a,b\n" + b"1,2\n" * (MAX_UPLOAD // 4 + 10))
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")
    await assert_nothing_stored(env, headers)


async def test_upload_over_the_limit_without_content_length_is_413(env: DatasetEnv) -> None:
    headers = await env.headers()

    async def body() -> AsyncIterator[bytes]:
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\na,b\n'
        for _ in range(MAX_UPLOAD // (1024 * 1024) + 2):
            yield b"1,2\n" * (256 * 1024)
        yield b"\r\n--XyZ--\r\n"

    response = await env.client.post(
        "/api/v1/datasets",
        headers={**headers, "content-type": "multipart/form-data; boundary=XyZ"},
        content=body(),
    )
    assert response.status_code == 413
    await assert_nothing_stored(env, headers)


async def test_truncated_multipart_body_is_400(env: DatasetEnv) -> None:
    headers = await env.headers()
    body = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\n1,2\n'
    response = await env.client.post(
        "/api/v1/datasets",
        headers={**headers, "content-type": "multipart/form-data; boundary=XyZ"},
        content=body,
    )
    assert response.status_code == 400, response.text
    assert "cut short" in response.json()["detail"]
    # The errors guide's kind for a broken multipart body, as the spec's 400 example says.
    assert response.json()["type"].endswith("/malformed-body")
    await assert_nothing_stored(env, headers)


async def test_client_disconnect_mid_upload_leaves_nothing(env: DatasetEnv) -> None:
    """The server sees `http.disconnect` part-way through the body, as when a client drops."""
    headers = await env.headers()
    messages: list[dict[str, object]] = [
        {
            "type": "http.request",
            "body": b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\n',
            "more_body": True,
        },
        {"type": "http.request", "body": b"1,2\n" * 100_000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/datasets",
        "raw_path": b"/api/v1/datasets",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", headers["Authorization"].encode()),
            (b"content-type", b"multipart/form-data; boundary=XyZ"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    await env.app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    await assert_nothing_stored(env, headers)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b'{"file": "a,b"}', "headers": {"content-type": "application/json"}}, 415),
        ({"data": {"name": "no file"}, "files": {"other": ("a.csv", b"a\n1\n")}}, 422),
    ],
    ids=["not-multipart", "no-file-part"],
)
async def test_request_without_a_file_part(env: DatasetEnv, kwargs: dict[str, object], status: int) -> None:
    headers = await env.headers()
    extra = kwargs.pop("headers", {})
    response = await env.client.post("/api/v1/datasets", headers={**headers, **extra}, **kwargs)  # type: ignore[arg-type, dict-item]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    await assert_nothing_stored(env, headers)


async def test_overlong_name_is_422(env: DatasetEnv) -> None:
    headers = await env.headers()
    response = await env.upload(headers, b"a\n1\n", name="n" * 201)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "body.name"
    await assert_nothing_stored(env, headers)


async def test_short_record_far_into_the_file_is_named(env: DatasetEnv) -> None:
    headers = await env.headers()
    response = await env.upload(headers, SHORT_LATE, "short-late.csv")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "record:50002"
    await assert_nothing_stored(env, headers)


async def test_not_tabular_is_refused_before_the_rest_of_the_file_is_sent(env: DatasetEnv) -> None:
    headers = await env.headers()
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="photo.csv"\r\n\r\n'
        for _ in range(40):  # 10 MB of binary, 256 KB at a time
            sent += 1
            yield bytes(range(256)) * 1024
        yield b"\r\n--XyZ--\r\n"

    response = await env.client.post(
        "/api/v1/datasets",
        headers={**headers, "content-type": "multipart/form-data; boundary=XyZ"},
        content=body(),
    )
    assert response.status_code == 415, response.text
    assert "binary" in response.json()["detail"]
    assert sent <= 2  # answered on the first 256 KB, not after 10 MB
    await assert_nothing_stored(env, headers)
