"""OpenAPI schemas as Markdown for the API reference pages: types, constraints, field tables, examples.

Pure functions over the spec's JSON (a dict); `api_reference` assembles them into pages. Text from
the spec is Markdown, escaped so that `<placeholder>`-like words outside code spans stay visible
and, in table cells, `|` does not split the cell.
"""

from __future__ import annotations

import json
import re
from typing import Any

SCHEMA_REF = "#/components/schemas/"
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
CONSTRAINTS = (
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("minItems", "items ≥ {}"),
    ("maxItems", "items ≤ {}"),
)
MAX_EXAMPLE_DEPTH = 6


def _escape_outside_code(text: str, *, cell: bool) -> str:
    parts, last = [], 0
    for match in CODE_SPAN.finditer(text):
        parts.append(_escape_plain(text[last : match.start()], cell=cell))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_escape_plain(text[last:], cell=cell))
    return "".join(parts)


def _escape_plain(text: str, *, cell: bool) -> str:
    text = text.replace("<", "&lt;")
    return text.replace("|", "\\|") if cell else text


def prose(text: str | None) -> str:
    """A description as a Markdown block: `<name>` shows as text, not as an unknown HTML tag."""
    return _escape_outside_code((text or "").strip(), cell=False)


def cell(text: str | None) -> str:
    """A description inside a table cell: one line, paragraphs kept apart, pipes escaped."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", (text or "").strip())]
    return "<br><br>".join(_escape_outside_code(p, cell=True) for p in paragraphs if p)


def code(value: Any) -> str:
    """A value as an inline code span that survives backticks and pipes inside it."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.removeprefix(SCHEMA_REF) if isinstance(ref, str) and ref.startswith(SCHEMA_REF) else None


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    name = ref_name(schema)
    return spec["components"]["schemas"][name] if name else schema


def schema_link(name: str, schemas_page: str) -> str:
    return f"[{name}]({schemas_page}#{anchor(name)})"


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            return list(schema[key])
    return None


def type_text(schema: dict[str, Any] | None, schemas_page: str) -> str:
    """`string (date-time)`, `array of [Model](…)`, `integer or null`, one of `a`, `b`…"""
    if not schema:
        return "any"
    name = ref_name(schema)
    if name:
        return schema_link(name, schemas_page)
    alternatives = _alternatives(schema)
    if alternatives is not None:
        return " or ".join(dict.fromkeys(type_text(alt, schemas_page) for alt in alternatives))
    if "const" in schema:
        return code(schema["const"])
    if isinstance(schema.get("enum"), list):
        values = [code(v) for v in schema["enum"] if v is not None]
        nullable = None in schema["enum"]
        return "one of " + ", ".join(values) + (" or null" if nullable else "")
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return " or ".join(type_text({**schema, "type": kind}, schemas_page) for kind in kinds)
    if kinds == "array":
        return "array of " + type_text(schema.get("items"), schemas_page)
    if kinds == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "object of " + type_text(schema["additionalProperties"], schemas_page)
    if kinds is None:
        return "object" if "properties" in schema else "any"
    fmt = schema.get("format")
    return f"{kinds} ({fmt})" if fmt else str(kinds)


def constraints_text(schema: dict[str, Any]) -> str:
    """Constraints, default and pattern of a field, e.g. `at most 200 characters; default: 3`."""
    parts: list[str] = []
    for alt in [schema, *(_alternatives(schema) or [])]:
        for key, template in CONSTRAINTS:
            value = alt.get(key)
            if value is not None:
                number = int(value) if isinstance(value, float) and value.is_integer() else value
                parts.append(template.format(number))
        if alt.get("pattern"):
            parts.append(f"pattern {code(alt['pattern'])}")
        if alt.get("uniqueItems"):
            parts.append("unique items")
    if "default" in schema:
        parts.append(f"default: {code(schema['default'])}")
    return "; ".join(dict.fromkeys(parts))


def field_rows(spec: dict[str, Any], schema: dict[str, Any], schemas_page: str) -> list[str]:
    """A table of an object schema's fields: name, type, required, description with constraints."""
    required = set(schema.get("required", []))
    rows = ["| Field | Type | Required | Description |", "| --- | --- | --- | --- |"]
    for name, field in sorted(schema.get("properties", {}).items()):
        description = cell(field.get("description"))
        limits = constraints_text(field)
        if limits:
            description = f"{description} ({cell(limits)})" if description else cell(limits)
        rows.append(
            f"| {code(name)} | {cell(type_text(field, schemas_page))} "
            f"| {'yes' if name in required else 'no'} | {description} |"
        )
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        rows.append(f"| *any other name* | {cell(type_text(extra, schemas_page))} | no | |")
    return rows


def example_value(spec: dict[str, Any], schema: dict[str, Any] | None, *, nulls: bool, depth: int = 0) -> Any:
    """A value for `schema` built from its (fields') examples, defaults and types.

    With `nulls`, a nullable field is null (a response: a queued job has no result or error yet);
    without, it gets a value (a request: show what can be sent).
    """
    if not schema or depth > MAX_EXAMPLE_DEPTH:
        return None
    schema = resolve(spec, schema)
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    alternatives = _alternatives(schema)
    if alternatives is not None:
        concrete = [a for a in alternatives if a.get("type") != "null"]
        if (nulls and len(concrete) < len(alternatives)) or not concrete:
            return None
        return example_value(spec, concrete[0], nulls=nulls, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        if nulls and "null" in kind:
            return None
        kind = next((k for k in kind if k != "null"), None)
    if isinstance(schema.get("enum"), list):
        return next((v for v in schema["enum"] if v is not None), None)
    if kind == "array":
        return [example_value(spec, schema.get("items"), nulls=nulls, depth=depth + 1)]
    if kind == "object" or "properties" in schema:
        return {
            name: example_value(spec, field, nulls=nulls, depth=depth + 1)
            for name, field in sorted(schema.get("properties", {}).items())
        }
    return {"string": "…", "integer": 0, "number": 0.0, "boolean": True}.get(str(kind))


def example_block(value: Any, media_type: str) -> list[str]:
    """A fenced block for an example body: JSON pretty-printed, anything else as text."""
    if isinstance(value, str) and "json" not in media_type:
        return ["```text", *value.rstrip("\n").splitlines(), "```"]
    return ["```json", *json.dumps(value, indent=2, ensure_ascii=False).splitlines(), "```"]


def schema_section(spec: dict[str, Any], name: str, schemas_page: str = "") -> list[str]:
    """The schemas page's section of one component schema."""
    schema = spec["components"]["schemas"][name]
    lines = [f"## {name} {{#{anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [prose(schema["description"]), ""]
    if "properties" in schema:
        lines += field_rows(spec, schema, schemas_page)
    else:
        lines.append(f"**Type:** {type_text(schema, schemas_page)}")
        limits = constraints_text(schema)
        if limits:
            lines.append(f"({limits})")
    return [*lines, ""]
