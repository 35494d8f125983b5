"""Render query results for the terminal and for scripts: a boxed table, JSON, CSV or NDJSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import IO, Any

import bfxdb
from bfxdb import to_json_value, to_text

OUTPUT_FORMATS = ("table", "json", "csv", "ndjson")
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


def write_result(result: Any, output_format: str, stream: IO[str]) -> None:
    """Write a query Result in one of OUTPUT_FORMATS.

    ``json`` is one object ``{"columns", "rows", "stats"}`` (the HTTP /query shape); ``ndjson``
    one object per row; ``csv`` a header and one line per row, nested values as JSON text and
    null as an empty field; ``table`` a box table. A query without columns prints nothing
    but in ``json``.
    """
    if output_format == "table":
        if result.columns:
            stream.write(render_table(result.columns, result.rows))
    elif output_format == "json":
        body = {
            "columns": list(result.columns),
            "rows": [[to_json_value(value) for value in row] for row in result.rows],
            "stats": dict(result.stats or {}),
        }
        stream.write(json.dumps(body, ensure_ascii=False) + "\n")
    elif output_format == "ndjson":
        for row in result.rows:
            record = {column: to_json_value(value) for column, value in zip(result.columns, row)}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif output_format == "csv":
        if not result.columns:
            return
        buffer = io.StringIO()
        # RFC 4180's CRLF: with a bare "\n" terminator the csv module leaves a lone "\r" unquoted.
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.columns)
        writer.writerows([_csv_value(value) for value in row] for row in result.rows)
        stream.write(buffer.getvalue())
    else:
        raise bfxdb.InvalidInput(f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")


def _csv_value(value: Any) -> str:
    """Write one CSV field: empty for null, JSON for entities, lists and maps, else the value's text."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict, bfxdb.Substrate, bfxdb.Relationship, bfxdb.Path)):
        return json.dumps(to_json_value(value), ensure_ascii=False)
    return to_text(value)


def summary(result: Any, seconds: float) -> str:
    """Describe a finished statement in one line: rows, what it changed, and how long it took."""
    count = len(result.rows)
    parts = [f"{count} row{'s' if count != 1 else ''}"]
    for key, value in (result.stats or {}).items():
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
