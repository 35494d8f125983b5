"""Read graph files (CSV, NDJSON, GraphML, Cypher dumps) and load them through bulk_load in one transaction.

CSV follows the header conventions of ``neo4j-admin database import`` (``:ID``, ``:LABEL``,
``:START_ID``, ``:END_ID``, ``:TYPE``, ``name:type`` property columns) and of Kuzu's
``COPY FROM`` (plain headers; the first column is a node's key, the first two a
relationship's endpoints). Identities of CSV and GraphML keys follow `import_identity`.
Every row is checked as it is read; a bad row is reported as ``file:line: reason`` and
either skipped or aborts the whole import, which then writes nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from . import ndjson
from .database import Database
from .errors import BfxError, Conflict, InvalidInput, NotFound
from .identity import ID_LIMIT, fingerprint, format_id, parse_id, random_id
from .storage import MAX_METADATA_BYTES

#: Prefix of the bytes hashed for the identity of a non-numeric import key (see import_identity).
IMPORT_ID_DOMAIN = b"bfxdb/import-id/v1"
DEFAULT_BATCH = 20_000
DEFAULT_ARRAY_DELIMITER = ";"
#: The type given to GraphML edges that carry none (networkx and yEd files have no edge types).
GRAPHML_DEFAULT_TYPE = "RELATED"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
#: Namespace of bfxdb's own GraphML key attributes (``bfx:role``, ``bfx:type``).
BFX_NS = "urn:bfxdb:graphml"
#: Property that carries a substrate's id through a Cypher dump; the dump removes it at the end.
CYPHER_ID_PROPERTY = "_bfxdb_id"
CYPHER_CLEANUP = f"MATCH (n) WHERE n.`{CYPHER_ID_PROPERTY}` IS NOT NULL REMOVE n.`{CYPHER_ID_PROPERTY}`"
#: What a Cypher dump statement cannot say (ids, expressions, bidirectional) rides in this comment.
CYPHER_EXTRA_OPEN = " /* bfxdb "
CYPHER_EXTRA_CLOSE = " */"
FORMATS = ("csv", "ndjson", "graphml", "cypher")

_SPECIAL_FIELDS = frozenset(
    {"ID", "LABEL", "START_ID", "END_ID", "TYPE", "IGNORE", "EXPRESSION_TYPE", "EXPRESSION_CODE", "BIDIRECTIONAL"}
)
_NODE_FIELDS = frozenset({"ID", "LABEL", "IGNORE", "EXPRESSION_TYPE", "EXPRESSION_CODE"})
_RELATIONSHIP_FIELDS = frozenset({"ID", "START_ID", "END_ID", "TYPE", "IGNORE", "BIDIRECTIONAL"})
#: CSV property types and the value type each becomes; temporal and spatial values stay text.
CSV_TYPES = {
    "string": "string", "char": "string", "date": "string", "time": "string", "localtime": "string",
    "datetime": "string", "localdatetime": "string", "duration": "string", "point": "string",
    "int": "int", "long": "int", "short": "int", "byte": "int", "integer": "int",
    "float": "float", "double": "float",
    "boolean": "boolean", "bool": "boolean",
    "json": "json",
}  # fmt: skip
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "ndjson",
    ".graphml": "graphml", ".xml": "graphml",
    ".cypher": "cypher", ".cql": "cypher",
}  # fmt: skip
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,16}")
_SPACED_FIELD = re.compile(r"(?P<name>.*):(?P<kind>[A-Za-z_]+)\((?P<space>[^()]*)\)")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class BadRowError(InvalidInput):
    """A row of an import file is malformed or clashes with the database; the message starts with file:line."""

    code = "bad_row"


def import_identity(key: str, space: str = "") -> int:
    """Map a CSV or GraphML key to a substrate identity, the same way on every machine.

    A key in the default id space that is ``0x`` + hex or a decimal integer below 2**64 *is*
    the identity (decimal here, as CSV ids are). Any other key, and every key in a named id
    space such as ``:ID(Person)``, maps to the first 8 bytes (big-endian) of
    SHA-256( ``b"bfxdb/import-id/v1"`` NUL space NUL key ), so relationships can refer to it.

    :param key: the key as written in the file.
    :param space: the id space (``Person`` in ``:ID(Person)``), or ``""``.
    :returns: an unsigned 64-bit identity.
    """
    if not space:
        if _HEX.fullmatch(key):
            return int(key[2:], 16)
        if _DECIMAL.fullmatch(key) and int(key) < ID_LIMIT:
            return int(key)
    digest = hashlib.sha256(b"\x00".join((IMPORT_ID_DOMAIN, space.encode(), key.encode()))).digest()
    return int.from_bytes(digest[:8], "big")


# ---------------------------------------------------------------- the plan: which files, read how


@dataclass
class Source:
    """One input: a file, or a neo4j-style group whose first file holds the header; read one way."""

    paths: tuple[Path, ...]
    format: str
    role: str | None = None  # "nodes" or "relationships" for CSV
    labels: tuple[str, ...] = ()
    rel_type: str | None = None
    header: list[str] | None = None

    @property
    def name(self) -> str:
        """The first file's name, for messages."""
        return str(self.paths[0])


