"""A small validator for the subset of JSON Schema that docs/results-schema.json uses.

invlin does not depend on ``jsonschema``; this validator covers the keywords the results schema
uses: ``type`` (a name or a list of names), ``enum``, ``const``, ``required``, ``properties``,
``additionalProperties`` (bool or schema), ``items``, ``minItems``, ``minimum``, ``pattern``,
``$ref`` to ``#/$defs/...`` and ``anyOf``. Any other keyword raises, so the schema cannot
silently use something that is not checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "$comment", "default",
                "examples"}
_KEYWORDS = {"type", "enum", "const", "required", "properties", "additionalProperties", "items",
             "minItems", "minimum", "pattern", "$ref", "anyOf"}


def schema_path() -> Path:
    """Path of ``docs/results-schema.json`` in the source tree."""
    return Path(__file__).resolve().parents[2] / "docs" / "results-schema.json"


def load_schema(path=None) -> dict:
    """Load the results schema (default :func:`schema_path`)."""
    return json.loads(Path(path or schema_path()).read_text())


def validate(instance, schema: dict) -> list[str]:
    """Return the list of violations of ``schema`` by ``instance`` (empty when valid).

    Each violation names the JSON path (``$.claims[3].status``) and the broken rule.
    """
    errors: list[str] = []
    _validate(instance, schema, schema, "$", errors)
    return errors


def _validate(value, schema: dict, root: dict, path: str, errors: list) -> None:
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise ValueError(f"schema at {path} uses unsupported keywords {sorted(unknown)}")
    if "$ref" in schema:
        _validate(value, _resolve(schema["$ref"], root), root, path, errors)
    if "anyOf" in schema:
        if not any(not _errors_of(value, s, root, path) for s in schema["anyOf"]):
            errors.append(f"{path}: matches none of anyOf")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[n](value) for n in names):
            errors.append(f"{path}: expected type {' or '.join(names)}, got {type(value).__name__}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if "minimum" in schema and _TYPES["number"](value) and value < schema["minimum"]:
        errors.append(f"{path}: {value} < minimum {schema['minimum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                errors.append(f"{path}: missing required property {name!r}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                _validate(item, properties[name], root, f"{path}.{name}", errors)
            elif extra is False:
                errors.append(f"{path}: unexpected property {name!r}")
            elif isinstance(extra, dict):
                _validate(item, extra, root, f"{path}.{name}", errors)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                _validate(item, schema["items"], root, f"{path}[{i}]", errors)


def _errors_of(value, schema, root, path) -> list:
    errors: list = []
    _validate(value, schema, root, path, errors)
    return errors


def _resolve(ref: str, root: dict) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references '#/...' are supported, got {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node
