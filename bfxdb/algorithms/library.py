"""The graph library the algorithms run on (igraph, the optional extra ``algorithms``), and the graph built for it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import ExtraMissing

if TYPE_CHECKING:
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