def detect_format(path: Path) -> str:
    """Tell a file's format by its extension (``.gz`` looked through), else by its first character.

    :raises InvalidInput: when the file cannot be read.
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    try:
        with _open_binary(path) as stream:
            start = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error}") from None
    if start.startswith(b"{"):
        return "ndjson"
    if start.startswith(b"<"):
        return "graphml"
    return "csv"


def parse_group(spec: str) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """Read a neo4j-admin style file group: ``[Name[:Name...]=]file[,file...]``.

    :returns: the names before ``=`` (labels, or one relationship type) and the files.
    """
    names: tuple[str, ...] = ()
    files = spec
    if "=" in spec and not Path(spec).exists():
        prefix, files = spec.split("=", 1)
        names = tuple(name for name in prefix.split(":") if name)
    return names, tuple(Path(part) for part in files.split(",") if part)


def plan_sources(
    files: Iterable[str | Path] = (),
    nodes: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    relationships: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    *,
    format: str | None = None,
    delimiter: str | None = None,
) -> list[Source]:
    """Decide how to read each input, reading CSV headers to tell node files from relationship files.

    Directories stand for the files in them. Node files come first, then mixed files (NDJSON,
    GraphML, Cypher), then relationship files, so relationships find their endpoints.

    :param files: inputs whose format (and CSV role) is detected.
    :param nodes: ``(labels, files)`` groups of CSV node files, as ``--nodes``.
    :param relationships: ``(type, files)`` groups of CSV relationship files, as ``--relationships``.
    :param format: force one format for `files` instead of detecting it.
    :raises InvalidInput: for a missing file, an unreadable header or a role that cannot be told.
    """
    sources: list[Source] = []
    for labels, group in nodes:
        sources.append(_csv_source(group, "nodes", delimiter, labels=tuple(labels)))
    for names, group in relationships:
        if len(names) > 1:
            raise InvalidInput(f"a relationship group takes one type, not {':'.join(names)}")
        sources.append(_csv_source(group, "relationships", delimiter, rel_type=names[0] if names else None))
    for path in _expand(files):
        kind = format or detect_format(path)
        if kind not in FORMATS:
            raise InvalidInput(f"unknown import format {kind!r}; choose one of {', '.join(FORMATS)}")
        sources.append(_csv_source([path], None, delimiter) if kind == "csv" else Source((path,), kind))
    order = {"nodes": 0, None: 1, "relationships": 2}
    return sorted(sources, key=lambda source: order[source.role])


def _expand(files: Iterable[str | Path]) -> Iterator[Path]:
    for entry in files:
        path = Path(entry)
        if path.is_dir():
            inner = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inner:
                raise InvalidInput(f"{path} holds no files to import")
            yield from inner
        elif not path.exists():
            raise InvalidInput(f"{path} does not exist")
        else:
            yield path


def _csv_source(
    group: Sequence[str | Path],
    role: str | None,
    delimiter: str | None,
    labels: tuple[str, ...] = (),
    rel_type: str | None = None,
) -> Source:
    paths = tuple(Path(path) for path in group)
    if not paths:
        raise InvalidInput("a file group names no files")
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path} does not exist")
    try:
        with _text(paths[0]) as stream:
            header = next(csv.reader(stream, delimiter=_delimiter(paths[0], delimiter)), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(f"cannot read the header of {paths[0]}: {error}") from None
    if not header:
        raise InvalidInput(f"{paths[0]}:1: the header line is empty")
    columns = _parse_header(header, f"{paths[0]}:1")
    if role is None:
        role = _detect_role(columns, header, paths[0])
    return Source(paths, "csv", role, labels, rel_type, header)


def _detect_role(columns: list[_Column], header: list[str], path: Path) -> str:
    roles = {column.role for column in columns}
    if roles & {"START_ID", "END_ID", "TYPE", "BIDIRECTIONAL"}:
        return "relationships"
    if roles & {"ID", "LABEL", "EXPRESSION_TYPE", "EXPRESSION_CODE"}:
        return "nodes"
    if len(header) >= 2 and [h.strip().lower() for h in header[:2]] == ["from", "to"]:
        return "relationships"
    raise InvalidInput(
        f"{path}:1: cannot tell whether this CSV holds nodes or relationships; "
        "give it with --nodes or --relationships"
    )


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _Column:
    name: str
    role: str  # "property" or one of _SPECIAL_FIELDS
    type: str = "string"
    array: bool = False
    space: str = ""
    typed: bool = False


def _parse_header(fields: list[str], where: str) -> list[_Column]:
    return [_parse_field(text, where) for text in fields]


def _parse_field(text: str, where: str) -> _Column:
    spaced = _SPACED_FIELD.fullmatch(text)
    if spaced and spaced["kind"].upper() in ("ID", "START_ID", "END_ID"):
        return _Column(spaced["name"], spaced["kind"].upper(), space=spaced["space"], typed=True)
    if ":" not in text:
        if not text:
            raise InvalidInput(f"{where}: a header field is empty")
        return _Column(text, "property")
    name, _, spec = text.rpartition(":")
    if spec.upper() in _SPECIAL_FIELDS:
        return _Column(name, spec.upper(), typed=True)
    array = spec.endswith("[]")
    base = spec[:-2] if array else spec
    if base.lower() not in CSV_TYPES:
        raise InvalidInput(
            f"{where}: unknown type {spec!r} in header field {text!r} (write {text}:string for a name with a colon)"
        )
    if not name:
        raise InvalidInput(f"{where}: header field {text!r} has a type but no name")
    return _Column(name, "property", CSV_TYPES[base.lower()], array, typed=True)


def _to_int(text: str) -> int:
    try:
        return int(text)  # int() itself allows surrounding blanks
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None


def _to_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def _to_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"{text!r} is not true or false")


def _to_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{text[:40]!r} is not JSON: {error}") from None


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "int": _to_int,
    "float": _to_float,
    "boolean": _to_boolean,
    "json": _to_json,
}


def convert_cell(text: str, kind: str) -> Any:
    """Convert one CSV cell to the value its column type names.

    :param kind: ``string``, ``int``, ``float``, ``boolean`` or ``json``.
    :raises ValueError: with a reason fit for a bad-row report.
    """
    return _CONVERTERS[kind](text)


class _CsvShape:
    """How one CSV header maps rows to items; built once per file group."""

    def __init__(self, source: Source, array_delimiter: str) -> None:
        where = f"{source.name}:1"
        self.columns = _parse_header(source.header or [], where)
        self.width = len(self.columns)
        self.array_delimiter = array_delimiter
        self.source = source
        roles = [column.role for column in self.columns]
        allowed = _NODE_FIELDS if source.role == "nodes" else _RELATIONSHIP_FIELDS
        for column in self.columns:
            if column.role != "property" and column.role not in allowed:
                raise InvalidInput(f"{where}: :{column.role} does not belong in a {source.role} file")
        for role in ("ID", "START_ID", "END_ID", "TYPE", "BIDIRECTIONAL", "EXPRESSION_TYPE", "EXPRESSION_CODE"):
            if roles.count(role) > 1:
                raise InvalidInput(f"{where}: more than one :{role} column")
        self.index = {role: roles.index(role) for role in set(roles) if role != "property"}
        if source.role == "nodes":
            # Kuzu's COPY takes a node's primary key from its table schema; with no schema,
            # a plain header's first column plays that part (it stays a property too).
            plain = not any(column.typed for column in self.columns)
            self.key_column = 0 if "ID" not in self.index and plain else None
        elif "START_ID" not in self.index or "END_ID" not in self.index:
            ends = self.columns[:2]
            if len(ends) < 2 or any(column.typed for column in ends) or "START_ID" in roles or "END_ID" in roles:
                raise InvalidInput(f"{where}: a relationship file needs :START_ID and :END_ID columns")
            # Kuzu's convention: the first two columns are the FROM and TO keys.
            self.columns[0] = _Column("", "START_ID")
            self.columns[1] = _Column("", "END_ID")
            self.index["START_ID"], self.index["END_ID"] = 0, 1
        # A named :ID column (``personId:ID``) is kept as a text property too, as neo4j-admin does.
        self.properties = [
            (i, column.name, _CONVERTERS[column.type], column.array)
            for i, column in enumerate(self.columns)
            if column.role == "property" or (column.role == "ID" and column.name and source.role == "nodes")
        ]
        self.labels = [i for i, column in enumerate(self.columns) if column.role == "LABEL"]

    def row(self, cells: list[str], where: str) -> _Row:
        if len(cells) != self.width:
            return _Row(where, None, None, f"{len(cells)} fields, but the header has {self.width}")
        try:
            if self.source.role == "nodes":
                return _Row(where, "substrate", self._substrate(cells))
            item, refs = self._relationship(cells)
            return _Row(where, "relationship", item, refs=refs)
        except ValueError as error:
            kind = "substrate" if self.source.role == "nodes" else "relationship"
            return _Row(where, kind, None, str(error))

    def _metadata(self, cells: list[str]) -> dict:
        metadata = {}
        for i, name, convert, array in self.properties:
            text = cells[i]
            if text == "":
                continue
            try:
                if array:
                    metadata[name] = [convert(part) for part in text.split(self.array_delimiter)]
                else:
                    metadata[name] = convert(text)
            except ValueError as error:
                raise ValueError(f"column {name!r}: {error}") from None
        return metadata

    def _key(self, cells: list[str], role: str) -> tuple[int, str]:
        i = self.index[role]
        text = cells[i]
        if text == "":
            raise ValueError(f"the :{role} field is empty")
        return import_identity(text, self.columns[i].space), text

    def _substrate(self, cells: list[str]) -> dict:
        metadata = self._metadata(cells)
        identity = None
        if "ID" in self.index:
            identity = self._key(cells, "ID")[0]
        elif self.key_column is not None:
            if cells[self.key_column] == "":
                raise ValueError(f"the key column {self.columns[self.key_column].name!r} is empty")
            identity = import_identity(cells[self.key_column])
        labels = list(self.source.labels)
        for i in self.labels:
            labels.extend(label for label in cells[i].split(self.array_delimiter) if label)
        return {
            "identity": identity,
            "labels": labels,
            "metadata": metadata,
            "expression_type": self._optional(cells, "EXPRESSION_TYPE"),
            "expression_code": self._optional(cells, "EXPRESSION_CODE"),
        }

    def _relationship(self, cells: list[str]) -> tuple[dict, tuple[str, str]]:
        source, source_key = self._key(cells, "START_ID")
        target, target_key = self._key(cells, "END_ID")
        rel_type = self._optional(cells, "TYPE") or self.source.rel_type
        if not rel_type:
            raise ValueError("no relationship type: add a :TYPE column or give the file as --relationships TYPE=FILE")
        identity = self._key(cells, "ID")[0] if self._optional(cells, "ID") is not None else None
        bidirectional = self._optional(cells, "BIDIRECTIONAL")
        item = {
            "identity": identity,
            "source": source,
            "target": target,
            "rel_type": rel_type,
            "metadata": self._metadata(cells),
            "bidirectional": False if bidirectional is None else convert_cell(bidirectional, "boolean"),
        }
        return item, (source_key, target_key)

    def _optional(self, cells: list[str], role: str) -> str | None:
        i = self.index.get(role)
        return None if i is None or cells[i] == "" else cells[i]


def _read_csv(source: Source, meter: _Meter, options: ImportOptions) -> Iterator[_Row]:
    shape = _CsvShape(source, options.array_delimiter)
    # The default 128 KiB field limit is below the metadata limit (process-wide, only ever raised).
    csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_METADATA_BYTES))
    for number, path in enumerate(source.paths):
        with meter.open(path, "exact") as stream:
            reader = csv.reader(stream, delimiter=_delimiter(path, options.delimiter))
            last_line = 0
            if number == 0:
                next(reader, None)
                last_line = reader.line_num
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    yield _Row(f"{path}:{last_line + 1}", None, None, f"malformed CSV: {error}")
                    last_line = reader.line_num
                    continue
                where = f"{path}:{last_line + 1}"
                last_line = reader.line_num
                if cells:
                    yield shape.row(cells, where)


def _delimiter(path: Path, delimiter: str | None) -> str:
    if delimiter:
        return "\t" if delimiter in ("\\t", "tab", "TAB") else delimiter
    return "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","


# ---------------------------------------------------------------- NDJSON


def _read_ndjson(source: Source, meter: _Meter) -> Iterator[_Row]:
    path = source.paths[0]
    with meter.open(path, "text") as stream:
        for record in ndjson.read_records(stream):
            where = f"{path}:{record.line}"
            if record.error:
                yield _Row(where, record.kind, None, record.error)
            else:
                item = record.item
                refs = (format_id(item["source"]), format_id(item["target"])) if record.kind == "relationship" else ()
                yield _Row(where, record.kind, item, refs=refs)


# ---------------------------------------------------------------- GraphML


class _GraphmlRefused(Exception):
    """Raised inside an expat handler to stop at a construct GraphML input may not use."""


class _GraphmlReader:
    """Stream GraphML through expat, refusing DTDs and entities, and turn nodes and edges into rows.

    ElementTree's C parser offers no hook to refuse a DOCTYPE, so this drives expat (the parser
    ElementTree itself uses) directly; that also gives line numbers for bad-row reports.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: dict[str, dict[str, Any]] = {}
        self.stack: list[dict[str, Any]] = []
        self.rows: list[_Row] = []
        self.key: dict[str, Any] | None = None
        self.text: list[str] | None = None
        self.undirected = False
        parser = expat.ParserCreate(namespace_separator="|")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_entity
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.buffer_text = True
        self.parser = parser

    def read(self, stream: IO[bytes]) -> Iterator[_Row]:
        try:
            while chunk := stream.read(1 << 16):
                self.parser.Parse(chunk, False)
                yield from self.rows
                self.rows.clear()
            self.parser.Parse(b"", True)
        except expat.ExpatError as error:
            reason = expat.errors.messages[error.code]
            raise BadRowError(f"{self.name}:{error.lineno}: not well-formed XML: {reason}") from None
        except (_GraphmlRefused, ValueError) as error:
            raise BadRowError(f"{self.name}:{self.parser.CurrentLineNumber}: {error}") from None
        yield from self.rows

    def _refuse_doctype(self, *_: object) -> None:
        raise _GraphmlRefused("a DOCTYPE (DTD) is refused in GraphML input")

    def _refuse_entity(self, *_: object) -> int:
        raise _GraphmlRefused("entity declarations and references are refused in GraphML input")

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        local = tag.rpartition("|")[2]
        line = self.parser.CurrentLineNumber
        if local == "key":
            exact_name = attributes.get(f"{BFX_NS}|name")
            name = json.loads(exact_name) if exact_name else attributes.get("attr.name") or attributes.get("id", "")
            self.key = {
                "for": attributes.get("for", "all"),
                "name": name,
                "type": attributes.get("attr.type", "string"),
                "role": attributes.get(f"{BFX_NS}|role"),
                "json": attributes.get(f"{BFX_NS}|type") == "json",
                "default": None,
            }
            self.keys[attributes.get("id", "")] = self.key
        elif local == "default" and self.key is not None:
            self.text = []
        elif local == "graph":
            self.undirected = attributes.get("edgedefault", "directed") == "undirected"
        elif local in ("node", "edge"):
            self.stack.append({"kind": local, "attributes": attributes, "data": {}, "line": line})
        elif local == "data" and self.stack:
            self.stack[-1]["current"] = attributes.get("key", "")
            self.text = []

    def _characters(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def _end(self, tag: str) -> None:
        local = tag.rpartition("|")[2]
        if local == "default" and self.key is not None and self.text is not None:
            self.key["default"] = "".join(self.text)
            self.text = None
        elif local == "key":
            self.key = None
        elif local == "data" and self.stack and self.text is not None:
            element = self.stack[-1]
            element["data"][element.pop("current", "")] = "".join(self.text)
            self.text = None
        elif local in ("node", "edge") and self.stack:
            element = self.stack.pop()
            where = f"{self.name}:{element['line']}"
            kind = "substrate" if local == "node" else "relationship"
            try:
                self.rows.append(self._node(element, where) if local == "node" else self._edge(element, where))
            except ValueError as error:
                self.rows.append(_Row(where, kind, None, str(error)))

    def _values(self, element: dict[str, Any], scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return (role values, metadata) of an element, applying key defaults as GraphML says."""
        roles, metadata = {}, {}
        data = element["data"]
        for key_id, key in self.keys.items():
            if key["for"] not in (scope, "all"):
                continue
            text = data.get(key_id, key["default"])
            if text is None:
                continue
            try:
                value = _graphml_value(text, key)
            except ValueError as error:
                raise ValueError(f"data {key['name']!r}: {error}") from None
            if key["role"]:
                roles[key["role"]] = value
            else:
                metadata[key["name"]] = value
        unknown = set(data) - set(self.keys)
        if unknown:
            raise ValueError(f"data for undeclared key {sorted(unknown)[0]!r}")
        return roles, metadata

    def _node(self, element: dict[str, Any], where: str) -> _Row:
        attributes = element["attributes"]
        if not attributes.get("id"):
            raise ValueError("a node without an id")
        roles, metadata = self._values(element, "node")
        labels = roles.get("labels")
        if labels is None and attributes.get("labels"):
            # APOC writes labels as ":A:B" on the element and repeats them as a "labels" datum.
            labels = [label for label in attributes["labels"].split(":") if label]
            if metadata.get("labels") == attributes["labels"]:
                del metadata["labels"]
        if labels is not None and not isinstance(labels, list):
            raise ValueError("labels must be a list")
        item = {
            "identity": import_identity(attributes["id"]),
            "labels": labels or [],
            "metadata": metadata,
            "expression_type": roles.get("expression_type"),
            "expression_code": roles.get("expression_code"),
        }
        return _Row(where, "substrate", item)

    def _edge(self, element: dict[str, Any], where: str) -> _Row:
        attributes = element["attributes"]
        if not attributes.get("source") or not attributes.get("target"):
            raise ValueError("an edge needs source and target")
        roles, metadata = self._values(element, "edge")
        rel_type = roles.get("rel_type")
        if rel_type is None and attributes.get("label"):
            rel_type = attributes["label"]
            if metadata.get("label") == rel_type:
                del metadata["label"]
        directed = attributes.get("directed")
        bidirectional = roles.get("bidirectional")
        if bidirectional is None:
            bidirectional = self.undirected if directed is None else directed == "false"
        item = {
            "identity": import_identity(attributes["id"]) if attributes.get("id") else None,
            "source": import_identity(attributes["source"]),
            "target": import_identity(attributes["target"]),
            "rel_type": rel_type or GRAPHML_DEFAULT_TYPE,
            "metadata": metadata,
            "bidirectional": bidirectional,
        }
        return _Row(where, "relationship", item, refs=(attributes["source"], attributes["target"]))


def _graphml_value(text: str, key: dict[str, Any]) -> Any:
    if key["json"]:
        return convert_cell(text, "json")
    kind = key["type"]
    if kind in ("int", "long"):
        return convert_cell(text, "int")
    if kind in ("float", "double"):
        return convert_cell(text, "float")
    if kind == "boolean":
        return convert_cell(text, "boolean")
    return text


def _read_graphml(source: Source, meter: _Meter) -> Iterator[_Row]:
    path = source.paths[0]
    with meter.open(path, "binary") as stream:
        yield from _GraphmlReader(str(path)).read(stream)


# ---------------------------------------------------------------- Cypher


def split_statements(text: str) -> tuple[list[tuple[int, str]], str]:
    """Split Cypher text at semicolons outside strings, quoted names and comments.

    :returns: the complete statements as (offset in `text`, statement without its ``;``),
        leaving out those that hold only comments and blanks, and the unfinished rest.
    """
    statements: list[tuple[int, str]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            if has_code(text[start:i]):
                statements.append((start, text[start:i].strip()))
            start = i = i + 1
        else:
            i += 1
    return statements, text[start:]


def has_code(text: str) -> bool:
    """Tell whether Cypher text holds anything besides blanks and comments."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return True  # an unclosed comment is unfinished text, not nothing
            i = end + 2
        else:
            return True
    return False


def _skip_quoted(text: str, i: int) -> int:
    """Return the index just past the quoted string or name starting at i (the end if unclosed)."""
    quote, i, n = text[i], i + 1, len(text)
    while i < n:
        if text[i] == "\\" and quote != "`":
            i += 2
        elif text[i] == quote:
            if quote == "`" and text.startswith("``", i):
                i += 2
                continue
            return i + 1
        else:
            i += 1
    return n


class _Literal:
    """A cursor over one line of a Cypher dump that reads the literals the exporter writes."""

    def __init__(self, text: str, position: int = 0) -> None:
        self.text = text
        self.pos = position

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"expected {token!r} at column {self.pos + 1}")
        self.pos += len(token)

    def spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def name(self) -> str:
        if not self.text.startswith("`", self.pos):
            match = _NAME.match(self.text, self.pos)
            if not match:
                raise ValueError(f"expected a name at column {self.pos + 1}")
            self.pos = match.end()
            return match.group()
        end = _skip_quoted(self.text, self.pos)
        if end > len(self.text) or self.text[end - 1] != "`" or end - self.pos < 2:
            raise ValueError("unclosed quoted name")
        name = self.text[self.pos + 1 : end - 1].replace("``", "`")
        self.pos = end
        return name

    def value(self) -> Any:
        self.spaces()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise ValueError("a value is missing")
        ch = text[pos]
        if ch == "{":
            return self.map()
        if ch == "[":
            self.pos += 1
            items: list[Any] = []
            self.spaces()
            if text.startswith("]", self.pos):
                self.pos += 1
                return items
            while True:
                items.append(self.value())
                self.spaces()
                if text.startswith("]", self.pos):
                    self.pos += 1
                    return items
                self.expect(",")
        if ch in "'\"":
            return self.string()
        for word, value in (("null", None), ("true", True), ("false", False)):
            if text.startswith(word, pos):
                self.pos += len(word)
                return value
        match = _NUMBER.match(text, pos)
        if not match:
            raise ValueError(f"unexpected {ch!r} at column {pos + 1}")
        self.pos = match.end()
        number = match.group()
        return float(number) if any(c in number for c in ".eE") else int(number)

    def map(self) -> dict[str, Any]:
        self.expect("{")
        result: dict[str, Any] = {}
        self.spaces()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return result
        while True:
            self.spaces()
            key = self.name()
            self.spaces()
            self.expect(":")
            result[key] = self.value()
            self.spaces()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return result
            self.expect(",")

    def string(self) -> str:
        quote = self.text[self.pos]
        out: list[str] = []
        i, text = self.pos + 1, self.text
        while i < len(text):
            ch = text[i]
            if ch == quote:
                self.pos = i + 1
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            code = text[i + 1 : i + 2]
            if code in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[code])
                i += 2
            elif code in ("u", "U"):
                width = 4 if code == "u" else 8
                out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
            else:
                raise ValueError(f"unknown escape \\{code}")
        raise ValueError("unclosed string")


