"""The OpenAPI 3.0 document of the HTTP API, written as data; request schemas double as validators."""

from __future__ import annotations

from typing import Any

import bfxdb

PREFIX = "/api/v1"
MAX_ID = (1 << 64) - 1
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_DEPTH = 5
MAX_NAME = 256
MAX_LABELS = 64
MAX_EXPRESSION = 65536
MAX_QUERY = 1 << 20
MAX_TIMEOUT_MS = 3_600_000
#: SQLite's largest integer: an OFFSET past it cannot even be bound.
MAX_OFFSET = (1 << 63) - 1
#: An OpenAPI 3.0 schema object: JSON data, its values of every JSON type.
Schema = dict[str, Any]

_HEX_ID = {
    "type": "string",
    "pattern": "^0x[0-9A-F]{16}$",
    "description": "An identity in its canonical form: `0x` and 16 upper-case hex digits.",
    "example": "0x1A2B3C4D5E6F7890",
}
_ID_INPUT = {
    "type": "string",
    "pattern": "^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$",
    "description": (
        "A 64-bit identity: `0x` and 1 to 16 hex digits in any case (`0x100` is 256), or decimal digits"
        " (`100` is 100). Bare hex such as `8000EAC3017BC915`, signs, spaces and values of 2^64 or more"
        " are refused with 400 `invalid_id`, whose detail says how to write the id."
    ),
    "example": "0x1A2B3C4D5E6F7890",
}
_IDENTITY = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_ID,
    "description": (
        "The same identity as an unsigned integer (Python's `identity`, Cypher's `id(n)`). Clients that"
        " read JSON numbers as doubles (JavaScript) lose its low digits above 2^53: use the hex form."
    ),
}
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
_OBJECT = {"type": "object", "additionalProperties": True}
_TIMESTAMP = {"type": "string", "format": "date-time", "example": "2026-02-09T12:34:56.000000Z"}
_ANY = {"description": "Any JSON value."}

# Request schemas: self-contained (no $ref) because web.validation checks bodies against them directly.
SUBSTRATE_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "expression_type": {
            "type": "string",
            "nullable": True,
            "maxLength": MAX_NAME,
            "description": "`lambda` (the default when code is given), `constant` or `cypher`.",
            "example": "lambda",
        },
        "expression_code": {
            "type": "string",
            "nullable": True,
            "maxLength": MAX_EXPRESSION,
            "description": "The expression; checked by the sandbox now, never run as Python.",
            "example": 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)',
        },
        "metadata": {**_OBJECT, "description": "Any JSON object: the substrate's Cypher properties."},
        "labels": {"type": "array", "items": _NAME, "maxItems": MAX_LABELS},
        "substrate_id": {
            **_ID_INPUT,
            "description": "An explicit identity; by default the expression's fingerprint, or a random one.",
        },
    },
}
SUBSTRATE_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "metadata": {**_OBJECT, "description": "Replaces the whole metadata."},
        "labels": {"type": "array", "items": _NAME, "maxItems": MAX_LABELS, "description": "Replaces the labels."},
    },
}
DIVIDE_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "materialize": {
            "type": "boolean",
            "description": "Also store the dimensions as substrates linked PART_TO_WHOLE to the parent (idempotent).",
        }
    },
}
INVOKE_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"parameters": {**_OBJECT, "example": {"x": 5, "y": 7}}},
}
RELATIONSHIP_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rel_type", "source_id", "target_id"],
    "properties": {
        "rel_type": {**_NAME, "example": "DEPENDENCY"},
        "source_id": _ID_INPUT,
        "target_id": _ID_INPUT,
        "bidirectional": {
            "type": "boolean",
            "description": "A flag kept with the relationship; listings follow its stored direction.",
        },
        "metadata": _OBJECT,
    },
}
QUERY_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["query"],
    "properties": {
        "query": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_QUERY,
            "example": "MATCH (s) WHERE s.name = $name RETURN s",
        },
        "parameters": {**_OBJECT, "example": {"name": "multiply"}},
        "read_only": {"type": "boolean", "description": "Refuse the query if it would write (403)."},
        "timeout_ms": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_TIMEOUT_MS,
            "description": "Time limit; capped by the server's --query-timeout. Past it: 504.",
        },
    },
}

_RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["detail", "code"],
        "properties": {
            "detail": {"type": "string", "description": "What went wrong, for a person."},
            "code": {"type": "string", "description": "A stable machine-readable code, e.g. `not_found`."},
        },
        "additionalProperties": True,
        "description": "The one error shape. Some errors add fields: `substrate_id` (409), "
        "`line`/`column`/`context` (query syntax), `location` (422), `retry_after` (429, and 503 "
        "`database_busy`).",
    },
    "Substrate": {
        "type": "object",
        "required": ["substrate_id", "identity", "labels", "metadata", "created_at"],
        "properties": {
            "substrate_id": _HEX_ID,
            "identity": _IDENTITY,
            "labels": {"type": "array", "items": {"type": "string"}},
            "metadata": _OBJECT,
            "expression_type": {"type": "string", "nullable": True},
            "expression_code": {"type": "string", "nullable": True},
            "created_at": _TIMESTAMP,
        },
    },
    "SubstrateList": {
        "type": "object",
        "required": ["substrates", "count", "offset"],
        "properties": {
            "substrates": {"type": "array", "items": {"$ref": "#/components/schemas/Substrate"}},
            "count": {"type": "integer", "minimum": 0, "description": "How many are in this page."},
            "limit": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
        },
    },
    "Dimension": {
        "type": "object",
        "required": ["index", "level", "name", "description", "substrate_id", "identity", "parent_id"],
        "properties": {
            "index": {"type": "integer", "minimum": 0, "maximum": 8},
            "level": {"type": "integer", "enum": [0, 1, 2, 3, 5, 8, 13, 21]},
            "name": {"type": "string", "example": "Void"},
            "description": {"type": "string"},
            "substrate_id": _HEX_ID,
            "identity": _IDENTITY,
            "parent_id": _HEX_ID,
        },
    },
    "DivideResult": {
        "type": "object",
        "required": ["substrate_id", "dimensions", "materialized"],
        "properties": {
            "substrate_id": _HEX_ID,
            "dimensions": {"type": "array", "items": {"$ref": "#/components/schemas/Dimension"}},
            "materialized": {"type": "boolean"},
        },
    },
    "InvokeResult": {
        "type": "object",
        "required": ["substrate_id", "result", "invocation_time_ms"],
        "properties": {
            "substrate_id": _HEX_ID,
            "result": {**_ANY, "example": 35},
            "invocation_time_ms": {"type": "number", "minimum": 0, "example": 0.023},
        },
    },
    "Relationship": {
        "type": "object",
        "required": ["relationship_id", "identity", "rel_type", "source_id", "target_id", "bidirectional", "metadata"],
        "properties": {
            "relationship_id": _HEX_ID,
            "identity": _IDENTITY,
            "rel_type": {"type": "string"},
            "source_id": _HEX_ID,
            "target_id": _HEX_ID,
            "bidirectional": {"type": "boolean"},
            "metadata": _OBJECT,
            "created_at": _TIMESTAMP,
        },
    },
    "RelationshipList": {
        "type": "object",
        "required": ["relationships", "count"],
        "properties": {
            "relationships": {"type": "array", "items": {"$ref": "#/components/schemas/Relationship"}},
            "count": {"type": "integer", "minimum": 0, "description": "How many are in this page."},
            "limit": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
        },
    },
    "Neighbours": {
        "type": "object",
        "required": ["substrate_id", "depth", "direction", "neighbours", "count"],
        "properties": {
            "substrate_id": _HEX_ID,
            "depth": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH},
            "direction": {"type": "string", "enum": ["out", "in", "both"]},
            "neighbours": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["distance", "substrate"],
                    "properties": {
                        "distance": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH},
                        "substrate": {"$ref": "#/components/schemas/Substrate"},
                    },
                },
            },
            "count": {"type": "integer", "minimum": 0},
            "truncated": {"type": "boolean", "description": "True when the limit cut the answer short."},
        },
    },
    "QueryResult": {
        "type": "object",
        "required": ["columns", "rows", "stats"],
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}},
            "rows": {
                "type": "array",
                "items": {"type": "array", "items": _ANY},
                "description": "One list per row, in column order. Nodes, relationships and paths are "
                "objects (as in the other routes); non-finite floats are the strings NaN, Infinity, -Infinity.",
            },
            "stats": {**_OBJECT, "description": "Counters such as nodes_created, and the time taken."},
            "row_count": {"type": "integer", "minimum": 0, "description": "How many rows were sent."},
            "profile": {
                "type": "array",
                "items": _OBJECT,
                "description": "For a PROFILE query only: per operator, in plan order, its EXPLAIN line "
                "(operator), the rows it produced (rows), the milliseconds spent in it alone (time_ms) "
                "and its UNION part (part).",
            },
            "plan": {
                "type": "string",
                "description": "For EXPLAIN and PROFILE only: the plan's text, the SQL it runs and SQLite's "
                "plan of it (PROFILE: with each operator's rows and time first). EXPLAIN runs nothing: "
                "its rows are empty and this is its answer.",
            },
            "error": {
                **_OBJECT,
                "description": "Present when the query failed after rows began streaming: the error shape; "
                "the rows sent before it stand. (Errors before the first row get their own status.)",
            },
        },
    },
    "ImportResult": {
        "type": "object",
        "required": ["substrates", "relationships", "lines", "error_count", "errors"],
        "properties": {
            "substrates": {"type": "integer", "minimum": 0, "description": "Substrates imported."},
            "relationships": {"type": "integer", "minimum": 0, "description": "Relationships imported."},
            "lines": {"type": "integer", "minimum": 0, "description": "Lines read, blank ones included."},
            "error_count": {"type": "integer", "minimum": 0},
            "errors": {
                "type": "array",
                "description": "The first bad lines (at most 100), each skipped.",
                "items": {
                    "type": "object",
                    "required": ["line", "detail", "code"],
                    "properties": {
                        "line": {"type": "integer", "minimum": 1},
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "timestamp", "version"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "timestamp": _TIMESTAMP,
            "version": {"type": "string", "example": bfxdb.__version__},
            "read_only": {"type": "boolean"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
        },
    },
    "Metrics": {
        "type": "object",
        "required": ["total_substrates", "total_relationships", "uptime_seconds", "version"],
        "properties": {
            "total_substrates": {"type": "integer", "minimum": 0},
            "total_relationships": {"type": "integer", "minimum": 0},
            "uptime_seconds": {"type": "number", "minimum": 0},
            "version": {"type": "string"},
            "pid": {
                "type": "integer",
                "description": "The server process that answered: with --workers N, uptime_seconds, requests and "
                "latency_ms are that process's alone.",
            },
            "database_size_bytes": {"type": "integer", "minimum": 0, "description": "File plus WAL."},
            "requests": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "method": {"type": "string"},
                        "route": {"type": "string"},
                        "status": {"type": "integer"},
                        "count": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "latency_ms": {
                "type": "object",
                "description": "Per route: request count, total time, and p50/p90/p99 over the latest requests.",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "count": {"type": "integer"},
                        "sum": {"type": "number"},
                        "p50": {"type": "number"},
                        "p90": {"type": "number"},
                        "p99": {"type": "number"},
                    },
                },
            },
        },
    },
}

REQUEST_SCHEMAS: dict[str, Schema] = {
    "SubstrateCreate": SUBSTRATE_CREATE,
    "SubstrateUpdate": SUBSTRATE_UPDATE,
    "DivideRequest": DIVIDE_REQUEST,
    "InvokeRequest": INVOKE_REQUEST,
    "RelationshipCreate": RELATIONSHIP_CREATE,
    "QueryRequest": QUERY_REQUEST,
}

_ERRORS = {
    "400": "Malformed input: a bad id, invalid JSON, a rejected expression or query.",
    "401": "No API key, or an unknown one.",
    "403": "A read-only key (or a read-only server) was asked to write.",
    "404": "No such substrate or relationship.",
    "409": "The identity exists already; `substrate_id` names it.",
    "413": "The request body is larger than the server accepts.",
    "422": "The body or query string does not fit the schema (`location` says where), or a query "
    "needed more than its limits allow (`query_limit`: its memory budget or the size cap).",
    "429": "Rate limited; retry after `Retry-After` seconds.",
    "503": "The database cannot be reached; for a write, `database_busy`: another writer held the write lock "
    "past the server's wait (`--write-wait`), nothing was written, retry after `Retry-After` seconds.",
    "504": "The query ran past its time limit; nothing was written.",
    "507": "The disk holding the database is full (`storage_full`); the write that met it was undone, reads "
    "still work. POST /import adds "
    "`batches_committed`, `substrates`, `relationships` and `lines_committed`: what committed before it.",
}
_ALWAYS = ("401", "429", "503")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _id_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what, "schema": _ID_INPUT}


