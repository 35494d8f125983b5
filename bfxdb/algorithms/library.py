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
    """The NumPy module, which holds a snapshot's columns and finds weak components.

    :raises ExtraMissing: when it is not installed, naming the extra that installs it.
    """
    return _module("numpy", "NumPy")


def weak_components(snapshot: Snapshot) -> list[int]:
    """Each node's weak component, numbered 0, 1, ... in the order of their lowest nodes (as igraph
    numbers them), found with NumPy alone.

    Hooking and pointer jumping (after Shiloach and Vishkin): ``parent`` is a forest whose links
    point to lower indices within one component. Each round, for every relationship whose ends
    have different roots, the higher root is linked to the lower one where that lowers it, and the
    forest is flattened until every node points at its root; a relationship whose ends share a
    root keeps sharing it, so it is dropped. When none is left, each component is one tree. On the
    benchmark's 1M-node graph this takes 4 rounds and under half what igraph's needs, without
    building igraph's graph at all.
    """
    np = numpy()
    sources, targets = snapshot.sources, snapshot.targets
    parent = np.arange(snapshot.size, dtype=sources.dtype)
    while len(sources):
        above, below = parent[sources], parent[targets]
        apart = above != below
        sources, targets, above, below = sources[apart], targets[apart], above[apart], below[apart]
        low, high = np.minimum(above, below), np.maximum(above, below)
        lowers = low < parent[high]
        # of several links to one root, any one wins: each is lower, so every round makes progress
        parent[high[lowers]] = low[lowers]
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots = parent == np.arange(snapshot.size, dtype=parent.dtype)
    components: list[int] = (np.cumsum(roots) - 1)[parent].tolist()
    return components


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
