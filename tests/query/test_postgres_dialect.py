"""Golden tests of the PostgreSQL dialect: the plans of tests/query/test_compiler.py's kind, rendered for PostgreSQL.

No server is needed: a plan renders its SQL for a dialect from the same segments as SQLite's.
"""

from __future__ import annotations

import pytest

from bfxdb.query import prepare
from bfxdb.query.dialect import POSTGRESQL, SQLITE
from bfxdb.query.operators import DirectReturn, OrderedLimit
from bfxdb.query.runtime import Context
from bfxdb.query.sqlplan import EXPLAINED_DIALECT

PG = "postgresql"
NODE = (
    "{a}.identity, {a}.expression_type, {a}.expression_code, {a}.metadata, {a}.created_at, "
    "(SELECT string_agg(n.name, chr(31)) FROM substrate_labels AS l JOIN names AS n ON n.id = l.label "
    "WHERE l.node = {a}.node)"
)
WHERE_TEXT = "FROM substrates AS n1 WHERE "


def _op(query: str):
    return prepare(query).plan.pipelines[0].ops[0]


def _plan(query: str):
    op = _op(query)
    return getattr(op, "match", op).plan


def test_a_labelled_node_reads_the_label_index_with_psycopg_parameters():
    assert _plan("MATCH (n:Person) RETURN n").render((), dialect=PG) == (
        f"SELECT {NODE.format(a='n1')} FROM substrates AS n1, substrate_labels AS l2 "
        "WHERE l2.node = n1.node AND l2.label = %(c3)s"
    )


def test_a_page_takes_null_for_no_limit_where_sqlite_takes_minus_one():
    op = _op("MATCH (n:Person) RETURN n SKIP 2")
    assert isinstance(op, DirectReturn)
    assert op.match.plan.render((), op.select, True, False, PG) == (
        f"SELECT {NODE.format(a='n1')} FROM (SELECT node, label FROM substrate_labels WHERE label = %(c3)s "
        "LIMIT NULLIF(%(pl)s, -1) OFFSET %(po)s) AS l2 JOIN substrates AS n1 ON n1.node = l2.node"
    )


@pytest.mark.parametrize(
    ("where", "kind", "condition"),
    [
        ("n.name = $x", "text", "(n1.metadata @> %(j0)s::jsonb AND n1.metadata -> 'name' = to_jsonb(%(f0)s::text))"),
        ("n.name = $x", "str", "(n1.metadata @> %(j0)s::jsonb AND n1.metadata -> 'name' = to_jsonb(%(f0)s::text))"),
        ("n.name < $x", "str", "(jsonb_typeof(n1.metadata -> 'name') = 'string' "
                               "AND (n1.metadata ->> 'name') COLLATE \"C\" < %(f0)s)"),
        ("n.age = $x", "num", "(n1.metadata @> %(j0)s::jsonb AND n1.metadata -> 'age' = to_jsonb(%(f0)s))"),
        ("n.age >= $x", "num", "(jsonb_typeof(n1.metadata -> 'age') = 'number' "
                               "AND n1.metadata -> 'age' >= to_jsonb(%(f0)s))"),
        ("n.ok = $x", "bool", "(n1.metadata @> %(j0)s::jsonb AND n1.metadata -> 'ok' = %(f0)s::jsonb)"),
        ("n.k IN [1, 2]", "in", "(n1.metadata -> 'k' IN (SELECT jsonb_array_elements(%(f0)s::jsonb)) "
                            "AND jsonb_typeof(n1.metadata -> 'k') IN ('string', 'number'))"),
        ("n.k IS NULL", "is", "(n1.metadata -> 'k' IS NULL OR jsonb_typeof(n1.metadata -> 'k') = 'null')"),
        ("n.k IS NOT NULL", "is", "jsonb_typeof(n1.metadata -> 'k') <> 'null'"),
        ("n.k = $x", "python", "true"),
    ],
)
def test_property_filters_compare_jsonb_per_value_kind(where, kind, condition):
    sql = _plan(f"MATCH (n) WHERE {where} RETURN n").render((kind,), dialect=PG)
    assert sql == f"SELECT {NODE.format(a='n1')} {WHERE_TEXT}{condition}"


