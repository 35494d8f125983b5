"""The SQL dialects a compiled plan renders in: SQLite's, which the compiler writes, and PostgreSQL's.

The compiler writes one plan: text in SQLite's dialect with ``:name`` parameters, property
filters as PropertyFilter indexes, and Fragment segments where the two dialects differ in
more than the parameter style. A Dialect renders each of those; SQLite's renders the text as
it is, so its SQL is the compiler's byte for byte. Values are parameters in both dialects: the
only names in the text are simple property keys (letters, digits, underscores) and the
column templates of storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import BfxError
from ..storage import LABEL_SEPARATOR, LABEL_SEPARATOR_SQL, is_simple_key, json_path_literal

#: The parameters of a page's LIMIT and OFFSET; no other parameter has these names.
PAGE_LIMIT, PAGE_OFFSET = "pl", "po"
#: The filter kinds (see sqlplan.filter_kind) of an equality with one string, number or boolean.
EQUALITY_KINDS = frozenset({"text", "str", "num", "bool"})
#: A page's (LIMIT, OFFSET) as integers, LIMIT -1 for none: what SKIP and LIMIT literals ask for.
FixedPage = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of a plan's SQL whose text differs by dialect (see Dialect.fragment).

    ``kind`` is ``"false"`` (a condition never true), ``"lacks"`` (a walk's ``,id1,id2,`` list,
    ``args[0]``, does not hold the relationship id ``args[1]``), ``"page"`` (a LIMIT and an
    OFFSET from PAGE_LIMIT, where -1 means none, and PAGE_OFFSET), or the two halves of the label
    test of a node reached from another: ``"label_from"`` (the FROM entry of label row
    ``args[0]``, with its comma) and ``"label_test"`` (row ``args[0]`` is node ``args[1]``'s, of
    label id ``args[2]``).
    """

    kind: str
    args: tuple[str, ...] = ()


FALSE = Fragment("false")
PAGE = Fragment("page")


#: The most rows a page may ask for and still read its label's index entries without a test of each (see
#: label_page_text): past its label the page reads on at most this many entries of others.
SHORT_PAGE = 1000
#: The Fragment kinds of a label page: the range of label index entries it reads, and its test of their label.
LABEL_PAGE_KINDS = frozenset({"label_range", "label_kept"})


def label_page(label: str, alias: str) -> tuple[Fragment, Fragment]:
    """The two Fragments of a page over label id parameter ``label``'s index entries, read as row ``alias``."""
    return Fragment("label_range", (label,)), Fragment("label_kept", (alias, label))


def label_page_text(fragment: Fragment, short: bool) -> str:
    """The text of a label page's Fragment, the same in every dialect.

    The label index is ordered by (label, node). Read as ``label = :c``, SQLite compares every
    entry it steps over with the label (17 ns an entry against 5 for a table's rows: SKIP 20,000
    took 3.4x the raw twin's time). A ``short`` page reads ``label >= :c`` in index order, which
    needs no test per entry, and keeps the rows of its label afterwards: its label's entries
    come first, so the rows it keeps are the ones ``label = :c`` would give, and past their end
    it reads at most LIMIT (at most SHORT_PAGE) entries of other labels. A long page or one
    without a LIMIT could read the rest of the index, so it tests each entry.
    """
    if fragment.kind == "label_range":
        (label,) = fragment.args
        return f"label >= {label} ORDER BY label, node" if short else f"label = {label}"
    alias, label = fragment.args
    return f" WHERE {alias}.label = {label}" if short else ""


def label_join(alias: str, node: str, label: str) -> tuple[Fragment, Fragment]:
    """The FROM entry and the condition that node ``node`` has the label whose id parameter is ``label``."""
    return Fragment("label_from", (alias,)), Fragment("label_test", (alias, node, label))


def lacks(rels: str, identity: str) -> Fragment:
    """The condition that the walk's relationship list ``rels`` does not hold ``identity`` (both SQL)."""
    return Fragment("lacks", (rels, identity))