def _dump_extra(cursor: _Literal) -> dict[str, Any]:
    """Read the optional ``/* bfxdb {json} */`` comment that ends a dump statement."""
    rest = cursor.text[cursor.pos :]
    if not rest:
        return {}
    if not rest.startswith(CYPHER_EXTRA_OPEN) or not rest.endswith(CYPHER_EXTRA_CLOSE):
        raise ValueError("unexpected text after the statement")
    extra = json.loads(rest[len(CYPHER_EXTRA_OPEN) : -len(CYPHER_EXTRA_CLOSE)])
    if not isinstance(extra, dict):
        raise ValueError("the bfxdb comment is not an object")
    return extra


def _dump_node(statement: str) -> dict | None:
    cursor = _Literal(statement)
    cursor.expect("CREATE (")
    labels = []
    while cursor.text.startswith(":", cursor.pos):
        cursor.pos += 1
        labels.append(cursor.name())
    cursor.expect(" ")
    properties = cursor.map()
    cursor.expect(")")
    extra = _dump_extra(cursor)
    identity = properties.pop(CYPHER_ID_PROPERTY, None)
    if not isinstance(identity, str):
        return None
    return {
        "identity": parse_id(identity),
        "labels": labels,
        "metadata": properties,
        "expression_type": extra.get("expression_type"),
        "expression_code": extra.get("expression_code"),
    }


