"""The client's models are generated from the served spec; this fails when they drift from it."""

from __future__ import annotations

import json

import msgspec

from modelyard_client import _generate
from modelyard_client import models as m
from tests.client.conftest import REPO

SPEC = REPO / "docs" / "reference" / "openapi.json"
MODELS = REPO / "clients" / "python" / "src" / "modelyard_client" / "models.py"


def test_models_py_is_generated_from_the_current_spec() -> None:
    expected = _generate.generate(json.loads(SPEC.read_text(encoding="utf-8")))
    assert MODELS.read_text(encoding="utf-8") == expected, (
        "clients/python/src/modelyard_client/models.py is stale: run "
        "`python -m modelyard_client._generate docs/reference/openapi.json > "
        "clients/python/src/modelyard_client/models.py`"
    )


def test_every_schema_has_a_struct_with_its_fields() -> None:
    schemas = json.loads(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
    for name, schema in schemas.items():
        struct = getattr(m, name)
        fields = {f.name: f for f in msgspec.structs.fields(struct)}
        assert set(fields) == set(schema.get("properties", {})), name
        for required in schema.get("required", []):
            assert fields[required].required, f"{name}.{required}"


def test_spec_examples_decode() -> None:
    """Every schema's documented examples decode into the struct (types agree with the spec)."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    checked = 0
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                media = response.get("content", {}).get("application/json", {})
                ref = media.get("schema", {}).get("$ref", "")
                for example in media.get("examples", {}).values():
                    if ref and "value" in example:
                        msgspec.convert(example["value"], getattr(m, ref.rsplit("/", 1)[-1]), strict=False)
                        checked += 1
    assert checked >= 5, "the spec documents examples of its responses"
