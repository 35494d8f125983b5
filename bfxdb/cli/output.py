"""Render query results for the terminal and for scripts: a boxed table, JSON, CSV or NDJSON."""

from __future__ import annotations

import csv
import io
import json
import signal
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

import bfxdb
from bfxdb import to_json_value, to_text

OUTPUT_FORMATS = ("table", "json", "csv", "ndjson")
#: What a statement stopped by Ctrl-C reports: its writes are rolled back with its transaction.
INTERRUPTED = "interrupted (Ctrl-C); nothing was written"
#: Widest cell a table shows before it cuts the value short with an ellipsis.
MAX_CELL = 80


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_cell: int = MAX_CELL) -> str:
    """Draw rows as a box table; numbers align right, long or multi-line cells are cut short.

    :returns: the table text, ending with a newline.
    """
    cells = [[_cell(value, max_cell) for value in row] for row in rows]
    headers = [_cell(column, max_cell) for column in columns]
    widths = [len(header) for header in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [
        bool(rows) and all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in rows)
        for i in range(len(columns))
    ]

    def line(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (width + 2) for width in widths) + right

    def text_row(values: list[str], align: list[bool]) -> str:
        padded = [
            value.rjust(width) if right else value.ljust(width) for value, width, right in zip(values, widths, align)
        ]
        return "│ " + " │ ".join(padded) + " │"

    out = [line("┌", "┬", "┐"), text_row(headers, [False] * len(headers)), line("├", "┼", "┤")]
    out.extend(text_row(row, numeric) for row in cells)
    out.append(line("└", "┴", "┘"))
    return "\n".join(out) + "\n"


def _cell(value: Any, max_cell: int) -> str:
    text = to_text(value).replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    return text if len(text) <= max_cell else text[: max_cell - 1] + "…"


def write_result(
    result: Any, output_format: str, stream: IO[str], interrupted: Callable[[], bool] | None = None
) -> int:
    """Write a query's Result or Stream in one of OUTPUT_FORMATS, row by row as they come.

    ``json`` is one object ``{"columns", "rows", "stats", "row_count"}`` (the HTTP /query shape),
    written incrementally; ``ndjson`` one object per row; ``csv`` a header and one line per row,
    nested values as JSON text and null as an empty field; ``table`` a box table, which needs
    every row first. A query without columns prints nothing but in ``json``. When the query
    fails after rows went out, ``json`` still ends as a document, with an ``"error"`` member
    (``{"detail", "code"}``), and the error is raised on.

    :param interrupted: tells whether Ctrl-C stopped the query, so that the ``json`` error
        member says so rather than what the stopped statement reported (SQLite's interrupt
        reads as a time limit).
    :returns: how many rows were written.
    """
    if output_format not in OUTPUT_FORMATS:
        raise bfxdb.InvalidInput(f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    columns = list(result.columns)
    if output_format == "json":
        return _write_json(result, stream, interrupted or _never)
    if not columns:
        # a query without columns still runs to its end
        return sum(1 for _ in result.tuples())
    if output_format == "table":
        rows = list(result.tuples())
        stream.write(render_table(columns, rows))
        return len(rows)
    count = 0
    if output_format == "ndjson":
        for row in result.tuples():
            record = {column: to_json_value(value) for column, value in zip(columns, row)}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
    buffer = io.StringIO()
    # RFC 4180's CRLF: with a bare "\n" terminator the csv module leaves a lone "\r" unquoted.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in result.tuples():
        writer.writerow([_csv_value(value) for value in row])
        count += 1
        if buffer.tell() > _FLUSH_AT:
            stream.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    stream.write(buffer.getvalue())
    return count


#: Characters of CSV text gathered before they are written out.
_FLUSH_AT = 1 << 16


def _never() -> bool:
    return False


def _write_json(result: Any, stream: IO[str], interrupted: Callable[[], bool]) -> int:
    stream.write('{"columns": ' + json.dumps(list(result.columns), ensure_ascii=False) + ', "rows": [')
    count = 0
    try:
        for row in result.tuples():
            text = json.dumps([to_json_value(value) for value in row], ensure_ascii=False)
            stream.write(", " + text if count else text)
            count += 1
    except (bfxdb.BfxError, KeyboardInterrupt) as error:
        if isinstance(error, KeyboardInterrupt) or interrupted():
            failure = {"detail": INTERRUPTED, "code": "interrupted"}
        else:
            failure = {"detail": error.message, "code": error.code}
        stream.write(f'], "row_count": {count}, "error": {json.dumps(failure, ensure_ascii=False)}}}\n')
        raise
    stats = json.dumps(dict(result.stats or {}), ensure_ascii=False)
    stream.write(f'], "stats": {stats}, "row_count": {count}}}\n')
    return count


def _csv_value(value: Any) -> str:
    """Write one CSV field: empty for null, JSON for entities, lists and maps, else the value's text."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict, bfxdb.Substrate, bfxdb.Relationship, bfxdb.Path)):
        return json.dumps(to_json_value(value), ensure_ascii=False)
    return to_text(value)


def summary(count: int, stats: dict | None, seconds: float) -> str:
    """Describe a finished statement in one line: rows written, what it changed, and how long it took."""
    parts = [f"{count} row{'s' if count != 1 else ''}"]
    for key, value in (stats or {}).items():
        if value:
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return ", ".join(parts) + f" ({seconds * 1000:.1f} ms)"


def error_text(error: BaseException) -> str:
    """Describe an error for the terminal; a syntax error gets its source line and a caret under the spot."""
    text = str(error)
    context = getattr(error, "context", None)
    if context and context not in text:
        text += "\n" + "\n".join("  " + line for line in context.splitlines())
    return text


class CtrlC:
    """Notes a Ctrl-C (SIGINT) while a statement runs, so that it is reported as an interrupt.

    SIGINT still raises KeyboardInterrupt; but raised inside SQLite's progress handler it only
    stops the statement, which then fails as if its time limit had passed. `pressed` tells the
    two apart. The handler is installed only in the main thread (where signals are delivered).
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> CtrlC:
        self.pressed = False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.SIG_DFL if self._previous is None else self._previous)
            self._installed = False

    def __call__(self) -> bool:
        """Tell whether Ctrl-C was pressed since entering."""
        return self.pressed

    def _handle(self, signum: int, frame: object) -> None:
        self.pressed = True
        raise KeyboardInterrupt
