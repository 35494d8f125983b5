"""The libraries the algorithms run on (igraph and NumPy, the extra ``algorithms``) and the graphs built for them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import ExtraMissing

if TYPE_CHECKING:
    from .snapshot import Snapshot

#: The extra that installs the library, as the error tells the user to install it.
EXTRA = "algorithms"


def _module(name: str, label: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ExtraMissing(f"graph algorithms need {label}: pip install 'bfxdb[{EXTRA}]'", extra=EXTRA) from None


def igraph() -> Any:
    """The igraph module.

    :raises ExtraMissing: when it is not installed, naming the extra that installs it.
    """
    return _module("igraph", "igraph")


def numpy() -> Any:
    """The NumPy module, which holds a snapshot's columns and finds weak components and PageRank.

    :raises ExtraMissing: when it is not installed, naming the extra that installs it.
    """
    return _module("numpy", "NumPy")


def weak_components(snapshot: Snapshot) -> list[int]:
    """Each node's weak component, numbered 0, 1, ... in the order of their lowest nodes (as igraph
    numbers them), found with NumPy alone.

    Hooking and pointer jumping (after Shiloach and Vishkin): ``parent`` is a forest whose links
    point to lower indices within one component, and each relationship is a pair of roots, at
    first its own ends. Each round links every higher root to the lowest root it is paired with,
    points the roots of the round before at their new roots, and moves each pair to its roots'
    roots, dropping the pairs that now share one (they always will). When no pair is left, each
    component is one tree, and every node is pointed at its root. On the benchmark's 1M-node
    graph this takes 4 rounds, and pointing only the roots of the round before (1M, then 245k,
    26k and 19k) costs a fraction of flattening the whole forest each round.
    """
    np = numpy()
    # np.take, not parent[...]: with int32 indices it takes half the time
    indices = np.arange(snapshot.size, dtype=snapshot.sources.dtype)
    parent = indices.copy()
    roots = None  # the roots before the round: at first every node
    # a self-loop links a node to itself, a no-op; the first round drops it with the pairs that share a root
    above, below = snapshot.sources, snapshot.targets
    while len(above):
        np.minimum.at(parent, np.maximum(above, below), np.minimum(above, below))
        _point_at_roots(np, parent, roots)
        roots = np.flatnonzero(parent == indices) if roots is None else roots[parent[roots] == roots]
        above, below = np.take(parent, above), np.take(parent, below)
        apart = above != below
        above, below = above[apart], below[apart]
    _point_at_roots(np, parent, None)
    components: list[int] = np.take(np.cumsum(parent == indices) - 1, parent).tolist()
    return components


def _point_at_roots(np: Any, parent: Any, nodes: Any) -> None:
    """Point each of ``nodes`` (every node when None) straight at its root by pointer jumping, each
    jump halving the way left."""
    while True:
        up = parent if nodes is None else parent[nodes]
        jumped = np.take(parent, up)
        if np.array_equal(jumped, up):
            return
        if nodes is None:
            parent[:] = jumped
        else:
            parent[nodes] = jumped


def build(snapshot: Snapshot, directed: bool, simple: bool = False) -> Any:
    """The snapshot's graph as an algorithm needs it; vertex i is the snapshot's node i.

    The snapshot's own graph when it is used as it is, otherwise a copy: it may be reused.

    :param directed: keep the relationships' direction; False joins both ways (each relationship
        an edge, as stored).
    :param simple: fold parallel relationships into one and drop self-loops (weights are summed),
        for the measures defined on simple graphs (cores, triangles, clustering).
    """
    graph = snapshot.graph
    if not directed:
        graph = graph.as_undirected(mode="each")
    elif simple:
        graph = graph.copy()
    if simple:
        graph.simplify(combine_edges="sum" if snapshot.weighted else None)
    return graph


def weights(graph: Any) -> Any:
    """The name of the weight attribute for igraph, or None for an unweighted graph."""
    return "weight" if "weight" in graph.es.attributes() else None
