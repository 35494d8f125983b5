"""Run compiled patterns: render their SQL per row, bind parameters, decode SQL rows into Cypher rows.

The SQL text comes from the compiler, rendered in the store's dialect (dialect.py); this module
adds only fixed text, and the dialect only property keys that passed ``is_simple_key``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson

from ..identity import to_signed, to_unsigned
from ..model import Relationship, Substrate
from ..storage import (
    LABEL_SEPARATOR,
    has_json_path,
    is_simple_key,
    iso_time,
    json_path,
    split_labels,
)
from ..storage import RELATIONSHIP_WIDTH as REL_WIDTH
from ..storage import SUBSTRATE_WIDTH as NODE_WIDTH
from .dialect import (
    DIALECTS,
    EQUALITY_KINDS,
    LABEL_PAGE_KINDS,
    PAGE,
    PAGE_LIMIT,
    PAGE_OFFSET,
    SQLITE,
    Dialect,
    FixedPage,
    Fragment,
    dialect_of,
    label_page_text,
)
from .runtime import Context
from .temporal import decode_properties
from .values import NodeRef, PathRef, RelRef, compare, equals

Evaluator = Callable[[dict, Context], Any]
ID_LIMIT = 1 << 64
_new_tuple = tuple.__new__


class Never:
    """Marker returned by a parameter source when the pattern cannot match for this row."""


NEVER = Never()


def json_path_text(key: str) -> str:
    """Build the JSON path of a property key that json_path_usable accepts, to pass as a parameter."""
    return json_path(key)


def json_path_usable(key: str) -> bool:
    """Tell whether SQLite's JSON path syntax can name this key (else it is filtered in Python)."""
    return has_json_path(key)


def stored_properties(metadata: str) -> dict:
    """Decode stored metadata into property values; only tagged temporal values need a second pass."""
    # decode_metadata inlined: every node and property a query returns passes here
    if metadata == "{}":
        return {}
    properties = orjson.loads(metadata)
    return decode_properties(properties) if "$temporal" in metadata else properties


#: where the metadata column sits among a node's NODE_WIDTH and a relationship's REL_WIDTH data columns
NODE_METADATA, REL_METADATA = 3, 4


def decode_node(row: tuple, start: int) -> Substrate:
    """Build a Substrate from NODE_WIDTH columns selected with the node data columns."""
    identity, expression_type, expression_code, metadata, created_at, labels = row[start : start + NODE_WIDTH]
    # tuple.__new__ with every field: the named tuple's own __new__ is Python code, a third of the cost;
    # one label (the common case) needs no split
    return _new_tuple(Substrate, (
        identity + ID_LIMIT if identity < 0 else identity,
        (labels,) if labels and LABEL_SEPARATOR not in labels else split_labels(labels),
        stored_properties(metadata),
        expression_type,
        expression_code,
        iso_time(created_at),
    ))


def decode_rel(row: tuple, start: int) -> Relationship:
    """Build a Relationship from REL_WIDTH columns selected with the relationship data columns."""
    identity, source, target, rel_type, metadata, bidirectional, created_at = row[start : start + REL_WIDTH]
    return _new_tuple(Relationship, (
        identity + ID_LIMIT if identity < 0 else identity,
        source + ID_LIMIT if source < 0 else source,
        target + ID_LIMIT if target < 0 else target,
        rel_type,
        stored_properties(metadata),
        bidirectional == 1,
        iso_time(created_at),
    ))


def node_param(value: Any) -> Any:
    """Turn a bound node value into the signed id parameter, or NEVER when it cannot match."""
    if type(value) is NodeRef:
        return to_signed(value.id)
    return NEVER


def rel_param(value: Any) -> Any:
    """Turn a bound relationship value into the signed id parameter, or NEVER."""
    if type(value) is RelRef:
        return to_signed(value.id)
    return NEVER


def id_param(value: Any) -> Any:
    """Turn the right-hand side of ``id(v) = x`` into a signed id parameter, or NEVER.

    Exactly equivalent to the predicate: null, non-numbers and numbers that are no
    64-bit unsigned integer never equal an identity.
    """
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value < (1 << 64):
        return to_signed(value)
    return NEVER


