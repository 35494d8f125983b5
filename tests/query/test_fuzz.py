"""Robustness of the query pipeline: random and mutated query strings end in a Result or a bfxdb error."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb

SEED_QUERIES = (
    "MATCH (a:Person {name: 'Ann'})-[r:KNOWS*1..3]->(b) WHERE b.age > $age RETURN b.name, count(*) ORDER BY b.name",
    "CREATE (a:X {v: [1, 2.5, 'x', null]})-[:T {w: 1}]->(b:Y) RETURN a, b",
    "UNWIND range(1, 10) AS i WITH i WHERE i % 2 = 0 RETURN collect(i) AS evens, sum(i), avg(i)",
    "MATCH p = (a)-[*]-(b) RETURN nodes(p), relationships(p), length(p) LIMIT 5",
    "MERGE (n:Z {k: $age}) ON CREATE SET n.c = 1 ON MATCH SET n.c = n.c + 1 RETURN n",
    "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, type(r), m.name SKIP 1 LIMIT 3",
    "RETURN [x IN range(0, 5) WHERE x > 2 | x * x] AS squares, {a: 1, b: 'two'}.b, 'abc' STARTS WITH 'a'",
    "MATCH (n) WITH n.name AS name, count(*) AS c RETURN name, c UNION RETURN 'x' AS name, 0 AS c",
    "MATCH (a)-[r]->(b) DELETE r WITH a MATCH (a) DETACH DELETE a",
    "RETURN CASE WHEN $age > 3 THEN toString($age) ELSE toInteger('12') END, reduce(s = 0, x IN [1,2,3] | s + x)",
    "MATCH (n:Person) WHERE EXISTS { MATCH (n)-->() } SET n:Seen, n += {seen: true} REMOVE n.age RETURN n",
)

TOKENS = (
    "MATCH", "RETURN", "WITH", "WHERE", "CREATE", "MERGE", "DELETE", "SET", "UNWIND", "AS", "(", ")", "[", "]",
    "{", "}", "-", "->", "<-", ":", ",", ".", "*", "..", "n", "m", "r", "$age", "1", "2.5", "'s'", "null", "+",
    "=", "<>", "<", "AND", "OR", "NOT", "count(*)", "collect(", "range(", "ORDER BY", "LIMIT", "SKIP", "|",
    "IN", "x", "CASE", "WHEN", "THEN", "END", "DISTINCT", "`q`", "\\", "\"", "/*", "//", "\n", "9223372036854775807",
)


def _run(text: str) -> None:
    with bfxdb.connect(query_timeout=2) as db:
        db.query("CREATE (:Person {name: 'Ann', age: 30})-[:KNOWS]->(:Person {name: 'Bob', age: 5})")
        started = time.monotonic()
        try:
            result = db.query(text, {"age": 3})
            assert isinstance(result.columns, list)
            list(result)
        except bfxdb.BfxError as error:
            assert str(error)
        assert time.monotonic() - started < 10


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_token_soup_gives_a_result_or_a_bfx_error(text):
    _run(text)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEED_QUERIES))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(("delete", "insert", "replace", "duplicate")))
        if action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 6)):]
        elif action == "insert":
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position:]
        elif action == "replace":
            text = text[:position] + draw(st.characters()) + text[position + 1:]
        else:
            text = text[:position] + text[position:position + 12] + text[position:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_queries_give_a_result_or_a_bfx_error(text):
    _run(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_gives_a_result_or_a_bfx_error(text):
    _run(text)


@pytest.mark.parametrize("text", SEED_QUERIES)
def test_seed_queries_run(text):
    _run(text)