def _dump_relationship(statement: str) -> dict | None:
    cursor = _Literal(statement)
    ends = []
    for variable, lead in (("a", "MATCH ("), ("b", ", (")):
        cursor.expect(f"{lead}{variable} ")
        match = cursor.map()
        cursor.expect(")")
        if set(match) != {CYPHER_ID_PROPERTY}:
            return None
        ends.append(parse_id(match[CYPHER_ID_PROPERTY]))
    cursor.expect(" CREATE (a)-[:")
    rel_type = cursor.name()
    properties = {}
    if cursor.text.startswith(" ", cursor.pos):
        cursor.pos += 1
        properties = cursor.map()
    cursor.expect("]->(b)")
    extra = _dump_extra(cursor)
    return {
        "identity": parse_id(extra["id"]) if extra.get("id") is not None else None,
        "source": ends[0],
        "target": ends[1],
        "rel_type": rel_type,
        "metadata": properties,
        "bidirectional": bool(extra.get("bidirectional", False)),
    }


def _read_cypher(source: Source, meter: _Meter) -> Iterator[_Row]:
    """Read a Cypher script: statements in the dump's own form become items, others run as Cypher."""
    path = source.paths[0]
    pending, pending_line = "", 0
    with meter.open(path, "exact") as stream:
        for number, line in enumerate(stream, start=1):
            if not pending:
                text = line.rstrip("\r\n")
                # The quick way for the usual one-line dump statement; anything else is split below.
                row = _dump_row(text[:-1], f"{path}:{number}") if text.endswith(";") else None
                if row is not None:
                    if row.kind is not None:
                        yield row
                    continue
                pending_line = number
            pending += line
            statements, rest = split_statements(pending)
            for offset, statement in statements:
                lead = len(pending[offset:]) - len(pending[offset:].lstrip())
                where = f"{path}:{pending_line + pending[: offset + lead].count(chr(10))}"
                row = _dump_row(statement, where) or _Row(where, "statement", {"text": statement})
                if row.kind is not None:
                    yield row
            if has_code(rest):
                pending_line += pending[: len(pending) - len(rest)].count("\n")
                pending = rest
            else:
                pending = ""
    if has_code(pending):
        yield _Row(f"{path}:{pending_line}", "statement", {"text": pending.strip()})


