"""Relationship routes: create, get, delete, and a substrate's outgoing and incoming lists."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response

import bfxdb

from ..openapi import DEFAULT_PAGE, MAX_OFFSET, MAX_PAGE, PREFIX, RELATIONSHIP_CREATE
from ..serialize import json_response
from ..state import get_db
from ..validation import json_body, query_int, query_str
from ..writers import writes

blueprint = Blueprint("relationships", __name__)


@blueprint.post("/relationships")
@writes
def create_relationship() -> Response:
    """Create a relationship: 201 with Location; 404 naming a missing endpoint."""
    body = json_body(RELATIONSHIP_CREATE)
    relationship = get_db().create_relationship(
        body["source_id"],
        body["target_id"],
        body["rel_type"],
        metadata=body.get("metadata"),
        bidirectional=body.get("bidirectional", False),
    )
    response = json_response(relationship.to_dict(), 201)
    response.headers["Location"] = f"{PREFIX}/relationships/{relationship.relationship_id}"
    return response


@blueprint.get("/relationships/<relationship_id>")
def get_relationship(relationship_id: str) -> Response:
    """Return one relationship."""
    return json_response(get_db().get_relationship(relationship_id).to_dict())


@blueprint.delete("/relationships/<relationship_id>")
@writes
def delete_relationship(relationship_id: str) -> tuple[str, int]:
    """Delete one relationship."""
    get_db().delete_relationship(relationship_id)
    return "", 204


@blueprint.get("/relationships/outgoing/<substrate_id>")
def outgoing(substrate_id: str) -> Response:
    """List the relationships leaving a substrate, optionally of one type, a page at a time."""
    return _adjacent(get_db().outgoing, substrate_id)


@blueprint.get("/relationships/incoming/<substrate_id>")
def incoming(substrate_id: str) -> Response:
    """List the relationships arriving at a substrate, optionally of one type, a page at a time."""
    return _adjacent(get_db().incoming, substrate_id)


def _adjacent(lister: Callable[..., list[bfxdb.Relationship]], substrate_id: str) -> Response:
    limit = query_int("limit", DEFAULT_PAGE, 0, MAX_PAGE)
    offset = query_int("offset", 0, 0, MAX_OFFSET)
    found = lister(substrate_id, rel_type=query_str("rel_type"), limit=limit, offset=offset)
    return json_response(
        {"relationships": [rel.to_dict() for rel in found], "count": len(found), "limit": limit, "offset": offset}
    )
