"""Render query results for the terminal and for scripts: a boxed table, JSON, CSV or NDJSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import IO, Any

from ..errors import InvalidInput
from ..model import Path, Relationship, Substrate
from ..query.temporal import Temporal

OUTPUT_FORMATS = ("table", "json", "csv", "ndjson")
#: Widest cell a table shows before it cuts the value short with an ellipsis.
MAX_CELL = 80


def to_json_value(value: Any) -> Any:
    """Turn a query value into plain JSON: nodes, relationships and paths become their dict form.

    Temporal values become their Cypher string (``toString``). Non-finite floats
    (``0.0 / 0.0`` in Cypher) become the strings ``NaN``, ``Infinity`` and ``-Infinity``,
    as strict JSON has no spelling for them.
    """
    if isinstance(value, (Substrate, Relationship, Path)):
        return to_json_value(value.to_dict())
    if isinstance(value, Temporal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json_value(item) for key, item in value.items()}
    return value


def to_text(value: Any, nested: bool = False) -> str:
    """Write a query value the way Cypher shells show it: ``(0x…:Label {name: "x"})`` for a node.

    :param nested: inside a list or map, where strings are quoted to keep them apart.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if nested else value
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Substrate):
        return _node_text(value)
    if isinstance(value, Relationship):
        return f"({value.source_id})-{_rel_text(value)}->({value.target_id})"
    if isinstance(value, Path):
        return _path_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_text(item, True) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {to_text(item, True)}" for key, item in value.items()) + "}"
    return str(value)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _properties_text(properties: Any) -> str:
    return " " + to_text(dict(properties), True) if properties else ""


def _node_text(node: Substrate) -> str:
    labels = "".join(f":{label}" for label in node.labels)
    return f"({node.substrate_id}{labels}{_properties_text(node.metadata)})"


def _rel_text(rel: Relationship) -> str:
    return f"[:{rel.rel_type}{_properties_text(rel.metadata)}]"


def _path_text(path: Path) -> str:
    parts = [_node_text(path.nodes[0])]
    for rel, node in zip(path.relationships, path.nodes[1:]):
        forward = rel.target == node.identity
        parts.append(f"-{_rel_text(rel)}->" if forward else f"<-{_rel_text(rel)}-")
        parts.append(_node_text(node))
    return "".join(parts)


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
        raise InvalidInput(f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float, bool, Temporal)):
        return to_text(value)
    return json.dumps(to_json_value(value), ensure_ascii=False)


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
