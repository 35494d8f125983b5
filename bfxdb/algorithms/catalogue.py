"""Every algorithm: its procedure and method names, what it yields, the options it reads, and how it runs."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput
from .library import build, weak_components, weights
from .louvain import MAX_ITERATIONS, MAX_LEVELS, TOLERANCE, louvain
from .pagerank import MOST_DAMPING, pagerank
from .pagerank import TOLERANCE as PAGERANK_TOLERANCE
from .snapshot import Snapshot

#: A computed result: a value for every node index, or {node index: value} for the nodes it reached, in row order.
Values = list[Any] | dict[int, Any]


#: Seconds igraph takes at least per vertex or edge it visits: a tenth of what it took for WCC on
#: the benchmark's 1M-node graph, so only a graph clearly too big for the time left is refused.
VISIT = 1e-8
#: Seconds igraph's Leiden takes at least per relationship ** 1.5, for it grows faster than
#: linearly (benchmarks/README.md, "Algorithms"): a tenth of what it took on uniform random graphs
#: of 100k nodes.
LEIDEN = 5e-10
#: Visits of each node and relationship bfxdb's Louvain makes at the least: it took 2.7 microseconds
#: per node or relationship at 1M nodes (benchmarks/README.md), some 25 times VISIT over a tenth.
LOUVAIN_VISITS = 25


#: The option under which the runner passes the function that raises QueryTimeout once the time
#: limit has passed (not a key a caller can give: unknown keys are refused before).
CHECK = "check"


def _linear(nodes: int, relationships: int, config: Mapping[str, Any]) -> float:
    return (nodes + relationships) * VISIT


def _iterated(nodes: int, relationships: int, config: Mapping[str, Any]) -> float:
    # PageRank sweeps the graph some ten times at the least; once without damping (the answer is the jump)
    damping = config.get("dampingFactor")
    sweeps = 1 if damping == 0 and not isinstance(damping, bool) else 10
    return sweeps * _linear(nodes, relationships, config)


def _moved(nodes: int, relationships: int, config: Mapping[str, Any]) -> float:
    return LOUVAIN_VISITS * _linear(nodes, relationships, config)


def _from_each_source(nodes: int, relationships: int, config: Mapping[str, Any]) -> float:
    # one traversal from every node, or from each of samplingSize of them
    sample = config.get("samplingSize")
    sources = min(sample, nodes) if isinstance(sample, int) and not isinstance(sample, bool) else nodes
    return sources * _linear(nodes, relationships, config)


def _superlinear(rate: float) -> Callable[[int, int, Mapping[str, Any]], float]:
    def cost(nodes: int, relationships: int, config: Mapping[str, Any]) -> float:
        return _linear(nodes, relationships, config) + rate * relationships**1.5

    return cost


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One algorithm: ``procedure`` is its CALL name, ``method`` its name on ``db.algorithms``; each row
    is a node and its ``column`` value of Cypher type ``kind``; ``options`` are the keys it reads
    besides the projection's; ``source`` says whether it needs a ``sourceNode``; ``cost`` gives the
    seconds it takes at the least on a graph of so many nodes and relationships with that configuration."""

    procedure: str
    method: str
    column: str
    kind: str
    compute: Callable[[Snapshot, Mapping[str, Any], list[int]], Values]
    options: frozenset[str]
    description: str
    source: bool = False
    cost: Callable[[int, int, Mapping[str, Any]], float] = _linear


