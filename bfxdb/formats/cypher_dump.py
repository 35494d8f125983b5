"""Cypher dumps: write a database as a Cypher script, and read one back with its ids, or run any Cypher script.

A dump is one statement a line: ``CREATE (:Label {...})`` per substrate, whose temporary
``_bfxdb_id`` property lets ``MATCH (a {...}), (b {...}) CREATE (a)-[:TYPE {...}]->(b)`` find
the ends of each relationship, and a last statement that removes that property. What Cypher
cannot set (ids, expressions, the bidirectional flag) rides in a trailing ``/* bfxdb {...} */``
comment. Reading takes statements in that form as items; any other statement runs as Cypher.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..errors import BfxError, InvalidInput
from ..identity import format_id, parse_id
from ..model import Relationship, Substrate
from ..query import has_code, split_statements, unescape_string
from .files import Meter
from .rows import Row, Source

#: Property that carries a substrate's id through a Cypher dump; the dump removes it at the end.
ID_PROPERTY = "_bfxdb_id"
CLEANUP = f"MATCH (n) WHERE n.`{ID_PROPERTY}` IS NOT NULL REMOVE n.`{ID_PROPERTY}`"
#: What a Cypher dump statement cannot say (ids, expressions, bidirectional) rides in this comment.
EXTRA_OPEN = " /* bfxdb "
EXTRA_CLOSE = " */"

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED_NAME = re.compile(r"`((?:[^`]|``)*)`")
_STRINGS = {"'": re.compile(r"'((?:[^'\\]|\\.)*)'", re.DOTALL), '"': re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)}
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


# ---------------------------------------------------------------- reading


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
        if self.text.startswith("`", self.pos):
            match = _QUOTED_NAME.match(self.text, self.pos)
            if not match:
                raise ValueError("unclosed quoted name")
            self.pos = match.end()
            return match.group(1).replace("``", "`")
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise ValueError(f"expected a name at column {self.pos + 1}")
        self.pos = match.end()
        return match.group()

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
        """Read a quoted string, resolving its escapes as the query parser does.

        :raises QuerySyntaxError: for a malformed escape.
        """
        match = _STRINGS[self.text[self.pos]].match(self.text, self.pos)
        if not match:
            raise ValueError("unclosed string")
        self.pos = match.end()
        return unescape_string(match.group(1))


def _dump_extra(cursor: _Literal) -> dict[str, Any]:
    """Read the optional ``/* bfxdb {json} */`` comment that ends a dump statement."""
    rest = cursor.text[cursor.pos :]
    if not rest:
        return {}
    if not rest.startswith(EXTRA_OPEN) or not rest.endswith(EXTRA_CLOSE):
        raise ValueError("unexpected text after the statement")
    extra = json.loads(rest[len(EXTRA_OPEN) : -len(EXTRA_CLOSE)])
    if not isinstance(extra, dict):
        raise ValueError("the bfxdb comment is not an object")
    return extra


def _dump_node(statement: str) -> dict[str, Any] | None:
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
    identity = properties.pop(ID_PROPERTY, None)
    if not isinstance(identity, str):
        return None
    return {
        "identity": parse_id(identity),
        "labels": labels,
        "metadata": properties,
        "expression_type": extra.get("expression_type"),
        "expression_code": extra.get("expression_code"),
    }


def _dump_relationship(statement: str) -> dict[str, Any] | None:
    cursor = _Literal(statement)
    ends = []
    for variable, lead in (("a", "MATCH ("), ("b", ", (")):
        cursor.expect(f"{lead}{variable} ")
        match = cursor.map()
        cursor.expect(")")
        if set(match) != {ID_PROPERTY}:
            return None
        ends.append(parse_id(match[ID_PROPERTY]))
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


def read_rows(source: Source, meter: Meter) -> Iterator[Row]:
    """Read a Cypher script: statements in the dump's own form become items, others rows to run as Cypher.

    :returns: a Row per statement, with the ``file:line`` where it starts.
    :raises InvalidInput: when the file cannot be opened.
    """
    path = source.paths[0]
    pending, pending_line = "", 0
    with meter.open_text(path, exact=True) as stream:
        for number, line in enumerate(stream, start=1):
            if not pending:
                text = line.rstrip("\r\n")
                # The quick way for the usual one-line dump statement; anything else is split below.
                if text == CLEANUP + ";":
                    continue
                row = _dump_row(text[:-1], f"{path}:{number}") if text.endswith(";") else None
                if row is not None:
                    yield row
                    continue
                pending_line = number
            pending += line
            statements, rest = split_statements(pending)
            for offset, statement in statements:
                lead = len(pending[offset:]) - len(pending[offset:].lstrip())
                where = f"{path}:{pending_line + pending[: offset + lead].count(chr(10))}"
                # The cleanup removes the ids that were never stored here: nothing to do.
                if statement != CLEANUP:
                    yield _dump_row(statement, where) or Row(where, "statement", {"text": statement})
            if has_code(rest):
                pending_line += pending[: len(pending) - len(rest)].count("\n")
                pending = rest
            else:
                pending = ""
    if has_code(pending):
        yield Row(f"{path}:{pending_line}", "statement", {"text": pending.strip()})


def _dump_row(statement: str, where: str) -> Row | None:
    """Read one statement in the dump's own form; None when it is not (it then runs as Cypher)."""
    try:
        if statement.startswith("CREATE ("):
            item = _dump_node(statement)
            return None if item is None else Row(where, "substrate", item)
        if statement.startswith("MATCH (a {"):
            item = _dump_relationship(statement)
            if item is not None:
                return Row(where, "relationship", item, refs=(format_id(item["source"]), format_id(item["target"])))
    except (ValueError, KeyError, BfxError):
        return None
    return None


