"""Divide: the nine Fibonacci dimensions of a substrate, with stable derived identities."""

from __future__ import annotations

from dataclasses import dataclass

from .identity import dimension_id, format_id

#: (Fibonacci level, name, description) of each dimension, in order.
DIMENSIONS: tuple[tuple[int, str, str], ...] = (
    (0, "Void", "the potential before anything is defined"),
    (1, "Identity", "the substrate as a single point: what it is"),
    (1, "Domain", "the space of inputs the substrate accepts"),
    (2, "Length", "one extent: a line through the domain"),
    (3, "Area", "two extents: a surface of relations"),
    (5, "Volume", "three extents: the full body of the substrate"),
    (8, "Frequency", "change over repetition: how the substrate behaves in time"),
    (13, "System", "the substrate among others: its connections"),
    (21, "Complete", "the whole, ready to become a point of a higher substrate"),
)

PART_TO_WHOLE = "PART_TO_WHOLE"


@dataclass(frozen=True, slots=True)
class Dimension:
    """One of the nine dimensions of a parent substrate."""

    index: int
    level: int
    name: str
    description: str
    identity: int
    parent: int

    @property
    def substrate_id(self) -> str:
        """The derived identity in canonical hex form."""
        return format_id(self.identity)

    def to_dict(self) -> dict:
        """Render with the HTTP field names."""
        return {
            "index": self.index,
            "level": self.level,
            "name": self.name,
            "description": self.description,
            "substrate_id": self.substrate_id,
            "identity": self.identity,
            "parent_id": format_id(self.parent),
        }


def divide(parent: int) -> list[Dimension]:
    """Split a substrate into its nine dimensions; the same parent always gives the same ids.

    :param parent: the unsigned identity of the substrate divided.
    """
    return [
        Dimension(index, level, name, description, dimension_id(parent, index), parent)
        for index, (level, name, description) in enumerate(DIMENSIONS)
    ]