def _dump_row(statement: str, where: str) -> _Row | None:
    """Read one statement in the dump's own form; None when it is not (it then runs as Cypher).

    The cleanup statement gives a row with no kind: the ids it removes were never stored.
    """
    if statement == CYPHER_CLEANUP:
        return _Row(where, None, None)
    try:
        if statement.startswith("CREATE ("):
            item = _dump_node(statement)
            return None if item is None else _Row(where, "substrate", item)
        if statement.startswith("MATCH (a {"):
            item = _dump_relationship(statement)
            if item is not None:
                return _Row(where, "relationship", item, refs=(format_id(item["source"]), format_id(item["target"])))
    except (ValueError, KeyError, BfxError):
        return None
    return None


# ---------------------------------------------------------------- loading


@dataclass
class ImportOptions:
    """How to read and load: bad-row policy, batch size and CSV dialect."""

    skip_bad: bool = False
    batch_size: int = DEFAULT_BATCH
    delimiter: str | None = None
    array_delimiter: str = DEFAULT_ARRAY_DELIMITER


@dataclass
class ImportReport:
    """What an import did."""

    substrates: int = 0
    relationships: int = 0
    statements: int = 0
    bad: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of the whole import."""
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class _Row:
    where: str
    kind: str | None  # "substrate", "relationship", "statement", or None when unknown
    item: dict | None
    error: str | None = None
    refs: tuple[str, ...] = field(default=())


class _Counter(io.RawIOBase):
    """A raw reader that counts the bytes read through it, for progress in bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        read = self.raw.readinto(buffer)
        self.count += read or 0
        return read

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Meter:
    """Opens input files and knows how many of their bytes have been read so far."""

    def __init__(self) -> None:
        self.finished = 0
        self.current: _Counter | None = None

    @property
    def position(self) -> int:
        return self.finished + (self.current.count if self.current else 0)

    def open(self, path: Path, mode: str) -> _Opened:
        return _Opened(self, path, mode)


