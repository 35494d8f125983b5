"""The graph library the algorithms run on (igraph, the optional extra ``algorithms``), and the graph built for it."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import ExtraMissing
from .snapshot import Snapshot

#: The extra that installs the library, as the error tells the user to install it.
EXTRA = "algorithms"


def igraph() -> Any:
    """The igraph module.

    :raises ExtraMissing: when it is not installed, naming the extra that installs it.
    """
    try:
        return importlib.import_module("igraph")
    except ImportError:
        raise ExtraMissing(
            f"graph algorithms need igraph: pip install 'bfxdb[{EXTRA}]'", extra=EXTRA
        ) from None


def build(snapshot: Snapshot, directed: bool, simple: bool = False) -> Any:
    """The snapshot as an igraph Graph whose vertex i is the snapshot's node i and edge k its relationship k.

    :param directed: keep the relationships' direction; False joins both ways.
    :param simple: fold parallel relationships into one and drop self-loops (weights are summed),
        for the measures defined on simple graphs (cores, triangles, clustering).
    """
    graph = igraph().Graph(n=snapshot.size, directed=directed)
    graph.add_edges(zip(snapshot.sources, snapshot.targets))  # from an iterator: a third faster than a list
    if snapshot.weights is not None:
        graph.es["weight"] = list(snapshot.weights)
    if simple:
        graph.simplify(combine_edges="sum" if snapshot.weights is not None else None)
    return graph


def weights(graph: Any) -> Any:
    """The name of the weight attribute for igraph, or None for an unweighted graph."""
    return "weight" if "weight" in graph.es.attributes() else None
