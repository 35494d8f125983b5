"""bfxdb.graph: the one breadth-first search (levels, every parent, limits) and neighbours built on it."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb import graph
from bfxdb.graph import Level, breadth_first

#: a -> b, a -> c, b -> d, c -> d, d -> e: d is reached from both b and c at distance 2.
DIAMOND = {1: [2, 3], 2: [4], 3: [4], 4: [5], 5: []}


def step_over(edges: dict[int, list[int]], calls: list[list[int]] | None = None):
    """A step over an adjacency dict; each relationship is named by its (near, far) pair."""

    def step(frontier: list[int]):
        if calls is not None:
            calls.append(list(frontier))
        return [((near, far), near, far) for near in frontier for far in edges.get(near, [])]

    return step


def test_levels_hold_each_new_node_with_every_relationship_that_reached_it():
    levels = list(breadth_first([1], step_over(DIAMOND), depth=10))
    assert levels == [
        Level(1, {2: [((1, 2), 1)], 3: [((1, 3), 1)]}),
        Level(2, {4: [((2, 4), 2), ((3, 4), 3)]}),
        Level(3, {5: [((4, 5), 4)]}),
    ]


def test_the_walk_stops_at_depth_and_never_revisits_a_node():
    cycle = {1: [2], 2: [3], 3: [1, 4], 4: []}
    assert [sorted(level.reached) for level in breadth_first([1], step_over(cycle), depth=2)] == [[2], [3]]
    assert [sorted(level.reached) for level in breadth_first([1], step_over(cycle), depth=9)] == [[2], [3], [4]]


def test_several_starts_are_all_at_distance_zero():
    levels = list(breadth_first([2, 3, 2], step_over(DIAMOND), depth=5))
    assert [(level.distance, sorted(level.reached)) for level in levels] == [(1, [4]), (2, [5])]


def test_levels_are_computed_only_when_asked_for():
    calls: list[list[int]] = []
    walk = breadth_first([1], step_over(DIAMOND, calls), depth=10)
    assert calls == []
    next(walk)
    assert calls == [[1]]
    next(walk)
    assert calls == [[1], [2, 3]]


def test_the_expansion_limit_cuts_the_frontier_and_marks_the_level_truncated():
    calls: list[list[int]] = []
    levels = list(breadth_first([1], step_over(DIAMOND, calls), depth=10, max_expansions=2))
    assert calls == [[1], [2]]
    assert levels == [Level(1, {2: [((1, 2), 1)], 3: [((1, 3), 1)]}), Level(2, {4: [((2, 4), 2)]}, truncated=True)]


def test_a_spent_limit_still_reports_the_truncated_level():
    levels = list(breadth_first([1], step_over(DIAMOND), depth=10, max_expansions=1))
    assert levels == [Level(1, {2: [((1, 2), 1)], 3: [((1, 3), 1)]}), Level(2, {}, truncated=True)]


def test_a_limit_spent_exactly_at_the_end_is_no_truncation():
    assert [level.truncated for level in breadth_first([1], step_over(DIAMOND), depth=1, max_expansions=1)] == [False]


def test_order_decides_which_nodes_a_cut_frontier_keeps():
    star = {1: [9, 8, 7], 9: [19], 8: [18], 7: [17]}
    first = list(breadth_first([1], step_over(star), depth=2, max_expansions=2))
    assert list(first[1].reached) == [19]
    by_id = list(breadth_first([1], step_over(star), depth=2, max_expansions=2, order=sorted))
    assert list(by_id[1].reached) == [17]


@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    ),
    st.integers(1, 6),
)
def test_distances_are_the_shortest_path_lengths(graph_case, depth):
    size, pairs = graph_case
    edges: dict[int, list[int]] = {}
    for near, far in pairs:
        edges.setdefault(near, []).append(far)
    found = {node: level.distance for level in breadth_first([0], step_over(edges), depth) for node in level.reached}
    reference = nx.DiGraph(pairs)
    reference.add_nodes_from(range(size))
    expected = nx.single_source_shortest_path_length(reference, 0, cutoff=depth)
    assert found == {node: distance for node, distance in expected.items() if distance > 0}


@pytest.fixture
def chain(db):
    """a -> b -> c -> d, and e -> a; returns their identities."""
    ids = [db.create_substrate(metadata={"n": n}, identity=n + 1).identity for n in range(5)]
    a, b, c, d, e = ids
    for source, target in ((a, b), (b, c), (c, d), (e, a)):
        db.create_relationship(source, target, "NEXT")
    return ids


def test_neighbours_are_found_at_their_shortest_distance_nearest_first(db, chain):
    a, b, c, d, e = chain
    found, truncated = bfxdb.neighbours(db, a, 2)
    assert [(s.identity, distance) for s, distance in found] == [(b, 1), (c, 2)] and not truncated
    found, _ = bfxdb.neighbours(db, a, 3, "both")
    assert [(s.identity, distance) for s, distance in found] == [(b, 1), (e, 1), (c, 2), (d, 3)]
    found, truncated = bfxdb.neighbours(db, a, 3, "both", limit=2)
    assert [s.identity for s, _ in found] == [b, e] and truncated


def test_neighbours_stop_at_the_expansion_limit(db, chain, monkeypatch):
    monkeypatch.setattr(graph, "MAX_EXPANSIONS", 2)
    found, truncated = bfxdb.neighbours(db, chain[0], 4)
    assert [s.identity for s, _ in found] == chain[1:3] and truncated


def test_neighbours_refuse_an_unknown_direction_and_a_missing_start(db, chain):
    with pytest.raises(bfxdb.InvalidInput):
        bfxdb.neighbours(db, chain[0], 1, "sideways")
    with pytest.raises(bfxdb.NotFound):
        bfxdb.neighbours(db, 99, 1)
