"""Pattern matching agrees with a naive Python evaluator on small random graphs."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb

graphs = st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from("AB")),
            max_size=8,
        ),
    )
)


def load(graph):
    """Store the graph; returns the database, node ids by index and edges as (id, source, target, type)."""
    n, edges = graph
    db = bfxdb.connect()
    nodes = [db.create_substrate(metadata={"i": i}).identity for i in range(n)]
    stored = []
    for source, target, rel_type in edges:
        rel = db.create_relationship(nodes[source], nodes[target], rel_type)
        stored.append((rel.identity, nodes[source], nodes[target], rel_type))
    return db, nodes, stored


def trails(nodes, edges, low, high, types=None, undirected=False):
    """Every (start, end) of a relationship-unique walk of length low..high."""
    found = Counter()

    def walk(start, here, used, depth):
        if low <= depth:
            found[(start, here)] += 1
        if depth == high:
            return
        for rel, source, target, rel_type in edges:
            if rel in used or (types and rel_type not in types):
                continue
            if source == here:
                walk(start, target, used | {rel}, depth + 1)
            elif undirected and target == here:
                walk(start, source, used | {rel}, depth + 1)

    for node in nodes:
        walk(node, node, frozenset(), 0)
    return found


settings_ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings_
@given(graphs, st.integers(0, 2), st.integers(1, 3))
def test_variable_length_matches_count_every_trail(graph, low, high):
    db, nodes, edges = load(graph)
    rows = db.query(f"MATCH (a)-[:A*{low}..{high}]->(b) RETURN id(a), id(b)").rows
    assert Counter(rows) == trails(nodes, edges, low, high, types={"A"})


@settings_
@given(graphs, st.integers(1, 3))
def test_undirected_variable_length_matches(graph, high):
    db, nodes, edges = load(graph)
    rows = db.query(f"MATCH (a)-[*1..{high}]-(b) RETURN id(a), id(b)").rows
    assert Counter(rows) == trails(nodes, edges, 1, high, undirected=True)


@settings_
@given(graphs, st.integers(1, 4))
def test_reachability_counts_equal_trail_endpoints(graph, high):
    db, nodes, edges = load(graph)
    expected = trails(nodes, edges, 1, high)
    for node in nodes:
        count = db.query(
            f"MATCH (a)-[*1..{high}]->(b) WHERE id(a) = $id RETURN count(DISTINCT b)", {"id": node}
        ).scalar()
        assert count == len({end for start, end in expected if start == node})


@settings_
@given(graphs)
def test_fixed_hops_are_relationship_unique(graph):
    db, nodes, edges = load(graph)
    rows = db.query("MATCH (a)-[r]-(b)-[s]->(c) RETURN id(r), id(s), id(a), id(c)").rows
    expected = Counter()
    for r, source, target, _ in edges:
        for a, b in {(source, target), (target, source)}:
            for s, s_source, s_target, _ in edges:
                if s != r and s_source == b:
                    expected[(r, s, a, s_target)] += 1
    assert Counter(rows) == expected
