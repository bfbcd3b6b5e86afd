"""A path id that can never be an id is a 422 naming `path.<name>`; a well-formed unknown one a 404.

Generic: every operation the spec lists with a `{..._id}` in its path is called, so a new
endpoint is held to the rule (and to the pattern its spec declares) the moment it is routed.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.services.openapi import generated_spec

pytestmark = pytest.mark.integration

SPEC = generated_spec()
WITH_IDS = [
    (method, path, [p["name"] for p in op["parameters"] if p["in"] == "path"])
    for path, item in sorted(SPEC["paths"].items())
    for method, op in item.items()
    if method in {"get", "post", "patch", "delete"} and "{" in path
]
UNKNOWN_ID = "665f1c2a9b1e8a3d4c5b6a79"


def url(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def declared_pattern(method: str, path: str, name: str) -> str:
    [param] = [p for p in SPEC["paths"][path][method]["parameters"] if p["name"] == name]
    return str(param["schema"]["pattern"])


async def test_a_malformed_path_id_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    assert len(WITH_IDS) >= 20
    wrong: list[str] = []
    for bad in ("not-an-id", UNKNOWN_ID.upper(), UNKNOWN_ID + "0"):
        for method, path, names in WITH_IDS:
            assert all(not re.fullmatch(declared_pattern(method, path, n), bad) for n in names)
            response = await client.request(method, url(path, bad), headers=auth_headers)
            body = response.json()
            locations = [e["location"] for e in body.get("errors", [])]
            if response.status_code != 422 or not set(locations) & {f"path.{n}" for n in names}:
                wrong.append(f"{method.upper()} {url(path, bad)}: {response.status_code} {locations}")
            elif not body["type"].endswith("/validation-error") or "path." not in body["detail"]:
                wrong.append(f"{method.upper()} {url(path, bad)}: {body}")
    assert wrong == []


async def test_a_well_formed_unknown_id_is_still_a_404(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    """The pattern changes nothing for real ids: unknown ones (or another user's) stay 404s."""
    answers = {}
    for method, path, _ in WITH_IDS:
        if method in {"get", "delete"}:
            response = await client.request(method, url(path, UNKNOWN_ID), headers=auth_headers)
            answers[f"{method.upper()} {path}"] = (
                response.status_code,
                response.json()["type"].rsplit("/", 1)[-1],
            )
    assert len(answers) >= 15
    assert set(answers.values()) == {(404, "not-found")}, answers
