"""Every accepted format and encoding, detected from content; the profile a user reads."""

from __future__ import annotations

import io
import json
from datetime import datetime

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.integration.datasets.conftest import DatasetEnv

pytestmark = pytest.mark.integration

ROWS = [("1", "Zoé", "3.5"), ("2", "Ana", ""), ("3", "Björn", "7.25")]


def delimited(delimiter: str) -> bytes:
    lines = [delimiter.join(("id", "name", "score"))] + [delimiter.join(row) for row in ROWS]
    return ("\n".join(lines) + "\n").encode()


async def preview(env: DatasetEnv, headers: dict[str, str], dataset_id: str) -> dict[str, object]:
    response = await env.client.get(f"/api/v1/datasets/{dataset_id}/preview", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("delimiter", "expected_format"), [(",", "csv"), (";", "csv"), ("\t", "tsv"), ("|", "csv")]
)
async def test_delimiters_are_sniffed(env: DatasetEnv, delimiter: str, expected_format: str) -> None:
    headers = await env.headers()
    # The name and Content-Type lie: detection uses the content.
    response = await env.upload(headers, delimited(delimiter), "data.bin", "application/octet-stream")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["format"], dataset["delimiter"]) == (expected_format, delimiter)
    rows = (await preview(env, headers, dataset["id"]))["rows"]
    assert rows == [[1, "Zoé", 3.5], [2, "Ana", None], [3, "Björn", 7.25]]


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (delimited(",").decode().encode("utf-8-sig"), "utf-8-sig"),
        (delimited(",").decode().encode("utf-16"), "utf-16"),
        (delimited(",").decode().encode("utf-16-le"), "utf-16-le"),
        (delimited(",").decode().encode("latin-1"), "latin-1"),
    ],
)
async def test_encodings_are_detected_and_reported(env: DatasetEnv, encoded: bytes, encoding: str) -> None:
    headers = await env.headers()
    response = await env.upload(headers, encoded)
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["encoding"] == encoding
    preview_body = await preview(env, headers, dataset["id"])
    assert preview_body["columns"] == ["id", "name", "score"]
    assert [row[1] for row in preview_body["rows"]] == ["Zoé", "Ana", "Björn"]  # type: ignore[index]
    download = await env.client.get(f"/api/v1/datasets/{dataset['id']}/download", headers=headers)
    assert download.content == encoded


async def test_latin1_after_a_utf8_looking_start(env: DatasetEnv) -> None:
    headers = await env.headers()
    body = b"id,city\n" + b"".join(b"%d,Paris\n" % i for i in range(40_000)) + b"40000,Besan\xe7on\n"
    response = await env.upload(headers, body)
    assert response.status_code == 201, response.text
    assert response.json()["encoding"] == "latin-1"
    page = await preview(env, headers, response.json()["id"])
    assert page["total"] == 40_001


