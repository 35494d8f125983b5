"""Search over the graph's properties: vector indexes (exact top-k with NumPy, the optional extra ``vectors``)."""

from __future__ import annotations

from .vectors import EXTRA as VECTORS_EXTRA
from .vectors import (
    MAX_DIMENSIONS,
    MAX_K,
    PROVIDERS,
    SIMILARITIES,
    cosine,
    create_index,
    describe,
    euclidean,
    find_index,
    named,
    numpy,
    vector_index,
)
from .vectors import query as query_vectors

__all__ = [
    "MAX_DIMENSIONS",
    "MAX_K",
    "PROVIDERS",
    "SIMILARITIES",
    "VECTORS_EXTRA",
    "cosine",
    "create_index",
    "describe",
    "euclidean",
    "find_index",
    "named",
    "numpy",
    "query_vectors",
    "vector_index",
]
