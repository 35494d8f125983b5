"""Search over the graph: full-text queries in Lucene's syntax on the FTS5 indexes storage keeps."""

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

__all__ = [
    "ANALYZER_OPTION",
    "MAX_DEPTH",
    "MAX_HITS",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "analyzer_rows",
    "fulltext_index",
    "index_config",
    "parse",
    "query_fulltext",
    "to_fts5",
]
