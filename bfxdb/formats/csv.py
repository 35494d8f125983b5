"""CSV in neo4j-admin and Kuzu header conventions: read rows of node and relationship files, write both files.

Headers follow ``neo4j-admin database import`` (``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``,
``:TYPE``, ``name:type`` property columns) and Kuzu's ``COPY FROM`` (plain headers; the first
column is a node's key, the first two a relationship's endpoints). Identities of keys follow
`import_identity`.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..identity import format_id
from ..model import Relationship, Substrate
from ..storage import MAX_METADATA_BYTES
from .files import Meter, open_text
from .rows import BadRow, Row, Scan, Source, import_identity

if TYPE_CHECKING:
    from _csv import Writer

DEFAULT_ARRAY_DELIMITER = ";"
SUBSTRATES_CSV = "substrates.csv"
RELATIONSHIPS_CSV = "relationships.csv"
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
_SPACED_FIELD = re.compile(r"(?P<name>.*):(?P<kind>[A-Za-z_]+)\((?P<space>[^()]*)\)")


# ---------------------------------------------------------------- reading

def plan_source(
    group: Sequence[str | Path],
    role: str | None,
    delimiter: str | None,
    labels: tuple[str, ...] = (),
    rel_type: str | None = None,
) -> Source:
    """Read a CSV file group's header and decide how to read the group.

    :param group: the files; the first one's first line is the header.
    :param role: ``"nodes"`` or ``"relationships"``, or None to tell it from the header.
    :param delimiter: the field delimiter given, or None for the default.
    :param labels: labels to put on every node of the group.
    :param rel_type: the type of relationships whose row has none.
    :raises InvalidInput: for a missing file, an unreadable header or a role that cannot be told.
    """
    paths = tuple(Path(path) for path in group)
    if not paths:
        raise InvalidInput("a file group names no files")
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path} does not exist")
    try:
        with open_text(paths[0]) as stream:
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

    def row(self, cells: list[str], where: str) -> Row | BadRow:
        if len(cells) != self.width:
            return BadRow(where, f"{len(cells)} fields, but the header has {self.width}")
        try:
            if self.source.role == "nodes":
                return Row(where, "substrate", self._substrate(cells))
            item, refs = self._relationship(cells)
            return Row(where, "relationship", item, refs=refs)
        except ValueError as error:
            return BadRow(where, str(error))

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


def read_rows(source: Source, meter: Meter, delimiter: str | None, array_delimiter: str) -> Iterator[Row | BadRow]:
    """Read the rows of a CSV file group, checking each against the header as it comes.

    :param delimiter: the field delimiter given, or None for ``,`` (tab for ``.tsv``).
    :param array_delimiter: what separates the values of array columns and ``:LABEL``.
    :returns: a Row per line, carrying the reason when the line is bad.
    :raises InvalidInput: when the header does not fit the file's role.
    """
    shape = _CsvShape(source, array_delimiter)
    # The default 128 KiB field limit is below the metadata limit (process-wide, only ever raised).
    csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_METADATA_BYTES))
    for number, path in enumerate(source.paths):
        with meter.open_text(path, exact=True) as stream:
            reader = csv.reader(stream, delimiter=_delimiter(path, delimiter))
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
                    yield BadRow(f"{path}:{last_line + 1}", f"malformed CSV: {error}")
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


# ---------------------------------------------------------------- writing


def scalar_kind(value: Any) -> str | None:
    """Name the CSV type of a JSON scalar: boolean, int, float or string; None for lists, maps and null."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return None


class Columns:
    """The type of each metadata key across all rows: one plain type when every value agrees, else json.

    ``json`` cells hold the value as JSON text; it is the fallback that keeps every value exact.
    """

    def __init__(self, kind_of: Callable[[Any], str]) -> None:
        self.kind_of = kind_of
        self.kinds: dict[str, str] = {}

    def see(self, metadata: Mapping[str, Any]) -> None:
        """Take in the types of one row's metadata."""
        for key, value in metadata.items():
            kind = self.kind_of(value)
            seen = self.kinds.setdefault(key, kind)
            if seen != kind:
                self.kinds[key] = "json"


def _csv_kind(array_delimiter: str) -> Callable[[Any], str]:
    def kind_of(value: Any) -> str:
        kind = scalar_kind(value)
        # An empty cell means "no such property", so an empty text must travel as JSON.
        if kind == "string" and value == "":
            return "json"
        if kind is not None:
            return kind
        if isinstance(value, list) and value:
            kinds = {scalar_kind(item) for item in value}
            element = kinds.pop() if len(kinds) == 1 else None
            if element is not None:
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


def _property_header(columns: Columns) -> tuple[list[str], list[tuple[str, str]]]:
    fields, keys = [], []
    for key, kind in columns.kinds.items():
        if not key:
            raise InvalidInput("a metadata key is empty, which a CSV header cannot name; export as ndjson")
        fields.append(f"{key}:{kind}")
        keys.append((key, kind))
    return fields, keys


def _csv_writer(stream: IO[str]) -> Writer:
    # RFC 4180's CRLF: with a bare "\n" terminator the csv module leaves a lone "\r" unquoted.
    return csv.writer(stream, lineterminator="\r\n")


def write_substrates(stream: IO[str], substrates: Scan[Substrate], array_delimiter: str) -> None:
    """Write a node file: ``:ID``, ``:LABEL``, the expression columns when any substrate has one, then properties.

    :param substrates: read twice: once to type the columns, once to write the rows.
    :raises InvalidInput: for a label holding the array delimiter, or an empty metadata key.
    """
    columns = Columns(_csv_kind(array_delimiter))
    with_expressions = False
    for substrate in substrates():
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
    for substrate in substrates():
        row = [substrate.substrate_id, array_delimiter.join(substrate.labels)]
        if with_expressions:
            row += [substrate.expression_type or "", substrate.expression_code or ""]
        metadata = substrate.metadata
        row += [_csv_cell(metadata[key], kind, array_delimiter) if key in metadata else "" for key, kind in keys]
        writer.writerow(row)


def write_relationships(stream: IO[str], relationships: Scan[Relationship], array_delimiter: str) -> None:
    """Write a relationship file: ``:ID``, ``:START_ID``, ``:END_ID``, ``:TYPE``, ``:BIDIRECTIONAL``, properties.

    :param relationships: read twice: once to type the columns, once to write the rows.
    :raises InvalidInput: for an empty metadata key.
    """
    columns = Columns(_csv_kind(array_delimiter))
    for relationship in relationships():
        columns.see(relationship.metadata)
    fields, keys = _property_header(columns)
    writer = _csv_writer(stream)
    writer.writerow([":ID", ":START_ID", ":END_ID", ":TYPE", ":BIDIRECTIONAL", *fields])
    for relationship in relationships():
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
