"""The projection an algorithm runs on: which nodes, which relationships, which way, weighted by what."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput

#: How relationships are followed: as stored, against their direction, or both ways.
DIRECTIONS = ("NATURAL", "REVERSE", "UNDIRECTED")
#: The configuration keys every algorithm reads (besides its own).
PROJECTION_KEYS = frozenset({"nodeLabels", "relationshipTypes", "direction", "weightProperty", "defaultWeight"})


@dataclass(frozen=True, slots=True)
class Projection:
    """A view of the graph: nodes with any of ``labels`` (all when empty), relationships of any of
    ``types`` (all when empty) between them, followed in ``direction``, weighted by the number in
    ``weight`` (``default_weight`` where a relationship lacks it; unweighted when ``weight`` is None)."""

    labels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    direction: str = "NATURAL"
    weight: str | None = None
    default_weight: float = 1.0


def read_projection(config: Mapping[str, Any]) -> Projection:
    """Read the projection keys of an algorithm's configuration map.

    :raises InvalidInput: for a key of the wrong type or an unknown direction.
    """
    labels = _names(config.get("nodeLabels"), "nodeLabels")
    types = _names(config.get("relationshipTypes"), "relationshipTypes")
    direction = config.get("direction", "NATURAL")
    if not isinstance(direction, str) or direction.upper() not in DIRECTIONS:
        raise InvalidInput(f"direction must be one of {', '.join(DIRECTIONS)}")
    weight = config.get("weightProperty")
    if weight is not None and not isinstance(weight, str):
        raise InvalidInput("weightProperty must be a property name or null")
    default = config.get("defaultWeight", 1.0)
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        raise InvalidInput("defaultWeight must be a number")
    return Projection(labels, types, direction.upper(), weight, float(default))


def _names(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"{key} must be a list of names")
    return tuple(value)
