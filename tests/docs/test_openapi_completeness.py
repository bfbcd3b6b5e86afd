"""Every operation of the generated spec is documented well enough to be called from the spec alone.

Generic on purpose: it walks every path the app serves, so new endpoints are held to the
same rules the moment they are routed. Each operation is its own test case, so a failure
names the endpoint.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from modelyard.domain.accounts.auth import PUBLIC_PATHS
from modelyard.lib.errors import PROBLEM_KINDS, PROBLEM_MEDIA_TYPE
from modelyard.lib.schema import OBJECT_ID_PATTERN
from modelyard.lib.spec_rules import NO_DEPENDENCY_PATHS
from tests.services.openapi import generated_spec

SPEC = generated_spec()
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
OPERATIONS = [
    (path, method, op)
    for path, item in sorted(SPEC["paths"].items())
    for method, op in item.items()
    if method in METHODS
]
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
NO_BODY_STATUSES = {"204", "304"}
PARSED_BODIES = {"application/json", "multipart/form-data"}
"""Bodies that can fail to parse (a 400); a form's bad values are 422s."""
BOUNDS = {"maxLength", "pattern", "format", "contentMediaType", "minimum", "maximum", "exclusiveMinimum"}


def op_id(case: tuple[str, str, dict[str, Any]]) -> str:
    path, method, op = case
    return f"{method.upper()} {path} ({op.get('operationId', '?')})"


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = SPEC["components"]["schemas"][name]
    return schema


def is_public(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in PUBLIC_PATHS)


def example_gaps(schema: dict[str, Any], where: str, seen: set[str] | None = None) -> list[str]:
    """Where a schema gives a reader (and Swagger UI / Redoc) no example value."""
    seen = seen if seen is not None else set()
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen = seen | {schema["$ref"]}
        target = resolve(schema)
        if "example" in target or target.get("examples"):
            return []
        return example_gaps(target, where, seen)
    if "example" in schema or schema.get("examples") or "const" in schema or "enum" in schema:
        return []
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            if len(branches) < len(schema[key]) and not any("$ref" in b or "items" in b for b in branches):
                return []  # a nullable scalar: `null` is an honest example of an optional value
            return [gap for b in branches for gap in example_gaps(b, where, seen)]
    if isinstance(schema.get("type"), list) and "null" in schema["type"]:
        return []
    if "allOf" in schema:
        return [gap for b in schema["allOf"] for gap in example_gaps(b, where, seen)]
    kind = schema.get("type")
    if kind == "array":
        return example_gaps(schema.get("items", {}), f"{where}[]", seen)
    if kind == "object" or "properties" in schema:
        gaps: list[str] = []
        for name, prop in schema.get("properties", {}).items():
            gaps += example_gaps(prop, f"{where}.{name}", seen)
        return gaps
    if kind in ("boolean", "null") or (isinstance(kind, list) and set(kind) <= {"boolean", "null"}):
        return []
    return [where]


def constraint_gaps(schema: dict[str, Any], where: str, seen: set[str] | None = None) -> list[str]:
    """Request fields without a description, and unbounded strings and numbers."""
    seen = seen if seen is not None else set()
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        return constraint_gaps(resolve(schema), where, seen | {schema["$ref"]})
    gaps: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        field = f"{where}.{name}"
        if not prop.get("description") and not resolve(prop).get("description"):
            gaps.append(f"{field}: no description")
        gaps += _bound_gaps(prop, field, seen)
    return gaps


def _bound_gaps(prop: dict[str, Any], field: str, seen: set[str]) -> list[str]:
    if "$ref" in prop:
        return constraint_gaps(prop, field, seen)
    if BOUNDS & prop.keys():
        return []  # Litestar puts the bounds of `X | None` beside the oneOf; they apply to the X.
    for key in ("oneOf", "anyOf", "allOf"):
        if key in prop:
            return [g for b in prop[key] if b.get("type") != "null" for g in _bound_gaps(b, field, seen)]
    if "const" in prop or "enum" in prop:
        return []
    kind = prop.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "string" in kinds and not {"maxLength", "pattern", "format", "contentMediaType"} & prop.keys():
        return [f"{field}: string without maxLength/pattern/format"]
    if kinds & {"integer", "number"} and not {"minimum", "maximum", "exclusiveMinimum"} & prop.keys():
        return [f"{field}: number without minimum/maximum"]
    if "array" in kinds:
        items = prop.get("items", {})
        if "maxItems" in prop and items.get("type") == "string" and set(items) <= {"type", "examples"}:
            # Litestar drops constraints of `list[Annotated[str, Meta(...)]]` items from the spec
            # (msgspec still enforces them); the list itself is bounded, which is what we can see.
            return []
        return _bound_gaps(items, f"{field}[]", seen)
    if "object" in kinds and "properties" in prop:
        return constraint_gaps(prop, field, seen)
    return []


