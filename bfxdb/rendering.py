"""Render values for people and for JSON, the same in every face."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .model import Path, Relationship, Substrate
from .query import format_number

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def to_text(value: Any, nested: bool = False) -> str:
    """Write a value the way Cypher shows it: numbers as ``toString`` does, ``(0x…:Label {name: "x"})`` for a node.

    Floats read ``1.0E-5``, ``3.0``, ``NaN``; temporal values their ISO text; relationships
    ``(a)-[:TYPE {…}]->(b)``; paths node, relationship, node, ...; lists ``[…]``; maps ``{key: …}``.

    :param value: a query result value (or any JSON-like value).
    :param nested: inside a list or map, where strings are quoted to keep them apart.
    :returns: the text.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if nested else value
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, Substrate):
        return _node_text(value)
    if isinstance(value, Relationship):
        return f"({value.source_id})-{_rel_text(value)}->({value.target_id})"
    if isinstance(value, Path):
        return _path_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_text(item, True) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {to_text(item, True)}" for key, item in value.items()) + "}"
    return str(value)


def _properties_text(properties: Mapping[str, Any] | None) -> str:
    return " " + to_text(dict(properties), True) if properties else ""


def _node_text(node: Substrate) -> str:
    labels = "".join(f":{label}" for label in node.labels)
    return f"({node.substrate_id}{labels}{_properties_text(node.metadata)})"


def _rel_text(rel: Relationship) -> str:
    return f"[:{rel.rel_type}{_properties_text(rel.metadata)}]"


def _path_text(path: Path) -> str:
    parts = [_node_text(path.nodes[0])]
    for rel, node in zip(path.relationships, path.nodes[1:]):
        forward = rel.target == node.identity
        parts.append(f"-{_rel_text(rel)}->" if forward else f"<-{_rel_text(rel)}-")
        parts.append(_node_text(node))
    return "".join(parts)


def to_json_value(value: Any) -> Any:
    """Convert a value into one that ``json.dumps`` renders as strict JSON.

    Substrates, relationships, paths and dimensions become their ``to_dict()`` objects; lists and
    maps are converted item by item; NaN and infinities become the strings ``NaN``, ``Infinity``
    and ``-Infinity`` (JSON has no such numbers); other types (temporal values) become their text.

    :param value: a query result, an expression's result, or any JSON-like value.
    :returns: a JSON-ready value: dicts, lists, strings, finite numbers, booleans and None.
    """
    # The common scalars first: a query answer converts every value of every row.
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else _NON_FINITE[value]
    # Entities before sequences: a Substrate or Relationship is also a tuple.
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_json_value(to_dict())
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    return str(value)
