"""System routes: /health (open, checks the database) and /metrics (JSON or Prometheus text)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request

import bfxdb

from ..errors import SchemaViolation
from ..metrics import prometheus_text
from ..security import OPEN, access
from ..serialize import json_response
from ..state import database_size, get_db, get_state
from ..validation import query_str

blueprint = Blueprint("system", __name__)
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@blueprint.get("/health")
@access(OPEN)
def health() -> Response:
    """Report liveness and that the database answers; 503 when it does not."""
    body: dict[str, object] = {
        "status": "ok",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "version": bfxdb.__version__,
    }
    db = get_db()
    try:
        db.schema_version()
    except bfxdb.BfxError as error:
        current_app.logger.warning("health check failed: %s", error)
        body |= {"status": "unavailable", "detail": "the database cannot be reached", "code": error.code}
        return json_response(body, 503)
    body["read_only"] = db.read_only
    return json_response(body)


@blueprint.get("/metrics")
def metrics() -> Response:
    """Report counts, uptime, request counts and latencies; Prometheus text when asked for it."""
    wanted = query_str("format")
    if wanted not in (None, "json", "prometheus"):
        raise SchemaViolation("query parameter format must be json or prometheus", location="format")
    state = get_state()
    db = state.database
    values = {
        "total_substrates": db.count_substrates(),
        "total_relationships": db.count_relationships(),
        "uptime_seconds": round(state.metrics.uptime(), 3),
        "version": bfxdb.__version__,
        # With several workers each answers for itself: the pid says whose uptime and requests these are.
        "pid": os.getpid(),
    }
    size = database_size(db)
    if size is not None:
        values["database_size_bytes"] = size
    rows, latency = state.metrics.snapshot()
    if wanted == "prometheus" or (wanted is None and _prefers_text()):
        return current_app.response_class(prometheus_text(values, rows, latency), content_type=PROMETHEUS_TYPE)
    return json_response(values | {"requests": rows, "latency_ms": latency})


def _prefers_text() -> bool:
    """Whether the Accept header ranks plain text (what Prometheus scrapers send) above JSON."""
    # Scrapers send "text/plain;version=0.0.4"; offering that exact type lets its parameters match.
    offered = ("application/json", "text/plain; version=0.0.4")
    return request.accept_mimetypes.best_match(offered) == offered[1]
