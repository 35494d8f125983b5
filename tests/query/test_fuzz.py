"""Robustness of the query pipeline: random and mutated query strings end in a Result or a bfxdb error."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb import Relationship, Substrate

GRAPH = "CREATE (:Person {name: 'Ann', age: 30})-[:KNOWS]->(:Person {name: 'Bob', age: 5})"
PARAMETERS = {"age": 3}
ANN = ("node", ("Person",), {"name": "Ann", "age": 30})
BOB = ("node", ("Person",), {"name": "Bob", "age": 5})


@dataclass(frozen=True)
class Seed:
    """A query the fuzzers start from, and what it gives on GRAPH with PARAMETERS (entities as by ``plain``)."""

    text: str
    rows: list[tuple]
    ordered: bool = True
    stats: dict[str, int] = field(default_factory=dict)


SEEDS = (
    Seed(
        "MATCH (a:Person {name: 'Ann'})-[r:KNOWS*1..3]->(b) WHERE b.age > $age "
        "RETURN b.name, count(*) ORDER BY b.name",
        [("Bob", 1)],
    ),
    Seed(
        "CREATE (a:X {v: [1, 2.5, 'x']})-[:T {w: 1}]->(b:Y) RETURN a, b",
        [(("node", ("X",), {"v": [1, 2.5, "x"]}), ("node", ("Y",), {}))],
        stats={"nodes_created": 2, "relationships_created": 1, "properties_set": 2},
    ),
    Seed(
        "UNWIND range(1, 10) AS i WITH i WHERE i % 2 = 0 RETURN collect(i) AS evens, sum(i), avg(i)",
        [([2, 4, 6, 8, 10], 30, 6.0)],
    ),
    Seed(
        "MATCH p = (a)-[*]-(b) RETURN nodes(p), relationships(p), length(p) LIMIT 5",
        [([ANN, BOB], [("rel", "KNOWS", {})], 1), ([BOB, ANN], [("rel", "KNOWS", {})], 1)],
        ordered=False,
    ),
    Seed(
        "MERGE (n:Z {k: $age}) ON CREATE SET n.c = 1 ON MATCH SET n.c = n.c + 1 RETURN n",
        [(("node", ("Z",), {"k": 3, "c": 1}),)],
        stats={"nodes_created": 1},
    ),
    Seed(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, type(r), m.name ORDER BY n.name SKIP 1 LIMIT 3",
        [(BOB, None, None)],
    ),
    Seed(
        "RETURN [x IN range(0, 5) WHERE x > 2 | x * x] AS squares, {a: 1, b: 'two'}.b, 'abc' STARTS WITH 'a'",
        [([9, 16, 25], "two", True)],
    ),
    Seed(
        "MATCH (n) WITH n.name AS name, count(*) AS c RETURN name, c UNION RETURN 'x' AS name, 0 AS c",
        [("Ann", 1), ("Bob", 1), ("x", 0)],
        ordered=False,
    ),
    Seed(
        "MATCH (a)-[r]->(b) DELETE r WITH a MATCH (a) DETACH DELETE a",
        [],
        stats={"relationships_deleted": 1, "nodes_deleted": 1},
    ),
    Seed(
        "RETURN CASE WHEN $age > 3 THEN toString($age) ELSE toInteger('12') END, reduce(s = 0, x IN [1,2,3] | s + x)",
        [(12, 6)],
    ),
    Seed(
        "MATCH (n:Person) WHERE EXISTS { MATCH (n)-->() } SET n:Seen, n += {seen: true} REMOVE n.age RETURN n",
        [(("node", ("Person", "Seen"), {"name": "Ann", "seen": True}),)],
        stats={"labels_added": 1, "properties_set": 2},
    ),
)
SEED_QUERIES = tuple(seed.text for seed in SEEDS)

TOKENS = (
    "MATCH", "RETURN", "WITH", "WHERE", "CREATE", "MERGE", "DELETE", "SET", "UNWIND", "AS", "(", ")", "[", "]",
    "{", "}", "-", "->", "<-", ":", ",", ".", "*", "..", "n", "m", "r", "$age", "1", "2.5", "'s'", "null", "+",
    "=", "<>", "<", "AND", "OR", "NOT", "count(*)", "collect(", "range(", "ORDER BY", "LIMIT", "SKIP", "|",
    "IN", "x", "CASE", "WHEN", "THEN", "END", "DISTINCT", "`q`", "\\", "\"", "/*", "//", "\n", "9223372036854775807",
)


def _run(text: str) -> None:
    with bfxdb.connect(query_timeout=2) as db:
        db.query(GRAPH)
        started = time.monotonic()
        try:
            result = db.query(text, PARAMETERS)
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


def plain(value: Any) -> Any:
    """Reduce a result value to something a test can write: entities as (kind, labels or type, properties)."""
    if isinstance(value, Substrate):
        return ("node", tuple(sorted(value.labels)), value.metadata)
    if isinstance(value, Relationship):
        return ("rel", value.rel_type, value.metadata)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize("seed", SEEDS, ids=[seed.text[:40] for seed in SEEDS])
def test_seed_queries_run(seed):
    with bfxdb.connect() as db:
        db.query(GRAPH)
        result = db.query(seed.text, PARAMETERS)
    rows = [tuple(plain(value) for value in row) for row in result.rows]
    if seed.ordered:
        assert rows == seed.rows
    else:
        assert sorted(rows, key=repr) == sorted(seed.rows, key=repr)
    assert {key: result.stats[key] for key in seed.stats} == seed.stats