class _Opened:
    """Context manager for one metered file, plain or gzip; mode is "binary", "text" or "exact".

    "exact" text keeps line ends as they are: the csv module and quoted Cypher names need that.
    """

    def __init__(self, meter: _Meter, path: Path, mode: str) -> None:
        self.meter, self.path, self.mode = meter, path, mode
        self.stack = ExitStack()

    def __enter__(self) -> IO:
        try:
            counter = self.stack.enter_context(_Counter(open(self.path, "rb")))
        except OSError as error:
            raise InvalidInput(f"cannot read {self.path}: {error.strerror}") from None
        self.meter.current = counter
        stream: IO[bytes] = io.BufferedReader(counter, 1 << 16)
        if self.path.suffix.lower() == ".gz":
            stream = gzip.GzipFile(fileobj=stream)
        if self.mode == "binary":
            return stream
        return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="" if self.mode == "exact" else None)

    def __exit__(self, *exc_info: object) -> None:
        if self.meter.current is not None:
            self.meter.finished += self.meter.current.count
            self.meter.current = None
        self.stack.close()


def _open_binary(path: Path) -> IO[bytes]:
    try:
        return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")  # noqa: SIM115
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None


def _text(path: Path) -> IO[str]:
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", newline="")


class _Loader:
    """Batches rows into bulk_load; finds the file:line of whatever a failed batch refused."""

    def __init__(
        self,
        db: Database,
        options: ImportOptions,
        report: ImportReport,
        on_bad: Callable[[str, str], None] | None,
    ) -> None:
        self.db = db
        self.options = options
        self.report = report
        self.on_bad = on_bad
        self.known: set[int] = set()
        self.absent: set[int] = set()
        self.had_substrates = db.count_substrates() > 0
        self.substrates: list[_Row] = []
        self.relationships: list[_Row] = []
        self.deferred: list[_Row] = []

    def add(self, row: _Row) -> None:
        if row.error is not None:
            self.bad(row.where, row.error)
        elif row.kind == "substrate":
            self._add_substrate(row)
        elif row.kind == "relationship":
            if self._exists(row.item["source"]) and self._exists(row.item["target"]):
                self.relationships.append(row)
            else:
                # Its endpoint may come later in the input; look again at the end.
                self.deferred.append(row)
        else:
            self.flush()
            self._statement(row)
        if len(self.substrates) + len(self.relationships) >= self.options.batch_size:
            self.flush()

    def finish(self) -> None:
        self.flush()
        for row in self.deferred:
            ends = zip(("source", "target"), row.refs or ("", ""), (row.item["source"], row.item["target"]))
            missing = [(role, ref, end) for role, ref, end in ends if not self._exists(end)]
            if missing:
                role, ref, end = missing[0]
                named = f" ({ref})" if ref and ref != format_id(end) else ""
                self.bad(row.where, f"{role} substrate {format_id(end)}{named} not found")
            else:
                self.relationships.append(row)
                if len(self.relationships) >= self.options.batch_size:
                    self.flush()
        self.deferred.clear()
        self.flush()

    def bad(self, where: str, reason: str) -> None:
        self.report.bad += 1
        if not self.options.skip_bad:
            raise BadRowError(f"{where}: {reason}", where=where)
        if self.on_bad is not None:
            self.on_bad(where, reason)

    def flush(self) -> None:
        if not self.substrates and not self.relationships:
            return
        substrates, self.substrates = self.substrates, []
        relationships, self.relationships = self.relationships, []
        try:
            self.db.bulk_load([row.item for row in substrates], [row.item for row in relationships])
        except BfxError:
            # The batch was rolled back as a whole; load it row by row to name the culprits.
            self._one_by_one(substrates, relationships)
            return
        self.report.substrates += len(substrates)
        self.report.relationships += len(relationships)

    def _one_by_one(self, substrates: list[_Row], relationships: list[_Row]) -> None:
        for row in substrates:
            try:
                self.db.bulk_load([row.item], ())
                self.report.substrates += 1
            except Conflict:
                self.bad(row.where, f"substrate {format_id(row.item['identity'])} already exists")
            except BfxError as error:
                self.known.discard(row.item["identity"])
                self.bad(row.where, str(error))
        for row in relationships:
            try:
                self.db.bulk_load((), [row.item])
                self.report.relationships += 1
            except NotFound:
                item = row.item
                missing = [
                    f"{role} substrate {format_id(end)}"
                    for role, end in (("source", item["source"]), ("target", item["target"]))
                    if not self._exists(end)
                ]
                self.bad(row.where, f"{missing[0] if missing else 'an endpoint'} not found: its row was refused")
            except Conflict:
                identity = row.item.get("identity")
                named = "" if identity is None else f" {format_id(identity)}"
                self.bad(row.where, f"relationship{named} already exists")
            except BfxError as error:
                self.bad(row.where, str(error))

    def _add_substrate(self, row: _Row) -> None:
        item = row.item
        if item["identity"] is None:
            code, kind = item.get("expression_code"), item.get("expression_type")
            if isinstance(code, str) and (kind is None or isinstance(kind, str)):
                # The identity bulk_load would give it, known now so relationships can find it.
                item["identity"] = fingerprint(kind or "lambda", code)
            else:
                item["identity"] = random_id()
        identity = item["identity"]
        if identity in self.known:
            self.bad(row.where, f"substrate {format_id(identity)} appears twice in this import")
            return
        self.known.add(identity)
        self.substrates.append(row)

    def _exists(self, identity: int) -> bool:
        if identity in self.known:
            return True
        if not self.had_substrates or identity in self.absent:
            return False
        try:
            self.db.get_substrate(identity)
        except NotFound:
            self.absent.add(identity)
            return False
        self.known.add(identity)
        return True

    def _statement(self, row: _Row) -> None:
        try:
            self.db.query(row.item["text"])
        except BfxError as error:
            self.bad(row.where, str(error))
            return
        self.report.statements += 1
        # A statement may have created or deleted anything: forget what was learned.
        self.absent.clear()
        self.had_substrates = True