# ---------------------------------------------------------------- writing


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
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch < " " or ch == "\x7f" or ch in "\u2028\u2029\x85":
        return f"\\u{ord(ch):04x}"
    return ch


def cypher_name(name: str) -> str:
    """Back-quote a label, type or property key so any text is a valid openCypher name."""
    return "`" + name.replace("`", "``") + "`"


def _cypher_extra(extra: dict[str, Any]) -> str:
    # Escaping "/" (valid JSON) keeps "*/" out of the comment; ASCII keeps it on one line.
    return EXTRA_OPEN + json.dumps(extra, ensure_ascii=True).replace("/", "\\/") + EXTRA_CLOSE


def _cypher_node(substrate: Substrate) -> str:
    if ID_PROPERTY in substrate.metadata:
        raise InvalidInput(
            f"substrate {substrate.substrate_id} has a property named {ID_PROPERTY}, "
            "which a Cypher dump uses for itself; export as ndjson"
        )
    labels = "".join(":" + cypher_name(label) for label in substrate.labels)
    properties = cypher_literal({ID_PROPERTY: substrate.substrate_id, **substrate.metadata})
    statement = f"CREATE ({labels} {properties})"
    if substrate.expression_code is not None:
        statement += _cypher_extra(
            {"expression_type": substrate.expression_type, "expression_code": substrate.expression_code}
        )
    return statement + ";"


def _cypher_relationship(relationship: Relationship) -> str:
    ends = [cypher_literal({ID_PROPERTY: format_id(end)}) for end in (relationship.source, relationship.target)]
    properties = " " + cypher_literal(dict(relationship.metadata)) if relationship.metadata else ""
    extra: dict[str, Any] = {"id": relationship.relationship_id}
    if relationship.bidirectional:
        extra["bidirectional"] = True
    return (
        f"MATCH (a {ends[0]}), (b {ends[1]}) "
        f"CREATE (a)-[:{cypher_name(relationship.rel_type)}{properties}]->(b){_cypher_extra(extra)};"
    )


def write(stream: IO[str], substrates: Iterable[Substrate], relationships: Iterable[Relationship]) -> None:
    """Write a Cypher dump: a comment saying how to use it, the substrates, the relationships, the cleanup.

    :raises InvalidInput: for a substrate with a property named like ID_PROPERTY.
    """
    stream.write(
        "// bfxdb Cypher dump, format 1. `bfxdb import NEW.db THIS` restores it with its ids;\n"
        "// `bfxdb shell NEW.db < THIS` (or any openCypher shell) replays it with new ids. Nodes carry\n"
        f"// a temporary {ID_PROPERTY} property that the last statement removes; the\n"
        "// /* bfxdb {...} */ comments hold what Cypher cannot set (ids, expressions, bidirectional).\n"
    )
    for substrate in substrates:
        stream.write(_cypher_node(substrate) + "\n")
    for relationship in relationships:
        stream.write(_cypher_relationship(relationship) + "\n")
    stream.write(CLEANUP + ";\n")
