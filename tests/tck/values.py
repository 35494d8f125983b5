"""Parse, render and compare values written in the openCypher TCK's result notation.

The notation (see the TCK README, "Format of the expected results"): ``null``,
``true``/``false``, integers (``-12``), floats (``1.0``, ``.5``, ``1e-3``,
``NaN``, ``Inf``, ``-Inf``), single-quoted strings with Cypher escapes, lists
``[1, 'a']``, maps ``{k: 1}``, nodes ``(:A:B {k: 1})``, relationships
``[:T {k: 1}]`` and paths ``<(:A)-[:T]->(:B)<-[:U]-()>``.

Parsed values are plain Python (None, bool, int, float, str, list, dict) plus
NodeValue, RelValue and PathValue. Engine values are brought into the same
shape by ``from_engine``; both sides are then compared through ``key``, which
keeps ints, floats and booleans apart (Python's ``1 == 1.0 == True`` would
not) and treats NaN as equal to NaN.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn


class TckValueError(ValueError):
    """A cell of a TCK table is not a value in the TCK's notation."""


@dataclass(frozen=True)
class NodeValue:
    """A node without identity: its labels (order is not significant) and properties."""

    labels: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RelValue:
    """A relationship without identity or endpoints: its type and properties."""

    rel_type: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PathValue:
    """A walk: the start node, then one (relationship, points_forward, next node) per hop.

    ``points_forward`` is False when the relationship goes against the walk,
    as in ``<(:A)<-[:T]-(:B)>`` where ``:T`` goes from ``:B`` to ``:A``.
    """

    start: NodeValue
    steps: tuple[tuple[RelValue, bool, NodeValue], ...] = ()


_NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_WORDS = {"null": None, "true": True, "false": False, "NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}


def parse_value(text: str) -> Any:
    """Parse one TCK table cell into a Python value.

    :param text: the cell, e.g. ``"(:A {name: 'x'})"`` or ``"[1, 2.0, null]"``.
    :returns: None, bool, int, float, str, list, dict, NodeValue, RelValue or PathValue.
    :raises TckValueError: the text is not in the TCK notation.

    >>> parse_value("[1, 'a', {k: .5}]")
    [1, 'a', {'k': 0.5}]
    """
    return _Parser(text).parse()


class _Parser:
    """Recursive descent over one cell; each method consumes one construct."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Any:
        value = self.value()
        self.skip_space()
        if self.pos != len(self.text):
            self.fail("unexpected text after the value")
        return value

    def fail(self, problem: str) -> NoReturn:
        raise TckValueError(f"{problem} at position {self.pos} of {self.text!r}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.skip_space()
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.take(token):
            self.fail(f"expected {token!r}")

    def value(self) -> Any:
        self.skip_space()
        for word, meaning in _WORDS.items():
            end = self.pos + len(word)
            if self.text.startswith(word, self.pos) and not self.text[end : end + 1].isalnum():
                self.pos = end
                return meaning
        if self.peek("'") or self.peek('"'):
            return self.string()
        if self.peek("("):
            return self.node()
        if self.peek("<"):
            return self.path()
        if self.peek("{"):
            return self.map()
        if self.peek("["):
            return self.list_or_relationship()
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            self.fail("expected a value")
        self.pos = match.end()
        number = match.group()
        return int(number) if number.lstrip("-").isdigit() else float(number)

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        chars = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == quote:
                return "".join(chars)
            if char == "\\" and self.pos < len(self.text):
                chars.append(self.escape())
            else:
                chars.append(char)
        self.fail("unterminated string")

    def escape(self) -> str:
        code = self.text[self.pos]
        self.pos += 1
        if code in _ESCAPES:
            return _ESCAPES[code]
        width = {"u": 4, "U": 8}.get(code)
        digits = self.text[self.pos : self.pos + width] if width else ""
        if width and re.fullmatch(r"[0-9A-Fa-f]+", digits) and len(digits) == width:
            self.pos += width
            return chr(int(digits, 16))
        # Not a Cypher escape: keep it as written rather than guess.
        return "\\" + code

    def name(self) -> str:
        self.skip_space()
        if self.take("`"):
            end = self.text.find("`", self.pos)
            if end < 0:
                self.fail("unterminated `name`")
            name, self.pos = self.text[self.pos : end], end + 1
            return name
        match = _NAME.match(self.text, self.pos)
        if match is None:
            self.fail("expected a name")
        self.pos = match.end()
        return match.group()

    def items(self, close: str, item) -> list:
        found = []
        if self.take(close):
            return found
        while True:
            found.append(item())
            if self.take(close):
                return found
            self.expect(",")

    def map(self) -> dict[str, Any]:
        self.expect("{")

        def entry() -> tuple[str, Any]:
            key = self.name()
            self.expect(":")
            return key, self.value()

        return dict(self.items("}", entry))

    def properties(self) -> dict[str, Any]:
        return self.map() if self.peek("{") else {}

    def list_or_relationship(self) -> list | RelValue:
        self.expect("[")
        if not self.peek(":"):
            return self.items("]", self.value)
        self.expect(":")
        rel = RelValue(self.name(), self.properties())
        self.expect("]")
        return rel

    def relationship(self) -> RelValue:
        rel = self.list_or_relationship()
        if not isinstance(rel, RelValue):
            self.fail("expected a relationship")
        return rel

    def node(self) -> NodeValue:
        self.expect("(")
        labels = []
        while self.take(":"):
            labels.append(self.name())
        node = NodeValue(tuple(labels), self.properties())
        self.expect(")")
        return node

    def path(self) -> PathValue:
        self.expect("<")
        start = self.node()
        steps = []
        while not self.take(">"):
            if self.take("<-"):
                rel = self.relationship()
                self.expect("-")
                forward = False
            else:
                self.expect("-")
                rel = self.relationship()
                self.expect("->")
                forward = True
            steps.append((rel, forward, self.node()))
        return PathValue(start, tuple(steps))


def from_engine(value: Any) -> Any:
    """Bring a value from a bfxdb result row into the parsed-value shape.

    Nodes, relationships and paths are recognised by their attributes
    (``rel_type``; ``labels`` and ``metadata``; ``nodes`` and
    ``relationships``) so this module loads without the engine. Values of any
    other type (temporal values, say) become their ``str()``: the TCK writes
    those as strings in their Cypher form.

    :param value: a value as found in ``Result.rows``.
    :returns: the value as ``parse_value`` would give it.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    # Entities first: the engine's nodes and relationships are named tuples.
    if hasattr(value, "rel_type"):
        return RelValue(value.rel_type, from_engine(value.metadata))
    if hasattr(value, "labels") and hasattr(value, "metadata"):
        return NodeValue(tuple(value.labels), from_engine(value.metadata))
    if hasattr(value, "nodes") and hasattr(value, "relationships"):
        return _path_from_engine(value)
    if isinstance(value, (list, tuple)):
        return [from_engine(item) for item in value]
    if isinstance(value, Mapping):
        return {key: from_engine(item) for key, item in value.items()}
    return str(value)


def _path_from_engine(path: Any) -> PathValue:
    steps = []
    for before, rel, after in zip(path.nodes, path.relationships, path.nodes[1:]):
        # Neo4j's rule, which the TCK follows: a hop points forward when the
        # relationship starts at the node before it, so self-loops point forward.
        steps.append((from_engine(rel), rel.source == before.identity, from_engine(after)))
    return PathValue(from_engine(path.nodes[0]), tuple(steps))


def key(value: Any, *, ordered_lists: bool = True) -> tuple:
    """Return a hashable stand-in for a value: equal keys mean equal TCK values.

    :param value: a parsed value or one returned by ``from_engine``.
    :param ordered_lists: False compares every list, at any depth, as a multiset.
    :returns: a nested tuple tagged with the value's TCK type.
    """

    def of(item: Any) -> tuple:
        return key(item, ordered_lists=ordered_lists)

    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int):
        return ("integer", value)
    if isinstance(value, float):
        return ("float", "NaN") if math.isnan(value) else ("float", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        items = [of(item) for item in value]
        return ("list", tuple(items if ordered_lists else sorted(items, key=repr)))
    if isinstance(value, dict):
        return ("map", tuple(sorted((name, of(item)) for name, item in value.items())))
    if isinstance(value, NodeValue):
        return ("node", tuple(sorted(value.labels)), of(value.properties))
    if isinstance(value, RelValue):
        return ("relationship", value.rel_type, of(value.properties))
    if isinstance(value, PathValue):
        hops = tuple((of(rel), forward, of(node)) for rel, forward, node in value.steps)
        return ("path", of(value.start), hops)
    raise TypeError(f"not a TCK value: {value!r}")


def render(value: Any) -> str:
    """Write a value in the TCK notation, the inverse of ``parse_value``.

    :param value: a parsed value or one returned by ``from_engine``.
    :returns: the TCK text, e.g. ``"(:A {name: 'x'})"``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + "".join(_render_char(char) for char in value) + "'"
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_name(k)}: {render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, NodeValue):
        labels = "".join(":" + _render_name(label) for label in value.labels)
        return "(" + " ".join(part for part in (labels, _render_properties(value)) if part) + ")"
    if isinstance(value, RelValue):
        return "[:" + " ".join(part for part in (_render_name(value.rel_type), _render_properties(value)) if part) + "]"
    if isinstance(value, PathValue):
        hops = "".join(
            f"-{render(rel)}->{render(node)}" if forward else f"<-{render(rel)}-{render(node)}"
            for rel, forward, node in value.steps
        )
        return f"<{render(value.start)}{hops}>"
    raise TypeError(f"not a TCK value: {value!r}")


_CHAR_ESCAPES = {char: "\\" + code for code, char in _ESCAPES.items() if code != '"'}


def _render_char(char: str) -> str:
    if char in _CHAR_ESCAPES:
        return _CHAR_ESCAPES[char]
    if char.isprintable():
        return char
    return f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"


def _render_name(name: str) -> str:
    return name if _NAME.fullmatch(name) else f"`{name}`"


def _render_properties(value: NodeValue | RelValue) -> str:
    return render(value.properties) if value.properties else ""


def compare_table(
    header: Sequence[str],
    expected_rows: Iterable[Sequence[str]],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ordered: bool = False,
    ordered_lists: bool = True,
) -> str | None:
    """Compare an engine result with a TCK expected table.

    :param header: the expected column names, matched exactly and in order.
    :param expected_rows: the expected cells, in TCK notation.
    :param columns: the result's column names.
    :param rows: the result's rows, values in column order.
    :param ordered: rows must come in the given order ("in order"); otherwise
        they are a multiset ("in any order").
    :param ordered_lists: False for "ignoring element order for lists".
    :returns: None when they match, else a reason naming the differences.
    :raises TckValueError: an expected cell does not parse.
    """
    if list(header) != list(columns):
        return f"columns differ: expected {list(header)}, got {list(columns)}"
    expected = [[parse_value(cell) for cell in row] for row in expected_rows]
    actual = [[from_engine(value) for value in row] for row in rows]
    texts = {}

    def row_key(row: list) -> tuple:
        found = tuple(key(value, ordered_lists=ordered_lists) for value in row)
        texts.setdefault(found, "| " + " | ".join(render(value) for value in row) + " |")
        return found

    expected_keys = [row_key(row) for row in expected]
    actual_keys = [row_key(row) for row in actual]
    if ordered:
        if expected_keys == actual_keys:
            return None
        if len(expected_keys) != len(actual_keys):
            return f"expected {len(expected_keys)} rows in order, got {len(actual_keys)}: " + _listing(
                texts, actual_keys
            )
        index = next(i for i, (e, a) in enumerate(zip(expected_keys, actual_keys)) if e != a)
        return f"row {index + 1} differs: expected {texts[expected_keys[index]]}, got {texts[actual_keys[index]]}"
    missing = Counter(expected_keys) - Counter(actual_keys)
    unexpected = Counter(actual_keys) - Counter(expected_keys)
    if not missing and not unexpected:
        return None
    parts = [f"expected {len(expected_keys)} rows, got {len(actual_keys)}"]
    if missing:
        parts.append("missing " + _listing(texts, missing.elements()))
    if unexpected:
        parts.append("unexpected " + _listing(texts, unexpected.elements()))
    return "; ".join(parts)


def _listing(texts: dict[tuple, str], keys: Iterable[tuple], limit: int = 5) -> str:
    keys = list(keys)
    if not keys:
        return "no rows"
    shown = " ".join(texts[k] for k in keys[:limit])
    return shown + (f" (and {len(keys) - limit} more)" if len(keys) > limit else "")
