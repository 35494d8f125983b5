"""Check request bodies and query strings against the schemas the OpenAPI document publishes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import request

import bfxdb

from .errors import InvalidJson, SchemaViolation

#: Deepest nesting of lists and objects accepted in a request: far past any sane document, and far
#: short of the Python recursion limit that the library, the query engine and JSON encoding share.
MAX_NESTING = 100

_TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
}


def validate(value: Any, schema: Mapping[str, Any], where: str = "body") -> None:
    """Check a decoded JSON value against an OpenAPI 3.0 schema (the subset this API's schemas use).

    Supported keywords: type, nullable, enum, properties, required, additionalProperties,
    minProperties, items, maxItems, minLength, maxLength, minimum, maximum. ``pattern`` (on ids)
    is left to the library, which answers 400 with the reason.

    :param where: the location named in the error, e.g. ``body.metadata``.
    :raises SchemaViolation: naming the first place the value does not fit.
    """
    if value is None and schema.get("nullable"):
        return
    expected = schema.get("type")
    if expected is not None and not _TYPES[expected](value):
        raise SchemaViolation(f"{where} must be {_article(expected)}, not {_json_type(value)}", location=where)
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(choice) for choice in schema["enum"])
        raise SchemaViolation(f"{where} must be one of {choices}", location=where)
    if isinstance(value, dict):
        _validate_object(value, schema, where)
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaViolation(f"{where} has more than {schema['maxItems']} items", location=where)
        if "items" in schema:
            for index, item in enumerate(value):
                validate(item, schema["items"], f"{where}[{index}]")
    elif isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise SchemaViolation(f"{where} must have at least {schema['minLength']} characters", location=where)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise SchemaViolation(f"{where} must have at most {schema['maxLength']} characters", location=where)
    elif _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaViolation(f"{where} must be at least {schema['minimum']}", location=where)
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaViolation(f"{where} must be at most {schema['maximum']}", location=where)


def _validate_object(value: dict, schema: Mapping[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            raise SchemaViolation(f"{where} lacks the required field {name!r}", location=f"{where}.{name}")
    if len(value) < schema.get("minProperties", 0):
        raise SchemaViolation(f"{where} must have at least {schema['minProperties']} fields", location=where)
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            validate(item, properties[name], f"{where}.{name}")
        elif extra is False:
            raise SchemaViolation(f"{where} has an unknown field {name!r}", location=f"{where}.{name}")
        elif isinstance(extra, Mapping):
            validate(item, extra, f"{where}.{name}")


def json_body(schema: Mapping[str, Any], *, optional: bool = False) -> dict[str, Any]:
    """Decode the request body as JSON whatever its Content-Type, and check it against a schema.

    :param optional: an empty body stands for ``{}`` (for routes whose every field is optional).
    :returns: the decoded object.
    :raises InvalidJson: if the body is not UTF-8 JSON.
    :raises SchemaViolation: if it does not fit the schema.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise SchemaViolation("the request body must be a JSON object", location="body")
    try:
        text = raw.decode("utf-8")
        value = bfxdb.decode_json(text, MAX_NESTING)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidJson(f"the request body is not valid JSON: {error}") from None
    # A JSON \ud800-style escape decodes to a lone surrogate, which SQLite cannot store.
    if "\\ud" in text.lower():
        check_encodable(value, "body")
    validate(value, schema)
    return value


def check_encodable(value: Any, where: str) -> None:
    """Refuse strings holding lone surrogates (from ``\\udXXX`` escapes), which cannot be stored as UTF-8.

    :raises InvalidJson: naming where the bad string is.
    """
    found = bfxdb.lone_surrogate_at(value, where)
    if found is not None:
        raise InvalidJson(f"{found} holds a lone UTF-16 surrogate, which is not valid Unicode text")


def query_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    """Read an integer from the query string.

    :returns: the value, or ``default`` when the parameter is absent.
    :raises SchemaViolation: if it is not an integer within bounds.
    """
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text, 10)
    except ValueError:
        raise SchemaViolation(f"query parameter {name} must be an integer, not {text[:40]!r}", location=name) from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise SchemaViolation(f"query parameter {name} must be {bounds}", location=name)
    return value


def query_bool(name: str, default: bool) -> bool:
    """Read a boolean (``true``/``false``, ``1``/``0``) from the query string.

    :raises SchemaViolation: for any other text.
    """
    text = request.args.get(name)
    if text is None:
        return default
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise SchemaViolation(f"query parameter {name} must be true or false, not {text[:40]!r}", location=name)


def query_str(name: str, max_length: int = 256) -> str | None:
    """Read an optional non-empty string from the query string.

    :raises SchemaViolation: if it is empty or too long.
    """
    text = request.args.get(name)
    if text is None:
        return None
    if not text or len(text) > max_length:
        raise SchemaViolation(f"query parameter {name} must have 1 to {max_length} characters", location=name)
    return text


def query_json_object(name: str) -> dict[str, Any] | None:
    """Read an optional JSON object given as text in the query string (e.g. ``metadata={"a": 1}``).

    :raises SchemaViolation: if it is not a JSON object.
    """
    text = request.args.get(name)
    if text is None:
        return None
    try:
        value = bfxdb.decode_json(text, MAX_NESTING)
    except ValueError:
        raise SchemaViolation(f"query parameter {name} must be a JSON object", location=name) from None
    if not isinstance(value, dict):
        raise SchemaViolation(f"query parameter {name} must be a JSON object", location=name)
    check_encodable(value, name)
    return value


def _article(type_name: str) -> str:
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for name, test in _TYPES.items():
        if name != "number" and test(value):
            return name
    return "number"
