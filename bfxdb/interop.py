"""Hand query results and graphs to networkx and pandas, which are imported only when asked for.

Graphs are ``networkx.MultiDiGraph`` objects keyed the way Neo4j's driver examples do it:
node keys are substrate ids (``"0x…"``) with attributes ``labels`` and ``properties`` (and
``expression_type`` / ``expression_code`` when the substrate has an expression); edge keys
are relationship ids with attributes ``type``, ``properties`` and ``bidirectional``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, Protocol

from .model import Path, Relationship, Substrate


class Rows(Protocol):
    """What conversion reads of a query result (``bfxdb.query.Result`` is one)."""

    columns: list[str]
    rows: list[tuple]


def _optional(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install 'bfxdb[{extra}]'") from None


def result_to_networkx(result: Rows) -> Any:
    """Build a graph of every node, relationship and path found anywhere in a query result's rows.

    A relationship whose end nodes are not in the result still adds them, without attributes.

    :param result: a Result from ``Database.query``.
    :returns: a ``networkx.MultiDiGraph``.
    :raises ImportError: when networkx is not installed (the ``networkx`` extra).
    """
    nodes: dict[int, Substrate] = {}
    relationships: dict[int, Relationship] = {}
    for row in result.rows:
        _collect(row, nodes, relationships)
    return graph_to_networkx(nodes.values(), relationships.values())


def graph_to_networkx(substrates: Iterable[Substrate], relationships: Iterable[Relationship]) -> Any:
    """Build a graph of the given substrates and relationships, such as a whole database's.

    :param substrates: the nodes, each added with its attributes.
    :param relationships: the edges; an end node not among `substrates` is added without attributes.
    :returns: a ``networkx.MultiDiGraph``.
    :raises ImportError: when networkx is not installed (the ``networkx`` extra).
    """
    networkx = _optional("networkx", "networkx")
    graph = networkx.MultiDiGraph()
    _fill(graph, substrates, relationships)
    return graph


def result_to_pandas(result: Rows) -> Any:
    """Put a query result in a DataFrame: one column per result column, values as the query gave them.

    :param result: a Result from ``Database.query``.
    :returns: a ``pandas.DataFrame`` (nodes and relationships stay Substrate / Relationship values).
    :raises ImportError: when pandas is not installed (the ``pandas`` extra).
    """
    pandas = _optional("pandas", "pandas")
    return pandas.DataFrame.from_records(list(result.rows), columns=list(result.columns))


def _collect(value: Any, nodes: dict[int, Substrate], relationships: dict[int, Relationship]) -> None:
    if isinstance(value, Substrate):
        nodes[value.identity] = value
    elif isinstance(value, Relationship):
        relationships[value.identity] = value
    elif isinstance(value, Path):
        for node in value.nodes:
            nodes[node.identity] = node
        for relationship in value.relationships:
            relationships[relationship.identity] = relationship
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, nodes, relationships)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, nodes, relationships)


def _fill(graph: Any, nodes: Iterable[Substrate], relationships: Iterable[Relationship]) -> None:
    for node in nodes:
        attributes: dict[str, Any] = {"labels": list(node.labels), "properties": dict(node.metadata)}
        if node.expression_code is not None:
            attributes["expression_type"] = node.expression_type
            attributes["expression_code"] = node.expression_code
        graph.add_node(node.substrate_id, **attributes)
    for rel in relationships:
        graph.add_edge(
            rel.source_id,
            rel.target_id,
            key=rel.relationship_id,
            type=rel.rel_type,
            properties=dict(rel.metadata),
            bidirectional=rel.bidirectional,
        )