def import_sources(
    db: Database,
    sources: Sequence[Source],
    options: ImportOptions | None = None,
    *,
    on_bad: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> ImportReport:
    """Load every source into the database in one transaction: all of it, or nothing on an error.

    :param sources: from `plan_sources`, in that order.
    :param on_bad: called with (``file:line``, reason) for each skipped row when ``skip_bad``.
    :param on_progress: called now and then with (bytes read, bytes in all, rows read).
    :returns: an ImportReport.
    :raises BadRowError: at the first bad row unless ``options.skip_bad``; nothing is written.
    :raises InvalidInput: for an unreadable file or header.
    """
    options = options or ImportOptions()
    if options.batch_size < 1:
        raise InvalidInput("the batch size must be at least 1")
    report = ImportReport(files=sum(len(source.paths) for source in sources))
    report.bytes = sum(path.stat().st_size for source in sources for path in source.paths)
    meter = _Meter()
    started = time.perf_counter()
    with db.transaction():
        loader = _Loader(db, options, report, on_bad)
        for source in sources:
            for row in _rows(source, meter, options):
                report.rows += 1
                loader.add(row)
                if on_progress is not None and report.rows % 1024 == 0:
                    on_progress(meter.position, report.bytes, report.rows)
        loader.finish()
    report.seconds = time.perf_counter() - started
    if on_progress is not None:
        on_progress(report.bytes, report.bytes, report.rows)
    return report


def import_files(
    db: Database,
    files: Iterable[str | Path] = (),
    *,
    nodes: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    relationships: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    format: str | None = None,
    options: ImportOptions | None = None,
    on_bad: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> ImportReport:
    """Plan and run an import in one call; see `plan_sources` and `import_sources`.

    >>> import bfxdb, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "people.csv").write_text("id:ID,:LABEL,age:int\\nalice,Person,30\\n")
    >>> with bfxdb.connect() as db:
    ...     import_files(db, [folder / "people.csv"]).substrates
    1
    """
    options = options or ImportOptions()
    sources = plan_sources(files, nodes, relationships, format=format, delimiter=options.delimiter)
    return import_sources(db, sources, options, on_bad=on_bad, on_progress=on_progress)


def _rows(source: Source, meter: _Meter, options: ImportOptions) -> Iterator[_Row]:
    if source.format == "csv":
        rows = _read_csv(source, meter, options)
    elif source.format == "ndjson":
        rows = _read_ndjson(source, meter)
    elif source.format == "graphml":
        rows = _read_graphml(source, meter)
    else:
        rows = _read_cypher(source, meter)
    try:
        yield from rows
    except (OSError, UnicodeDecodeError, EOFError) as error:
        # A truncated gzip stream, a disk error or bytes that are not UTF-8 end the whole file.
        raise InvalidInput(f"cannot read {source.name}: {error}") from None
