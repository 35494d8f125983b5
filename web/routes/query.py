"""The Cypher route: POST /query runs one openCypher query under a time limit, read-only on request."""

from __future__ import annotations

from flask import Blueprint, Response

from bfxdb import to_json_value

from ..openapi import QUERY_REQUEST
from ..security import READ, access, can_write
from ..serialize import json_response
from ..state import get_db, get_state
from ..validation import json_body

blueprint = Blueprint("query", __name__)


@blueprint.post("/query")
@access(READ)
def query() -> Response:
    """Run a query; a read-only key (or ``"read_only": true``) makes any write a 403."""
    body = json_body(QUERY_REQUEST)
    read_only = bool(body.get("read_only", False)) or not can_write()
    result = get_db().query(
        body["query"],
        body.get("parameters") or {},
        read_only=read_only,
        timeout=query_timeout(body.get("timeout_ms")),
        memory=get_state().query_memory,
    )
    return json_response(
        {
            "columns": list(result.columns),
            "rows": [[to_json_value(value) for value in row] for row in result.rows],
            "stats": to_json_value(result.stats),
        }
    )


def query_timeout(timeout_ms: int | None) -> float | None:
    """Pick a query's time limit in seconds: the client's, but never past the server's.

    :param timeout_ms: the limit the client asked for, or None for the server's.
    """
    ceiling = get_state().query_timeout
    if timeout_ms is None:
        return ceiling
    asked = timeout_ms / 1000
    return asked if ceiling is None else min(asked, ceiling)