class _Store:
    """A store of a dialect that knows no label or type names."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def name_ids(self, names: list[str]) -> dict[str, int]:
        return {}


def test_an_equality_binds_its_contained_object_for_postgresql_only():
    plan = _plan("MATCH (n) WHERE n.name = $x AND n.`a b` = 2.5 AND n.age > 3 AND n.ok = true RETURN n")
    on_postgres, kinds, _ = plan.bind({}, Context(_Store(PG), {"x": 'é "q"'}, lambda: None))
    assert kinds == ("text", "num", "num", "bool")
    assert on_postgres["j0"] == '{"name":"é \\"q\\""}'
    assert (on_postgres["j1"], on_postgres["j3"]) == ('{"a b":2.5}', '{"ok":true}')
    assert "j2" not in on_postgres
    on_sqlite, _, _ = plan.bind({}, Context(_Store(SQLITE.name), {"x": "a"}, lambda: None))
    assert not any(name.startswith("j") for name in on_sqlite)


def test_a_key_that_is_no_sql_name_is_read_from_its_path_parameter():
    sql = _plan("MATCH (n) WHERE n.`a b` = 1 RETURN n").render(("num",), dialect=PG)
    assert sql.endswith(
        "WHERE (n1.metadata @> %(j0)s::jsonb AND "
        "n1.metadata -> (('\"' || substr(%(k0)s, 4, length(%(k0)s) - 4) || '\"')::jsonb #>> '{}') "
        "= to_jsonb(%(f0)s))"
    )


def test_a_walk_is_a_recursive_cte_testing_its_trail_with_strpos():
    sql = _plan("MATCH (a:P)-[r:KNOWS*1..3]->(b) RETURN b, r").render((), dialect=PG)
    assert sql == (
        "WITH RECURSIVE v1(start, node, depth, rels) AS (SELECT s.node, s.node, 0, ',' FROM substrate_labels AS s "
        "WHERE s.label = %(c3)s UNION ALL SELECT v1.start, e.target, v1.depth + 1, v1.rels || e.identity || ',' "
        "FROM v1 JOIN relationships AS e ON e.source = v1.node WHERE v1.depth < %(c4)s AND e.rel_type = %(c5)s "
        "AND strpos(v1.rels, ',' || e.identity || ',') = 0) "
        f"SELECT {NODE.format(a='n2')}, v1.rels FROM substrates AS n2, v1 WHERE v1.node = n2.node "
        "AND v1.depth >= %(c6)s"
    )


def test_a_relationship_of_two_types_at_once_is_false_not_zero():
    sql = _plan("MATCH (a)-[:A&B]->(b) RETURN b").render((), dialect=PG)
    assert sql.endswith("WHERE r2.target = n3.node AND false")
    assert _plan("MATCH (a)-[:A&B]->(b) RETURN b").render(()).endswith("WHERE r2.target = n3.node AND 0")


def test_order_by_a_string_property_orders_bytewise_and_tests_jsonb_types():
    op = _op("MATCH (n:P) RETURN n.name ORDER BY n.name LIMIT 3")
    assert isinstance(op, OrderedLimit)
    label = "EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = n1.node AND l.label = %(c2)s)"
    assert op.match.plan.render_ordered((), op.variable, op.key, op.select, PG) == (
        f"SELECT (n1.metadata ->> 'name') COLLATE \"C\", EXISTS (SELECT 1 FROM substrates AS n1 WHERE {label} "
        "AND (n1.metadata -> 'name' > 'true'::jsonb OR n1.metadata -> 'name' = '[]'::jsonb)) "
        f"FROM substrates AS n1 WHERE {label} AND jsonb_typeof(n1.metadata -> 'name') = 'string' "
        "ORDER BY (n1.metadata ->> 'name') COLLATE \"C\" LIMIT %(o)s OFFSET %(po)s"
    )


def test_an_ordered_page_of_literals_is_written_into_the_sql_and_one_of_parameters_is_bound():
    op = _op("MATCH (n:P) RETURN n.name ORDER BY n.name SKIP 4 LIMIT 3")
    assert isinstance(op, OrderedLimit)
    shown = EXPLAINED_DIALECT.set(PG)
    try:
        assert op.describe()[1].endswith('COLLATE "C" LIMIT 3 OFFSET 4')
    finally:
        EXPLAINED_DIALECT.reset(shown)
    plan = op.match.plan
    assert plan.render_ordered((), op.variable, op.key, op.select, PG, (3, 4)).endswith(" LIMIT 3 OFFSET 4")
    assert plan.render_ordered((), op.variable, op.key, op.select, SQLITE.name, (3, 4)).endswith(
        " LIMIT 3 OFFSET 4"
    )
    parameterised = _op("MATCH (n:P) RETURN n.name ORDER BY n.name LIMIT $n")
    assert parameterised.describe()[1].endswith(" LIMIT :o OFFSET :po")


def test_finishing_turns_parameters_but_not_casts_and_doubles_percent_signs():
    assert POSTGRESQL.finish("SELECT :a::text, x::jsonb, '%' WHERE y = :b_2") == (
        "SELECT %(a)s::text, x::jsonb, '%%' WHERE y = %(b_2)s"
    )
    assert SQLITE.finish("SELECT :a, '%'") == "SELECT :a, '%'"


def test_the_same_plan_renders_each_dialect_and_keeps_both():
    plan = _plan("MATCH (n:Person) WHERE n.name = $x RETURN n")
    sqlite = plan.render(("text",))
    postgres = plan.render(("text",), dialect=PG)
    assert "json_extract(n1.metadata, '$.\"name\"') = :f0" in sqlite and ":f0" not in postgres
    assert plan.render(("text",)) is sqlite and plan.render(("text",), dialect=PG) is postgres


CHAIN = "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(c:Person) RETURN a.pid, b.pid, c.pid LIMIT 3"


def test_the_labels_of_nodes_reached_from_the_first_are_tested_not_joined_on_postgresql():
    """PostgreSQL plans every order of the relations it joins: only the first node's label row is joined."""
    op = _op(CHAIN)
    assert isinstance(op, DirectReturn)
    pg = op.match.plan.render((), op.select, page=True, dialect=PG)
    assert pg.count("substrate_labels AS") == 3
    assert pg.split(" WHERE ", 1)[0].count("substrate_labels AS") == 1
    for alias, node, label in (("l9", "n8", "c10"), ("l12", "n11", "c13")):
        assert (
            f"EXISTS (SELECT 1 FROM substrate_labels AS {alias} WHERE {alias}.node = {node}.node "
            f"AND {alias}.label = %({label})s OFFSET 0)"
        ) in pg
    assert "l6.node = n5.node AND l6.label = %(c7)s" in pg


def test_sqlite_joins_every_label_row_of_the_chain():
    op = _op(CHAIN)
    sqlite = op.match.plan.render((), op.select, page=True, dialect=SQLITE.name)
    assert sqlite.split(" WHERE ", 1)[0] == (
        "SELECT n5.metadata, n8.metadata, n11.metadata FROM substrates AS n5, substrate_labels AS l6, "
        "substrates AS n8, substrate_labels AS l9, substrates AS n11, substrate_labels AS l12, "
        "relationships AS r3, relationships AS r4"
    )
    assert "l9.node = n8.node AND l9.label = :c10" in sqlite and "EXISTS" not in sqlite
