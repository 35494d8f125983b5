"""Every algorithm against NetworkX on random graphs, in Cypher and from Python."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb

pytest.importorskip("igraph")

EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def graphs(draw, max_nodes: int = 25):
    """A random directed multigraph: nodes 1..n, typed relationships with positive integer weights."""
    n = draw(st.integers(1, max_nodes))
    edges = draw(
        st.lists(
            st.tuples(st.integers(1, n), st.integers(1, n), st.sampled_from(["A", "B"]), st.integers(1, 9)),
            max_size=3 * n,
        )
    )
    return n, edges


def load(n: int, edges: list[tuple], labels=lambda i: ["Even" if i % 2 == 0 else "Odd"]) -> bfxdb.Database:
    db = bfxdb.connect()
    db.bulk_load(
        [{"identity": i, "labels": labels(i), "metadata": {"i": i}} for i in range(1, n + 1)],
        [
            {"source": s, "target": t, "rel_type": kind, "metadata": {"w": w}}
            for s, t, kind, w in edges
        ],
    )
    return db


def oracle(n: int, edges: list[tuple], types=("A", "B"), multi: bool = True, weighted: bool = False) -> nx.DiGraph:
    graph = nx.MultiDiGraph() if multi else nx.DiGraph()
    graph.add_nodes_from(range(1, n + 1))
    for s, t, kind, w in edges:
        if kind in types:
            if weighted and not multi and graph.has_edge(s, t):
                graph[s][t]["weight"] = min(graph[s][t]["weight"], w)
            else:
                graph.add_edge(s, t, weight=w)
    return graph


def simple_undirected(n: int, edges: list[tuple]) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(1, n + 1))
    graph.add_edges_from((s, t) for s, t, _, _ in edges if s != t)
    return graph


def partition(result: dict) -> set[frozenset]:
    groups: dict = {}
    for node, group in result.items():
        groups.setdefault(group, set()).add(node)
    return {frozenset(members) for members in groups.values()}


def close(ours: dict, theirs: dict, tolerance: float) -> None:
    assert ours.keys() == theirs.keys()
    for node, value in theirs.items():
        assert ours[node] == pytest.approx(value, abs=tolerance), node


@EXAMPLES
@given(graphs())
def test_pagerank_matches_networkx_within_1e_6(graph):
    n, edges = graph
    with load(n, edges) as db:
        ours = db.algorithms.pagerank(damping_factor=0.85)
        weighted = db.algorithms.pagerank(weight_property="w", relationship_types=["A"])
    close(ours, nx.pagerank(oracle(n, edges), alpha=0.85, weight=None, tol=1e-12, max_iter=10_000), 1e-6)
    expected = nx.pagerank(oracle(n, edges, ("A",)), alpha=0.85, weight="weight", tol=1e-12, max_iter=10_000)
    close(weighted, expected, 1e-6)


@EXAMPLES
@given(graphs(), st.data())
def test_personalized_pagerank_matches_networkx(graph, data):
    n, edges = graph
    sources = data.draw(st.lists(st.integers(1, n), min_size=1, max_size=3, unique=True))
    with load(n, edges) as db:
        ours = db.algorithms.personalized_pagerank(source_nodes=sources)
    reset = {node: (1 / len(sources) if node in sources else 0) for node in range(1, n + 1)}
    expected = nx.pagerank(oracle(n, edges), personalization=reset, weight=None, tol=1e-12, max_iter=10_000)
    close(ours, expected, 1e-6)


@EXAMPLES
@given(graphs())
def test_components_are_networkx_components(graph):
    n, edges = graph
    with load(n, edges) as db:
        weak, strong = db.algorithms.wcc(), db.algorithms.scc()
        reverse, both_ways = db.algorithms.scc(direction="REVERSE"), db.algorithms.scc(direction="UNDIRECTED")
    reference = oracle(n, edges)
    assert partition(weak) == {frozenset(c) for c in nx.weakly_connected_components(reference)}
    assert partition(strong) == {frozenset(c) for c in nx.strongly_connected_components(reference)}
    assert partition(reverse) == {frozenset(c) for c in nx.strongly_connected_components(reference.reverse())}
    # undirected: every relationship also runs the other way, as in NetworkX's DiGraph of an undirected graph
    symmetric = nx.DiGraph(reference.to_undirected())
    assert partition(both_ways) == {frozenset(c) for c in nx.strongly_connected_components(symmetric)}
    assert partition(both_ways) == {frozenset(c) for c in nx.connected_components(reference.to_undirected())}


@EXAMPLES
@given(graphs())
def test_core_triangles_and_clustering_match_networkx(graph):
    n, edges = graph
    with load(n, edges) as db:
        cores = db.algorithms.kcore()
        triangles = db.algorithms.triangle_count()
        clustering = db.algorithms.local_clustering_coefficient()
    reference = simple_undirected(n, edges)
    assert cores == nx.core_number(reference)
    assert triangles == nx.triangles(reference)
    close(clustering, nx.clustering(reference), 1e-12)


@EXAMPLES
@given(graphs())
def test_exact_betweenness_closeness_and_degree_match_networkx(graph):
    n, edges = graph
    with load(n, edges) as db:
        between = db.algorithms.betweenness()
        undirected = db.algorithms.betweenness(direction="UNDIRECTED")
        closeness = db.algorithms.closeness()
        degree = db.algorithms.degree()
        weighted = db.algorithms.degree(weight_property="w", direction="REVERSE")
    reference = oracle(n, edges, multi=False)
    # Parallel relationships are parallel shortest paths, which a simple graph cannot show: compare on simple ones.
    if len({(s, t) for s, t, _, _ in edges}) == len(edges):
        close(between, nx.betweenness_centrality(reference, normalized=False), 1e-9)
        plain = nx.Graph(reference)
        if plain.number_of_edges() == len(edges):
            close(undirected, nx.betweenness_centrality(plain, normalized=False), 1e-9)
    # NetworkX measures closeness by distances to a node; bfxdb (like Neo4j) by distances from it.
    close(closeness, nx.closeness_centrality(reference.reverse(), wf_improved=False), 1e-12)
    multi = oracle(n, edges)
    assert degree == {node: float(d) for node, d in multi.out_degree()}
    assert weighted == {node: float(d) for node, d in multi.in_degree(weight="weight")}


def test_sampled_betweenness_estimates_the_exact_one_and_is_repeatable():
    rng = random.Random(7)
    edges = [(rng.randint(1, 60), rng.randint(1, 60), "A", 1) for _ in range(240)]
    with load(60, edges) as db:
        exact = db.algorithms.betweenness()
        everyone = db.algorithms.betweenness(sampling_size=60)
        sampled = db.algorithms.betweenness(sampling_size=30, sampling_seed=3)
        again = db.algorithms.betweenness(sampling_size=30, sampling_seed=3)
    assert everyone == exact
    assert sampled == again
    assert sampled != exact
    # the estimate is unbiased: the total over all nodes stays within a fifth of the exact total
    assert sum(sampled.values()) == pytest.approx(sum(exact.values()), rel=0.2)


def modularity_of(graph: nx.Graph, result: dict) -> float:
    return nx.community.modularity(graph, partition(result))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_louvain_and_leiden_modularity_within_2_percent_of_networkx(seed):
    rng = random.Random(seed)
    # planted communities: dense inside ten groups of twenty, sparse between them
    edges = [
        (s, t, "A", 1)
        for s in range(1, 201)
        for t in range(s + 1, 201)
        if rng.random() < (0.3 if (s - 1) // 20 == (t - 1) // 20 else 0.01)
    ]
    reference = nx.Graph()
    reference.add_nodes_from(range(1, 201))
    reference.add_edges_from((s, t) for s, t, _, _ in edges)
    theirs = nx.community.modularity(reference, nx.community.louvain_communities(reference, seed=seed))
    with load(200, edges) as db:
        louvain = modularity_of(reference, db.algorithms.louvain())
        leiden = modularity_of(reference, db.algorithms.leiden())
        propagation = modularity_of(reference, db.algorithms.label_propagation())
    assert louvain >= 0.98 * theirs
    assert leiden >= 0.98 * theirs
    assert propagation > 0.5 * theirs


@EXAMPLES
@given(graphs(), st.data())
def test_shortest_paths_give_exact_weighted_distances(graph, data):
    n, edges = graph
    source, target = data.draw(st.integers(1, n)), data.draw(st.integers(1, n))
    reference = oracle(n, edges, multi=False, weighted=True)
    with load(n, edges) as db:
        every = db.algorithms.all_shortest_paths(source_node=source, weight_property="w")
        path = db.algorithms.dijkstra(source_node=source, target_node=target, weight_property="w")
        astar = db.algorithms.astar(source_node=source, target_node=target, weight_property="w")
        hops = db.algorithms.bfs(source_node=source)
        near = db.algorithms.bfs(source_node=source, max_depth=1)
    expected = nx.single_source_dijkstra_path_length(reference, source, weight="weight")
    assert every == {node: float(d) for node, d in expected.items()}
    assert list(every.values()) == sorted(every.values())
    if target in expected:
        nodes = list(path)
        assert nodes[0] == source and nodes[-1] == target
        assert path[target] == expected[target] == astar[target]
        # every step of the path is a relationship, and the distances along it are exact
        assert all(reference.has_edge(a, b) for a, b in zip(nodes, nodes[1:]))
        assert all(path[node] == expected[node] for node in nodes)
    else:
        assert path == {} == astar
    assert hops == nx.single_source_shortest_path_length(reference, source)
    assert near == {node: d for node, d in hops.items() if d <= 1}


def test_astar_follows_the_heuristic_property_to_the_shortest_path():
    # a grid whose nodes carry their straight-line distance to the far corner, an admissible estimate
    size = 6
    number = {(x, y): x * size + y + 1 for x in range(size) for y in range(size)}
    with bfxdb.connect() as db:
        db.bulk_load(
            [
                {"identity": i, "metadata": {"h": math.hypot(size - 1 - x, size - 1 - y)}}
                for (x, y), i in number.items()
            ],
            [
                {"source": i, "target": number[(x + dx, y + dy)], "rel_type": "R", "metadata": {"w": 1}}
                for (x, y), i in number.items()
                for dx, dy in ((1, 0), (0, 1))
                if (x + dx, y + dy) in number
            ],
        )
        found = db.algorithms.astar(
            source_node=1, target_node=size * size, weight_property="w", heuristic_property="h"
        )
    assert found[size * size] == 2 * (size - 1)
    assert len(found) == 2 * size - 1


def test_projection_by_labels_and_types_keeps_only_those():
    edges = [(1, 2, "A", 1), (2, 3, "B", 1), (3, 4, "A", 1), (1, 3, "B", 1)]
    with load(4, edges) as db:
        everything = db.algorithms.wcc()
        by_type = db.algorithms.wcc(relationship_types=["A"])
        odd = db.algorithms.degree(node_labels=["Odd"], direction="UNDIRECTED")
        reverse = db.algorithms.degree(direction="REVERSE")
    assert partition(everything) == {frozenset({1, 2, 3, 4})}
    assert partition(by_type) == {frozenset({1, 2}), frozenset({3, 4})}
    # nodes 1 and 3 are Odd, joined by one relationship
    assert odd == {1: 1.0, 3: 1.0}
    assert reverse == {1: 0.0, 2: 1.0, 3: 2.0, 4: 1.0}


@pytest.mark.parametrize("seed", [1, 2])
def test_weak_components_of_long_chains_and_a_label_projection_match_networkx(seed):
    # chains of shuffled nodes need many rounds of hooking; random extra links merge some of them
    rng = random.Random(seed)
    n = 3_000
    order = list(range(1, n + 1))
    rng.shuffle(order)
    edges = [(a, b, "A", 1) for a, b in zip(order, order[1:]) if rng.random() > 0.01]
    edges += [(rng.randint(1, n), rng.randint(1, n), "B", 1) for _ in range(20)]
    with load(n, edges) as db:
        db.query("MATCH (x) WHERE x.i % 7 = 0 DETACH DELETE x")
        kept = [i for i in range(1, n + 1) if i % 7]
        weak = db.algorithms.wcc()
        odd = db.algorithms.wcc(node_labels=["Odd"], relationship_types=["A"])
    reference = oracle(n, edges).subgraph(kept)
    assert partition(weak) == {frozenset(c) for c in nx.weakly_connected_components(reference)}
    odd_reference = oracle(n, edges, types=("A",)).subgraph([i for i in kept if i % 2])
    assert partition(odd) == {frozenset(c) for c in nx.weakly_connected_components(odd_reference)}
    # numbered 0, 1, ... as igraph numbers components: in the order of their lowest node
    first_seen = list(dict.fromkeys(weak[i] for i in kept))
    assert first_seen == list(range(len(first_seen)))


@pytest.mark.parametrize("density", [0.5, 1, 2, 4])
def test_weak_components_of_uniform_random_graphs_match_networkx(density):
    # below density 1 many small trees, above one giant component: hooking takes a different number of rounds
    rng = random.Random(density)
    n = 5_000
    edges = [(rng.randint(1, n), rng.randint(1, n), "A", 1) for _ in range(int(density * n))]
    with load(n, edges) as db:
        weak, strong = db.algorithms.wcc(), db.algorithms.scc(direction="UNDIRECTED")
    expected = {frozenset(c) for c in nx.weakly_connected_components(oracle(n, edges))}
    assert partition(weak) == expected
    assert partition(strong) == expected
