"""The HTTP layer's own errors, rooted in bfxdb's exception tree, and the one JSON error response."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException

import bfxdb

from .writers import retry_after

#: Codes for the HTTP errors Flask and Werkzeug raise themselves (routing, body size, methods).
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}

#: Details that never go into a response body: they are for logs or already in `detail`.
_PRIVATE_DETAILS = frozenset({"detail", "code"})


class Unauthorized(bfxdb.BfxError):
    """The request carries no API key, or one the server does not know."""

    code = "unauthorized"
    http_status = 401


class Forbidden(bfxdb.BfxError):
    """The API key is valid but may not do this (a read-only key asked to write)."""

    code = "forbidden"
    http_status = 403


class RateLimited(bfxdb.BfxError):
    """The client sent more requests than its rate limit allows; `retry_after` says when to retry."""

    code = "rate_limited"
    http_status = 429


class InvalidJson(bfxdb.InvalidInput):
    """The request body is not valid JSON (or not UTF-8 text)."""

    code = "invalid_json"


class SchemaViolation(bfxdb.InvalidInput):
    """The request body or query string is well-formed but does not fit the documented schema."""

    code = "validation_error"
    http_status = 422


class ImportRejected(bfxdb.InvalidInput):
    """An atomic NDJSON import had bad lines, so nothing was imported; `errors` lists them."""

    code = "import_rejected"


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """Build the one error body shape: ``{"detail": ..., "code": ...}`` plus JSON-safe extras.

    :param detail: a sentence a person can act on.
    :param code: a stable, machine-readable error code.
    :param extra: further fields (e.g. ``substrate_id``, ``line``); None values are left out.
    :returns: the body as a dict.
    """
    body: dict[str, Any] = {"detail": detail, "code": code}
    for key, value in extra.items():
        if key in _PRIVATE_DETAILS or value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        body[key] = value
    return body


def error_response(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """Render an error as a JSON response in the one error shape.

    :param status: the HTTP status code.
    :returns: a Flask response with ``application/json`` content.
    """
    response = current_app.response_class(
        json.dumps(error_body(detail, code, **extra)), status=status, mimetype="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_bfx_error(error: bfxdb.BfxError) -> Response:
    """Turn any bfxdb error into its HTTP status and the JSON error shape.

    :param error: the error a view or the library raised.
    :returns: the JSON error response.
    """
    headers = {}
    extra = _error_extra(error)
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="bfxdb"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.details.get("retry_after", 1))
    if isinstance(error, bfxdb.DatabaseBusy):
        # the lock may be free by then: a write waits this long for it
        extra["retry_after"] = retry_after(current_app.extensions["bfxdb"].writers.wait)
        headers["Retry-After"] = str(extra["retry_after"])
    return error_response(error.http_status, error.message, error.code, headers, **extra)


def bfx_error_body(error: bfxdb.BfxError) -> dict[str, Any]:
    """Build the error body handle_bfx_error would send, for an error met after a response has begun."""
    return error_body(error.message, error.code, **_error_extra(error))


def _error_extra(error: bfxdb.BfxError) -> dict[str, Any]:
    extra = dict(error.details)
    if isinstance(error, bfxdb.QueryError):
        extra.setdefault("category", error.category)
        extra.setdefault("detail_code", error.detail_code)
    return _json_safe(extra)


def handle_http_exception(error: HTTPException) -> Response:
    """Render Werkzeug's own HTTP errors (unknown route, wrong method, body too large) in the error shape.

    :returns: the JSON error response, keeping headers such as ``Allow`` on a 405.
    """
    status = error.code or 500
    headers = {}
    detail = error.description or error.name
    if status == 404:
        detail = f"no such route: {request.path}"
    elif status == 405:
        allowed = ", ".join(getattr(error, "valid_methods", None) or ())
        headers["Allow"] = allowed
        detail = f"method {request.method} is not allowed on {request.path}; allowed: {allowed}"
    elif status == 413:
        limit = request.max_content_length
        detail, extra = _too_large(limit), {"limit_bytes": limit}
        return error_response(status, detail, HTTP_CODES[413], headers, **extra)
    return error_response(status, detail, HTTP_CODES.get(status, "http_error"), headers)


#: The settings behind the body limits: POST /import has its own, every other route the JSON one.
_IMPORT_LIMIT = "--max-import-bytes (BFXDB_MAX_IMPORT_BYTES; MAX_IMPORT_BYTES in create_app's config)"
_BODY_LIMIT = "--max-body-bytes (BFXDB_MAX_BODY_BYTES; MAX_CONTENT_LENGTH in create_app's config)"


def _too_large(limit: int | None) -> str:
    """Say what a 413 needs: the limit the body passed, in bytes, and the setting that raises it."""
    setting = _IMPORT_LIMIT if request.endpoint == "import.import_ndjson" else _BODY_LIMIT
    size = "its limit" if limit is None else f"its limit of {limit:,} bytes"
    return f"the request body is larger than this server accepts ({size}); bfxdb serve {setting} raises it"


def handle_unexpected(error: Exception) -> Response:
    """Log an unexpected exception and answer 500 without a stack trace.

    :returns: a JSON 500 response that names no internals.
    """
    current_app.logger.exception("unhandled error while serving a request")
    return error_response(500, "internal server error", "internal_error")


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Make details JSON-safe: a value JSON cannot carry is sent as its text."""
    safe = {}
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = str(value)
        safe[key] = value
    return safe
