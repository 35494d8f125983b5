"""Turn values into strict JSON responses: entities as objects, non-finite floats as text."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from flask import Response

# One encoder built once: compact, and refusing NaN so a response is always strict JSON.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def to_json(value: Any) -> Any:
    """Convert a result value into something ``json.dumps`` renders as strict JSON.

    Substrates, relationships, paths and dimensions become their ``to_dict()`` objects; lists and
    maps are converted item by item; NaN and infinities become the strings ``NaN``, ``Infinity``
    and ``-Infinity`` (JSON has no such numbers); other types (temporal values) become their text.

    :returns: a JSON-ready value.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else _NON_FINITE[value]
    # Entities first: a Substrate or Relationship may also be a tuple.
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_json(to_dict())
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return str(value)


def json_response(data: Any, status: int = 200) -> Response:
    """Render JSON-ready data as an ``application/json`` response.

    :param data: dicts, lists and scalars only (see ``to_json`` for other values).
    :raises ValueError: for NaN or infinity, which ``to_json`` turns into text first.
    """
    return Response(_ENCODER.encode(data), status=status, mimetype="application/json")
