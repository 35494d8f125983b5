"""Full-text indexes from the query side: their Cypher options, and the queries of db.index.fulltext.*."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import QueryArgumentError
from ..storage import FULLTEXT_ANALYZERS, FULLTEXT_DEFAULT_ANALYZER, FULLTEXT_PROVIDER, Backend, SearchIndex
from . import lucene

#: Most hits one call gives (its ``limit`` at most, and the limit when none is given).
MAX_HITS = 100_000
#: The indexConfig key naming an index's analyzer, as Neo4j spells it.
ANALYZER_OPTION = "fulltext.analyzer"
#: An indexConfig key bfxdb accepts and has no use for: its indexes are never behind their data.
_CONSISTENCY_OPTION = "fulltext.eventually_consistent"
_QUERY_OPTIONS = ("skip", "limit")


def _refuse(message: str) -> QueryArgumentError:
    return QueryArgumentError(message, "InvalidArgumentValue")


def fulltext_index(
    name: str, entity_type: str, labels: tuple[str, ...], properties: tuple[str, ...], options: Mapping[str, Any]
) -> SearchIndex:
    """The full-text index CREATE FULLTEXT INDEX describes, its OPTIONS checked.

    :param options: the OPTIONS map: ``indexProvider`` (fts5-1.0) and ``indexConfig`` with
        ``fulltext.analyzer`` and ``fulltext.eventually_consistent``.
    :raises QueryArgumentError: for an option bfxdb does not know or a value it cannot take.
    """
    unknown = set(options) - {"indexProvider", "indexConfig"}
    if unknown:
        raise _refuse(f"unknown full-text index option {sorted(unknown)[0]!r}; use indexConfig or indexProvider")
    provider = options.get("indexProvider", FULLTEXT_PROVIDER)
    if provider != FULLTEXT_PROVIDER:
        raise _refuse(f"full-text indexes use the provider {FULLTEXT_PROVIDER!r}, not {provider!r}")
    config = options.get("indexConfig", {})
    if not isinstance(config, dict):
        raise _refuse("indexConfig must be a map")
    unknown = set(config) - {ANALYZER_OPTION, _CONSISTENCY_OPTION}
    if unknown:
        raise _refuse(f"unknown full-text indexConfig setting {sorted(unknown)[0]!r}")
    analyzer = config.get(ANALYZER_OPTION, FULLTEXT_DEFAULT_ANALYZER)
    if analyzer not in FULLTEXT_ANALYZERS:
        raise _refuse(
            f"unknown full-text analyzer {analyzer!r}; CALL db.index.fulltext.listAvailableAnalyzers() lists them"
        )
    if not isinstance(config.get(_CONSISTENCY_OPTION, False), bool):
        raise _refuse(f"{_CONSISTENCY_OPTION} must be a boolean")
    if len(set(properties)) < len(properties):
        raise _refuse("a full-text index names each property once")
    return SearchIndex(name, "FULLTEXT", entity_type, tuple(dict.fromkeys(labels)), properties, {"analyzer": analyzer})


def index_config(index: SearchIndex) -> dict[str, Any]:
    """The OPTIONS SHOW INDEXES gives a full-text index, as Neo4j shows them."""
    return {
        "indexProvider": FULLTEXT_PROVIDER,
        "indexConfig": {
            ANALYZER_OPTION: index.options.get("analyzer", FULLTEXT_DEFAULT_ANALYZER),
            _CONSISTENCY_OPTION: False,
        },
    }


def analyzer_rows() -> list[tuple[str, str, list[str]]]:
    """The rows of db.index.fulltext.listAvailableAnalyzers: (analyzer, description, stopwords)."""
    return [(name, description, []) for name, (_tokenizer, description) in sorted(FULLTEXT_ANALYZERS.items())]


def _paging(options: Any) -> tuple[int, int]:
    if options is None:
        return 0, MAX_HITS
    unknown = set(options) - set(_QUERY_OPTIONS)
    if unknown:
        raise _refuse(f"unknown full-text query option {sorted(unknown)[0]!r}; use skip and limit")
    paging = []
    for key, default in (("skip", 0), ("limit", MAX_HITS)):
        value = options.get(key, default)
        if value is None:
            value = default
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _refuse(f"the full-text query option {key} must be an integer of at least 0")
        paging.append(value)
    if paging[1] > MAX_HITS:
        raise _refuse(f"a full-text query gives at most {MAX_HITS:,} hits: limit {paging[1]:,} is too many")
    return paging[0], paging[1]


def query_fulltext(
    store: Backend, name: str, entity_type: str, text: str, options: Mapping[str, Any] | None = None
) -> list[tuple[int, float]]:
    """Search a full-text index: (identity, score) of the entities matching, best score first.

    :param entity_type: NODE for queryNodes, RELATIONSHIP for queryRelationships.
    :param text: query text in Lucene's classic syntax (see bfxdb.search.lucene).
    :param options: ``skip`` and ``limit``, integers of at least 0 (limit at most MAX_HITS).
    :raises QueryArgumentError: for an index that does not exist or covers the other entity type,
        or a bad option; FulltextQueryError for query text that does not parse.
    """
    found = [index for index in store.search_indexes("FULLTEXT") if index.name == name]
    if not found:
        raise QueryArgumentError(f"there is no full-text index named {name!r}", "IndexNotFound")
    index = found[0]
    if index.entity_type != entity_type:
        other = "queryRelationships" if index.entity_type == "RELATIONSHIP" else "queryNodes"
        raise _refuse(f"full-text index {name!r} is on {index.entity_type.lower()}s: query it with {other}")
    skip, limit = _paging(options)
    match = lucene.to_fts5(lucene.parse(text), {key: f"c{n}" for n, key in enumerate(index.properties)})
    if match is None or limit == 0:
        return []
    return store.fulltext_search(index, match, skip, limit)
