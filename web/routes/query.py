"""The Cypher route: POST /query runs one openCypher query under a time limit, read-only on request.

The answer streams: rows are encoded as the query yields them, so a large result never sits in
memory. JSON (the default) is one document ``{"columns", "rows", "stats", "row_count"}`` (and
``"profile"`` for a PROFILE query: per operator its ``operator``, ``rows``, ``time_ms``, ``part``;
and ``"plan"``, the plan's text, for EXPLAIN and PROFILE) written piece by piece;
``Accept: application/x-ndjson`` gives lines: ``{"columns"}``, one JSON array per row, then
``{"stats", "row_count"}`` (with ``"profile"`` and ``"plan"`` as above). An error before the
response starts (within the first CHUNK_ROWS rows) answers with its own status and the error
shape; an error after streaming began ends the stream with an ``"error"`` member (that error
shape) beside ``"row_count"``, the rows sent before it standing.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context

import bfxdb
from bfxdb import to_json_value

from ..errors import bfx_error_body, error_body
from ..openapi import QUERY_REQUEST
from ..security import READ, access, can_write
from ..serialize import json_text
from ..state import get_db, get_state
from ..validation import json_body
from ..writers import writer_slot

blueprint = Blueprint("query", __name__)

NDJSON = "application/x-ndjson"
#: Rows encoded per chunk written: few writes, little held.
CHUNK_ROWS = 256


@blueprint.post("/query")
@access(READ)
def query() -> Response:
    """Run a query; a read-only key (or ``"read_only": true``) makes any write a 403.

    A query is first run read-only, which refuses one that writes before it starts; that one
    runs again in a writer slot (the plan is cached by then), so a read never takes a slot.
    """
    body = json_body(QUERY_REQUEST)
    read_only = bool(body.get("read_only", False)) or not can_write()
    timeout = query_timeout(body.get("timeout_ms"))

    def run(reading: bool) -> Any:
        return get_db().stream(
            body["query"], body.get("parameters") or {}, read_only=reading, timeout=timeout,
            memory=get_state().query_memory,
        )

    try:
        stream = run(True)
    except bfxdb.ReadOnlyError:
        if read_only:
            raise
        with writer_slot():
            # a query that writes runs to its end here, in its transaction: the rows are in hand
            stream = run(False)
    rows = stream.tuples()
    try:
        # Pulled before the response starts, so an error here still gets its own status.
        head = list(islice(rows, CHUNK_ROWS))
    except BaseException:
        stream.close()
        raise
    ndjson = request.accept_mimetypes.best_match(["application/json", NDJSON]) == NDJSON
    mimetype = NDJSON if ndjson else "application/json"
    chunks = _chunks(stream, chain(head, rows), ndjson, stream.explained)
    if len(head) < CHUNK_ROWS:
        # the whole answer is in hand: one body with its length, which waitress sends in one write
        return Response("".join(chunks), mimetype=mimetype)
    return Response(stream_with_context(chunks), mimetype=mimetype)


def _chunks(stream: Any, rows: Iterator[tuple], ndjson: bool, explained: bool) -> Iterator[str]:
    """Encode a result piece by piece: the head, rows in chunks of CHUNK_ROWS, then the trailer.

    :param explained: the query is an EXPLAIN, whose answer is its plan (it has no rows).
    """
    try:
        columns = json_text(list(stream.columns))
        yield '{"columns":' + columns + ("}\n" if ndjson else ',"rows":[')
        sent = 0
        error = None
        texts: list[str] = []
        try:
            for row in rows:
                texts.append(json_text([to_json_value(value) for value in row]))
                if len(texts) == CHUNK_ROWS:
                    yield _rows_chunk(texts, sent, ndjson)
                    sent += len(texts)
                    texts = []
        except bfxdb.BfxError as failure:
            error = bfx_error_body(failure)
        except Exception:
            current_app.logger.exception("unhandled error while streaming a query result")
            error = error_body("internal server error", "internal_error")
        if texts:
            yield _rows_chunk(texts, sent, ndjson)
            sent += len(texts)
        trailer: dict[str, Any] = {"stats": to_json_value(stream.stats), "row_count": sent}
        if stream.profile is not None:
            trailer["profile"] = stream.profile
        if (explained or stream.profile is not None) and stream.plan is not None:
            trailer["plan"] = stream.plan
        if error is not None:
            trailer["error"] = error
        text = json_text(trailer)
        yield text + "\n" if ndjson else "]," + text[1:]
    finally:
        stream.close()


def _rows_chunk(texts: list[str], sent: int, ndjson: bool) -> str:
    if ndjson:
        return "\n".join(texts) + "\n"
    return ("," if sent else "") + ",".join(texts)


def query_timeout(timeout_ms: int | None) -> float | None:
    """Pick a query's time limit in seconds: the client's, but never past the server's.

    :param timeout_ms: the limit the client asked for, or None for the server's.
    """
    ceiling = get_state().query_timeout
    if timeout_ms is None:
        return ceiling
    asked = timeout_ms / 1000
    return asked if ceiling is None else min(asked, ceiling)


