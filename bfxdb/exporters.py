"""Write a whole database as NDJSON, CSV, GraphML or a Cypher dump that `bfxdb import` reads back unchanged.

Every export reads one consistent snapshot. Ids, labels, metadata (with the JSON type of
every value), expressions, relationship types and the bidirectional flag all survive the
round trip; ``created_at`` is written by NDJSON only, and a re-import stamps its own time.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import ndjson
from .database import Database
from .errors import InvalidInput
from .identity import format_id
from .importers import (
    BFX_NS,
    CYPHER_CLEANUP,
    CYPHER_EXTRA_CLOSE,
    CYPHER_EXTRA_OPEN,
    CYPHER_ID_PROPERTY,
    DEFAULT_ARRAY_DELIMITER,
    GRAPHML_NS,
)
from .maintenance import iter_relationships, iter_substrates, snapshot
from .model import Relationship, Substrate

FORMATS = ("ndjson", "csv", "graphml", "cypher")
SUBSTRATES_CSV = "substrates.csv"
RELATIONSHIPS_CSV = "relationships.csv"
_EXTENSIONS = {".ndjson": "ndjson", ".jsonl": "ndjson", ".graphml": "graphml", ".cypher": "cypher", ".cql": "cypher"}
#: Characters XML 1.0 cannot carry at all, even escaped; values holding them go out as JSON.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CYPHER_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


@dataclass
class ExportReport:
    """What an export wrote."""

    substrates: int = 0
    relationships: int = 0
    files: tuple[str, ...] = ()


def format_for(destination: str | os.PathLike[str] | None) -> str:
    """Guess the export format from the destination's name: a known extension, else CSV for a folder.

    :returns: ``ndjson`` for standard output and unknown extensions.
    """
    if destination is None or str(destination) == "-":
        return "ndjson"
    path = Path(destination)
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    if path.is_dir() or not suffixes:
        return "csv"
    return "ndjson"


def export(
    db: Database,
    format: str,
    destination: str | os.PathLike[str] | None = None,
    *,
    array_delimiter: str = DEFAULT_ARRAY_DELIMITER,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write the whole database in one format.

    A file destination is written beside itself and renamed into place when complete; a name
    ending in ``.gz`` is compressed. CSV writes ``substrates.csv`` and ``relationships.csv``
    into the destination folder.

    :param format: one of ``ndjson``, ``csv``, ``graphml``, ``cypher``.
    :param destination: a file (a folder for CSV), or None / ``"-"`` for standard output.
    :param on_progress: called now and then with (rows done, rows in all).
    :returns: an ExportReport.
    :raises InvalidInput: for an unknown format, a CSV export without a folder, or data the
        format cannot carry (the message says which and suggests NDJSON).
    """
    if format not in FORMATS:
        raise InvalidInput(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    if format == "csv" and (destination is None or str(destination) == "-"):
        raise InvalidInput("a CSV export writes two files: give a folder to write them into")
    with snapshot(db):
        substrates, relationships = db.count_substrates(), db.count_relationships()
        passes = 2 if format in ("csv", "graphml") else 1
        progress = _Progress(on_progress, passes * (substrates + relationships))
        report = ExportReport(substrates, relationships)
        if format == "csv":
            folder = Path(destination)
            folder.mkdir(parents=True, exist_ok=True)
            with _output(folder / SUBSTRATES_CSV) as stream:
                _write_csv_substrates(db, stream, array_delimiter, progress)
            with _output(folder / RELATIONSHIPS_CSV) as stream:
                _write_csv_relationships(db, stream, array_delimiter, progress)
            report.files = (str(folder / SUBSTRATES_CSV), str(folder / RELATIONSHIPS_CSV))
        else:
            writer = {"ndjson": _write_ndjson, "graphml": _write_graphml, "cypher": _write_cypher}[format]
            with _output(destination) as stream:
                writer(db, stream, progress)
            report.files = (str(destination or "-"),)
        progress.finish()
    return report


class _Progress:
    """Counts rows and tells the caller every few thousand."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def tick(self) -> None:
        self.done += 1
        if self.callback is not None and self.done % 2048 == 0:
            self.callback(self.done, self.total)

    def counted(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield item
            self.tick()

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)


@contextmanager
def _output(destination: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """Yield a text stream; a file is written to a temporary name and renamed when complete."""
    if destination is None or str(destination) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(destination)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix.lower() == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as stream:
                yield stream
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# ---------------------------------------------------------------- NDJSON


def _write_ndjson(db: Database, stream: IO[str], progress: _Progress) -> None:
    for substrate in progress.counted(iter_substrates(db)):
        stream.write(ndjson.dumps(ndjson.substrate_record(substrate)) + "\n")
    for relationship in progress.counted(iter_relationships(db)):
        stream.write(ndjson.dumps(ndjson.relationship_record(relationship)) + "\n")


# ---------------------------------------------------------------- typing values for CSV and GraphML


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return None


class _Columns:
    """The type of each metadata key across all rows: one plain type when every value agrees, else json.

    ``json`` cells hold the value as JSON text; it is the fallback that keeps every value exact.
    """

    def __init__(self, kind_of: Callable[[Any], str]) -> None:
        self.kind_of = kind_of
        self.kinds: dict[str, str] = {}

    def see(self, metadata: dict[str, Any]) -> None:
        for key, value in metadata.items():
            kind = self.kind_of(value)
            seen = self.kinds.setdefault(key, kind)
            if seen != kind:
                self.kinds[key] = "json"


def _csv_kind(array_delimiter: str) -> Callable[[Any], str]:
    def kind_of(value: Any) -> str:
        kind = _scalar_kind(value)
        # An empty cell means "no such property", so an empty text must travel as JSON.
        if kind == "string" and value == "":
            return "json"
        if kind is not None:
            return kind
        if isinstance(value, list) and value:
            kinds = {_scalar_kind(item) for item in value}
            if len(kinds) == 1 and None not in kinds:
                element = kinds.pop()
                cells = [_csv_scalar(item) for item in value]
                if not any(array_delimiter in cell for cell in cells) and array_delimiter.join(cells):
                    return element + "[]"
        return "json"

    return kind_of


def _csv_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_cell(value: Any, kind: str, array_delimiter: str) -> str:
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if kind.endswith("[]"):
        return array_delimiter.join(_csv_scalar(item) for item in value)
    return _csv_scalar(value)


def _property_header(columns: _Columns) -> tuple[list[str], list[tuple[str, str]]]:
    fields, keys = [], []
    for key, kind in columns.kinds.items():
        if not key:
            raise InvalidInput("a metadata key is empty, which a CSV header cannot name; export as ndjson")
        fields.append(f"{key}:{kind}")
        keys.append((key, kind))
    return fields, keys


def _csv_writer(stream: IO[str]) -> Any:
    # RFC 4180's CRLF: with a bare "\n" terminator the csv module leaves a lone "\r" unquoted.
    return csv.writer(stream, lineterminator="\r\n")


def _write_csv_substrates(db: Database, stream: IO[str], array_delimiter: str, progress: _Progress) -> None:
    columns = _Columns(_csv_kind(array_delimiter))
    with_expressions = False
    for substrate in progress.counted(iter_substrates(db)):
        columns.see(substrate.metadata)
        with_expressions = with_expressions or substrate.expression_code is not None
        for label in substrate.labels:
            if array_delimiter in label:
                raise InvalidInput(
                    f"label {label!r} holds the array delimiter {array_delimiter!r}; choose another delimiter"
                )
    fields, keys = _property_header(columns)
    expression_fields = [":EXPRESSION_TYPE", ":EXPRESSION_CODE"] if with_expressions else []
    writer = _csv_writer(stream)
    writer.writerow([":ID", ":LABEL", *expression_fields, *fields])
    for substrate in progress.counted(iter_substrates(db)):
        row = [substrate.substrate_id, array_delimiter.join(substrate.labels)]
        if with_expressions:
            row += [substrate.expression_type or "", substrate.expression_code or ""]
        metadata = substrate.metadata
        row += [_csv_cell(metadata[key], kind, array_delimiter) if key in metadata else "" for key, kind in keys]
        writer.writerow(row)


def _write_csv_relationships(db: Database, stream: IO[str], array_delimiter: str, progress: _Progress) -> None:
    columns = _Columns(_csv_kind(array_delimiter))
    for relationship in progress.counted(iter_relationships(db)):
        columns.see(relationship.metadata)
    fields, keys = _property_header(columns)
    writer = _csv_writer(stream)
    writer.writerow([":ID", ":START_ID", ":END_ID", ":TYPE", ":BIDIRECTIONAL", *fields])
    for relationship in progress.counted(iter_relationships(db)):
        metadata = relationship.metadata
        writer.writerow(
            [
                relationship.relationship_id,
                format_id(relationship.source),
                format_id(relationship.target),
                relationship.rel_type,
                "true" if relationship.bidirectional else "false",
                *(_csv_cell(metadata[key], kind, array_delimiter) if key in metadata else "" for key, kind in keys),
            ]
        )


# ---------------------------------------------------------------- GraphML

_GRAPHML_TYPES = {"boolean": "boolean", "int": "long", "float": "double", "string": "string"}


def _graphml_kind(value: Any) -> str:
    kind = _scalar_kind(value)
    if kind == "int" and not -(1 << 63) <= value < (1 << 63):
        return "json"
    if kind == "string" and _NOT_XML.search(value):
        return "json"
    return kind or "json"


def _xml_text(text: str) -> str:
    # A raw carriage return would come back as a newline: XML parsers normalise line ends.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xml_attribute(text: str) -> str:
    escaped = _xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return f'"{escaped}"'


def _graphml_data(value: Any, kind: str) -> str:
    if kind == "json":
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    if kind == "boolean":
        return "true" if value else "false"
    return repr(value) if kind == "float" else str(value)


class _GraphmlKeys:
    """The key declarations of one GraphML export: bfxdb's fields by role, metadata by name."""

    def __init__(self) -> None:
        self.nodes = _Columns(_graphml_kind)
        self.edges = _Columns(_graphml_kind)
        self.roles = {
            "labels": ("node", "json"),
            "expression_type": ("node", "string"),
            "expression_code": ("node", "string"),
            "rel_type": ("edge", "string"),
            "bidirectional": ("edge", "boolean"),
        }
        self.ids: dict[tuple[str, str], str] = {}

    def see_role(self, role: str, value: str) -> None:
        if _NOT_XML.search(value):
            self.roles[role] = (self.roles[role][0], "json")

    def declarations(self) -> Iterator[str]:
        for role, (scope, kind) in self.roles.items():
            self.ids[("role", role)] = f"bfx_{role}"
            yield self._key(f"bfx_{role}", scope, role, kind, role)
        for scope, columns, prefix in (("node", self.nodes, "n"), ("edge", self.edges, "e")):
            for number, (name, kind) in enumerate(columns.kinds.items()):
                self.ids[(scope, name)] = f"{prefix}{number}"
                yield self._key(f"{prefix}{number}", scope, name, kind, None)

    @staticmethod
    def _key(key_id: str, scope: str, name: str, kind: str, role: str | None) -> str:
        extra = f" bfx:role={_xml_attribute(role)}" if role else ""
        if _NOT_XML.search(name):
            # XML cannot carry these characters even escaped: the exact name travels as JSON.
            extra += f" bfx:name={_xml_attribute(json.dumps(name))}"
            name = _NOT_XML.sub("\ufffd", name)
        if kind == "json":
            extra += ' bfx:type="json"'
        graphml_type = _GRAPHML_TYPES.get(kind, "string")
        return (
            f'  <key id="{key_id}" for="{scope}" attr.name={_xml_attribute(name)} '
            f'attr.type="{graphml_type}"{extra}/>\n'
        )

    def data(self, scope: str, name: str, value: Any, kind: str) -> str:
        return f'<data key="{self.ids[(scope, name)]}">{_xml_text(_graphml_data(value, kind))}</data>'


def _write_graphml(db: Database, stream: IO[str], progress: _Progress) -> None:
    keys = _GraphmlKeys()
    for substrate in progress.counted(iter_substrates(db)):
        keys.nodes.see(substrate.metadata)
        if substrate.expression_code is not None:
            keys.see_role("expression_type", substrate.expression_type)
            keys.see_role("expression_code", substrate.expression_code)
    for relationship in progress.counted(iter_relationships(db)):
        keys.edges.see(relationship.metadata)
        keys.see_role("rel_type", relationship.rel_type)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<graphml xmlns="{GRAPHML_NS}" xmlns:bfx="{BFX_NS}">\n')
    for declaration in keys.declarations():
        stream.write(declaration)
    stream.write('  <graph id="G" edgedefault="directed">\n')
    roles = keys.roles
    for substrate in progress.counted(iter_substrates(db)):
        parts = [f'    <node id="{substrate.substrate_id}">']
        if substrate.labels:
            parts.append(keys.data("role", "labels", list(substrate.labels), "json"))
        if substrate.expression_code is not None:
            parts.append(keys.data("role", "expression_type", substrate.expression_type, roles["expression_type"][1]))
            parts.append(keys.data("role", "expression_code", substrate.expression_code, roles["expression_code"][1]))
        for name, value in substrate.metadata.items():
            parts.append(keys.data("node", name, value, keys.nodes.kinds[name]))
        stream.write("".join(parts) + "</node>\n")
    for relationship in progress.counted(iter_relationships(db)):
        parts = [
            f'    <edge id="{relationship.relationship_id}" source="{format_id(relationship.source)}" '
            f'target="{format_id(relationship.target)}">',
            keys.data("role", "rel_type", relationship.rel_type, roles["rel_type"][1]),
        ]
        if relationship.bidirectional:
            # A role datum, not directed="false": readers such as networkx refuse that in a directed graph.
            parts.append(keys.data("role", "bidirectional", True, "boolean"))
        for name, value in relationship.metadata.items():
            parts.append(keys.data("edge", name, value, keys.edges.kinds[name]))
        stream.write("".join(parts) + "</edge>\n")
    stream.write("  </graph>\n</graphml>\n")


# ---------------------------------------------------------------- Cypher


def cypher_literal(value: Any) -> str:
    """Write a JSON value as an openCypher literal (strings single-quoted, map keys back-quoted).

    :raises InvalidInput: for a value that is not JSON.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # openCypher's exponent takes no "+" sign.
        return repr(value).replace("e+", "e")
    if isinstance(value, str):
        return "'" + "".join(_cypher_char(ch) for ch in value) + "'"
    if isinstance(value, list):
        return "[" + ", ".join(cypher_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{cypher_name(key)}: {cypher_literal(item)}" for key, item in value.items()) + "}"
    raise InvalidInput(f"cannot write a {type(value).__name__} as a Cypher literal")


def _cypher_char(ch: str) -> str:
    if ch in _CYPHER_ESCAPES:
        return _CYPHER_ESCAPES[ch]
    if ch < " " or ch == "\x7f" or ch in "\u2028\u2029\x85":
        return f"\\u{ord(ch):04x}"
    return ch


def cypher_name(name: str) -> str:
    """Back-quote a label, type or property key so any text is a valid openCypher name."""
    return "`" + name.replace("`", "``") + "`"


def _cypher_extra(extra: dict[str, Any]) -> str:
    # Escaping "/" (valid JSON) keeps "*/" out of the comment; ASCII keeps it on one line.
    return CYPHER_EXTRA_OPEN + json.dumps(extra, ensure_ascii=True).replace("/", "\\/") + CYPHER_EXTRA_CLOSE


def _cypher_node(substrate: Substrate) -> str:
    if CYPHER_ID_PROPERTY in substrate.metadata:
        raise InvalidInput(
            f"substrate {substrate.substrate_id} has a property named {CYPHER_ID_PROPERTY}, "
            "which a Cypher dump uses for itself; export as ndjson"
        )
    labels = "".join(":" + cypher_name(label) for label in substrate.labels)
    properties = cypher_literal({CYPHER_ID_PROPERTY: substrate.substrate_id, **substrate.metadata})
    statement = f"CREATE ({labels} {properties})"
    if substrate.expression_code is not None:
        statement += _cypher_extra(
            {"expression_type": substrate.expression_type, "expression_code": substrate.expression_code}
        )
    return statement + ";"


def _cypher_relationship(relationship: Relationship) -> str:
    ends = [cypher_literal({CYPHER_ID_PROPERTY: format_id(end)}) for end in (relationship.source, relationship.target)]
    properties = " " + cypher_literal(dict(relationship.metadata)) if relationship.metadata else ""
    extra: dict[str, Any] = {"id": relationship.relationship_id}
    if relationship.bidirectional:
        extra["bidirectional"] = True
    return (
        f"MATCH (a {ends[0]}), (b {ends[1]}) "
        f"CREATE (a)-[:{cypher_name(relationship.rel_type)}{properties}]->(b){_cypher_extra(extra)};"
    )


def _write_cypher(db: Database, stream: IO[str], progress: _Progress) -> None:
    stream.write(
        "// bfxdb Cypher dump, format 1. `bfxdb import NEW.db THIS` restores it with its ids;\n"
        "// `bfxdb shell NEW.db < THIS` (or any openCypher shell) replays it with new ids. Nodes carry\n"
        f"// a temporary {CYPHER_ID_PROPERTY} property that the last statement removes; the\n"
        "// /* bfxdb {...} */ comments hold what Cypher cannot set (ids, expressions, bidirectional).\n"
    )
    for substrate in progress.counted(iter_substrates(db)):
        stream.write(_cypher_node(substrate) + "\n")
    for relationship in progress.counted(iter_relationships(db)):
        stream.write(_cypher_relationship(relationship) + "\n")
    stream.write(CYPHER_CLEANUP + ";\n")
