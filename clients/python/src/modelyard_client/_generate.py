"""Generate `modelyard_client/models.py` from the server's OpenAPI spec.

    python -m modelyard_client._generate docs/reference/openapi.json \
        > clients/python/src/modelyard_client/models.py

Every schema in `components.schemas` becomes a msgspec Struct with the same field names, types and
required set. Response structs ignore fields they do not know (a newer server may add some);
request structs (those used as request bodies) leave out every optional field that was not set.
The test `tests/client/test_models_match_spec.py` regenerates this file and fails when it differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = '''"""Typed models of the Modelyard API, generated from its OpenAPI spec. Do not edit.

Regenerate with `python -m modelyard_client._generate docs/reference/openapi.json`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
'''


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"


def python_type(schema: dict[str, Any]) -> str:
    """The Python annotation for one JSON schema (as the spec writes them)."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            parts = [python_type(part) for part in schema[combinator]]
            return " | ".join(dict.fromkeys(parts))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return python_type(schema["allOf"][0])
    if "const" in schema:
        return _literal([schema["const"]])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        nullable = "null" in kinds
        rest = [k for k in kinds if k != "null"]
        inner = python_type({**schema, "type": rest[0], "enum": _non_null(schema)} if rest else {})
        return f"{inner} | None" if nullable else inner
    if schema.get("enum"):
        return _literal(schema["enum"])
    if kinds == "string":
        return "datetime" if schema.get("format") == "date-time" else "str"
    if kinds == "integer":
        return "int"
    if kinds == "number":
        return "float"
    if kinds == "boolean":
        return "bool"
    if kinds == "null":
        return "None"
    if kinds == "array":
        return f"list[{python_type(schema.get('items', {}))}]"
    if kinds == "object":
        extra = schema.get("additionalProperties")
        value = python_type(extra) if isinstance(extra, dict) else "Any"
        return f"dict[str, {value}]"
    return "Any"


def _non_null(schema: dict[str, Any]) -> list[Any] | None:
    enum = schema.get("enum")
    return [v for v in enum if v is not None] if enum else None


def _field(name: str, prop: dict[str, Any], required: bool, request: bool) -> str:
    annotation = python_type(prop)
    if required:
        return f"    {name}: {annotation}"
    if request:
        return f"    {name}: {annotation} | UnsetType = UNSET"
    if "default" in prop:
        return f"    {name}: {annotation} = {prop['default']!r}"
    if annotation.endswith("| None") or annotation == "None":
        return f"    {name}: {annotation} = None"
    if annotation.startswith("list["):
        return f"    {name}: {annotation} = msgspec.field(default_factory=list)"
    if annotation.startswith("dict["):
        return f"    {name}: {annotation} = msgspec.field(default_factory=dict)"
    return f"    {name}: {annotation} | UnsetType = UNSET"


def request_bodies(spec: dict[str, Any]) -> set[str]:
    """Names of the schemas the API accepts as request bodies."""
    names: set[str] = set()
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref")
                if ref:
                    names.add(_ref_name(ref))
    return names


def struct_source(name: str, schema: dict[str, Any], request: bool) -> str:
    options = ", omit_defaults=True" if request else ""
    lines = [f"class {name}(msgspec.Struct, kw_only=True{options}):"]
    doc = schema.get("description") or ("Request body." if request else "Response body.")
    lines.append(f"    {json.dumps(doc.strip().splitlines()[0])}")
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    for field_name in sorted(props, key=lambda f: (f not in required, f)):
        lines.append(_field(field_name, props[field_name], field_name in required, request))
    return "\n".join(lines)


def generate(spec: dict[str, Any]) -> str:
    schemas = spec["components"]["schemas"]
    requests = request_bodies(spec)
    names = sorted(schemas)
    out = [HEADER + "".join(f'    "{n}",\n' for n in names) + "]\n"]
    out.extend(f"\n\n{struct_source(n, schemas[n], n in requests)}\n" for n in names)
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/reference/openapi.json")
    sys.stdout.write(generate(json.loads(path.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
