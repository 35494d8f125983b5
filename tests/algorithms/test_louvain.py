"""bfxdb's Louvain against NetworkX's, with weights, loops and parallel relationships; its colours, limits, options."""

from __future__ import annotations

import random
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb
import bfxdb.algorithms.louvain
from bfxdb.algorithms.louvain import _colour_classes, _first_level, _stable_order, louvain

from .test_algorithms import EXAMPLES, graphs, load, partition

pytest.importorskip("igraph")


def weighted_undirected(n: int, edges: list[tuple]) -> nx.Graph:
    """The graph Louvain sees: each relationship both ways, parallel ones summed, self-loops kept."""
    graph = nx.Graph()
    graph.add_nodes_from(range(1, n + 1))
    for s, t, _, w in edges:
        if graph.has_edge(s, t):
            graph[s][t]["weight"] += w
        else:
            graph.add_edge(s, t, weight=w)
    return graph


def arrays(n: int, edges: list[tuple[int, int]], weights: list[float] | None = None) -> SimpleNamespace:
    """A stand-in for a snapshot of nodes 0..n-1."""
    return SimpleNamespace(
        size=n,
        sources=np.array([s for s, _ in edges], dtype=np.int32),
        targets=np.array([t for _, t in edges], dtype=np.int32),
        weights=weights,
    )


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_weighted_louvain_with_loops_and_parallel_relationships_is_within_2_percent_of_networkx(seed):
    rng = random.Random(seed)
    # eight groups of 25, dense inside; weights 1 to 5, some pairs linked twice, some nodes looped
    edges = [
        (s, t, "A", rng.randint(1, 5))
        for s in range(1, 201)
        for t in range(s, 201)
        for _ in range(rng.choice([1, 1, 2]))
        if rng.random() < (0.25 if (s - 1) // 25 == (t - 1) // 25 else 0.01)
    ]
    reference = weighted_undirected(200, edges)
    theirs = nx.community.modularity(reference, nx.community.louvain_communities(reference, seed=seed))
    with load(200, edges) as db:
        found = db.algorithms.louvain(weight_property="w")
    assert nx.community.modularity(reference, partition(found)) >= 0.98 * theirs


@EXAMPLES
@given(graphs(), st.integers(0, 2**32 - 1), st.sampled_from([64, 2, 1]))
def test_no_link_joins_two_nodes_of_one_colour(graph, seed, rounds):
    n, edges = graph
    level = _first_level(np, arrays(n, [(s - 1, t - 1) for s, t, _, _ in edges]))
    with pytest.MonkeyPatch.context() as patch:
        # past the last round, each node left is a class of its own
        patch.setattr(bfxdb.algorithms.louvain, "ROUNDS", rounds)
        classes = _colour_classes(np, level, np.random.default_rng(seed), None)
    entries = np.concatenate(classes) if classes else np.zeros(0, dtype=np.int64)
    assert sorted(entries.tolist()) == list(range(len(level.tails)))
    colour = {}
    for number, members in enumerate(classes):
        tails = level.tails[members].tolist()
        assert tails == sorted(tails)
        colour.update((node, number) for node in tails)
    for tail, head in zip(level.tails.tolist(), level.heads.tolist()):
        assert colour[tail] != colour[head]


@given(st.lists(st.integers(0, 99)), st.sampled_from([100, 2**62]))
def test_the_packed_sort_is_a_stable_argsort(keys, bound):
    # a bound of 2**62 leaves no room for the index beside the key: the fallback argsort
    values = np.array(keys, dtype=np.int64)
    assert _stable_order(np, values, bound).tolist() == np.argsort(values, kind="stable").tolist()


def test_communities_are_numbered_by_their_lowest_node_and_isolated_nodes_stay_alone():
    # two triangles joined by one link, and two nodes without relationships
    edges = [(3, 4), (4, 5), (5, 3), (0, 1), (1, 2), (2, 0), (2, 3)]
    assert louvain(arrays(8, edges)) == [0, 0, 0, 1, 1, 1, 2, 3]
    assert louvain(arrays(3, [])) == [0, 1, 2]
    assert louvain(arrays(0, [])) == []


@EXAMPLES
@given(graphs(max_nodes=40))
def test_without_resolution_the_communities_are_the_weak_components(graph):
    # at resolution 0 any link to another community is a gain, so only unlinked ones stay apart
    n, edges = graph
    with load(n, edges) as db:
        found = db.algorithms.louvain(resolution=0, tolerance=0, max_levels=100)
        components = db.algorithms.wcc()
    assert partition(found) == partition(components)


def test_a_large_clique_is_coloured_in_few_rounds_and_found_as_one_community():
    # 400 nodes all linked, which would take a round of colouring each, and a ring of 100 beside
    clique = [(s, t) for s in range(400) for t in range(s + 1, 400)]
    ring = [(400 + i, 400 + (i + 1) % 100) for i in range(100)]
    rounds: list[int] = []
    classes = _colour_classes(np, _first_level(np, arrays(500, clique + ring)), np.random.default_rng(1),
                              lambda: rounds.append(1))
    # the colouring stops once a round colours too few; the clique's nodes left are classes of one
    assert len(rounds) < 20
    assert len(classes) > 400 - len(rounds)
    found = louvain(arrays(500, clique + ring))
    assert len(set(found[:400])) == 1
    assert set(found[:400]).isdisjoint(found[400:])


def test_the_same_graph_gives_the_same_communities_and_limits_cut_the_work():
    rng = random.Random(3)
    edges = [(rng.randrange(2000), rng.randrange(2000)) for _ in range(6000)]
    snapshot = arrays(2000, edges)
    full = louvain(snapshot)
    assert louvain(snapshot) == full
    one_level = louvain(snapshot, max_levels=1)
    one_pass = louvain(snapshot, max_levels=1, max_iterations=1)
    assert len(set(one_pass)) >= len(set(one_level)) > len(set(full))


def test_the_time_limit_is_checked_after_every_pass():
    rng = random.Random(4)
    snapshot = arrays(500, [(rng.randrange(500), rng.randrange(500)) for _ in range(1500)])
    passes = []

    def check() -> None:
        passes.append(1)
        if len(passes) == 2:
            raise bfxdb.QueryTimeout("the time limit passed")

    with pytest.raises(bfxdb.QueryTimeout):
        louvain(snapshot, tolerance=0, check=check)
    assert len(passes) == 2


def test_options_are_checked_and_negative_weights_refused():
    with load(3, [(1, 2, "A", -1), (2, 3, "A", 1)]) as db:
        with pytest.raises(bfxdb.InvalidInput, match="Louvain needs weights of zero or more"):
            db.algorithms.louvain(weight_property="w")
        for option in ({"max_levels": 0}, {"max_iterations": 1.5}, {"tolerance": -1}):
            with pytest.raises(bfxdb.InvalidInput):
                db.algorithms.louvain(**option)
        rows = db.query("CALL algo.louvain({maxLevels: 2, maxIterations: 3, tolerance: 0.001}) YIELD node, communityId "
                        "RETURN count(*) AS n").rows
    assert rows == [(3,)]
