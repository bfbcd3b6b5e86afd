"""Every example in the spec is a realistic value: valid against its own schema, never a placeholder
made from the field's name, and consistent with the operation and the neighbours it appears with.

Generated clients, Swagger UI and Redoc show these examples as the API's answers; an example that
its own schema rejects, or a `sha256` of "sha256", teaches an integrator something false.
Generic on purpose: it walks the whole served spec, so new fields and operations are held to
the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from modelyard.lib.errors import PROBLEM_MEDIA_TYPE
from modelyard.lib.schema import JOB_STATUSES, OBJECT_ID_PATTERN
from tests.services.openapi import generated_spec

SPEC = generated_spec()
SPEC_URI = "https://modelyard.dev/schema/openapi.json"
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)
METHODS = {"get", "put", "post", "delete", "patch"}


@dataclass(frozen=True)
class Found:
    """One example value and the schema it must satisfy (a JSON pointer into the spec)."""

    schema_at: str
    name: str | None
    value: Any

    @property
    def id(self) -> str:
        return f"{self.schema_at} ({self.name})"


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _schema_examples(schema: Any, at: str, name: str | None) -> list[Found]:
    """Examples declared inside a schema (its own and its properties', items', branches')."""
    if not isinstance(schema, dict):
        return []
    found = [Found(at, name, value) for value in schema.get("examples", [])]
    if "example" in schema:
        found.append(Found(at, name, schema["example"]))
    for prop, sub in schema.get("properties", {}).items():
        found += _schema_examples(sub, f"{at}/properties/{_pointer(prop)[1:]}", prop)
    if isinstance(schema.get("items"), dict):
        found += _schema_examples(schema["items"], f"{at}/items", name)
    for key in ("oneOf", "anyOf", "allOf"):
        for i, branch in enumerate(schema.get(key, [])):
            found += _schema_examples(branch, f"{at}/{key}/{i}", name)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _schema_examples(schema["additionalProperties"], f"{at}/additionalProperties", name)
    return found


def _media_examples(media: dict[str, Any], at: str, name: str | None) -> list[Found]:
    found = [Found(f"{at}/schema", name, e["value"]) for e in media.get("examples", {}).values()]
    if "example" in media:
        found.append(Found(f"{at}/schema", name, media["example"]))
    return found + _schema_examples(media.get("schema"), f"{at}/schema", name)


def _operation_examples(path: str, method: str, op: dict[str, Any]) -> list[Found]:
    at = _pointer("paths", path, method)
    found: list[Found] = []
    for i, param in enumerate(op.get("parameters", [])):
        schema_at = f"{at}/parameters/{i}/schema"
        found += [Found(schema_at, param["name"], e["value"]) for e in param.get("examples", {}).values()]
        if "example" in param:
            found.append(Found(schema_at, param["name"], param["example"]))
        found += _schema_examples(param.get("schema"), schema_at, param["name"])
    for media_type, media in op.get("requestBody", {}).get("content", {}).items():
        found += _media_examples(media, f"{at}/requestBody/content/{_pointer(media_type)[1:]}", None)
    for status, response in op.get("responses", {}).items():
        for media_type, media in response.get("content", {}).items():
            found += _media_examples(
                media, f"{at}/responses/{status}/content/{_pointer(media_type)[1:]}", None
            )
        for header, spec in response.get("headers", {}).items():
            schema_at = f"{at}/responses/{status}/headers/{_pointer(header)[1:]}/schema"
            if "example" in spec:
                found.append(Found(schema_at, header, spec["example"]))
            found += _schema_examples(spec.get("schema"), schema_at, header)
    return found


def all_examples() -> list[Found]:
    found: list[Found] = []
    for component, schema in SPEC["components"]["schemas"].items():
        found += _schema_examples(schema, _pointer("components", "schemas", component), component)
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                found += _operation_examples(path, method, op)
    return found


EXAMPLES = all_examples()
PLACES = sorted({"/".join(found.schema_at.split("/")[:4]) for found in EXAMPLES})
"""Each component schema and each operation: one test case each, so a failure names it."""


def test_examples_are_found_everywhere() -> None:
    """The walk reaches fields, parameters, headers, problem and whole-object examples."""
    places = {found.schema_at.split("/")[1] for found in EXAMPLES}
    assert places == {"components", "paths"}
    kinds = " ".join(found.schema_at for found in EXAMPLES)
    for part in ("/properties/", "/parameters/", "/headers/", "/application~1problem+json/", "/requestBody/"):
        assert part in kinds, part
    assert any(isinstance(found.value, dict) and "status" in found.value for found in EXAMPLES)


def _invalid(found: Found) -> list[str]:
    ref = SPEC_URI + "#" + quote(found.schema_at, safe="/~+")
    validator = OAS31Validator({"$ref": ref}, registry=REGISTRY, format_checker=oas31_format_checker)
    return [
        f"{found.id} {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(found.value)
    ]


def test_the_validation_rejects_a_wrong_example() -> None:
    """The check can fail: a 23-digit id, a date that is not RFC 3339, a missing required field."""
    user = next(found for found in EXAMPLES if found.schema_at == "/components/schemas/User/properties/id")
    assert _invalid(Found(user.schema_at, "id", "665f1b924c1d2b3a59e7f80"))
    created = "/components/schemas/User/properties/created_at"
    assert _invalid(Found(created, "created_at", "4 June 2024"))
    assert _invalid(Found("/components/schemas/User", "User", {"id": user.value, "email": "ada@example.com"}))


@pytest.mark.parametrize("place", PLACES)
def test_every_example_validates_against_its_schema(place: str) -> None:
    """Checked with the OpenAPI 3.1 dialect (JSON Schema 2020-12 plus formats), `$ref`s resolved
    in the spec's components."""
    found = [f for f in EXAMPLES if f.schema_at == place or f.schema_at.startswith(place + "/")]
    assert found
    assert [error for f in found for error in _invalid(f)] == []


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-.]", "", text.lower())


