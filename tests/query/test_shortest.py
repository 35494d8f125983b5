"""shortestPath and allShortestPaths agree with a brute-force search over every trail on random small graphs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb

TYPES = ("T", "U")


@dataclass(frozen=True)
class Edge:
    """One relationship: its key ``k`` (unique), endpoints by node key ``i``, type and property ``w``."""

    key: int
    source: int
    target: int
    rel_type: str
    weight: int


def load(db: bfxdb.Database, size: int, edges: list[Edge]) -> None:
    db.query("UNWIND range(0, $n - 1) AS i CREATE (:N {i: i})", {"n": size})
    for rel_type in TYPES:
        rows = [[e.key, e.source, e.target, e.weight] for e in edges if e.rel_type == rel_type]
        db.query(
            "UNWIND $rows AS e MATCH (a:N {i: e[1]}), (b:N {i: e[2]}) "
            f"CREATE (a)-[:{rel_type} {{k: e[0], w: e[3]}}]->(b)",
            {"rows": rows},
        )


def steps(edges: list[Edge], node: int, direction: str, types: tuple[str, ...], weight: int | None):
    """The (edge, far node) pairs leaving ``node`` along the pattern's direction; a self-loop once."""
    for edge in edges:
        if types and edge.rel_type not in types or weight is not None and edge.weight != weight:
            continue
        if direction in ("out", "both") and edge.source == node:
            yield edge, edge.target
        elif direction in ("in", "both") and edge.target == node:
            yield edge, edge.source


def brute_force(edges, source, target, direction, types, low, high, weight) -> set[tuple]:
    """Every trail of minimal length in low..high from source to target, as (node keys, edge keys)."""
    if source == target:
        return {((source,), ())} if low == 0 else set()
    found: set[tuple] = set()
    stack = [((source,), ())]
    while stack:
        nodes, rels = stack.pop()
        if nodes[-1] == target and len(rels) >= max(low, 1):
            found.add((nodes, rels))
        if len(rels) < high:
            for edge, far in steps(edges, nodes[-1], direction, types, weight):
                if edge.key not in rels:
                    stack.append((nodes + (far,), rels + (edge.key,)))
    if not found:
        return set()
    shortest = min(len(rels) for _, rels in found)
    return {trail for trail in found if len(trail[1]) == shortest}


def pattern(direction: str, types: tuple[str, ...], low: int | None, high: int | None, weight: int | None) -> str:
    length = "*" + ("" if low is None else str(low)) + ("" if high is None and low is None else "..")
    length += "" if high is None else str(high)
    rel = "[" + (":" + "|".join(types) if types else "") + length + ("" if weight is None else f" {{w: {weight}}}")
    rel += "]"
    return {"out": f"-{rel}->", "in": f"<-{rel}-", "both": f"-{rel}-"}[direction]


def search(db, function, source, target, rel_pattern) -> list[tuple]:
    rows = db.query(
        f"MATCH (a:N {{i: $s}}), (b:N {{i: $t}}) MATCH p = {function}((a){rel_pattern}(b)) "
        "RETURN [n IN nodes(p) | n.i], [r IN relationships(p) | r.k]",
        {"s": source, "t": target},
    ).rows
    return [(tuple(nodes), tuple(rels)) for nodes, rels in rows]


@st.composite
def graphs(draw):
    size = draw(st.integers(1, 7))
    node = st.integers(0, size - 1)
    drawn = draw(st.lists(st.tuples(node, node, st.sampled_from(TYPES), st.integers(0, 1)), max_size=14))
    return size, [Edge(key, *edge) for key, edge in enumerate(drawn)]


@settings(max_examples=60, deadline=None)
@given(
    graphs(),
    st.data(),
    st.sampled_from(("out", "in", "both")),
    st.sampled_from(((), ("T",), ("T", "U"))),
    st.sampled_from(((None, None), (0, None), (1, 3), (None, 2), (2, None), (3, 4), (0, 0))),
    st.sampled_from((None, 1)),
)
def test_both_functions_find_the_minimal_trails(graph, data, direction, types, bounds, weight):
    size, edges = graph
    low, high = bounds
    rel_pattern = pattern(direction, types, low, high, weight)
    with bfxdb.connect() as db:
        load(db, size, edges)
        for _ in range(4):
            source = data.draw(st.integers(0, size - 1))
            target = data.draw(st.integers(0, size - 1))
            expected = brute_force(
                edges, source, target, direction, types, 1 if low is None else low, 64 if high is None else high, weight
            )
            every = search(db, "allShortestPaths", source, target, rel_pattern)
            assert len(every) == len(set(every))
            assert set(every) == expected
            one = search(db, "shortestPath", source, target, rel_pattern)
            assert len(one) == (1 if expected else 0)
            assert set(one) <= expected


