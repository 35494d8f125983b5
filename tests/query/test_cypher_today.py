"""Cypher as the Neo4j 5 manual writes it beyond openCypher 9: label expressions, undirected MERGE, fixes."""

from __future__ import annotations

import pytest

import bfxdb
from bfxdb.errors import QueryError, QuerySyntaxError, QueryTypeError


def rows(db: bfxdb.Database, query: str, **params) -> list[tuple]:
    return db.query(query, params).rows


# ---------------------------------------------------------------- UNION lines columns up by name


def test_union_matches_columns_by_name_not_position(db):
    result = db.query("RETURN 1 AS a, 2 AS b UNION RETURN 3 AS b, 4 AS a")
    assert result.columns == ["a", "b"]
    assert result.rows == [(1, 2), (4, 3)]


def test_union_all_matches_columns_by_name_not_position(db):
    assert rows(db, "RETURN 1 AS a, 2 AS b UNION ALL RETURN 3 AS b, 4 AS a") == [(1, 2), (4, 3)]


def test_union_removes_a_duplicate_written_in_another_column_order(db):
    assert rows(db, "RETURN 1 AS a, 2 AS b UNION RETURN 2 AS b, 1 AS a") == [(1, 2)]


def test_union_of_different_column_names_names_both(db):
    with pytest.raises(QuerySyntaxError, match="same column names.*a, b and a, c"):
        db.query("RETURN 1 AS a, 2 AS b UNION RETURN 1 AS a, 2 AS c")


# ---------------------------------------------------------------- pattern comprehensions after aggregation


@pytest.fixture
def chain(db):
    db.query("CREATE (:P {v: 1})-[:R]->(:P {v: 2})-[:R]->(:P {v: 3})")
    return db


def test_pattern_comprehension_variables_are_its_own_in_where_after_aggregation(chain):
    query = "MATCH (n:P) WITH n.v AS v, count(*) AS c WHERE size([(x)-->(y) WHERE y.v > v | y]) > 0 RETURN v ORDER BY v"
    assert rows(chain, query) == [(1,), (2,)]


def test_pattern_comprehension_variables_are_its_own_in_order_by_after_aggregation(chain):
    query = "MATCH (n:P) RETURN count(*) AS c, [(a)-->(b) | b.v] AS l ORDER BY size([(a)-->(b) | b.v])"
    assert rows(chain, query) == [(3, [2, 3])]


def test_pattern_comprehension_naming_a_variable_the_aggregation_dropped_fails(chain):
    with pytest.raises(QuerySyntaxError, match="`n` is gone after DISTINCT or aggregation"):
        chain.query("MATCH (n:P) RETURN n.v AS v, count(*) AS c ORDER BY size([(n)-->(m) | m])")


# ---------------------------------------------------------------- type errors found before running


@pytest.mark.parametrize("invalid", ["true", "123", "123.4", "'foo'", "{x: []}"])
def test_in_on_a_non_list_literal_fails_at_compile_time(db, invalid):
    with pytest.raises(QuerySyntaxError, match="IN needs a list"):
        db.query(f"EXPLAIN RETURN 1 IN {invalid}")


def test_in_on_null_or_a_list_still_runs(db):
    assert rows(db, "RETURN 1 IN null, 1 IN [1], 1 IN range(1, 3)") == [(None, True, True)]


def test_delete_of_arithmetic_fails_at_compile_time(db):
    with pytest.raises(QuerySyntaxError, match="DELETE needs a node"):
        db.query("EXPLAIN MATCH () DELETE 1 + 1")


@pytest.mark.parametrize(
    "query", ["MATCH p = ()-->() RETURN p.name", "MATCH p = ()-->() SET p.name = 1", "MATCH p = ()-->() REMOVE p.name"]
)
def test_a_property_of_a_path_fails_at_compile_time(db, query):
    with pytest.raises(QueryTypeError, match="property `name` of a path"):
        db.query("EXPLAIN " + query)


# ---------------------------------------------------------------- procedures


@pytest.mark.parametrize("call", ["CALL test.half(42)", "CALL test.half(42) YIELD out RETURN out"])
def test_float_argument_accepts_an_integer_as_a_float(db, call):
    seen = []

    def half(value):
        seen.append(value)
        return [[value / 2]]

    db.register_procedure("test.half", half, inputs=[("in", "FLOAT?")], outputs=[("out", "FLOAT?")])
    assert rows(db, call) == [(21.0,)]
    assert seen == [42.0] and type(seen[0]) is float


