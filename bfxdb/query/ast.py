"""Typed syntax tree of an openCypher query, as the parser builds it and the planner reads it.

Every node carries ``pos``: the (line, column) where it starts in the query text, 1-based.
Nodes are frozen dataclasses so a parsed query can be cached and shared between threads.
``children``, ``walk``, ``shape`` and ``rewrite`` are the one way the rest of the engine goes through a tree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeAlias

Pos = tuple[int, int]
NO_POS: Pos = (0, 0)

#: A label expression beyond a list of labels (Neo4j 5, GQL), as nested tuples: ``("label", name)``,
#: ``("any",)`` for ``%``, ``("not", e)``, ``("and", e1, e2, ...)`` and ``("or", e1, e2, ...)``.
LabelExpr: TypeAlias = tuple


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    """Base of every syntax-tree node: its equality, hash and repr.

    They are the ones ``@dataclass`` would generate (every field in order, ``pos`` included),
    written once here: Python 3.11 compiles each generated method of each class separately, which
    for the node classes below was most of the time it took to import the query engine. Each
    node class is still a frozen dataclass (``__init__``, immutability, ``fields``, ``replace``).
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return _values(self) == _values(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(_values(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _all_field_names(type(self)))
        return f"{type(self).__qualname__}({shown})"


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Literal(Node):
    """A constant: None (null), bool, int, float or str."""

    value: Any
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Parameter(Node):
    """``$name`` (or ``$0``): a value supplied with the query."""

    name: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Variable(Node):
    """A name bound by a pattern, WITH, UNWIND, a comprehension, ..."""

    name: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ListLiteral(Node):
    """``[a, b, c]``."""

    items: tuple[Expr, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MapLiteral(Node):
    """``{key: value, ...}``; keys keep their written order."""

    items: tuple[tuple[str, Expr], ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PropertyAccess(Node):
    """``subject.key``."""

    subject: Expr
    key: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Subscript(Node):
    """``subject[index]`` on a list, map, node or relationship."""

    subject: Expr
    index: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Slice(Node):
    """``subject[start..end]``; either bound may be None."""

    subject: Expr
    start: Expr | None
    end: Expr | None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Unary(Node):
    """``op operand`` with op one of ``"-"``, ``"+"``, ``"NOT"``."""

    op: str
    operand: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Binary(Node):
    """``left op right``.

    op is one of ``OR XOR AND + - * / % ^ = <> < > <= >= IN STARTS WITH ENDS WITH
    CONTAINS =~`` (keywords upper-case, ``STARTS WITH`` with one space).
    A chain ``a < b < c`` is parsed as ``(a < b) AND (b < c)`` with ``b`` shared.
    """

    op: str
    left: Expr
    right: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class IsNull(Node):
    """``operand IS NULL`` (negated=False) or ``operand IS NOT NULL`` (negated=True)."""

    operand: Expr
    negated: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class HasLabels(Node):
    """``subject:Label1:Label2`` used as a predicate; ``subject:A|B`` and the like set ``label_expr`` instead."""

    subject: Expr
    labels: tuple[str, ...]
    pos: Pos = NO_POS
    label_expr: LabelExpr | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class FunctionCall(Node):
    """``name(args)``; name keeps its written case and any namespace (``a.b.fn``).

    ``distinct`` is set for ``count(DISTINCT x)`` and the like. ``count(*)`` is CountStar.
    """

    name: str
    args: tuple[Expr, ...]
    distinct: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CountStar(Node):
    """``count(*)``."""

    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Case(Node):
    """``CASE [subject] WHEN w THEN t ... [ELSE e] END``; subject is None for the generic form."""

    subject: Expr | None
    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr | None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ListComprehension(Node):
    """``[variable IN source WHERE predicate | projection]``; predicate and projection optional."""

    variable: str
    source: Expr
    predicate: Expr | None
    projection: Expr | None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Quantifier(Node):
    """``ALL|ANY|NONE|SINGLE(variable IN source WHERE predicate)``; kind is upper-case."""

    kind: str
    variable: str
    source: Expr
    predicate: Expr | None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Reduce(Node):
    """``reduce(accumulator = init, variable IN source | step)``."""

    accumulator: str
    init: Expr
    variable: str
    source: Expr
    step: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PatternComprehension(Node):
    """``[path_variable = pattern WHERE predicate | projection]``."""

    pattern: PatternPart
    predicate: Expr | None
    projection: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PatternPredicate(Node):
    """A relationship pattern used as a boolean expression, e.g. ``WHERE (a)-->(b)``."""

    pattern: PatternPart
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ExistsSubquery(Node):
    """``EXISTS { MATCH ... [WHERE ...] }`` or ``EXISTS { pattern [WHERE ...] }``.

    ``query`` is a full Query when the body has clauses, else ``pattern`` + ``where``.
    """

    pattern: Pattern | None = None
    where: Expr | None = None
    query: Query | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CountSubquery(Node):
    """``COUNT { query }`` or ``COUNT { pattern [WHERE ...] }``: how many rows the body gives.

    ``query`` is a full Query when the body has clauses, else ``pattern`` + ``where``.
    """

    pattern: Pattern | None = None
    where: Expr | None = None
    query: Query | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CollectSubquery(Node):
    """``COLLECT { query }``: the list of the one column the body's RETURN gives, row by row."""

    query: Query
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MapProjection(Node):
    """``subject{.key, key: expr, variable, .*}``.

    Each item is ``("property", key, None)``, ``("literal", key, expr)``,
    ``("variable", name, None)`` or ``("all", None, None)``.
    """

    subject: Expr
    items: tuple[tuple[str, str | None, Expr | None], ...]
    pos: Pos = NO_POS


Expr: TypeAlias = (
    Literal
    | Parameter
    | Variable
    | ListLiteral
    | MapLiteral
    | PropertyAccess
    | Subscript
    | Slice
    | Unary
    | Binary
    | IsNull
    | HasLabels
    | FunctionCall
    | CountStar
    | Case
    | ListComprehension
    | Quantifier
    | Reduce
    | PatternComprehension
    | PatternPredicate
    | ExistsSubquery
    | CountSubquery
    | CollectSubquery
    | MapProjection
)


# ---------------------------------------------------------------- patterns


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class NodePattern(Node):
    """``(variable:Label1:Label2 {props})``; properties is a MapLiteral, a Parameter or None.

    A label expression other than a conjunction (``(n:A|B)``, ``(n:!A)``, ``(n:%)``) is in
    ``label_expr``, with ``labels`` empty.
    """

    variable: str | None
    labels: tuple[str, ...] = ()
    properties: Expr | None = None
    pos: Pos = NO_POS
    label_expr: LabelExpr | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RelPattern(Node):
    """``-[variable:T1|T2 *min..max {props}]->``.

    direction is ``"out"`` (``-->``), ``"in"`` (``<--``) or ``"both"`` (``--`` or ``<-->``).
    ``length`` is None for a single hop; for ``*`` forms it is ``(min, max)`` where
    ``*`` gives (None, None), ``*2`` gives (2, 2), ``*2..`` gives (2, None), ``*..3`` (None, 3).
    A type expression other than a disjunction (``[:!T]``, ``[:%]``, ``[:A&B]``) is in
    ``type_expr``, with ``types`` empty; type_set() reads either.
    """

    variable: str | None
    types: tuple[str, ...] = ()
    direction: str = "both"
    length: tuple[int | None, int | None] | None = None
    properties: Expr | None = None
    pos: Pos = NO_POS
    type_expr: LabelExpr | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PatternPart(Node):
    """One chain ``(a)-[r]->(b)<-[s]-(c)``: ``elements`` alternate NodePattern, RelPattern, NodePattern...

    ``path_variable`` is set for ``p = (a)-->(b)``; ``shortest`` is ``"shortestPath"`` or
    ``"allShortestPaths"`` when the chain is wrapped in one of those functions.
    """

    elements: tuple[NodePattern | RelPattern, ...]
    path_variable: str | None = None
    shortest: str | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Pattern(Node):
    """Comma-separated pattern parts."""

    parts: tuple[PatternPart, ...]
    pos: Pos = NO_POS


# ---------------------------------------------------------------- clauses


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ProjectionItem(Node):
    """``expression AS alias``; ``alias`` is None when not written, ``text`` is the written source text
    of the expression (used as the column name when there is no alias, e.g. ``n.name``)."""

    expression: Expr
    alias: str | None
    text: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SortItem(Node):
    """``expression [ASC|DESC]``."""

    expression: Expr
    descending: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Projection(Node):
    """The body shared by WITH and RETURN: ``[DISTINCT] *|items [ORDER BY] [SKIP] [LIMIT]``."""

    items: tuple[ProjectionItem, ...]
    star: bool = False
    distinct: bool = False
    order_by: tuple[SortItem, ...] = ()
    skip: Expr | None = None
    limit: Expr | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Match(Node):
    """``[OPTIONAL] MATCH pattern [WHERE predicate]``."""

    pattern: Pattern
    where: Expr | None = None
    optional: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Unwind(Node):
    """``UNWIND expression AS variable``."""

    expression: Expr
    variable: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class With(Node):
    """``WITH projection [WHERE predicate]``."""

    projection: Projection
    where: Expr | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Return(Node):
    """``RETURN projection``."""

    projection: Projection
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Create(Node):
    """``CREATE pattern``."""

    pattern: Pattern
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SetProperty(Node):
    """``subject.key = value`` (subject is usually a Variable, may be any expression)."""

    subject: Expr
    key: str
    value: Expr
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SetProperties(Node):
    """``variable = map`` (replace=True) or ``variable += map`` (replace=False)."""

    variable: str
    value: Expr
    replace: bool
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SetLabels(Node):
    """``variable:Label1:Label2`` in SET."""

    variable: str
    labels: tuple[str, ...]
    pos: Pos = NO_POS


SetItem: TypeAlias = SetProperty | SetProperties | SetLabels


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Set(Node):
    """``SET item, item, ...``."""

    items: tuple[SetItem, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RemoveProperty(Node):
    """``subject.key`` in REMOVE."""

    subject: Expr
    key: str
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RemoveLabels(Node):
    """``variable:Label1:Label2`` in REMOVE."""

    variable: str
    labels: tuple[str, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Remove(Node):
    """``REMOVE item, item, ...``."""

    items: tuple[RemoveProperty | RemoveLabels, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Delete(Node):
    """``[DETACH] DELETE expression, ...``."""

    expressions: tuple[Expr, ...]
    detach: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Merge(Node):
    """``MERGE part [ON CREATE SET ...] [ON MATCH SET ...]``."""

    part: PatternPart
    on_create: tuple[SetItem, ...] = ()
    on_match: tuple[SetItem, ...] = ()
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call(Node):
    """``CALL name(args) [YIELD items [WHERE]]``; args is None when written without parentheses."""

    procedure: str
    args: tuple[Expr, ...] | None
    yields: tuple[tuple[str, str | None], ...] = ()
    yield_star: bool = False
    where: Expr | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SubqueryCall(Node):
    """``CALL [(imports)] { query } [IN TRANSACTIONS [OF batch ROWS] [ON ERROR CONTINUE|BREAK|FAIL]]``.

    ``imports`` is None without a scope clause (the body imports with a leading ``WITH x``), the
    names written in ``CALL (x, y)`` otherwise (``()`` gives none); ``import_all`` is ``CALL (*)``.
    ``batch`` is the ``OF n ROWS`` expression (None: the default size) when ``in_transactions``;
    ``on_error`` is ``"CONTINUE"``, ``"BREAK"`` or ``"FAIL"`` (the default); ``status`` is the
    variable of ``REPORT STATUS AS status``, or None.
    """

    query: Query
    imports: tuple[str, ...] | None = None
    import_all: bool = False
    in_transactions: bool = False
    batch: Expr | None = None
    on_error: str = "FAIL"
    status: str | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Foreach(Node):
    """``FOREACH (variable IN source | clause ...)``: run the updating clauses once per list element."""

    variable: str
    source: Expr
    clauses: tuple[Clause, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class LoadCsv(Node):
    """``LOAD CSV [WITH HEADERS] FROM source AS variable [FIELDTERMINATOR 'c']``: one row per line of a file."""

    source: Expr
    variable: str
    headers: bool = False
    terminator: str = ","
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Show(Node):
    """The first clause of ``SHOW <target> ...``: binds every column of the target's rows (see show.py).

    The parser turns the command's YIELD, WHERE and RETURN into the WITH and RETURN after it.
    """

    target: str
    argument: str | None
    columns: tuple[str, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CreateIndex(Node):
    """``CREATE INDEX [name] FOR (v:Label) ON (v.p1, v.p2)`` or ``CREATE INDEX ON :Label(p1, p2)``."""

    label: str
    properties: tuple[str, ...]
    name: str | None = None
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CreateVectorIndex(Node):
    """``CREATE VECTOR INDEX [name] [IF NOT EXISTS] FOR (n:Label) ON n.key [OPTIONS {...}]`` (or ``()-[r:T]-()``).

    ``options`` is the OPTIONS map as Python values (constants only).
    """

    entity_type: str
    label: str
    key: str
    options: dict[str, Any]
    name: str | None = None
    if_not_exists: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DropIndex(Node):
    """``DROP INDEX name [IF EXISTS]`` or ``DROP INDEX ON :Label(p1, ...)``."""

    name: str | None = None
    label: str | None = None
    properties: tuple[str, ...] = ()
    pos: Pos = NO_POS
    if_exists: bool = False


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CreateFulltextIndex(Node):
    """``CREATE FULLTEXT INDEX name [IF NOT EXISTS] FOR (n:A|B) ON EACH [n.p, ...] [OPTIONS {...}]``.

    ``entity_type`` is NODE or RELATIONSHIP (``FOR ()-[r:T|U]-()``); ``options`` the OPTIONS map, its
    values constants.
    """

    name: str | None
    if_not_exists: bool
    entity_type: str
    labels: tuple[str, ...]
    properties: tuple[str, ...]
    options: dict[str, Any]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CreateConstraint(Node):
    """``CREATE CONSTRAINT [name] [IF NOT EXISTS] FOR (n:L) REQUIRE n.p IS UNIQUE`` and its kinds.

    ``kind`` is UNIQUENESS, KEY, PROPERTY_EXISTENCE or PROPERTY_TYPE; ``entity_type`` NODE or
    RELATIONSHIP (``FOR ()-[r:T]-()``), ``label`` the label or type; ``property_type`` the types
    of ``IS :: T`` as SHOW CONSTRAINTS spells them, alternatives joined by `` | ``.
    """

    kind: str
    entity_type: str
    label: str
    properties: tuple[str, ...]
    property_type: str | None = None
    name: str | None = None
    if_not_exists: bool = False
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DropConstraint(Node):
    """``DROP CONSTRAINT name [IF EXISTS]``."""

    name: str
    if_exists: bool = False
    pos: Pos = NO_POS


#: The columns of SHOW INDEXES and SHOW CONSTRAINTS (Neo4j 5's), all of them and those shown without YIELD;
#: the statements are read as a CALL of the procedure giving them (see the parser's show_schema).
_INDEX_COLUMNS = (
    "id", "name", "state", "populationPercent", "type", "entityType", "labelsOrTypes", "properties",
    "indexProvider", "owningConstraint", "lastRead", "readCount",
)  # fmt: skip
_CONSTRAINT_COLUMNS = ("id", "name", "type", "entityType", "labelsOrTypes", "properties", "ownedIndex", "propertyType")
SHOW_COLUMNS = {
    "db.indexes": (
        (*_INDEX_COLUMNS, "trackedSince", "options", "failureMessage", "createStatement"),
        _INDEX_COLUMNS,
    ),
    "db.constraints": ((*_CONSTRAINT_COLUMNS, "options", "createStatement"), _CONSTRAINT_COLUMNS),
}


Clause: TypeAlias = (
    Match | Unwind | With | Return | Create | Set | Remove | Delete | Merge | Call | SubqueryCall | Foreach
    | LoadCsv | Show
)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SingleQuery(Node):
    """A run of clauses, ending in RETURN or in an updating clause."""

    clauses: tuple[Clause, ...]
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Query(Node):
    """One or more single queries joined by UNION; ``union_all[i]`` joins part i and i + 1."""

    parts: tuple[SingleQuery, ...]
    union_all: tuple[bool, ...] = ()
    pos: Pos = NO_POS


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Statement(Node):
    """What the parser returns: a query or a schema command, possibly under EXPLAIN or PROFILE."""

    body: Query | CreateIndex | DropIndex | CreateConstraint | DropConstraint
    explain: bool = False
    profile: bool = False
    pos: Pos = NO_POS



# ---------------------------------------------------------------- looking through a tree

_FIELDS: dict[type, tuple[str, ...]] = {}
_ALL_FIELDS: dict[type, tuple[str, ...]] = {}


def balanced(op: str, terms: Sequence[Expr], pos: Pos = NO_POS) -> Expr:
    """Join expressions with an associative operator (AND, OR, XOR) as a balanced tree, in order.

    A long chain then nests only as deep as its length's logarithm, and evaluates its terms in
    the same order, stopping at the same one, as the left-nested chain would.

    :param terms: at least one expression.
    """
    if len(terms) == 1:
        return terms[0]
    middle = (len(terms) + 1) // 2
    return Binary(op, balanced(op, terms[:middle], pos), balanced(op, terms[middle:], pos), pos)


def _field_names(kind: type) -> tuple[str, ...]:
    """Name the fields of a node class that may hold values or nodes; positions are neither."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(item.name for item in fields(kind) if item.name != "pos")
    return names


def _all_field_names(kind: type) -> tuple[str, ...]:
    """Name every field of a node class, ``pos`` included, in order."""
    names = _ALL_FIELDS.get(kind)
    if names is None:
        names = _ALL_FIELDS[kind] = tuple(item.name for item in fields(kind))
    return names


def _values(node: Node) -> tuple[Any, ...]:
    return tuple(getattr(node, name) for name in _all_field_names(type(node)))


def _nodes_in(value: Any) -> Iterator[Node]:
    if isinstance(value, Node):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes_in(item)


def children(node: Node) -> Iterator[Node]:
    """Yield the nodes directly below ``node``, in source order.

    :param node: any syntax-tree node.
    :returns: its child nodes, field by field, looking through tuples (``items`` of a map, ``whens`` of
        a CASE); names, flags and positions are not nodes and are skipped.
    """
    for name in _field_names(type(node)):
        yield from _nodes_in(getattr(node, name))


def walk(node: Node, enter: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """Yield ``node`` and every node below it, depth first, in source order.

    :param node: the root of the walk.
    :param enter: when given, the nodes below a node are walked only if ``enter(node)`` is true
        (the node itself is still yielded).
    :returns: an iterator over the nodes.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if enter is None or enter(current):
            stack.extend(reversed(tuple(children(current))))


def shape(node: Any) -> Hashable:
    """Return a hashable value that is equal for expressions written alike, wherever they stand.

    Positions are left out and function names compared without case, as Cypher reads them; values
    keep their type, so ``1``, ``1.0`` and ``true`` differ.

    :param node: a node, a tuple of them, or a value held in a node.
    :returns: nested tuples of node classes and typed values.
    """
    if isinstance(node, FunctionCall):
        return (FunctionCall, node.name.lower(), shape(node.args), node.distinct)
    if isinstance(node, Node):
        kind = type(node)
        return (kind, *(shape(getattr(node, name)) for name in _field_names(kind)))
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    return (type(node), node)


def rewrite(node: Node, change: Callable[[Node], Node | None], enter: Callable[[Node], bool] | None = None) -> Node:
    """Rebuild a tree top-down, sharing every part that does not change.

    :param node: the root.
    :param change: gives the replacement of a node (which is not rewritten further), or None to keep
        the node and rewrite below it.
    :param enter: when given, the nodes below a kept node are rewritten only if ``enter(node)`` is true.
    :returns: the rewritten tree; ``node`` itself when nothing changed.
    """
    replacement = change(node)
    if replacement is not None:
        return replacement
    if enter is not None and not enter(node):
        return node
    updates = {}
    for name in _field_names(type(node)):
        value = getattr(node, name)
        new = _rewrite_value(value, change, enter)
        if new is not value:
            updates[name] = new
    return replace(node, **updates) if updates else node


def _rewrite_value(value: Any, change: Callable[[Node], Node | None], enter: Callable[[Node], bool] | None) -> Any:
    if isinstance(value, Node):
        return rewrite(value, change, enter)
    if isinstance(value, tuple):
        items = tuple(_rewrite_value(item, change, enter) for item in value)
        return items if any(new is not old for new, old in zip(items, value)) else value
    return value


def label_text(expr: LabelExpr) -> str:
    """Write a label expression back as Cypher, e.g. ``(A|B)&!C``."""
    op = expr[0]
    if op == "label":
        return expr[1]
    if op == "any":
        return "%"
    if op == "not":
        inner = label_text(expr[1])
        return "!" + (inner if expr[1][0] in ("label", "any", "not") else f"({inner})")
    joined = [label_text(term) if term[0] != "or" else f"({label_text(term)})" for term in expr[1:]]
    return ("&" if op == "and" else "|").join(joined)


def type_set(rel: RelPattern) -> tuple[bool, tuple[str, ...]]:
    """Reduce a relationship's type test to ``(excluded, names)``: its type is in ``names``, or not.

    A relationship has exactly one type, so every type expression is a set of types or the
    types outside one: ``A|B`` is (False, (A, B)), ``!A`` (True, (A,)), ``%`` and no type at all
    (True, ()), ``A&B`` (False, ()), which nothing matches.
    """
    if rel.type_expr is None:
        return (not rel.types, rel.types)
    excluded, names = _type_set(rel.type_expr)
    return excluded, tuple(sorted(names))


def _type_set(expr: LabelExpr) -> tuple[bool, frozenset[str]]:
    op = expr[0]
    if op == "label":
        return False, frozenset({expr[1]})
    if op == "any":
        return True, frozenset()
    if op == "not":
        excluded, names = _type_set(expr[1])
        return not excluded, names
    result = _type_set(expr[1])
    for term in expr[2:]:
        result = _combine_type_sets(op, result, _type_set(term))
    return result


def _combine_type_sets(
    op: str, left: tuple[bool, frozenset[str]], right: tuple[bool, frozenset[str]]
) -> tuple[bool, frozenset[str]]:
    (left_out, left_names), (right_out, right_names) = left, right
    if op == "or":
        if left_out and right_out:
            return True, left_names & right_names
        if left_out or right_out:
            inside, outside = (right_names, left_names) if left_out else (left_names, right_names)
            return True, outside - inside
        return False, left_names | right_names
    if left_out and right_out:
        return True, left_names | right_names
    if left_out or right_out:
        inside, outside = (right_names, left_names) if left_out else (left_names, right_names)
        return False, inside - outside
    return False, left_names & right_names
