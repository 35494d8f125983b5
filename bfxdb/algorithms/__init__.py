"""Graph algorithms over a compact snapshot of the graph (igraph, the optional extra ``algorithms``)."""

from __future__ import annotations

from .api import AlgorithmResult, Algorithms
from .cache import SNAPSHOTS
from .catalogue import ALGORITHMS, Algorithm
from .library import EXTRA, igraph
from .projection import DIRECTIONS, PROJECTION_KEYS, Projection, read_projection
from .runner import WRITE_KEY, run
from .snapshot import Snapshot, take_snapshot, write_property

__all__ = [
    "ALGORITHMS",
    "DIRECTIONS",
    "EXTRA",
    "PROJECTION_KEYS",
    "SNAPSHOTS",
    "WRITE_KEY",
    "Algorithm",
    "AlgorithmResult",
    "Algorithms",
    "Projection",
    "Snapshot",
    "igraph",
    "read_projection",
    "run",
    "take_snapshot",
    "write_property",
]
