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