def test_float_argument_still_refuses_a_string(db):
    db.register_procedure("test.half", lambda value: [[value]], inputs=[("in", "FLOAT")], outputs=[("out", "FLOAT")])
    with pytest.raises(QueryError, match="must be FLOAT"):
        db.query("CALL test.half('42')")


# ---------------------------------------------------------------- date + duration


@pytest.mark.parametrize(
    ("duration", "plus", "minus"),
    [
        ("PT36H", "2020-01-02", "2019-12-31"),
        ("PT23H59M", "2020-01-01", "2020-01-01"),
        ("-PT49H", "2019-12-30", "2020-01-03"),
        ("P1DT24H", "2020-01-03", "2019-12-30"),
    ],
)
def test_a_date_takes_the_seconds_of_a_duration_in_whole_days(db, duration, plus, minus):
    query = "WITH date('2020-01-01') AS d, duration($dur) AS x RETURN toString(d + x), toString(d - x)"
    assert rows(db, query, dur=duration) == [(plus, minus)]


def test_fractional_duration_added_to_a_date_counts_the_days_its_fractions_make(db):
    # 12.5 years, 5.5 months, 14.5 days, 16.5 hours...: the fractions carry down to
    # 29 days and 33h58m13.5s, which is one whole day more for a date.
    query = (
        "WITH date({year: 1984, month: 10, day: 11}) AS d, duration({years: 12.5, months: 5.5, days: 14.5, "
        "hours: 16.5, minutes: 12.5, seconds: 70.5}) AS x RETURN toString(d + x), toString(d - x)"
    )
    assert rows(db, query) == [("1997-10-11", "1971-10-12")]


# ---------------------------------------------------------------- list conversions


def test_to_integer_list_makes_an_item_too_large_for_an_integer_null(db):
    assert rows(db, "RETURN toIntegerList([1.5, 9.9e20, '7']), toIntegerOrNull(-9.9e20)") == [([1, None, 7], None)]


def test_to_integer_still_fails_on_a_float_too_large(db):
    with pytest.raises(QueryError, match="overflow"):
        db.query("RETURN toInteger(9.9e20)")


# ---------------------------------------------------------------- label expressions


@pytest.fixture
def labelled(db):
    db.query("CREATE (:A {n: 'a'}), (:B {n: 'b'}), (:A:B {n: 'ab'}), (:C {n: 'c'}), ({n: 'none'})")
    db.query("MATCH (a {n: 'a'}), (b {n: 'b'}), (c {n: 'c'}) CREATE (a)-[:R]->(b), (a)-[:S]->(c), (b)-[:T]->(c)")
    return db


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        ("A|B", ["a", "b", "ab"]),
        ("A&B", ["ab"]),
        ("!A", ["b", "c", "none"]),
        ("%", ["a", "b", "ab", "c"]),
        ("!%", ["none"]),
        ("(A|C)&!B", ["a", "c"]),
        ("!A&!B", ["c", "none"]),
        ("A|B&C", ["a", "ab"]),
        ("!(A|B)", ["c", "none"]),
        ("Missing|C", ["c"]),
        ("!Missing&C", ["c"]),
    ],
)
def test_label_expression_in_a_node_pattern_and_in_where_agree(labelled, labels, names):
    in_pattern = [row[0] for row in rows(labelled, f"MATCH (n:{labels}) RETURN n.n")]
    in_where = [row[0] for row in rows(labelled, f"MATCH (n) WHERE n:{labels} RETURN n.n")]
    assert in_pattern == in_where == names


def test_label_expression_on_both_ends_of_a_hop(labelled):
    assert rows(labelled, "MATCH (x:A|B)-->(y:!A) RETURN x.n, y.n ORDER BY x.n, y.n") == [
        ("a", "b"), ("a", "c"), ("b", "c"),
    ]


@pytest.mark.parametrize(
    ("types", "found"),
    [
        ("R|S", ["R", "S"]),
        ("!R", ["S", "T"]),
        ("%", ["R", "S", "T"]),
        ("R&S", []),
        ("!(R|S)", ["T"]),
        ("!R&!T", ["S"]),
        ("R|!S", ["R", "T"]),
        ("R|:S", ["R", "S"]),
    ],
)
def test_relationship_type_expressions_know_a_relationship_has_one_type(labelled, types, found):
    in_pattern = rows(labelled, f"MATCH ()-[r:{types}]->() RETURN type(r) ORDER BY type(r)")
    in_where = rows(labelled, f"MATCH ()-[r]->() WHERE r:{types} RETURN type(r) ORDER BY type(r)")
    assert [row[0] for row in in_pattern] == [row[0] for row in in_where] == found


