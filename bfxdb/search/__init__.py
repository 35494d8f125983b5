"""Search over the graph's properties: full-text queries on FTS5 indexes, exact vector top-k (NumPy)."""

from __future__ import annotations

from .fulltext import (
    ANALYZER_OPTION,
    MAX_HITS,
    analyzer_rows,
    fulltext_index,
    index_config,
    query_fulltext,
)
from .lucene import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, parse, to_fts5
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
    "ANALYZER_OPTION",
    "MAX_DEPTH",
    "MAX_DIMENSIONS",
    "MAX_HITS",
    "MAX_K",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "PROVIDERS",
    "SIMILARITIES",
    "VECTORS_EXTRA",
    "analyzer_rows",
    "cosine",
    "create_index",
    "describe",
    "euclidean",
    "find_index",
    "fulltext_index",
    "index_config",
    "named",
    "numpy",
    "parse",
    "query_fulltext",
    "query_vectors",
    "to_fts5",
    "vector_index",
]
