"""CALL { } subqueries, IN TRANSACTIONS, COUNT { } / COLLECT { } / EXISTS { } and FOREACH, end to end.

The behaviour itself is pinned by the feature files in tests/features/subqueries, which the first
test runs; the tests after it cover what a feature file cannot: several connections, explicit
transactions, EXPLAIN text, read-only runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bfxdb
from bfxdb.errors import QueryArgumentError, QuerySyntaxError, ReadOnlyError, TransactionNested
from bfxdb.query import prepare
from tests.tck.runner import folder_failures

FEATURES = Path(__file__).resolve().parents[1] / "features" / "subqueries"


def test_the_subquery_feature_files_pass():
    count, failed = folder_failures(FEATURES)
    assert count >= 50
    assert not failed, "\n".join(failed)


def test_exists_with_a_leading_with_reads_the_enclosing_node(db):
    # the silent wrong answer of issue 13: the WITH made `p` a new variable, matching every node with an edge
    db.query("CREATE (a)-[:R]->(b)")
    assert db.query("MATCH (p) WHERE EXISTS { WITH 1 AS k MATCH (p)-->() } RETURN count(p)").scalar() == 1
    assert db.query("MATCH (p) RETURN COUNT { WITH 1 AS k MATCH (p)-->() } AS c ORDER BY c").rows == [(0,), (1,)]


def test_a_failed_batch_leaves_the_batches_before_it_committed(db_path):
    with bfxdb.connect(db_path) as db:
        with pytest.raises(QueryArgumentError):
            # i = 3 divides by zero: the second batch (3, 4) fails
            db.query("UNWIND range(1, 5) AS i CALL (i) { CREATE (:T {v: 12 / (3 - i)}) } IN TRANSACTIONS OF 2 ROWS")
    with bfxdb.connect(db_path) as other:
        assert other.query("MATCH (t:T) RETURN t.v AS v ORDER BY v").rows == [(6,), (12,)]


def test_without_in_transactions_a_failure_undoes_every_row(db):
    with pytest.raises(QueryArgumentError):
        db.query("UNWIND range(1, 5) AS i CALL (i) { CREATE (:T {v: 12 / (3 - i)}) }")
    assert db.query("MATCH (t:T) RETURN count(t)").scalar() == 0


def test_in_transactions_is_refused_inside_an_explicit_transaction(db):
    with pytest.raises(TransactionNested, match="explicit transaction"):
        with db.transaction():
            db.query("CREATE (:Before)")
            db.query("UNWIND [1, 2] AS i CALL (i) { CREATE (:T {v: i}) } IN TRANSACTIONS OF 1 ROW")
    assert db.query("MATCH (n) RETURN count(n)").scalar() == 0


def test_a_batch_size_that_is_no_integer_fails(db):
    with pytest.raises(bfxdb.QueryTypeError):
        db.query("UNWIND [1] AS i CALL (i) { CREATE (:T) } IN TRANSACTIONS OF $n ROWS", {"n": "2"})
    with pytest.raises(QueryArgumentError):
        db.query("UNWIND [1] AS i CALL (i) { CREATE (:T) } IN TRANSACTIONS OF $n ROWS", {"n": -1})


def test_explain_shows_the_new_operators(db):
    plan = db.query(
        "EXPLAIN MATCH (n) CALL (n) { MATCH (n)-->(m) RETURN m UNION MATCH (m) RETURN m } "
        "FOREACH (x IN [1] | SET n.x = x) RETURN m"
    ).plan
    lines = plan.splitlines()
    assert "SubqueryCall -> m" in lines
    assert lines.count("  Import n") == 2 and "  UNION" in lines
    assert "Foreach x" in lines
    batches = db.query("EXPLAIN UNWIND [1] AS i CALL (i) { CREATE (:T) } IN TRANSACTIONS OF 5 ROWS").plan
    assert "SubqueryCall (unit) IN TRANSACTIONS OF n ROWS ON ERROR FAIL" in batches.splitlines()
    default = db.query("EXPLAIN UNWIND [1] AS i CALL (i) { CREATE (:T) } IN TRANSACTIONS").plan
    assert "SubqueryCall (unit) IN TRANSACTIONS OF 1000 ROWS ON ERROR FAIL" in default.splitlines()


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (n) CALL (n) { SET n.x = 1 }",
        "MATCH (n) CALL { WITH n CALL (n) { CREATE (:M) } RETURN 1 AS one } RETURN one",
        "FOREACH (x IN [1] | CREATE (:N))",
    ],
    ids=["unit call", "nested call", "foreach"],
)
def test_a_write_inside_a_subquery_or_foreach_makes_the_query_a_write(db, text):
    assert prepare(text).writes
    with pytest.raises(ReadOnlyError):
        db.query(text, read_only=True)


def test_a_reading_subquery_streams(db):
    db.query("UNWIND range(1, 3) AS i CREATE (:N {i: i})")
    assert not prepare("MATCH (n:N) CALL (n) { RETURN n.i * 2 AS d } RETURN d").writes
    with db.stream("MATCH (n:N) CALL (n) { RETURN n.i * 2 AS d } RETURN d ORDER BY d") as rows:
        assert [row["d"] for row in rows] == [2, 4, 6]


def test_count_and_collect_are_subqueries_only_before_a_brace(db):
    db.query("CREATE (:N {count: 2, collect: 3})")
    row = db.query(
        "MATCH (n:N) WITH n, n {.count} AS m RETURN count(n) AS c, m.count AS k, n.collect AS l, "
        "COUNT { MATCH (x:N) } AS s"
    ).single()
    assert row == {"c": 1, "k": 2, "l": 3, "s": 1}


def test_another_name_before_a_query_in_braces_is_a_syntax_error():
    with pytest.raises(QuerySyntaxError, match="no subquery"):
        prepare("RETURN total { MATCH (n) } AS x")


def test_collect_needs_a_query_not_a_bare_pattern():
    with pytest.raises(QuerySyntaxError, match="COLLECT"):
        prepare("MATCH (p) RETURN COLLECT { (p)-->() } AS x")


def test_procedures_can_be_called_inside_a_call_subquery(db):
    db.query("CREATE (:A)-[:R]->(:B)")
    rows = db.query("CALL () { CALL db.labels() YIELD label RETURN label } RETURN label ORDER BY label").rows
    assert rows == [("A",), ("B",)]


def test_an_import_the_body_never_reads_may_be_left_out_by_the_match(db):
    # the MATCH binds only what the rest of the query reads; `n` is imported but never read
    db.query("CREATE (:N)-[:R]->(:N)")
    assert db.query("MATCH (n:N) CALL (n) { CREATE (:Log) } RETURN count(*) AS c").scalar() == 2
    assert db.query("MATCH (n)-[r]->(m) CALL (*) { CREATE (:Log) } RETURN count(*) AS c").scalar() == 1