def test_relationship_type_expression_on_a_variable_length_hop(labelled):
    query = "MATCH ({n: 'a'})-[:!S*1..2]->(end) RETURN end.n ORDER BY end.n"
    assert [row[0] for row in rows(labelled, query)] == ["b", "c"]


def test_label_predicate_in_a_comprehension_keeps_its_projection(labelled):
    query = (
        "MATCH (n) WITH collect(n) AS ns RETURN [x IN ns WHERE x:A | x.n] AS one, "
        "[x IN ns WHERE x:A|C | x.n] AS two, [x IN ns | x.n][0] AS first"
    )
    assert rows(labelled, query) == [(["a", "ab"], ["a", "ab", "c"], "a")]


def test_label_disjunction_with_properties_in_a_pattern_predicate(labelled):
    assert rows(labelled, "MATCH (n) WHERE (n:A|B {n: 'a'})-->() RETURN n.n") == [("a",)]


def test_label_expressions_read_back_as_values(labelled):
    query = "MATCH (n {n: 'ab'}) RETURN n:A|C AS either, n:A&!B AS only, n:(C|B)&A AS grouped, n:% AS any"
    assert rows(labelled, query) == [(True, False, True, True)]


def test_label_expression_of_null_is_null(db):
    assert rows(db, "OPTIONAL MATCH (n:Nothing) RETURN n:A|B, n:!A") == [(None, None)]


@pytest.mark.parametrize(
    "query",
    ["CREATE (n:A|B)", "MERGE (n:!A)", "MATCH (n) SET n:A|B", "MATCH (n) REMOVE n:%", "CREATE ()-[:A|B]->()"],
)
def test_writes_refuse_label_expressions(db, query):
    with pytest.raises(QueryError):
        db.query(query)


def test_colons_and_label_symbols_do_not_mix(db):
    with pytest.raises(QuerySyntaxError, match="Mixing label expression symbols"):
        db.query("MATCH (n:A:B|C) RETURN n")


def test_create_takes_a_conjunction_as_labels(db):
    assert rows(db, "CREATE (n:A&B) RETURN labels(n)") == [(["A", "B"],)]


def test_label_disjunction_scans_the_label_index_once_per_node(labelled):
    from .test_pushdown import sqlite_plan

    steps = sqlite_plan(labelled, "MATCH (n:A|B) RETURN n")
    assert "SEARCH substrate_labels USING COVERING INDEX substrate_labels_by_label (label=?)" in steps
    assert not any(step.startswith("SCAN") for step in steps), steps
    # a node with both labels comes once, and the nodes come in creation order
    assert [row[0] for row in rows(labelled, "MATCH (n:A|B) RETURN n.n")] == ["a", "b", "ab"]


def test_label_disjunction_of_a_reached_node_probes_its_label_key(labelled):
    from .test_pushdown import sqlite_plan

    steps = sqlite_plan(labelled, "MATCH (x:A)-->(y:B|C) RETURN count(*)")
    assert "SEARCH l USING PRIMARY KEY (node=? AND label=?)" in steps, steps


# ---------------------------------------------------------------- MERGE with an undirected relationship


@pytest.fixture
def pair(db):
    db.query("CREATE (:A {n: 'a'}), (:B {n: 'b'})")
    return db


def test_merge_undirected_creates_left_to_right_when_nothing_matches(pair):
    assert rows(pair, "MATCH (a:A), (b:B) MERGE (a)-[r:Y]-(b) RETURN startNode(r).n, endNode(r).n") == [("a", "b")]
    assert rows(pair, "MATCH (x)-[r:Y]->(y) RETURN x.n, y.n") == [("a", "b")]


def test_merge_undirected_matches_a_relationship_either_way(pair):
    pair.query("MATCH (a:A), (b:B) CREATE (b)-[:Y {k: 1}]->(a)")
    assert rows(pair, "MATCH (a:A), (b:B) MERGE (a)-[r:Y]-(b) RETURN r.k") == [(1,)]
    assert rows(pair, "MATCH ()-[r:Y]->() RETURN count(r)") == [(1,)]


def test_merge_undirected_of_a_whole_new_pattern_creates_it_left_to_right(db):
    assert rows(db, "MERGE (a:A {n: 'a'})-[:Y]-(b:B {n: 'b'}) RETURN a.n, b.n") == [("a", "b")]
    assert rows(db, "MATCH (x)-[:Y]->(y) RETURN x.n, y.n") == [("a", "b")]


def test_create_still_needs_a_direction(pair):
    with pytest.raises(QuerySyntaxError, match="CREATE needs a direction"):
        pair.query("MATCH (a:A), (b:B) CREATE (a)-[:Y]-(b)")
