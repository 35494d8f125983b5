"""The values bfxdb hands out: Substrate (a node), Relationship (an edge) and Path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .identity import format_id


class Substrate(NamedTuple):
    """A stored node: identity, labels, metadata (its Cypher properties) and an optional expression.

    Equality is identity: two values for the same stored substrate compare equal. A named
    tuple rather than a frozen dataclass because reads build one per row and it is 3x cheaper.
    """

    identity: int
    labels: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = {}
    expression_type: str | None = None
    expression_code: str | None = None
    created_at: str | None = None

    @property
    def substrate_id(self) -> str:
        """The identity in canonical hex form, e.g. ``0x037FC83C476BB89F``."""
        return format_id(self.identity)

    @property
    def properties(self) -> Mapping[str, Any]:
        """The metadata under its Cypher name."""
        return self.metadata

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Substrate) and other.identity == self.identity

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("substrate", self.identity))

    def to_dict(self) -> dict[str, Any]:
        """Render with the seed's HTTP field names."""
        return {
            "substrate_id": self.substrate_id,
            "identity": self.identity,
            "labels": list(self.labels),
            "metadata": dict(self.metadata),
            "expression_type": self.expression_type,
            "expression_code": self.expression_code,
            "created_at": self.created_at,
        }


class Relationship(NamedTuple):
    """A stored, typed, directed edge from ``source`` to ``target`` (both unsigned identities).

    Equality is identity, as for Substrate.
    """

    identity: int
    source: int
    target: int
    rel_type: str
    metadata: Mapping[str, Any] = {}
    bidirectional: bool = False
    created_at: str | None = None

    @property
    def relationship_id(self) -> str:
        """The identity in canonical hex form."""
        return format_id(self.identity)

    @property
    def source_id(self) -> str:
        """The source substrate's identity in canonical hex form."""
        return format_id(self.source)

    @property
    def target_id(self) -> str:
        """The target substrate's identity in canonical hex form."""
        return format_id(self.target)

    @property
    def properties(self) -> Mapping[str, Any]:
        """The metadata under its Cypher name."""
        return self.metadata

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Relationship) and other.identity == self.identity

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("relationship", self.identity))

    def to_dict(self) -> dict[str, Any]:
        """Render with the seed's HTTP field names."""
        return {
            "relationship_id": self.relationship_id,
            "identity": self.identity,
            "rel_type": self.rel_type,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "bidirectional": self.bidirectional,
            "metadata": dict(self.metadata),
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class Path:
    """A walk through the graph: ``len(nodes) == len(relationships) + 1``, in walk order."""

    nodes: tuple[Substrate, ...]
    relationships: tuple[Relationship, ...] = ()

    def __len__(self) -> int:
        return len(self.relationships)

    def to_dict(self) -> dict[str, Any]:
        """Render as lists of node and relationship dicts."""
        return {
            "nodes": [node.to_dict() for node in self.nodes],
            "relationships": [rel.to_dict() for rel in self.relationships],
        }

