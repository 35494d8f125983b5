"""Write JSON responses: strict JSON (never NaN), compact, built by one encoder."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

# One encoder built once: compact, and refusing NaN so a response is always strict JSON.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def json_text(data: Any) -> str:
    """Encode JSON-ready data as compact, strict JSON text, as json_response does.

    :raises ValueError: for NaN or infinity.
    """
    return _ENCODER.encode(data)


def json_response(data: Any, status: int = 200) -> Response:
    """Render JSON-ready data as an ``application/json`` response.

    :param data: dicts, lists and scalars only (``bfxdb.to_json_value`` converts other values).
    :param status: the HTTP status.
    :returns: the response.
    :raises ValueError: for NaN or infinity, which ``bfxdb.to_json_value`` turns into text first.
    """
    return Response(_ENCODER.encode(data), status=status, mimetype="application/json")
