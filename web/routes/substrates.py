"""Substrate routes: create, list, get, update, delete, divide, invoke and neighbours."""

from __future__ import annotations

import time

from flask import Blueprint, Response

import bfxdb

from ..errors import SchemaViolation
from ..openapi import (
    DEFAULT_PAGE,
    DIVIDE_REQUEST,
    INVOKE_REQUEST,
    MAX_DEPTH,
    MAX_OFFSET,
    MAX_PAGE,
    PREFIX,
    SUBSTRATE_CREATE,
    SUBSTRATE_UPDATE,
)
from ..security import READ, access, require_write
from ..serialize import json_response
from ..state import get_db
from ..validation import json_body, query_int, query_json_object, query_str
from ..writers import writer_slot, writes

blueprint = Blueprint("substrates", __name__)


@blueprint.post("/substrates")
@writes
def create_substrate() -> Response:
    """Create a substrate: 201 with Location; 409 naming the existing one on a duplicate identity."""
    body = json_body(SUBSTRATE_CREATE)
    substrate = get_db().create_substrate(
        expression_type=body.get("expression_type"),
        expression_code=body.get("expression_code"),
        metadata=body.get("metadata"),
        labels=body.get("labels", ()),
        identity=body.get("substrate_id"),
    )
    response = json_response(substrate.to_dict(), 201)
    response.headers["Location"] = f"{PREFIX}/substrates/{substrate.substrate_id}"
    return response


@blueprint.get("/substrates")
def list_substrates() -> Response:
    """List substrates in identity order, filtered by label and metadata, a page at a time."""
    limit = query_int("limit", DEFAULT_PAGE, 0, MAX_PAGE)
    offset = query_int("offset", 0, 0, MAX_OFFSET)
    found = get_db().find_substrates(
        label=query_str("label"), metadata=query_json_object("metadata"), limit=limit, offset=offset
    )
    return json_response(
        {"substrates": [s.to_dict() for s in found], "count": len(found), "limit": limit, "offset": offset}
    )


@blueprint.get("/substrates/<substrate_id>")
def get_substrate(substrate_id: str) -> Response:
    """Return one substrate."""
    return json_response(get_db().get_substrate(substrate_id).to_dict())


@blueprint.patch("/substrates/<substrate_id>")
@writes
def update_substrate(substrate_id: str) -> Response:
    """Replace a substrate's metadata and/or labels; fields left out stay as they are."""
    body = json_body(SUBSTRATE_UPDATE, optional=True)
    substrate = get_db().update_substrate(substrate_id, metadata=body.get("metadata"), labels=body.get("labels"))
    return json_response(substrate.to_dict())


@blueprint.delete("/substrates/<substrate_id>")
@writes
def delete_substrate(substrate_id: str) -> tuple[str, int]:
    """Delete a substrate with every relationship touching it."""
    get_db().delete_substrate(substrate_id)
    return "", 204


@blueprint.post("/substrates/<substrate_id>/divide")
@access(READ)
def divide_substrate(substrate_id: str) -> Response:
    """Split a substrate into its nine dimensions; ``materialize`` also stores them (a write)."""
    materialize = json_body(DIVIDE_REQUEST, optional=True).get("materialize", False)
    if materialize:
        require_write("materialize")
        with writer_slot():
            dimensions = get_db().divide(substrate_id, materialize=True)
    else:
        dimensions = get_db().divide(substrate_id)
    return json_response(
        {
            "substrate_id": _canonical(substrate_id),
            "dimensions": [dimension.to_dict() for dimension in dimensions],
            "materialized": materialize,
        }
    )


@blueprint.post("/substrates/<substrate_id>/invoke")
@access(READ)
def invoke_substrate(substrate_id: str) -> Response:
    """Evaluate a substrate's expression with the given parameters and time it."""
    parameters = json_body(INVOKE_REQUEST, optional=True).get("parameters") or {}
    db = get_db()
    started = time.perf_counter()
    result = db.invoke(substrate_id, parameters)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return json_response(
        {
            "substrate_id": _canonical(substrate_id),
            "result": bfxdb.to_json_value(result),
            "invocation_time_ms": round(elapsed_ms, 4),
        }
    )


@blueprint.get("/substrates/<substrate_id>/neighbours")
def substrate_neighbours(substrate_id: str) -> Response:
    """List the substrates reachable within ``depth`` hops, each at its shortest distance."""
    depth = query_int("depth", 1, 1, MAX_DEPTH)
    direction = query_str("direction") or "out"
    if direction not in ("out", "in", "both"):
        raise SchemaViolation("query parameter direction must be out, in or both", location="direction")
    limit = query_int("limit", DEFAULT_PAGE, 0, MAX_PAGE)
    found, truncated = bfxdb.neighbours(get_db(), substrate_id, depth, direction, query_str("rel_type"), limit)
    return json_response(
        {
            "substrate_id": _canonical(substrate_id),
            "depth": depth,
            "direction": direction,
            "neighbours": [{"distance": distance, "substrate": s.to_dict()} for s, distance in found],
            "count": len(found),
            "truncated": truncated,
        }
    )


def _canonical(identity: str) -> str:
    """Render an id from the URL (already accepted by the library) in canonical hex form."""
    return bfxdb.format_id(bfxdb.parse_id(identity))