def _number(config: Mapping[str, Any], key: str, default: float, low: float = 0.0, high: float = math.inf) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidInput(f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


def _count(config: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = config.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInput(f"{key} must be a positive integer")
    return value


def _directed(snapshot: Snapshot) -> bool:
    return snapshot.projection.direction != "UNDIRECTED"


def _dense(values: Any) -> Values:
    return values if isinstance(values, list) else list(values)


def _pagerank(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    # Power iteration stops within tolerance of the exact scores (summed over all nodes) and PRPACK
    # solves the linear system exactly, so maxIterations only bounds what callers expect of power
    # iteration: it is checked, and the answer is at least as close.
    _count(config, "maxIterations", 20)
    tolerance = _number(config, "tolerance", PAGERANK_TOLERANCE)
    damping = _number(config, "dampingFactor", 0.85, 0.0, 1.0)
    _check_weights(snapshot, "PageRank needs")
    if damping <= MOST_DAMPING:
        return pagerank(snapshot, _directed(snapshot), damping, sources, config.get(CHECK), tolerance)
    graph = build(snapshot, _directed(snapshot))
    if sources:
        scores = graph.personalized_pagerank(damping=damping, weights=weights(graph), reset_vertices=sources)
    else:
        scores = graph.pagerank(damping=damping, weights=weights(graph))
    return _dense(scores)


def _weak_components(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    return weak_components(snapshot)


def _strong_components(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    if not _directed(snapshot):
        # each relationship followed both ways: whatever one end reaches, the other reaches back
        return weak_components(snapshot)
    return _dense(build(snapshot, True).connected_components(mode="strong").membership)


def _louvain(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    _check_weights(snapshot, "Louvain needs")
    return louvain(
        snapshot,
        resolution=_number(config, "resolution", 1.0),
        max_iterations=_count(config, "maxIterations", MAX_ITERATIONS) or MAX_ITERATIONS,
        max_levels=_count(config, "maxLevels", MAX_LEVELS) or MAX_LEVELS,
        tolerance=_number(config, "tolerance", TOLERANCE),
        check=config.get(CHECK),
    )


def _leiden(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    resolution = _number(config, "resolution", 1.0)
    iterations = _count(config, "maxIterations", 2)
    graph = build(snapshot, False)
    found = graph.community_leiden(
        objective_function="modularity", weights=weights(graph), resolution=resolution, n_iterations=iterations
    )
    return _dense(found.membership)


def _label_propagation(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    graph = build(snapshot, False)
    return _dense(graph.community_label_propagation(weights=weights(graph)).membership)


def _kcore(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    return _dense(build(snapshot, False, simple=True).coreness())


def _triangles(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    counts = [0] * snapshot.size
    for triangle in build(snapshot, False, simple=True).list_triangles():
        for vertex in triangle:
            counts[vertex] += 1
    return _dense(counts)


def _clustering(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    return _dense(build(snapshot, False, simple=True).transitivity_local_undirected(mode="zero"))


def _betweenness(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    sample = _count(config, "samplingSize", None)
    seed = config.get("samplingSeed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInput("samplingSeed must be an integer")
    graph = build(snapshot, _directed(snapshot))
    if sample is None or sample >= snapshot.size:
        return _dense(graph.betweenness(directed=graph.is_directed(), weights=weights(graph)))
    # Brandes' estimate from a sample of sources: each sampled source stands for size / sample of them.
    chosen = random.Random(seed).sample(range(snapshot.size), sample)
    scale = snapshot.size / sample
    partial = graph.betweenness(directed=graph.is_directed(), weights=weights(graph), sources=chosen)
    return _dense(value * scale for value in partial)


def _closeness(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    graph = build(snapshot, _directed(snapshot))
    scores = graph.closeness(mode="out", weights=weights(graph), normalized=True)
    return _dense(0.0 if math.isnan(score) else score for score in scores)


def _degree(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    graph = build(snapshot, _directed(snapshot))
    return _dense(graph.strength(mode="out", weights=weights(graph)))


def _target(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> tuple[Any, int, int]:
    if len(sources) != 1 or "target" not in config:
        raise InvalidInput("a shortest path needs one sourceNode and a targetNode")
    graph = build(snapshot, _directed(snapshot))
    _check_weights(snapshot)
    return graph, sources[0], config["target"]


def _check_weights(snapshot: Snapshot, needing: str = "shortest paths need") -> None:
    # a weight read from JSON is finite; a negative one has no meaning as a length or a chance
    if snapshot.weighted and any(weight < 0 for weight in snapshot.weights or ()):
        raise InvalidInput(f"{needing} weights of zero or more")


def _along(graph: Any, source: int, edges: list[int]) -> Values:
    """Each node of a path given by its edges, with the distance walked to reach it."""
    reached: Values = {source: 0.0}
    node, walked = source, 0.0
    attribute = weights(graph)
    for edge in edges:
        walked += graph.es[edge][attribute] if attribute else 1.0
        node = graph.es[edge].target if graph.es[edge].source == node else graph.es[edge].source
        reached[node] = walked
    return reached


def _dijkstra(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    graph, source, target = _target(snapshot, config, sources)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # igraph warns of an unreachable target; {} says it
        edges = graph.get_shortest_paths(source, to=target, weights=weights(graph), mode="out", output="epath")[0]
    if not edges and source != target:
        return {}
    return _along(graph, source, edges)


def _astar(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    graph, source, target = _target(snapshot, config, sources)
    # Without heuristicProperty every estimate is 0 and A* is Dijkstra; an estimate must not exceed
    # the true distance left, or the path found may not be the shortest.
    estimates = config.get("heuristic") or [0.0] * snapshot.size

    def heuristic(_graph: Any, vertex: int, _target: int) -> float:
        return estimates[vertex]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        edges = graph.get_shortest_path_astar(source, target, heuristic, weights=weights(graph), output="epath")
    if not edges and source != target:
        return {}
    return _along(graph, source, edges)


def _all_shortest(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    if len(sources) != 1:
        raise InvalidInput("allShortestPaths needs one sourceNode")
    _check_weights(snapshot)
    graph = build(snapshot, _directed(snapshot))
    distances = graph.distances(source=sources, weights=weights(graph), mode="out")[0]
    order = sorted((d, i) for i, d in enumerate(distances) if not math.isinf(d))
    return {index: distance for distance, index in order}


def _bfs(snapshot: Snapshot, config: Mapping[str, Any], sources: list[int]) -> Values:
    if len(sources) != 1:
        raise InvalidInput("bfs needs one sourceNode")
    depth = _count(config, "maxDepth", None)
    graph = build(snapshot, _directed(snapshot))
    order, layers, _parents = graph.bfs(sources[0], mode="out")
    reached: Values = {}
    for level, (start, end) in enumerate(zip(layers, layers[1:])):
        if depth is not None and level > depth:
            break
        for vertex in order[start:end]:
            reached[vertex] = level
    return reached


_SOURCE = frozenset({"sourceNode"})
_PAGERANK = frozenset({"dampingFactor", "maxIterations", "tolerance"})
ALGORITHMS = (
    Algorithm("algo.pageRank", "pagerank", "score", "FLOAT", _pagerank, _PAGERANK,
              "PageRank of every node (dampingFactor, maxIterations, tolerance).", cost=_iterated),
    Algorithm("algo.personalizedPageRank", "personalized_pagerank", "score", "FLOAT", _pagerank,
              _PAGERANK | {"sourceNodes"}, "PageRank restarting at sourceNodes.", cost=_iterated),
    Algorithm("algo.wcc", "wcc", "componentId", "INTEGER", _weak_components, frozenset(),
              "Weakly connected components."),
    Algorithm("algo.scc", "scc", "componentId", "INTEGER", _strong_components, frozenset(),
              "Strongly connected components (the weak ones with direction UNDIRECTED)."),
    Algorithm("algo.louvain", "louvain", "communityId", "INTEGER", _louvain,
              frozenset({"resolution", "maxIterations", "maxLevels", "tolerance"}),
              "Louvain communities (modularity), relationships taken both ways.", cost=_moved),
    Algorithm("algo.leiden", "leiden", "communityId", "INTEGER", _leiden, frozenset({"resolution", "maxIterations"}),
              "Leiden communities (modularity), relationships taken both ways.", cost=_superlinear(LEIDEN)),
    Algorithm("algo.labelPropagation", "label_propagation", "communityId", "INTEGER", _label_propagation,
              frozenset(), "Label propagation communities."),
    Algorithm("algo.kcore", "kcore", "coreValue", "INTEGER", _kcore, frozenset(),
              "The core number of every node."),
    Algorithm("algo.triangleCount", "triangle_count", "triangleCount", "INTEGER", _triangles, frozenset(),
              "How many triangles each node is in."),
    Algorithm("algo.localClusteringCoefficient", "local_clustering_coefficient", "score", "FLOAT", _clustering,
              frozenset(), "The local clustering coefficient of every node."),
    Algorithm("algo.betweenness", "betweenness", "score", "FLOAT", _betweenness,
              frozenset({"samplingSize", "samplingSeed"}),
              "Betweenness centrality, exact or estimated from samplingSize sources.", cost=_from_each_source),
    Algorithm("algo.closeness", "closeness", "score", "FLOAT", _closeness, frozenset(),
              "Closeness centrality over the nodes each node reaches.", cost=_from_each_source),
    Algorithm("algo.degree", "degree", "score", "FLOAT", _degree, frozenset(),
              "Degree (or weighted degree) of every node, along the projection's direction."),
    Algorithm("algo.shortestPath.dijkstra", "dijkstra", "distance", "FLOAT", _dijkstra,
              _SOURCE | {"targetNode"}, "The nodes of a shortest path from sourceNode to targetNode.", True),
    Algorithm("algo.shortestPath.astar", "astar", "distance", "FLOAT", _astar,
              _SOURCE | {"targetNode", "heuristicProperty"},
              "A* from sourceNode to targetNode, guided by a node property estimating the distance left.", True),
    Algorithm("algo.allShortestPaths", "all_shortest_paths", "distance", "FLOAT", _all_shortest, _SOURCE,
              "The distance from sourceNode to every node it reaches.", True),
    Algorithm("algo.bfs", "bfs", "distance", "INTEGER", _bfs, _SOURCE | {"maxDepth"},
              "Breadth-first search from sourceNode: every node reached and its depth.", True),
)