def _placeholder_of(name: str, text: str) -> bool:
    """`text` is `name` again, up to case, `-`/`_`/spaces and a plural `s`."""
    word, value = _normal(name), _normal(text)
    return bool(word) and value in {word, word + "s", word.removesuffix("s"), word + "es"}


def _placeholders(name: str | None, value: Any) -> list[str]:
    if isinstance(value, str):
        return [f"{name}: {value!r}"] if name and _placeholder_of(name, value) else []
    if isinstance(value, list):
        return [p for item in value for p in _placeholders(name, item)]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _placeholders(str(key), item)]
    return []


def test_the_placeholder_check_catches_the_old_examples() -> None:
    for name, text in (
        ("sha256", "sha256"),
        ("result_url", "result-url"),
        ("next_steps", "Next-Steps"),
        ("columns", "column"),
        ("sample_values", "sample-values"),
        ("column", "columns"),
    ):
        assert _placeholder_of(name, text), (name, text)
    assert not _placeholder_of("status", "queued")
    assert not _placeholder_of("name", "customers-2024")


def test_no_string_example_is_its_own_field_name() -> None:
    """Not in fields, parameters or headers, nor inside whole-object examples."""
    found = [p for example in EXAMPLES for p in _placeholders(example.name, example.value)]
    assert found == []


# --- consistency with neighbours -----------------------------------------------------------------


def _whole_objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(o for item in value.values() for o in _whole_objects(item))]
    if isinstance(value, list):
        return [o for item in value for o in _whole_objects(item)]
    return []


JOBS = [
    job
    for found in EXAMPLES
    if found.schema_at.startswith("/paths/")
    for job in _whole_objects(found.value)
    if job.get("status") in JOB_STATUSES and "progress" in job
]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def test_job_examples_are_consistent_with_their_status() -> None:
    """A queued job has not started and carries no error; a finished one has its times in order."""
    assert {job["status"] for job in JOBS} >= {"queued", "running", "succeeded"}
    for job in JOBS:
        created, started, finished = (_moment(job[k]) for k in ("created_at", "started_at", "finished_at"))
        assert job["error"] is None or job["status"] == "failed", job
        if job["status"] == "queued":
            assert (job["progress"], started, finished) == (0.0, None, None), job
        if job["status"] == "running":
            assert started is not None and finished is None and 0 < job["progress"] < 1, job
        if job["status"] == "succeeded":
            assert created is not None and started is not None and finished is not None, job
            assert created <= started <= finished and job["progress"] == 1.0, job
        ids = [v for k, v in job.items() if k == "id" or k.endswith("_id")]
        assert all(v is None or re.fullmatch(OBJECT_ID_PATTERN, v) for v in ids), job


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


GETTABLE = [_template(path) for path, item in SPEC["paths"].items() if "get" in item]

LOCATIONS = [
    (f"{method.upper()} {path} {status}", response)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in METHODS
    for status, response in op["responses"].items()
    if status in {"201", "202"}
]


@pytest.mark.parametrize("case", LOCATIONS, ids=lambda case: case[0])
def test_a_location_example_is_where_the_example_body_is_read(case: tuple[str, dict[str, Any]]) -> None:
    _, response = case
    location = response["headers"]["Location"]["example"]
    assert any(pattern.match(location) for pattern in GETTABLE), location
    bodies = [e["value"] for e in response["content"]["application/json"].get("examples", {}).values()]
    for body in bodies:
        assert location.endswith(body["id"]) or location == "/api/v1/auth/me", (location, body["id"])


PROBLEMS = [
    (f"{method.upper()} {path} {status}", path, status, example["value"])
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in METHODS
    for status, response in op["responses"].items()
    for example in response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("examples", {}).values()
]


@pytest.mark.parametrize("case", PROBLEMS, ids=lambda case: f"{case[0]} {case[3]['detail'][:40]}")
def test_a_problem_example_belongs_to_its_operation(case: tuple[str, str, str, dict[str, Any]]) -> None:
    """Its status is the response's, its `instance` a request to this operation's path, and a
    404 names the id in that path; a 422 says where the invalid input is."""
    _, path, status, problem = case
    assert problem["status"] == int(status)
    assert _template(path).match(problem["instance"]), (path, problem["instance"])
    if status == "404":
        ids = re.findall(r"[0-9a-f]{24}", problem["instance"])
        assert ids and ids[-1] in problem["detail"], problem
    if status == "422":
        assert problem["errors"] and all(e["location"] for e in problem["errors"]), problem