async def test_xlsx(env: DatasetEnv) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "amount", "when", "label"])
    sheet.append([1, 2.5, datetime(2024, 1, 2, 3, 4, 5), "a"])
    sheet.append([2, 3.0, datetime(2024, 2, 3), "b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    headers = await env.headers()
    response = await env.upload(headers, buffer.getvalue(), "book.xlsx", "application/octet-stream")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["format"], dataset["encoding"], dataset["rows"]) == ("xlsx", None, 2)
    page = await preview(env, headers, dataset["id"])
    assert page["rows"] == [
        [1, 2.5, "2024-01-02 03:04:05.000000", "a"],
        [2, 3.0, "2024-02-03 00:00:00.000000", "b"],
    ]


async def test_parquet(env: DatasetEnv) -> None:
    table = pa.table(
        {"x": [1, 2, 3], "y": ["a", None, "c"], "z": pa.array(["u", "v", "u"]).dictionary_encode()}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    headers = await env.headers()
    response = await env.upload(headers, buffer.getvalue(), "t.csv")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "parquet"
    assert (await preview(env, headers, response.json()["id"]))["rows"] == [
        [1, "a", "u"],
        [2, None, "v"],
        [3, "c", "u"],
    ]


async def test_json_lines_with_nested_values(env: DatasetEnv) -> None:
    lines = [{"id": 1, "tags": ["a", "b"], "meta": {"k": 1}}, {"id": 2, "tags": [], "meta": {"k": 2}}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    headers = await env.headers()
    response = await env.upload(headers, body, "events.jsonl")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "jsonl"
    rows = (await preview(env, headers, response.json()["id"]))["rows"]
    assert rows == [[1, '["a","b"]', '{"k":1}'], [2, "[]", '{"k":2}']]


async def test_duplicate_blank_and_unicode_headers(env: DatasetEnv) -> None:
    body = "prénom,名前,price,price,,price_2\nA,B,1,2,3,4\n".encode()
    headers = await env.headers()
    response = await env.upload(headers, body)
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["renamed_columns"] == [
        {"original": "price", "renamed_to": "price_2"},
        {"original": "", "renamed_to": "column_5"},
        {"original": "price_2", "renamed_to": "price_2_2"},
    ]
    assert (await preview(env, headers, dataset["id"]))["columns"] == [
        "prénom",
        "名前",
        "price",
        "price_2",
        "column_5",
        "price_2_2",
    ]
    profile = (await env.client.get(f"/api/v1/datasets/{dataset['id']}/profile", headers=headers)).json()
    assert any(f["code"] == "renamed_columns" for f in profile["findings"])


def profile_csv() -> bytes:
    lines = ["customer_id,age,score,city,joined,active,email,card,note,constant,comment"]
    cards = ["4111 1111 1111 1111", "5500-0000-0000-0004", "4012888888881881"]
    for i in range(60):
        score = "" if i % 3 == 0 else f"{i * 1.5}"
        city = ["Paris", "Lyon", "Nice"][i % 3]
        note = "=cmd|' /C calc'!A0" if i == 5 else f"n{i % 4}"
        lines.append(
            f"C{i:04d},{20 + i % 40},{score},{city},2024-01-{i % 28 + 1:02d}T10:00:00,"
            f"{'true' if i % 2 else 'false'},user{i}@example.com,{cards[i % 3]},{note},same,"
            f"the quick brown fox number {i}"
        )
    lines.append(lines[-1])  # one duplicate row
    return ("\n".join(lines) + "\n").encode()


async def test_profile_types_stats_findings_and_masked_pii(env: DatasetEnv) -> None:
    headers = await env.headers()
    dataset = (await env.upload(headers, profile_csv())).json()
    response = await env.client.get(f"/api/v1/datasets/{dataset['id']}/profile", headers=headers)
    assert response.status_code == 200
    profile = response.json()
    assert (profile["rows"], profile["columns"], profile["duplicate_rows"]) == (61, 11, 1)
    assert profile["memory_bytes"] > 0 and "duplicate_rows" in profile["estimated"]
    columns = {c["name"]: c for c in profile["column_profiles"]}
    assert {name: c["semantic_type"] for name, c in columns.items()} == {
        "customer_id": "categorical",  # a repeated last row makes it non-unique
        "age": "integer",
        "score": "float",
        "city": "categorical",
        "joined": "datetime",
        "active": "boolean",
        "email": "categorical",
        "card": "categorical",
        "note": "categorical",
        "constant": "categorical",
        "comment": "text",
    }
    score = columns["score"]
    assert score["null_count"] == 20 and score["null_ratio"] == pytest.approx(20 / 61, abs=1e-4)
    assert score["numeric"]["min"] == 1.5 and score["numeric"]["max"] == 88.5
    assert set(score["numeric"]["quantiles"]) == {"p01", "p05", "p25", "p50", "p75", "p95", "p99"}
    assert columns["city"]["top_values"] == [
        {"value": "Nice", "count": 21},  # the repeated last row is in Nice
        {"value": "Lyon", "count": 20},
        {"value": "Paris", "count": 20},
    ]
    assert columns["joined"]["datetime_min"].startswith("2024-01-01T10:00:00")
    email = columns["email"]
    assert [p["kind"] for p in email["pii"]] == ["email"] and email["pii"][0]["confidence"] == "high"
    assert all("@" in v and "user" not in v for v in email["sample_values"]), email["sample_values"]
    card = columns["card"]
    assert [p["kind"] for p in card["pii"]] == ["credit_card"]
    assert all(v.endswith(("1111", "0004", "1881")) and "*" in v for v in card["sample_values"])
    codes = {(f["code"], tuple(f["columns"])) for f in profile["findings"]}
    assert ("constant_column", ("constant",)) in codes
    assert ("csv_injection", ("note",)) in codes
    assert ("duplicate_rows", ()) in codes
    assert ("pii", ("email",)) in codes
    # The injection cell is kept as data, byte for byte.
    rows = (await env.client.get(f"/api/v1/datasets/{dataset['id']}/preview", headers=headers)).json()["rows"]
    assert rows[5][8] == "=cmd|' /C calc'!A0"