@pytest.fixture
def chain(db):
    """0 -> 1 -> 2 -> 3 -> 4, and a detour 0 -> 5 -> 6 -> 7 -> 4 whose relationships have w: 1."""
    db.query(
        "CREATE (n0:N {i: 0})-[:T {k: 0}]->(:N {i: 1})-[:T {k: 1}]->(:N {i: 2})-[:T {k: 2}]->(:N {i: 3})"
        "-[:T {k: 3}]->(n4:N {i: 4}), "
        "(n0)-[:T {k: 4, w: 1}]->(:N {i: 5})-[:T {k: 5, w: 1}]->(:N {i: 6})-[:T {k: 6, w: 1}]->(:N {i: 7})"
        "-[:T {k: 7, w: 1}]->(n4)"
    )
    return db


def test_the_search_honours_the_maximum_length(chain):
    chain.query("MATCH (a:N {i: 1}), (b:N {i: 3}) CREATE (a)<-[:T {k: 8}]-(:N {i: 9})<-[:T {k: 9}]-(b)")
    assert search(chain, "shortestPath", 1, 3, "-[*..1]-") == []
    assert set(search(chain, "allShortestPaths", 1, 3, "-[*..2]-")) == {((1, 2, 3), (1, 2)), ((1, 9, 3), (8, 9))}


def test_unreachable_pairs_and_the_wrong_direction_give_no_path(chain):
    chain.query("CREATE (:N {i: 8})")
    assert search(chain, "shortestPath", 0, 8, "-[*]-") == []
    assert search(chain, "allShortestPaths", 4, 0, "-[*]->") == []
    assert {nodes for nodes, _ in search(chain, "allShortestPaths", 4, 0, "<-[*]-")} == {
        (4, 3, 2, 1, 0),
        (4, 7, 6, 5, 0),
    }


def test_from_a_node_to_itself_only_the_empty_path_and_only_with_minimum_zero(chain):
    chain.query("MATCH (a:N {i: 4}), (b:N {i: 0}) CREATE (a)-[:T {k: 8}]->(b)")
    assert search(chain, "shortestPath", 0, 0, "-[*]->") == []
    assert search(chain, "allShortestPaths", 0, 0, "-[*0..]->") == [((0,), ())]


def test_the_relationship_property_map_restricts_every_relationship(chain):
    assert search(chain, "allShortestPaths", 0, 4, "-[* {w: 1}]->") == [((0, 5, 6, 7, 4), (4, 5, 6, 7))]
    rows = chain.query(
        "MATCH (a:N {i: 0}), (b:N {i: 4}) MATCH p = shortestPath((a)-[* {w: b.i - 3}]->(b)) RETURN length(p)"
    ).rows
    assert rows == [(4,)]
    assert search(chain, "shortestPath", 0, 4, "-[* {w: 2}]->") == []


def test_a_minimum_above_the_shortest_distance_finds_a_longer_trail(db):
    db.query("CREATE (a:N {i: 0})-[:T {k: 0}]->(b:N {i: 1}), (b)-[:T {k: 1}]->(c:N {i: 2})-[:T {k: 2}]->(b)")
    assert search(db, "shortestPath", 0, 1, "-[*2..2]->") == []
    assert search(db, "allShortestPaths", 0, 1, "-[*2..]->") == [((0, 1, 2, 1), (0, 1, 2))]


def test_the_search_expands_the_smaller_frontier_one_query_each(db, monkeypatch):
    # the source fans out to 50 dead ends: a search from the source alone would expand them all next
    db.query(
        "CREATE (s:N {i: 0})-[:T {k: 0}]->(:N {i: 1})-[:T {k: 1}]->(:N {i: 2})-[:T {k: 2}]->(:N {i: 3}) "
        "WITH s UNWIND range(1, 50) AS k CREATE (s)-[:T]->(:N)"
    )
    frontiers: list[list[int]] = []
    execute = db.store.execute

    def recording(sql, params=()):
        if "json_each(:ids)" in sql:
            frontiers.append(json.loads(params["ids"]))
        return execute(sql, params)

    monkeypatch.setattr(db.store, "execute", recording)
    assert search(db, "shortestPath", 0, 3, "-[*]->") == [((0, 1, 2, 3), (0, 1, 2))]
    assert [len(frontier) for frontier in frontiers] == [1, 1, 1]
