"""Pushdown into SQL: SQLite's own query plan uses the property index, and optimised plans keep their answers."""

from __future__ import annotations

import pytest

import bfxdb
from bfxdb.query import prepare
from bfxdb.query.runtime import Context

from .test_compiler import first_match_plan


@pytest.fixture
def people():
    """200 Person nodes with a ``pid`` property and its index, each KNOWS the next two."""
    with bfxdb.connect() as db:
        db.query("UNWIND range(0, 199) AS i CREATE (:Person {pid: 'p' + toString(i), age: i % 50})")
        db.query(
            "MATCH (a:Person), (b:Person) WHERE b.age = (a.age + 1) % 50 AND b.pid > a.pid "
            "CREATE (a)-[:KNOWS]->(b)"
        )
        db.query("CREATE INDEX FOR (n:Person) ON (n.pid)")
        yield db


def sqlite_plan(db, query: str, parameters: dict | None = None) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN lines for the first pattern of a query, bound as it would run."""
    plan = first_match_plan(query)
    ctx = Context(db.store, parameters or {}, lambda: None)
    bound = plan.bind({}, ctx)
    assert bound is not None
    params, kinds, _ = bound
    rows = db.store.execute("EXPLAIN QUERY PLAN " + plan.render(kinds), params).fetchall()
    return [row[-1] for row in rows]


def test_anchored_walk_seeds_from_the_property_index(people):
    query = "MATCH (a:Person {pid: $p})-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)"
    steps = sqlite_plan(people, query, {"p": "p5"})
    setup = steps[steps.index("SETUP") + 1]
    assert setup.startswith("SEARCH s USING INDEX property_pid")
    assert not any(step.startswith("SCAN s") or "substrate_labels_by_label" in step for step in steps)
    assert people.query(query, {"p": "p5"}).rows == people.query(
        "MATCH (a:Person) WHERE a.pid = $p MATCH (a)-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)", {"p": "p5"}
    ).rows


def test_walk_towards_an_indexed_far_end_seeds_there(people):
    steps = sqlite_plan(people, "MATCH (c)-[:KNOWS*1..2]->(a:Person) WHERE a.pid = 'p9' RETURN DISTINCT c")
    assert steps[steps.index("SETUP") + 1].startswith("SEARCH s USING INDEX property_pid")
    assert "SEARCH e USING COVERING INDEX relationships_in (target=? AND rel_type=?)" in steps


def test_fixed_hops_from_an_indexed_node_search_the_index(people):
    steps = sqlite_plan(people, "MATCH (a:Person {pid: 'p3'})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN c")
    assert any(step.startswith("SEARCH n") and "property_pid" in step for step in steps)
    assert not any(step.startswith("SCAN") for step in steps)


def test_explain_shows_the_seeded_sql(people):
    text = prepare("EXPLAIN MATCH (a:Person {pid: 'p1'})-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)").plan_text
    assert "FROM substrates AS s WHERE (json_extract(s.metadata, '$.\"pid\"') = :f1" in text