class Dialect:
    """SQLite's SQL, as the compiler writes it: every method gives the text the compiler always wrote."""

    name = "sqlite"
    #: the database engine's name as EXPLAIN shows it
    engine = "SQLite"
    #: the condition that is always true
    true = "1"
    #: the placeholder of a positional parameter
    positional = "?"
    #: whether an equality filter also tests that the metadata contains the one-key object of
    #: its key and value, parameter ``j{index}`` (see PostgresDialect.property_filter)
    contains = False

    def finish(self, text: str) -> str:
        """Turn a rendered statement into the dialect's: its parameter style (SQLite: as it is)."""
        return text

    def fragment(self, fragment: Fragment) -> str:
        """The text of a Fragment segment."""
        kind = fragment.kind
        if kind == "false":
            return "0"
        if kind == "lacks":
            rels, identity = fragment.args
            return f"instr({rels}, ',' || {identity} || ',') = 0"
        if kind == "label_from":
            return f", substrate_labels AS {fragment.args[0]}"
        if kind == "label_test":
            alias, node, label = fragment.args
            return f"{alias}.node = {node} AND {alias}.label = {label}"
        return self.page(None)

    def page(self, fixed: FixedPage | None, limit: str = PAGE_LIMIT) -> str:
        """A page's LIMIT (parameter ``limit``; PAGE_LIMIT's -1 is none) and OFFSET (PAGE_OFFSET).

        :param fixed: the (limit, offset) the query text writes as integer literals, written into
            the SQL (the parameters are then not bound); or None. Only integers of the query text
            are: a parameter's value stays a parameter. PostgreSQL needs them (see
            PostgresDialect.page); SQLite takes them the same, so a plan renders one way.
        """
        if fixed is None:
            return f" LIMIT :{limit} OFFSET :{PAGE_OFFSET}"
        count, offset = fixed
        return f" LIMIT {int(count)} OFFSET {int(offset)}"

    def property_path(self, key: str, index: int) -> str:
        """The SQL naming property ``key`` in a JSON function: a literal for a simple key, else parameter k{index}."""
        return json_path_literal(key) if is_simple_key(key) else f":k{index}"

    def property_filter(self, column: str, key: str, op: str, kind: str, index: int) -> str:
        """The condition of ``column.key op :f{index}`` for a value of ``kind`` (see sqlplan.filter_kind).

        It is SQL true exactly when the Cypher predicate is true (``python``: always, checked later).
        """
        path = self.property_path(key, index)
        extract = f"json_extract({column}, {path})"
        jtype = f"json_type({column}, {path})"
        if kind == "is":
            # a JSON null and a missing key both read as null in Cypher
            return f"({jtype} IS NULL OR {jtype} = 'null')" if op == "IS NULL" else f"{jtype} <> 'null'"
        if kind == "in":
            # json_each gives the items with their own types, so 1 never equals '1'; the type test
            # keeps stored booleans (which json_extract reads as 1 and 0) and lists out
            return (
                f"({extract} IN (SELECT value FROM json_each(:f{index})) "
                f"AND {jtype} IN ('text', 'integer', 'real'))"
            )
        if kind == "text":
            return f"{extract} = :f{index}"
        if kind == "str":
            return f"({extract} {op} :f{index} AND {jtype} = 'text')"
        if kind == "num":
            return f"({extract} {op} :f{index} AND {jtype} IN ('integer', 'real'))"
        if kind == "bool":
            return f"{jtype} = :f{index}"
        return self.true

    def string_order(self, table: str, key: str) -> tuple[str, str, str]:
        """The SQL of ordering rows by the string property ``table.key`` (a simple key), Cypher's way.

        :returns: (the condition that a row has a list or map there, the condition that keeps
            the rows to order, the value to order them by).
        """
        path = json_path_literal(key)
        value = f"json_extract({table}.metadata, {path})"
        # json_extract gives lists and maps as their minified JSON text, which starts with [ or {:
        # the two ranges let SQLite answer the check from a property index.
        container = (
            f"(({value} >= '[' AND {value} < '\\') OR ({value} >= '{{' AND {value} < '|')) "
            f"AND json_type({table}.metadata, {path}) IN ('array', 'object')"
        )
        # ">= ''" keeps text (numbers, booleans and nulls order before it in SQLite) and the JSON
        # text of lists and maps; rows are used only when the check finds none of those, so no
        # json_type test is needed here (it parsed every row's JSON again: a sixth of the statement)
        return container, f"{value} >= ''", value

    def id_list(self, param: str) -> str:
        """A subquery of the integers in the JSON list parameter ``param`` (a name without its colon)."""
        return f"SELECT value FROM json_each(:{param})"

    def query_plan(self, store: Any, sql: str, params: dict) -> list[str]:
        """The engine's own plan of ``sql`` (every parameter null), as indented lines."""
        rows = store.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        depth = {0: 0}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * depth[node] + detail)
        return lines


