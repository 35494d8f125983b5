"""The bulk route: POST /import streams NDJSON into batched bulk loads and reports the bad lines."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, current_app, request

import bfxdb
from bfxdb import parse_ndjson_line

from ..errors import ImportRejected, error_response
from ..serialize import json_response
from ..state import get_db, get_state
from ..validation import MAX_NESTING, query_bool, query_int
from ..writers import writes

blueprint = Blueprint("import", __name__)

#: Bad lines listed in a response at most; error_count still counts them all.
MAX_REPORTED = 100


class LineTooLong(bfxdb.InvalidInput):
    """One NDJSON line is longer than the server's JSON body limit."""

    code = "line_too_long"


@blueprint.post("/import")
@writes
def import_ndjson():
    """Import substrates and relationships from NDJSON, ``batch_size`` lines per transaction."""
    batch_size = query_int("batch_size", 1000, 1, 50_000)
    atomic = query_bool("atomic", False)
    request.max_content_length = get_state().max_import_bytes
    report = {"substrates": 0, "relationships": 0, "lines": 0, "error_count": 0, "errors": []}
    progress = _Progress()
    db = get_db()
    try:
        if atomic:
            with db.transaction():
                # the batches are savepoints of this one transaction: none is committed before its end
                _import(db, report, batch_size, _Progress())
                if report["error_count"]:
                    raise ImportRejected(
                        f"{report['error_count']} bad line(s); nothing was imported",
                        errors=report["errors"],
                        error_count=report["error_count"],
                        lines=report["lines"],
                    )
        else:
            _import(db, report, batch_size, progress)
    except bfxdb.BfxError as error:
        if not bfxdb.ends_import(error):
            raise
        # Batches committed before the failure stay: say exactly which, in the error shape.
        extra: dict[str, Any] = {**error.details, **progress.counts()}
        extra.update(error_count=report["error_count"], errors=report["errors"])
        return error_response(error.http_status, f"{error.message}; {progress.said()}", error.code, None, **extra)
    return json_response(report)


class _Progress:
    """What an import has committed: batches, rows and the last line they cover."""

    def __init__(self) -> None:
        self.batches = self.substrates = self.relationships = self.through = 0

    def committed(self, substrates: int, relationships: int, through: int) -> None:
        self.batches += 1
        self.substrates += substrates
        self.relationships += relationships
        self.through = through

    def counts(self) -> dict[str, int]:
        return {
            "batches_committed": self.batches,
            "substrates": self.substrates,
            "relationships": self.relationships,
            "lines_committed": self.through,
        }

    def said(self) -> str:
        if not self.batches:
            return "nothing was imported"
        return (
            f"{self.batches} batch(es) committed before it ({self.substrates} substrates, {self.relationships} "
            f"relationships): lines 1 to {self.through} are imported or reported bad, nothing after them"
        )


def _import(db: bfxdb.Database, report: dict[str, Any], batch_size: int, progress: _Progress) -> None:
    batch: list[tuple[int, str, dict]] = []
    max_line = current_app.config["MAX_CONTENT_LENGTH"]
    for number, raw in _lines(request.stream, max_line):
        report["lines"] = number
        try:
            item = _parse_line(number, raw, max_line)
        except bfxdb.BfxError as error:
            _record(report, number, error)
            continue
        if item is not None:
            batch.append(item)
        if len(batch) >= batch_size:
            _load(db, batch, report, progress, number)
            batch = []
    if batch:
        _load(db, batch, report, progress, report["lines"])


def _lines(stream, max_line: int | None) -> Iterator[tuple[int, bytes | None]]:
    """Yield (line number, bytes) from a byte stream; None stands for a line longer than ``max_line``."""
    reader = io.BufferedReader(stream, buffer_size=1 << 16)
    limit = -1 if max_line is None else max_line + 1
    number = 0
    while True:
        line = reader.readline(limit)
        if not line:
            return
        number += 1
        if max_line is not None and len(line) > max_line and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = reader.readline(1 << 16)
            yield number, None
            continue
        yield number, line


def _parse_line(number: int, raw: bytes | None, max_line: int | None) -> tuple[int, str, dict] | None:
    """Check one line with the library's NDJSON parser, as `bfxdb import` does; None for a blank line.

    :param raw: the line, or None for one longer than ``max_line`` bytes (the JSON body limit).
    :raises BfxError: why the line cannot be imported.
    """
    if raw is None:
        raise LineTooLong(
            f"the line is longer than the server's JSON body limit of {max_line:,} bytes; bfxdb serve "
            "--max-body-bytes (BFXDB_MAX_BODY_BYTES) raises it"
        )
    parsed = parse_ndjson_line(raw, max_depth=MAX_NESTING)
    if parsed is None:
        return None
    kind, item = parsed
    return number, kind, item


def _load(
    db: bfxdb.Database, batch: list[tuple[int, str, dict]], report: dict[str, Any], progress: _Progress, through: int
) -> None:
    """Load a batch in one transaction; if it fails, load line by line within it to find the bad ones.

    The batch commits as a whole (inside an atomic import, as a savepoint of it); an error that
    ends the import (a full disk) propagates, and nothing of the batch is counted.
    """
    counts = {"substrates": 0, "relationships": 0}
    with db.transaction():
        try:
            _bulk(db, batch, counts)
        except bfxdb.BfxError as error:
            if bfxdb.ends_import(error):
                raise
            # Substrates first, as bulk_load does, so a relationship may follow the substrates it joins.
            for item in sorted(batch, key=lambda entry: entry[1] != "substrate"):
                try:
                    _bulk(db, [item], counts)
                except bfxdb.BfxError as error:
                    if bfxdb.ends_import(error):
                        raise
                    _record(report, item[0], error)
    report["substrates"] += counts["substrates"]
    report["relationships"] += counts["relationships"]
    progress.committed(counts["substrates"], counts["relationships"], through)


def _bulk(db: bfxdb.Database, items: list[tuple[int, str, dict]], counts: dict[str, int]) -> None:
    loaded = db.bulk_load(
        [item for _, kind, item in items if kind == "substrate"],
        [item for _, kind, item in items if kind == "relationship"],
    )
    counts["substrates"] += loaded["substrates"]
    counts["relationships"] += loaded["relationships"]


def _record(report: dict[str, Any], number: int, error: bfxdb.BfxError) -> None:
    report["error_count"] += 1
    if len(report["errors"]) < MAX_REPORTED:
        report["errors"].append({"line": number, "detail": error.message, "code": error.code})