def test_info_servers_tags_and_security_schemes() -> None:
    info = SPEC["info"]
    assert info.get("title") and info.get("version") and len(info.get("description", "")) > 100
    assert info.get("contact", {}).get("name") and (
        info["contact"].get("url") or info["contact"].get("email")
    )
    assert info.get("license", {}).get("name")
    assert info["license"].get("identifier") or info["license"].get("url")
    assert SPEC.get("servers"), "servers must be declared"
    tags = SPEC.get("tags", [])
    assert all(tag.get("description") for tag in tags), "every tag needs a description"
    declared = {tag["name"] for tag in tags}
    used = {tag for _, _, op in OPERATIONS for tag in op.get("tags", [])}
    assert used <= declared, f"tags used but not declared (with a description): {sorted(used - declared)}"
    schemes = SPEC["components"]["securitySchemes"]
    bearer = [s for s in schemes.values() if s["type"] == "oauth2"]
    assert bearer and bearer[0]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    problem = SPEC["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


def test_operation_ids_are_unique() -> None:
    counts = Counter(op.get("operationId") for _, _, op in OPERATIONS)
    assert [name for name, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("case", OPERATIONS, ids=op_id)
def test_operation_is_documented(case: tuple[str, str, dict[str, Any]]) -> None:
    path, _method, op = case
    problems: list[str] = []
    if not CAMEL_CASE.match(op.get("operationId", "")):
        problems.append(f"operationId {op.get('operationId')!r} is not camelCase")
    if not op.get("summary") or len(op["summary"]) > 80:
        problems.append("summary missing or longer than 80 characters")
    if len(op.get("description", "")) < 20:
        problems.append("description missing or too short to help an integrator")
    if len(op.get("tags", [])) != 1:
        problems.append(f"needs exactly one tag, has {op.get('tags')}")

    for param in op.get("parameters", []):
        if not param.get("description"):
            problems.append(f"parameter {param['in']}.{param['name']} has no description")
        if param["in"] == "query":
            problems += _bound_gaps(param.get("schema", {}), f"query.{param['name']}", set())

    body = op.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            if "schema" not in content:
                problems.append(f"request body {media} has no schema")
                continue
            problems += [f"request body: {gap}" for gap in constraint_gaps(content["schema"], "body")]

    responses = op.get("responses", {})
    successes = {code: r for code, r in responses.items() if code.startswith("2")}
    if not successes:
        problems.append("no success response")
    for code, response in successes.items():
        content = response.get("content", {})
        if not content and code not in NO_BODY_STATUSES and code != "202":
            problems.append(f"{code}: success response without a body schema")
        for media, item in content.items():
            if "schema" not in item:
                problems.append(f"{code} {media}: no schema")
            elif media.endswith("json") and not (item.get("example") or item.get("examples")):
                problems += [f"{code}: no example for {gap}" for gap in example_gaps(item["schema"], "body")]

    for code, response in responses.items():
        if code.startswith("2") or code.startswith("3"):
            continue
        content = response.get("content", {})
        if set(content) != {PROBLEM_MEDIA_TYPE}:
            problems.append(f"{code}: error response must be {PROBLEM_MEDIA_TYPE}, is {sorted(content)}")
            continue
        item = content[PROBLEM_MEDIA_TYPE]
        if item.get("schema", {}).get("$ref") != "#/components/schemas/Problem":
            problems.append(f"{code}: error schema is not Problem")
        examples = [e["value"] for e in item.get("examples", {}).values()] or [item.get("example")]
        if not examples or any(not e or e.get("status") != int(code) for e in examples):
            problems.append(f"{code}: problem example missing or with another status")
        elif any(e["type"].rsplit("/", 1)[-1] not in PROBLEM_KINDS for e in examples):
            problems.append(f"{code}: problem example with an unknown type")

    # Every operation can fail unexpectedly or be unavailable (those that read no dependency say
    # that the 503 comes from a proxy, never from Modelyard).
    expected: set[str] = {"500", "503"}
    if path in NO_DEPENDENCY_PATHS and "proxy" not in responses.get("503", {}).get("description", ""):
        problems.append("503 of an operation that reads no dependency must say it comes from a proxy")
    if body:
        expected.add("422")
        if PARSED_BODIES & set(body.get("content", {})):
            expected.add("400")
    elif "400" in responses:
        problems.append("400 declared, but there is no body that could fail to parse")
    if any(p["in"] == "path" for p in op.get("parameters", [])):
        expected |= {"404", "422"}
    if path.startswith("/api/"):
        expected.add("429")
    if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op.get("parameters", [])):
        expected |= {"409", "422"}

    if is_public(path):
        if op.get("security") != []:
            problems.append("public operation must declare `security: []` explicitly")
    else:
        expected.add("401")
        problems += _security_gaps(op.get("security"))
    missing = sorted(expected - set(responses))
    if missing:
        problems.append(f"undocumented error responses {missing}")

    assert problems == [], f"{op_id(case)}:\n  " + "\n  ".join(problems)


def _security_gaps(security: list[dict[str, list[str]]] | None) -> list[str]:
    """A protected operation names its scheme itself (clients and renderers need not inherit it)."""
    if not security:
        return ["protected operation without its own `security` requirement"]
    schemes = SPEC["components"].get("securitySchemes", {})
    return [
        f"unknown security scheme {name}"
        for requirement in security
        for name in requirement
        if name not in schemes
    ]


def test_credentials_are_a_security_scheme_not_a_parameter() -> None:
    """Auth is the oauth2 scheme every protected operation references, never a header parameter
    (a generated client would ask for a `BearerToken` argument on every call)."""
    scheme_names = set(SPEC["components"]["securitySchemes"])
    as_parameters = [
        (op["operationId"], p["name"])
        for _, _, op in OPERATIONS
        for p in op.get("parameters", [])
        if p["name"] in scheme_names or p["name"].lower() == "authorization"
    ]
    assert as_parameters == []
    protected = [op["operationId"] for path, _, op in OPERATIONS if not is_public(path)]
    public = [op["operationId"] for path, _, op in OPERATIONS if is_public(path)]
    assert {"registerUser", "createAccessToken", "getLiveness", "getReadiness", "getMetrics"} == set(public)
    for path, _, op in OPERATIONS:
        want = [] if is_public(path) else [{"BearerToken": []}]
        # The access token reaches every protected operation; API keys (one scheme per key scope)
        # only those their scopes cover, as alternatives after it.
        keys = [r for r in op.get("security", [])[1:] if list(r) in (["ApiKeyRead"], ["ApiKeyPredict"])]
        assert op.get("security") == want + keys, (op["operationId"], op.get("security"))
        assert all(scopes == [] for requirement in keys for scopes in requirement.values())
    assert len(protected) + len(public) == len(OPERATIONS)


PATH_IDS = [
    (path, method, op, param)
    for path, method, op in OPERATIONS
    for param in op.get("parameters", [])
    if param["in"] == "path" and param["name"].endswith("_id")
]


def test_every_path_parameter_is_an_id() -> None:
    templated = {(path, method) for path, method, _ in OPERATIONS if "{" in path}
    assert templated and {(path, method) for path, method, *_ in PATH_IDS} == templated
    assert {p["name"] for *_, p in PATH_IDS} == {
        "dataset_id",
        "model_id",
        "job_id",
        "analysis_id",
        "key_id",
        "webhook_id",
    }


@pytest.mark.parametrize("case", PATH_IDS, ids=lambda c: f"{c[1].upper()} {c[0]}")
def test_a_path_id_declares_the_24_hex_pattern(case: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    """Generated clients can check an id before sending it; the server answers a malformed one 422."""
    *_, param = case
    schema = param["schema"]
    assert (schema["type"], schema["pattern"], schema["minLength"], schema["maxLength"]) == (
        "string",
        OBJECT_ID_PATTERN,
        24,
        24,
    )
    [example] = param["examples"].values()
    assert re.fullmatch(OBJECT_ID_PATTERN, example["value"])
    assert "422" in param["description"] and "404" in param["description"]


async def test_spec_is_served_as_json_and_yaml() -> None:
    import httpx
    import yaml

    from tests.services.openapi import spec_app

    transport = httpx.ASGITransport(app=spec_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        as_json = await http.get("/schema/openapi.json")
        as_yaml = await http.get("/schema/openapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_json.json()["info"]["title"] == yaml.safe_load(as_yaml.text)["info"]["title"] == "Modelyard API"


UPLOADS = [case for case in OPERATIONS if "multipart/form-data" in case[2].get("description", "")]


def test_every_upload_is_found() -> None:
    assert {op["operationId"] for _, _, op in UPLOADS} >= {"createDataset", "createBatchPrediction"}


@pytest.mark.parametrize("case", UPLOADS, ids=op_id)
def test_an_upload_declares_its_multipart_body(case: tuple[str, str, dict[str, Any]]) -> None:
    """An operation that asks for a multipart `file` declares it, so generated clients (and Swagger
    UI) offer a file parameter instead of sending no body."""
    _, _, op = case
    body = op.get("requestBody")
    assert body is not None and body["required"] is True
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"] == {
        **schema["properties"]["file"],
        "type": "string",
        "format": "binary",
    }
