"""GraphML 1.0: read it through an expat reader that refuses DTDs and entities, and write it for networkx, Gephi, yEd.

Reading takes the files of APOC, networkx and yEd: element ``labels`` (APOC) and edge ``label``
attributes, key defaults, undirected graphs. Writing keeps every bfxdb field: labels, expressions,
types and the bidirectional flag travel as data of keys marked with ``bfx:role``, and values XML
cannot carry travel as JSON (``bfx:type="json"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from ..errors import BfxError
from ..identity import format_id
from ..model import Relationship, Substrate
from .csv import Columns, convert_cell, scalar_kind
from .files import BinaryStream, Meter
from .rows import BadRow, BadRowError, Row, Scan, Source, import_identity

#: The type given to GraphML edges that carry none (networkx and yEd files have no edge types).
DEFAULT_TYPE = "RELATED"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
#: Namespace of bfxdb's own GraphML key attributes (``bfx:role``, ``bfx:type``).
BFX_NS = "urn:bfxdb:graphml"
#: Characters XML 1.0 cannot carry at all, even escaped; values holding them go out as JSON.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---------------------------------------------------------------- reading


class _GraphmlRefused(BfxError):
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
        self.rows: list[Row | BadRow] = []
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

    def read(self, stream: BinaryStream) -> Iterator[Row | BadRow]:
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
            try:
                self.rows.append(self._node(element, where) if local == "node" else self._edge(element, where))
            except ValueError as error:
                self.rows.append(BadRow(where, str(error)))

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

    def _node(self, element: dict[str, Any], where: str) -> Row:
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
        return Row(where, "substrate", item)

    def _edge(self, element: dict[str, Any], where: str) -> Row:
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
            "rel_type": rel_type or DEFAULT_TYPE,
            "metadata": metadata,
            "bidirectional": bidirectional,
        }
        return Row(where, "relationship", item, refs=(attributes["source"], attributes["target"]))


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


def read_rows(source: Source, meter: Meter) -> Iterator[Row | BadRow]:
    """Read a GraphML file's nodes and edges as rows for the loader, each with its ``file:line``.

    :raises BadRowError: for XML that is not well-formed, or holds a DTD or entities.
    :raises InvalidInput: when the file cannot be opened.
    """
    path = source.paths[0]
    with meter.open_binary(path) as stream:
        yield from _GraphmlReader(str(path)).read(stream)


# ---------------------------------------------------------------- writing

_GRAPHML_TYPES = {"boolean": "boolean", "int": "long", "float": "double", "string": "string"}


def _graphml_kind(value: Any) -> str:
    kind = scalar_kind(value)
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
        self.nodes = Columns(_graphml_kind)
        self.edges = Columns(_graphml_kind)
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


def write(stream: IO[str], substrates: Scan[Substrate], relationships: Scan[Relationship]) -> None:
    """Write a GraphML document of the substrates and relationships.

    :param substrates: read twice: once to declare the keys, once to write the nodes.
    :param relationships: read twice, likewise.
    """
    keys = _GraphmlKeys()
    for substrate in substrates():
        keys.nodes.see(substrate.metadata)
        if substrate.expression_code is not None:
            keys.see_role("expression_type", substrate.expression_type or "")
            keys.see_role("expression_code", substrate.expression_code)
    for relationship in relationships():
        keys.edges.see(relationship.metadata)
        keys.see_role("rel_type", relationship.rel_type)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<graphml xmlns="{GRAPHML_NS}" xmlns:bfx="{BFX_NS}">\n')
    for declaration in keys.declarations():
        stream.write(declaration)
    stream.write('  <graph id="G" edgedefault="directed">\n')
    roles = keys.roles
    for substrate in substrates():
        parts = [f'    <node id="{substrate.substrate_id}">']
        if substrate.labels:
            parts.append(keys.data("role", "labels", list(substrate.labels), "json"))
        if substrate.expression_code is not None:
            parts.append(keys.data("role", "expression_type", substrate.expression_type, roles["expression_type"][1]))
            parts.append(keys.data("role", "expression_code", substrate.expression_code, roles["expression_code"][1]))
        for name, value in substrate.metadata.items():
            parts.append(keys.data("node", name, value, keys.nodes.kinds[name]))
        stream.write("".join(parts) + "</node>\n")
    for relationship in relationships():
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