def property_kind(value: Any) -> str:
    """Classify a property value for an SQL equality filter.

    :returns: ``"str"``, ``"num"``, ``"bool"`` (exact SQL filters), ``"never"`` (null: the
        equality is never true) or ``"python"`` (lists, maps, NaN, text with NUL: checked in Python).
    """
    kind = type(value)
    if value is None:
        return "never"
    if kind is str:
        # SQLite's JSON functions end text at a NUL, so such a string never equals in SQL
        return "python" if "\x00" in value else "str"
    if kind is bool:
        return "bool"
    if (kind is int or kind is float) and value == value:
        return "num" if kind is float or -(1 << 53) <= value <= (1 << 53) else "python"
    return "python"


#: The SQL dialect EXPLAIN shows a plan's statements in: the store's it is described for, set
#: while a plan is described (bfxdb.query.prepare), SQLite's otherwise.
EXPLAINED_DIALECT: ContextVar[str] = ContextVar("EXPLAINED_DIALECT", default=SQLITE.name)


@dataclass(frozen=True, slots=True)
class PropertyFilter:
    """``entity.key op value`` checked in SQL when the value's kind allows, else in Python.

    ``op`` is ``=``, ``<``, ``<=``, ``>``, ``>=``, ``IN`` (value: a list), or ``IS NULL`` /
    ``IS NOT NULL`` (value unused). Each renders as SQL true exactly when the Cypher predicate
    is true, so a WHERE conjunct it stands for needs no second check.
    """

    column: str  # e.g. "n0.metadata"
    key: str
    value: Evaluator  # evaluated on the incoming row
    owner: str  # variable whose property is filtered
    owner_kind: str  # "node", "rel" or "varlen"
    op: str = "="


#: The ordering operators a PropertyFilter can test in SQL, and what compare() answers for each when true.
ORDERINGS = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (0, 1)}
NULL_TESTS = ("IS NULL", "IS NOT NULL")
_EXPLAIN_KINDS = {"IN": "in", "IS NULL": "is", "IS NOT NULL": "is"}


#: the first characters of a list's or map's JSON text (a string, not a tuple: ``in`` on it is the cheaper test)
_JSON_CONTAINER_STARTS = "[{"


def filter_kind(op: str, value: Any) -> str:
    """Classify a filter's value for SQL: property_kind's kinds, ``"in"`` for a list SQL can test, ``"is"``,
    or ``"text"`` for an equality with a string no stored list or map can equal."""
    if type(value) is str and op == "=" and "\x00" not in value:
        # the commonest filter, first and without property_kind's call. json_extract reads a stored
        # list or map as its JSON text, which starts with [ or {, and numbers and booleans as
        # numbers, which never equal text: so any other string can only equal a stored string,
        # and the json_type test (a second parse of the row's JSON) goes
        return "str" if value and value[0] in _JSON_CONTAINER_STARTS else "text"
    if op in NULL_TESTS:
        return "is"
    if op == "IN":
        return _list_kind(value)
    kind = property_kind(value)
    # booleans order false < true in Cypher; SQL would need two more cases for it
    return "python" if kind == "bool" and op != "=" else kind


def _list_kind(items: Any) -> str:
    """``"in"`` for a list of strings and exactly representable numbers (nulls never match), else python or never."""
    if type(items) is not list:
        return "python"
    kinds = {property_kind(item) for item in items} - {"never"}
    if not kinds:
        return "never"
    return "in" if kinds <= {"str", "num"} else "python"


SELECT_LIST = -1  # segment marker: where the select list goes
_SELECT_DISTINCT = "SELECT DISTINCT "  # how a walk's segments end before their select list
ORDER_LIMIT = "o"  # the parameter of run_ordered's LIMIT; no other parameter has this name
#: In a select list given to render_ordered: the value the rows are ordered by (the string
#: property itself), which SQL has in hand, so a RETURN of that property needs no metadata decoded
ORDER_VALUE = "{order value}"