#: ``:name`` parameters of the compiler's text; a ``::type`` cast is none (its colons follow a word or a colon).
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
#: What the shared column template of a substrate's labels aggregates with in SQLite, and in PostgreSQL.
_SQLITE_LABELS = f"group_concat(n.name, {LABEL_SEPARATOR_SQL})"
_POSTGRES_LABELS = f"string_agg(n.name, chr({ord(LABEL_SEPARATOR)}))"


class PostgresDialect(Dialect):
    """PostgreSQL's SQL for the schema of bfxdb/storage/postgres.py: JSONB metadata, psycopg's parameters.

    Property values are compared as JSONB (``->``), which is what the property indexes are built
    on, with ``jsonb_typeof`` where a type must be tested; strings are ordered bytewise
    (``COLLATE "C"``), which is Cypher's order of code points, whatever the database's collation.
    """

    name = "postgresql"
    engine = "PostgreSQL"
    true = "true"
    positional = "%s"
    contains = True

    def finish(self, text: str) -> str:
        """psycopg's ``%(name)s`` parameters (a literal ``%`` doubled) and PostgreSQL's label aggregate."""
        text = text.replace("%", "%%").replace(_SQLITE_LABELS, _POSTGRES_LABELS)
        return _NAMED.sub(r"%(\1)s", text)

    def fragment(self, fragment: Fragment) -> str:
        """The text of a Fragment segment: PostgreSQL's boolean, strpos and a LIMIT that takes null for none."""
        kind = fragment.kind
        if kind == "false":
            return "false"
        if kind == "lacks":
            rels, identity = fragment.args
            return f"strpos({rels}, ',' || {identity} || ',') = 0"
        if kind == "label_from":
            return ""
        if kind == "label_test":
            # A filter, not a join: PostgreSQL's planner searches every order of the relations it
            # joins, and a label row per node made an 8-relation 2-hop chain cost 95 ms to plan (1 ms
            # with 5). OFFSET 0 keeps the subquery from being pulled up into a semi-join, which the
            # planner would order again; the node was reached from another, so a probe of the
            # (node, label) key per row is all the test needs.
            alias, node, label = fragment.args
            return (
                f"EXISTS (SELECT 1 FROM substrate_labels AS {alias} "
                f"WHERE {alias}.node = {node} AND {alias}.label = {label} OFFSET 0)"
            )
        return self.page(None)

    def page(self, fixed: FixedPage | None, limit: str = PAGE_LIMIT) -> str:
        """As Dialect.page, with no LIMIT for none (a NULL one from the parameter).

        psycopg prepares a statement run often, and PostgreSQL then plans each run anew (a
        custom plan) while a generic plan costs much more, as it does when the LIMIT is a
        parameter: it takes such a LIMIT to keep a tenth of the rows. With the literals the
        generic plan is the right one and is kept; a small read spent most of its time planning.
        """
        if fixed is None:
            bound = f"NULLIF(:{limit}, -1)" if limit == PAGE_LIMIT else f":{limit}"
            return f" LIMIT {bound} OFFSET :{PAGE_OFFSET}"
        count, offset = fixed
        return f"{'' if count < 0 else f' LIMIT {int(count)}'} OFFSET {int(offset)}"

    def property_path(self, key: str, index: int) -> str:
        """A simple key as a text literal; any other from parameter ``k{index}``, which holds its SQLite path.

        That path is ``$."`` + the key spelt as a JSON string without its quotes + ``"``
        (storage.json_path), so the key is the JSON string between the path's third and last characters.
        """
        if is_simple_key(key):
            return f"'{key}'"
        return f"(('\"' || substr(:k{index}, 4, length(:k{index}) - 4) || '\"')::jsonb #>> '{{}}')"

    def property_filter(self, column: str, key: str, op: str, kind: str, index: int) -> str:
        """As Dialect.property_filter, on JSONB: equality of JSONB values, typed ordering, typed list membership.

        JSONB's equality is Cypher's on the kinds SQL tests: strings exactly, numbers by value (1
        equals 1.0), booleans as themselves, never across types.

        An equality is written twice: first as containment of ``{"key": value}`` (``j{index}``),
        which for a string, number or boolean holds exactly when the key's value equals it
        (nested arrays do not contain scalars), and then as the ``->`` equality a property index
        is built on. Without an index the server tests the containment first, in place (at
        200k nodes a count took 21 ms against 43 ms for the ``->`` equality, which copies the
        value out of each row first); with one, the index finds the rows.
        """
        path = self.property_path(key, index)
        condition = self._jsonb_filter(column, path, op, kind, index)
        if op == "=" and kind in EQUALITY_KINDS:
            return f"({column} @> :j{index}::jsonb AND {condition})"
        return condition

    def _jsonb_filter(self, column: str, path: str, op: str, kind: str, index: int) -> str:
        """The condition of property_filter on the value at ``column -> path`` alone."""
        value = f"{column} -> {path}"
        jtype = f"jsonb_typeof({value})"
        if kind == "is":
            return f"({value} IS NULL OR {jtype} = 'null')" if op == "IS NULL" else f"{jtype} <> 'null'"
        if kind == "in":
            return (
                f"({value} IN (SELECT jsonb_array_elements(:f{index}::jsonb)) "
                f"AND {jtype} IN ('string', 'number'))"
            )
        if kind in ("text", "str") and op == "=":
            return f"{value} = to_jsonb(:f{index}::text)"
        if kind == "str":
            return f"({jtype} = 'string' AND ({column} ->> {path}) COLLATE \"C\" {op} :f{index})"
        if kind == "num":
            if op == "=":
                return f"{value} = to_jsonb(:f{index})"
            return f"({jtype} = 'number' AND {value} {op} to_jsonb(:f{index}))"
        if kind == "bool":
            return f"{value} = :f{index}::jsonb"
        return self.true

    def string_order(self, table: str, key: str) -> tuple[str, str, str]:
        """As Dialect.string_order: the text ordered bytewise, after a test for lists and maps that the
        property's JSONB index answers.

        JSONB orders objects above arrays above booleans (PostgreSQL's documented order), so a
        value above ``true`` is a list or a map, but for the empty list, which sorts below null.
        """
        json_path_literal(key)  # refuses a key that is not simple, as SQLite's does
        value = f"{table}.metadata -> '{key}'"
        return (
            f"({value} > 'true'::jsonb OR {value} = '[]'::jsonb)",
            f"jsonb_typeof({value}) = 'string'",
            f"({table}.metadata ->> '{key}') COLLATE \"C\"",
        )

    def id_list(self, param: str) -> str:
        """A subquery of the integers in the JSON list parameter ``param``."""
        return f"SELECT value::bigint FROM jsonb_array_elements_text(:{param}::jsonb)"

    def query_plan(self, store: Any, sql: str, params: dict) -> list[str]:
        """PostgreSQL's EXPLAIN of ``sql`` with every parameter null, indented; a line saying why when it cannot."""
        try:
            with store.transaction(write=False):
                rows = store.execute("EXPLAIN " + sql, params).fetchall()
        except BfxError as error:
            return [f"  (PostgreSQL cannot plan it with null parameters: {error.message})"]
        return ["  " + row[0] for row in rows]


SQLITE = Dialect()
POSTGRESQL = PostgresDialect()
#: The dialect of each store's ``dialect`` name.
DIALECTS = {SQLITE.name: SQLITE, POSTGRESQL.name: POSTGRESQL}


def dialect_of(store: Any) -> Dialect:
    """The dialect the SQL for ``store`` is rendered in."""
    return DIALECTS[store.dialect]
