"""Odd and hostile requests get a 4xx problem that says what is wrong and where, never a 500."""

from __future__ import annotations

import io
import json

import httpx
import pytest

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def nested_object(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize("body", [nested(1000), nested_object(1000)], ids=["arrays", "objects"])
async def test_deeply_nested_json_is_a_400_on_public_and_private_endpoints(
    client: httpx.AsyncClient, auth_headers: dict[str, str], body: bytes
) -> None:
    json_headers = {"Content-Type": "application/json"}
    for path, headers in (
        ("/api/v1/auth/register", json_headers),
        ("/api/v1/training-jobs", {**json_headers, **auth_headers}),
        (f"/api/v1/models/{'a' * 24}/predictions", {**json_headers, **auth_headers}),
    ):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 400, (path, response.status_code, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "nest" in response.json()["detail"], response.text


async def test_moderately_nested_json_is_still_read(client: httpx.AsyncClient) -> None:
    # 30 levels is far from the limit: the request reaches validation (422, not 400).
    response = await client.post(
        "/api/v1/auth/register", content=nested_object(30), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text


async def test_string_where_an_integer_is_expected_is_a_422(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    body = {"dataset_id": "a" * 24, "target": "y", "time_budget_s": "10"}
    response = await client.post("/api/v1/training-jobs", json=body, headers=auth_headers)
    assert response.status_code == 422, response.text
    assert any(e["location"] == "body.time_budget_s" for e in response.json()["errors"]), response.text


async def test_text_plain_body_is_a_415(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    body = json.dumps({"email": "x@example.com", "password": "a-long-password"})
    response = await client.post(
        "/api/v1/auth/register", content=body, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415, response.text
    assert response.json()["type"].endswith("/unsupported-media-type")


async def test_json_body_to_the_token_endpoint_never_echoes_the_password(client: httpx.AsyncClient) -> None:
    secret = "my-secret-password-123"
    response = await client.post("/api/v1/auth/token", json={"username": "a@example.com", "password": secret})
    assert response.status_code in (415, 422), response.text
    assert secret not in response.text


@pytest.mark.parametrize(
    "email",
    ["evil\u0000@example.com", "ev\u200bil@example.com", "\u202eevil@example.com", "ev\u2066il@example.com"],
    ids=["nul", "zero-width", "bidi-override", "bidi-isolate"],
)
async def test_control_and_format_characters_in_emails_are_refused(
    client: httpx.AsyncClient, email: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "a-long-password"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "body.email"


@pytest.mark.parametrize(
    ("email", "mixed"),
    [
        ("p\u0430ypal@example.com", "Cyrillic and Latin"),  # a Cyrillic a (U+0430) in a Latin local part
        ("paypal@ex\u0430mple.com", "Cyrillic and Latin"),  # ... in a domain label
        ("\u03bfpenai@example.com", "Greek and Latin"),  # a Greek omicron
    ],
    ids=["local-part", "domain", "greek"],
)
async def test_mixed_script_look_alike_emails_are_refused(
    client: httpx.AsyncClient, email: str, mixed: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "a-long-password"}
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["location"] == "body.email" and f"mixes {mixed} letters" in error["message"], error


@pytest.mark.parametrize(
    "email",
    [
        "\u0434\u043c\u0438\u0442\u0440\u0438\u0439@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
        "jos\u00e9-1990@b\u00fccher.example",
        "\u5c71\u7530\u305f\u308d\u3046@\u4f8b\u3048.jp",  # Japanese: kanji with hiragana
    ],
    ids=["cyrillic", "latin-accents", "japanese"],
)
async def test_one_script_per_part_is_accepted(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "a-long-password"}
    )
    assert response.status_code == 201, response.text


async def test_emails_are_normalised_to_nfkc(client: httpx.AsyncClient) -> None:
    fullwidth = "\uff41lice-nfkc@example.com"  # fullwidth "a"
    response = await client.post(
        "/api/v1/auth/register", json={"email": fullwidth, "password": "a-long-password"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "alice-nfkc@example.com"
    again = await client.post(
        "/api/v1/auth/register", json={"email": "alice-nfkc@example.com", "password": "a-long-password"}
    )
    assert again.status_code == 409, again.text


async def test_a_pdf_renamed_to_csv_is_refused(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    response = await client.post(
        "/api/v1/datasets", headers=auth_headers, files={"file": ("report.csv", io.BytesIO(pdf), "text/csv")}
    )
    assert response.status_code in (415, 422), response.text
    assert "PDF" in response.json()["detail"], response.text


async def test_error_locations_name_what_the_client_sent(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    listed = await client.get("/api/v1/datasets?limit=0", headers=auth_headers)
    assert listed.status_code == 422, listed.text
    assert [e["location"] for e in listed.json()["errors"]] == ["query.limit"], listed.text
    unknown = await client.post(
        "/api/v1/auth/register",
        json={"email": "u@example.com", "password": "a-long-password", "nickname": "x"},
    )
    assert unknown.status_code == 422, unknown.text
    assert "nickname" in json.dumps(unknown.json()["errors"]), unknown.text


async def test_excluding_every_feature_column_is_a_422_up_front(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    csv = ("a,b,y\n" + "\n".join(f"{i},{i * 2},{i % 2}" for i in range(40))).encode()
    uploaded = await client.post(
        "/api/v1/datasets", headers=auth_headers, files={"file": ("d.csv", io.BytesIO(csv), "text/csv")}
    )
    assert uploaded.status_code == 201, uploaded.text
    body = {"dataset_id": uploaded.json()["id"], "target": "y", "exclude_columns": ["a", "b"]}
    response = await client.post("/api/v1/training-jobs", json=body, headers=auth_headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "body.exclude_columns"


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/datasets", "GET, OPTIONS, POST"),
        ("/api/v1/datasets/" + "a" * 24, "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/models/" + "a" * 24, "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/auth/me", "DELETE, GET, OPTIONS"),
        ("/api/v1/training-jobs", "GET, OPTIONS, POST"),
        ("/api/v1/batch-predictions/" + "a" * 24, "DELETE, GET, OPTIONS"),
    ],
)
async def test_options_lists_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, methods: str
) -> None:
    response = await client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == methods


@pytest.mark.parametrize("path", ["/api/v1/models", "/api/v1/training-jobs"])
async def test_a_dataset_id_filter_is_located_in_the_query(
    client: httpx.AsyncClient, auth_headers: dict[str, str], path: str
) -> None:
    """Litestar files every name starting with `data` under the body; the client sent a query."""
    response = await client.get(path, params={"dataset_id": "f" * 65}, headers=auth_headers)
    assert response.status_code == 422, response.text
    assert [e["location"] for e in response.json()["errors"]] == ["query.dataset_id"]


async def test_a_form_field_missing_from_the_token_request_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", data={"username": "ada@example.com"})
    assert response.status_code == 422, response.text
    assert [e["location"] for e in response.json()["errors"]] == ["body.password"]