@dataclass(frozen=True, slots=True)
class MatchPlan:
    """A compiled pattern: renders its SQL for the kinds of its property values, runs, decodes.

    ``segments`` are SQL text, SELECT_LIST, or the index of a filter in ``filters``; ``params`` the
    constant parameters and ``sources`` those computed from the incoming row; ``outputs`` maps each
    variable to (kind, first column, whether its data columns are selected). Immutable, but for
    caches of the SQL texts rendered so far.
    """

    segments: tuple[str | int | Fragment, ...]
    select_list: str
    filters: tuple[PropertyFilter, ...]
    params: dict[str, Any]
    sources: tuple[tuple[str, Evaluator], ...]
    decoder: Callable[[tuple, dict, Context], dict | None]
    residual: tuple[Callable[[dict, Context], bool], ...]
    count_exprs: dict[str, str]
    outputs: dict[str, tuple[str, int, bool]]
    #: the substrates alias of each node variable that has one (e.g. "n1"), for ORDER BY in SQL
    tables: dict[str, str] = field(default_factory=dict)
    #: whether the SQL ends in a WHERE clause that more conditions can join with AND
    has_where: bool = False
    #: for EXPLAIN: where each variable-length walk starts, and why
    seeds: tuple[str, ...] = ()
    #: for EXPLAIN and PROFILE: each new node variable's estimated rows (empty when not asked)
    estimates: tuple[str, ...] = ()
    #: the params that hold a label or relationship type name: bound as its id in the store's
    #: names (None for a name never used, which equals no row), not looked up by a subquery per run
    names: tuple[str, ...] = ()
    #: the segments of a page (render with page=True) when a better SQL than a LIMIT at the end exists
    page_segments: tuple[str | int | Fragment, ...] = ()
    _rendered: dict[tuple, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _count_selects: dict[tuple, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: per filter: the filter, whether SQL can name its key, the key's JSON path parameter (None:
    #: the path is SQL text), the names of its value's and its path's parameters, and for an
    #: equality the name of its contained object's (see Dialect.contains; else None)
    _filter_specs: tuple[tuple[PropertyFilter, bool, str | None, str, str, str | None], ...] = field(
        init=False, repr=False, compare=False
    )
    #: the label and type names that ``names`` binds, in order (a list, as the store takes them; never changed)
    _name_values: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # computed once: bind() runs for every row of every query
        object.__setattr__(self, "_filter_specs", tuple(
            (flt, usable, json_path_text(flt.key) if usable and not is_simple_key(flt.key) else None,
             f"f{index}", f"k{index}", f"j{index}" if flt.op == "=" else None)
            for index, flt in enumerate(self.filters)
            for usable in (json_path_usable(flt.key),)
        ))
        object.__setattr__(self, "_name_values", [self.params[name] for name in self.names])

    def render(
        self,
        kinds: tuple[str, ...],
        select: str | None = None,
        page: bool = False,
        aggregate: bool = False,
        dialect: str = SQLITE.name,
        fixed: FixedPage | None = None,
        short: bool = False,
    ) -> str:
        """Produce the SQL text for the given property-value kinds (and an optional select list), in the
        dialect of that name (a store's ``dialect``).

        With ``page`` the SQL ends in ``LIMIT :pl OFFSET :po``: the caller has shown that every
        SQL row is one result row (see DirectReturn), so SQLite skips and stops for it; ``fixed``
        is that page when the query writes it as literals (see Dialect.page), and ``short`` says
        its LIMIT is at most SHORT_PAGE (see label_page_text). With
        ``aggregate`` the select list is aggregates only, one row: a walk's SELECT DISTINCT is
        dropped, for it would only cost SQLite a temporary index (a sixth of a 1-hop count).
        """
        key = (kinds, select, page, aggregate, dialect, fixed, short)
        text = self._rendered.get(key)
        if text is None:
            sql = DIALECTS[dialect]
            text = sql.finish(self._compose(kinds, select, page, aggregate, sql, fixed, short))
            # Two threads may render the same key at once; both store the same text.
            self._rendered[key] = text
        return text

    def _compose(
        self,
        kinds: tuple[str, ...],
        select: str | None,
        page: bool,
        aggregate: bool,
        dialect: Dialect,
        fixed: FixedPage | None = None,
        short: bool = False,
    ) -> str:
        """The SQL of render before the dialect's finish (its parameters as ``:name``)."""
        parts = []
        paged = page and bool(self.page_segments)
        for segment in self.page_segments if paged else self.segments:
            if isinstance(segment, str):
                parts.append(segment)
            elif segment is PAGE:
                parts.append(dialect.page(fixed))
            elif isinstance(segment, Fragment) and segment.kind in LABEL_PAGE_KINDS:
                parts.append(label_page_text(segment, short))
            elif isinstance(segment, Fragment):
                parts.append(dialect.fragment(segment))
            elif segment == SELECT_LIST:
                if aggregate and parts and parts[-1].endswith(_SELECT_DISTINCT):
                    parts[-1] = parts[-1][: -len(_SELECT_DISTINCT)] + "SELECT "
                parts.append(self.select_list if select is None else select)
            else:
                flt = self.filters[segment]
                parts.append(dialect.property_filter(flt.column, flt.key, flt.op, kinds[segment], segment))
        if page and not paged:
            parts.append(dialect.page(fixed))
        return "".join(parts)

    def explain_kinds(self) -> tuple[str, ...]:
        """The filter kinds EXPLAIN shows: each comparison as one with a string, lists as lists."""
        return tuple(_EXPLAIN_KINDS.get(flt.op, "str") for flt in self.filters)

    def explain(self, dialect: str | None = None) -> str:
        """Show the SQL as it runs when every property filter compares with a string (or a list of them).

        :param dialect: default: EXPLAINED_DIALECT's, the store's the plan is described for.
        """
        return self.render(self.explain_kinds(), dialect=dialect or EXPLAINED_DIALECT.get())

    def sqlite_plan(self, store: Any, sql: str | None = None) -> list[str]:
        """Ask the store's engine how it would run ``sql`` (default: explain()'s): its plan's lines, indented.

        Every parameter is null: SQLite plans without looking at values.
        """
        names = [*self.params, *(name for name, _ in self.sources), ORDER_LIMIT, PAGE_LIMIT, PAGE_OFFSET]
        for index, flt in enumerate(self.filters):
            names.append(f"f{index}")
            if not is_simple_key(flt.key):
                names.append(f"k{index}")
            if flt.op == "=":
                names.append(f"j{index}")
        return dialect_of(store).query_plan(store, sql or self.explain(store.dialect), dict.fromkeys(names))

    def bind(self, row: dict, ctx: Context) -> tuple[dict, tuple[str, ...], list] | None:
        """Compute the parameters and filter kinds for one incoming row; None when nothing can match."""
        params = self.params.copy()
        names = self.names
        if names:
            ids = ctx.store.name_ids(self._name_values)
            for name, value in zip(names, self._name_values):
                params[name] = ids.get(value)
        for name, source in self.sources:
            value = source(row, ctx)
            if value is NEVER:
                return None
            params[name] = value
        if not self._filter_specs:
            return params, (), []
        kinds = []
        python_filters = []
        contains = DIALECTS[ctx.store.dialect].contains
        for flt, usable, path, value_param, path_param, object_param in self._filter_specs:
            value = flt.value(row, ctx)
            kind = filter_kind(flt.op, value)
            if kind != "never" and not usable:
                kind = "python"
            if kind == "never":
                return None
            if kind == "python":
                python_filters.append((flt, value))
            elif kind != "is":
                params[value_param] = _filter_param(kind, value)
                if path is not None:
                    params[path_param] = path
                if contains and object_param is not None and kind in EQUALITY_KINDS:
                    params[object_param] = _contained_object(flt.key, value)
            kinds.append(kind)
        return params, tuple(kinds), python_filters

    def run(self, row: dict, ctx: Context, limit: int | None = None) -> list[dict]:
        """Match the pattern for one incoming row.

        :param row: the incoming row; bound variables are read from it.
        :param limit: stop after this many matches (pattern predicates need one).
        :returns: the incoming row extended with the pattern's variables, once per match.
        """
        return list(islice(self.iterate(row, ctx), limit))

    def iterate(self, row: dict, ctx: Context) -> Iterator[dict]:
        """Match the pattern for one incoming row, reading the SQL cursor only as matches are pulled."""
        bound = self.bind(row, ctx)
        if bound is None:
            return
        params, kinds, python_filters = bound
        store = ctx.store
        cursor = store.execute(self.render(kinds, dialect=store.dialect), params)
        decoder = self.decoder
        checks = self.residual
        ctx.tick()
        for sql_row in cursor:
            ctx.tick()
            new = decoder(sql_row, row, ctx)
            if new is None:
                continue
            if python_filters and not _python_filters_hold(python_filters, new, ctx):
                continue
            if checks and not all(check(new, ctx) for check in checks):
                continue
            yield new

    def render_ordered(
        self,
        kinds: tuple[str, ...],
        variable: str,
        key: str,
        select: str | None = None,
        dialect: str = SQLITE.name,
        fixed: FixedPage | None = None,
    ) -> str:
        """Produce the SQL of ordered_rows: the first rows ordered by a string property, in one statement.

        Its last column tells whether any match has a list or map there (values Cypher orders
        before strings); one statement, so it needs no transaction to see one snapshot.
        ``fixed`` is the (count, skip) the query writes as literals (see Dialect.page).
        """
        cached = self._rendered.get((kinds, variable, key, select, dialect, fixed))
        if cached is not None:
            return cached
        sql = DIALECTS[dialect]
        container, kept, value = sql.string_order(self.tables[variable], key)
        joiner = " AND " if self.has_where else " WHERE "
        check = f"{self._compose(kinds, '1', False, False, sql)}{joiner}{container}"
        selected = self.select_list if select is None else select.replace(ORDER_VALUE, value)
        columns = f"{selected}, EXISTS ({check})"
        text = sql.finish(
            f"{self._compose(kinds, columns, False, False, sql)}{joiner}{kept} "
            f"ORDER BY {value}{sql.page(fixed, ORDER_LIMIT)}"
        )
        self._rendered[(kinds, variable, key, select, dialect, fixed)] = text
        return text

    def run_ordered(
        self, row: dict, ctx: Context, variable: str, key: str, count: int, skip: int = 0, literal: bool = False
    ) -> list[dict] | None:
        """Match ``count`` rows after the first ``skip`` in Cypher's ascending order of a node's string property.

        :param literal: the query writes ``count`` and ``skip`` as integers (see Dialect.page).
        :returns: the matches (see ordered_rows), or None when the caller must order every match itself.
        """
        sql_rows = self.ordered_rows(row, ctx, variable, key, count, skip, fixed=(count, skip) if literal else None)
        if sql_rows is None:
            return None
        decoder = self.decoder
        return [new for sql_row in sql_rows if (new := decoder(sql_row, row, ctx)) is not None]

    def ordered_rows(
        self,
        row: dict,
        ctx: Context,
        variable: str,
        key: str,
        count: int,
        skip: int = 0,
        select: str | None = None,
        fixed: FixedPage | None = None,
    ) -> list[tuple] | None:
        """The SQL rows of ``count`` matches after the first ``skip`` in Cypher's order of a node's string property.

        Cypher orders lists and maps (temporal values are stored as maps) before strings, and
        booleans, numbers and nulls after them; so the first rows by a string property are the
        first string-valued rows when no row has a list or map there and at least ``skip`` +
        ``count`` rows have a string. Ties may come in any order, as Cypher allows.

        :param select: the select list (default: the pattern's, which the decoder reads).
        :param fixed: (``count``, ``skip``) when the query writes them as integer literals (see Dialect.page).
        :returns: the rows, or None when that cannot be shown (or a check must run in Python):
            the caller then orders every match itself.
        """
        if self.residual:
            return None
        bound = self.bind(row, ctx)
        if bound is None:
            return []
        params, kinds, python_filters = bound
        if python_filters:
            return None
        if fixed is None:
            params[ORDER_LIMIT] = count
            params[PAGE_OFFSET] = skip
        store = ctx.store
        sql = self.render_ordered(kinds, variable, key, select, store.dialect, fixed)
        sql_rows = store.fetch_all(sql, params)
        ctx.tick(len(sql_rows) + 1)
        if len(sql_rows) != count or sql_rows[0][-1]:
            return None
        return sql_rows

    def run_counts(self, row: dict, ctx: Context, counts: tuple[tuple[str | None, bool], ...]) -> list | None:
        """Count matches inside SQL: one value per (variable, or None for ``*``; distinct) pair.

        :returns: the counts, or None when some check must run in Python for this row.
        """
        if self.residual:
            return None
        bound = self.bind(row, ctx)
        if bound is None:
            return [0] * len(counts)
        params, kinds, python_filters = bound
        if python_filters:
            return None
        select = self._count_selects.get(counts)
        if select is None:
            select = self._count_selects[counts] = ", ".join(
                "count(*)" if name is None else f"count({'DISTINCT ' if distinct else ''}{self.count_exprs[name]})"
                for name, distinct in counts
            )
        store = ctx.store
        (counts,) = store.fetch_all(self.render(kinds, select, aggregate=True, dialect=store.dialect), params)
        return list(counts)


def _contained_object(key: str, value: Any) -> str:
    """The JSON text of ``{key: value}``, the object an equality's containment test looks for."""
    try:
        return orjson.dumps({key: value}).decode()
    except orjson.JSONEncodeError:
        # a lone surrogate, which orjson refuses: the driver refuses it next, as in any parameter
        return json.dumps({key: value}, ensure_ascii=False)


def _filter_param(kind: str, value: Any) -> Any:
    if kind == "bool":
        return "true" if value else "false"
    if kind == "in":
        return json.dumps([item for item in value if item is not None])
    return value


def holds(op: str, actual: Any, expected: Any) -> bool:
    """Tell whether ``actual op expected`` is true in Cypher, for a filter checked in Python."""
    if op == "=":
        return equals(actual, expected) is True
    if op == "IN":
        return type(expected) is list and any(equals(actual, item) is True for item in expected)
    if op in NULL_TESTS:
        return (actual is None) == (op == "IS NULL")
    return compare(actual, expected) in ORDERINGS[op]


def _python_filters_hold(python_filters: list, row: dict, ctx: Context) -> bool:
    for flt, value in python_filters:
        owner = row[flt.owner]
        if flt.owner_kind == "node":
            entities = [ctx.node(owner).metadata]
        elif flt.owner_kind == "rel":
            entities = [ctx.rel(owner).metadata]
        else:
            ctx.preload_rels(ref.id for ref in owner)
            entities = [ctx.rel(ref).metadata for ref in owner]
        for metadata in entities:
            if not holds(flt.op, metadata.get(flt.key), value):
                return False
    return True



def metadatas(value: Any, owner_kind: str, ctx: Context) -> list:
    """List the property maps a filter on ``value`` tests: one, or one per relationship of a walk."""
    if owner_kind == "node":
        return [ctx.node(value).metadata]
    if owner_kind == "rel":
        return [ctx.rel(value).metadata]
    ctx.preload_rels(ref.id for ref in value)
    return [ctx.rel(ref).metadata for ref in value]



def rel_list(text: str, reverse: bool) -> list:
    """Decode a walk's ",id1,id2," column into relationship references, in pattern order."""
    refs = [RelRef(to_unsigned(int(item))) for item in text[1:-1].split(",")] if len(text) > 1 else []
    if reverse:
        refs.reverse()
    return refs



def make_decoder(decoders: tuple) -> Callable[[tuple, dict, Context], dict]:
    """Build the function turning one SQL row into the extended Cypher row."""

    def decode(sql_row: tuple, row: dict, ctx: Context) -> dict:
        new = row.copy()
        for spec in decoders:
            kind = spec[0]
            if kind == "node":
                identity = sql_row[spec[2]]
                if identity < 0:
                    identity += ID_LIMIT
                if spec[3] and identity not in ctx.nodes:
                    ctx.nodes[identity] = decode_node(sql_row, spec[2])
                new[spec[1]] = NodeRef(identity)
            elif kind == "rel":
                identity = sql_row[spec[2]]
                if identity < 0:
                    identity += ID_LIMIT
                if spec[3] and identity not in ctx.rels:
                    ctx.rels[identity] = decode_rel(sql_row, spec[2])
                new[spec[1]] = RelRef(identity)
            elif kind == "list":
                new[spec[1]] = rel_list(sql_row[spec[2]], spec[3])
            else:
                new[spec[1]] = _decode_path(sql_row, spec[2], ctx)
        return new

    return decode


def _decode_path(sql_row: tuple, steps: tuple, ctx: Context) -> PathRef:
    nodes: list[NodeRef] = []
    rels: list[RelRef] = []
    after_list = False
    for step in steps:
        kind = step[0]
        if kind == "node":
            # after a variable-length hop the walk has already appended this node
            if not after_list:
                nodes.append(NodeRef(to_unsigned(sql_row[step[1]])))
        elif kind == "rel":
            rels.append(RelRef(to_unsigned(sql_row[step[1]])))
        else:
            walked = rel_list(sql_row[step[1]], step[2])
            ctx.preload_rels(ref.id for ref in walked)
            current = nodes[-1].id
            for ref in walked:
                rel = ctx.rel(ref, allow_deleted=True)
                current = rel.target if rel.source == current else rel.source
                rels.append(ref)
                nodes.append(NodeRef(current))
        after_list = kind == "list"
    return PathRef(tuple(nodes), tuple(rels))