def _page_params() -> list[dict[str, Any]]:
    return [
        {
            "name": "limit",
            "in": "query",
            "description": f"Page size (at most {MAX_PAGE}).",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
        },
        {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        },
    ]


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    ok: tuple[str, dict[str, Any]],
    errors: tuple[str, ...] = (),
    *,
    body: str | None = None,
    body_required: bool = True,
    raw_body: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    secured: bool = True,
) -> dict[str, Any]:
    """Build one operation with its success response and every error status it can answer."""
    responses = {ok[0]: ok[1]}
    codes = set(errors) | (set(_ALWAYS) if secured else set())
    if "403" in codes:
        codes.add("507")  # whatever may write may meet a full disk
    if body is not None or raw_body is not None:
        codes |= {"400", "413", "422"}
    for code in sorted(codes):
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if raw_body is not None:
        operation["requestBody"] = raw_body
    if not secured:
        operation["security"] = []
    return operation


def _delete(operation_id: str, tag: str, summary: str) -> dict[str, Any]:
    """Build a delete-by-id operation: substrates and relationships answer it the same way."""
    return _operation(operation_id, tag, summary, ("204", {"description": "Deleted."}), ("400", "403", "404"))


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def build_document() -> dict[str, Any]:
    """Build the OpenAPI 3.0 document of every route the app serves.

    :returns: the document as plain JSON-ready data.
    """
    substrate_id = _id_param("substrate_id", "The substrate's identity.")
    relationship_id = _id_param("relationship_id", "The relationship's identity.")
    rel_type_filter = {
        "name": "rel_type",
        "in": "query",
        "description": "Only relationships of this type.",
        "schema": _NAME,
    }
    openapi_ok = _json({"type": "object"}, "This document.")
    def adjacency(operation_id: str, summary: str) -> dict[str, Any]:
        """Describe one direction of a substrate's relationships: outgoing and incoming share the rest."""
        return {
            "parameters": [substrate_id],
            "get": _operation(
                operation_id,
                "relationships",
                summary,
                ("200", _json(_ref("RelationshipList"), "A page of relationships.")),
                ("400", "404", "422"),
                parameters=[rel_type_filter, *_page_params()],
            ),
        }

    paths: dict[str, Any] = {
        "/health": {
            "get": {
                "operationId": "health",
                "tags": ["system"],
                "summary": "Check the server and that its database answers (open without a key)",
                "security": [],
                "responses": {
                    "200": _json(_ref("Health"), "Healthy."),
                    "503": _json(_ref("Health"), "The database cannot be reached; `detail` says why."),
                },
            }
        },
        "/metrics": {
            "get": _operation(
                "metrics",
                "system",
                "Counts, uptime, request counts and latencies (Prometheus text on request)",
                (
                    "200",
                    {
                        "description": "JSON, or Prometheus text with `?format=prometheus` or `Accept: text/plain`.",
                        "content": {
                            "application/json": {"schema": _ref("Metrics")},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                ),
                ("422",),
                parameters=[
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "prometheus"]},
                    }
                ],
            )
        },
        "/docs": {"get": _operation("swaggerUi", "docs", "Swagger UI", ("200", _html("The page.")), secured=False)},
        "/redoc": {"get": _operation("redoc", "docs", "ReDoc", ("200", _html("The page.")), secured=False)},
        "/openapi.json": {
            "get": _operation("openapi", "docs", "This OpenAPI document", ("200", openapi_ok), secured=False)
        },
        "/substrates": {
            "post": _operation(
                "createSubstrate",
                "substrates",
                "Create a substrate (identity: given, the expression's fingerprint, or random)",
                ("201", _json(_ref("Substrate"), "Created; `Location` names it.")),
                ("403", "409"),
                body="SubstrateCreate",
            ),
            "get": _operation(
                "listSubstrates",
                "substrates",
                "List substrates in identity order, filtered by label and metadata",
                ("200", _json(_ref("SubstrateList"), "A page of substrates.")),
                ("422",),
                parameters=[
                    {"name": "label", "in": "query", "schema": _NAME},
                    {
                        "name": "metadata",
                        "in": "query",
                        "description": 'A JSON object; keeps substrates whose metadata has each key with an '
                        'equal value, e.g. `{"name": "multiply"}`.',
                        "schema": {"type": "string"},
                    },
                    *_page_params(),
                ],
            ),
        },
        "/substrates/{substrate_id}": {
            "parameters": [substrate_id],
            "get": _operation(
                "getSubstrate",
                "substrates",
                "Get a substrate",
                ("200", _json(_ref("Substrate"), "The substrate.")),
                ("400", "404"),
            ),
            "patch": _operation(
                "updateSubstrate",
                "substrates",
                "Replace a substrate's metadata and/or labels",
                ("200", _json(_ref("Substrate"), "The updated substrate.")),
                ("403", "404"),
                body="SubstrateUpdate",
            ),
            "delete": _delete("deleteSubstrate", "substrates", "Delete a substrate and every relationship touching it"),
        },
        "/substrates/{substrate_id}/divide": {
            "parameters": [substrate_id],
            "post": _operation(
                "divideSubstrate",
                "substrates",
                "Split a substrate into its nine Fibonacci dimensions",
                ("200", _json(_ref("DivideResult"), "The dimensions with their derived ids.")),
                ("403", "404"),
                body="DivideRequest",
                body_required=False,
            ),
        },
        "/substrates/{substrate_id}/invoke": {
            "parameters": [substrate_id],
            "post": _operation(
                "invokeSubstrate",
                "substrates",
                "Evaluate a substrate's expression with parameters, in the sandbox",
                ("200", _json(_ref("InvokeResult"), "The result.")),
                ("404",),
                body="InvokeRequest",
                body_required=False,
            ),
        },
        "/substrates/{substrate_id}/neighbours": {
            "parameters": [substrate_id],
            "get": _operation(
                "substrateNeighbours",
                "substrates",
                "Substrates reachable within `depth` hops, each at its shortest distance",
                ("200", _json(_ref("Neighbours"), "The neighbours, nearest first.")),
                ("400", "404", "422"),
                parameters=[
                    {
                        "name": "depth",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH, "default": 1},
                    },
                    {
                        "name": "direction",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["out", "in", "both"], "default": "out"},
                    },
                    rel_type_filter,
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
                    },
                ],
            ),
        },
        "/relationships": {
            "post": _operation(
                "createRelationship",
                "relationships",
                "Create a typed, directed relationship (parallel ones are allowed)",
                ("201", _json(_ref("Relationship"), "Created; `Location` names it.")),
                ("403", "404"),
                body="RelationshipCreate",
            ),
        },
        "/relationships/{relationship_id}": {
            "parameters": [relationship_id],
            "get": _operation(
                "getRelationship",
                "relationships",
                "Get a relationship",
                ("200", _json(_ref("Relationship"), "The relationship.")),
                ("400", "404"),
            ),
            "delete": _delete("deleteRelationship", "relationships", "Delete a relationship"),
        },
        "/relationships/outgoing/{substrate_id}": adjacency(
            "outgoingRelationships", "Relationships leaving a substrate, by type, target and id"
        ),
        "/relationships/incoming/{substrate_id}": adjacency(
            "incomingRelationships", "Relationships arriving at a substrate, by type, source and id"
        ),
        "/query": {
            "post": _operation(
                "query",
                "query",
                "Run an openCypher query; its writes commit together or not at all",
                (
                    "200",
                    _json(
                        _ref("QueryResult"),
                        "Columns, rows and statistics, streamed. With `Accept: application/x-ndjson`: lines "
                        '`{"columns"}`, one JSON array per row, then `{"stats", "row_count"}` (or `"error"`).',
                    ),
                ),
                ("403", "404", "409", "504"),
                body="QueryRequest",
            ),
        },
        "/import": {
            "post": _operation(
                "importNdjson",
                "import",
                "Bulk-import NDJSON: one substrate or relationship object per line",
                ("200", _json(_ref("ImportResult"), "Counts, and the bad lines that were skipped.")),
                ("403", "507"),
                parameters=[
                    {
                        "name": "batch_size",
                        "in": "query",
                        "description": "Lines per transaction; each batch commits as a whole or not at all.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50000, "default": 1000},
                    },
                    {
                        "name": "atomic",
                        "in": "query",
                        "description": "All lines or none: any bad line answers 400 and nothing is written.",
                        "schema": {"type": "boolean", "default": False},
                    },
                ],
                raw_body={
                    "required": True,
                    "description": 'One JSON object per line: `{"type": "substrate", ...}` with the fields of '
                    'POST /substrates, or `{"type": "relationship", ...}` with those of POST /relationships. '
                    "Substrates must come before the relationships that use them.",
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                },
            ),
        },
    }
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "bfxdb HTTP API",
            "version": bfxdb.__version__,
            "description": "The HTTP face of bfxdb, an embedded graph database over one SQLite file. "
            "Errors share one shape: `{\"detail\": \"...\", \"code\": \"...\"}`. When the server has API keys, "
            "send one as `Authorization: Bearer KEY` or `X-API-Key: KEY`; /health and the docs stay open.",
            "license": {"name": "Apache-2.0"},
        },
        "tags": [
            {"name": "system", "description": "Health and metrics."},
            {"name": "substrates", "description": "Nodes, their expressions and dimensions."},
            {"name": "relationships", "description": "Typed, directed edges."},
            {"name": "query", "description": "openCypher queries."},
            {"name": "import", "description": "Bulk loading."},
            {"name": "docs", "description": "This documentation."},
        ],
        "paths": {PREFIX + path: item for path, item in paths.items()},
        "components": {
            "schemas": _RESPONSE_SCHEMAS | REQUEST_SCHEMAS,
            "responses": {f"E{code}": _json(_ref("Error"), text) for code, text in _ERRORS.items()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key as a bearer token."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        # {} means "no key": keys are optional until the server is started with some.
        "security": [{"bearer": []}, {"apiKey": []}, {}],
    }
    root = _operation("openapiRoot", "docs", "This document, at the site root", ("200", openapi_ok), secured=False)
    document["paths"]["/openapi.json"] = {"get": root}
    location = {"schema": {"type": "string"}, "description": "explorer, relative to the site root."}
    found = {"description": "The explorer is at /explorer.", "headers": {"Location": location}}
    site = _operation("siteRoot", "docs", "Redirect to the explorer", ("302", found), secured=False)
    document["paths"]["/"] = {"get": site}
    page = _html("The page, or without vis-network installed what to install.")
    explorer = _operation("explorer", "docs", "The explorer, a page over this API", ("200", page), secured=False)
    document["paths"]["/explorer"] = {"get": explorer}
    return document
