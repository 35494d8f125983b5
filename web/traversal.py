"""Neighbours to depth k: a breadth-first walk over the library's outgoing()/incoming() lists."""

from __future__ import annotations

import bfxdb

#: Relationship lists fetched per walk at most, so a hub-heavy graph cannot stall a request thread.
MAX_EXPANSIONS = 10_000


def neighbours(
    db: bfxdb.Database,
    start: str,
    depth: int,
    direction: str,
    rel_type: str | None,
    limit: int,
) -> tuple[list[tuple[bfxdb.Substrate, int]], bool]:
    """Find the substrates within ``depth`` hops of ``start``, each at its shortest distance.

    :param direction: ``"out"``, ``"in"`` or ``"both"``.
    :param rel_type: follow only relationships of this type.
    :param limit: return at most this many, nearest first (ties in identity order).
    :returns: ((substrate, distance) pairs, whether the answer was cut short).
    :raises bfxdb.NotFound: if ``start`` does not exist.
    """
    origin = db.get_substrate(start).identity
    distances = {origin: 0}
    frontier = [origin]
    found: list[tuple[int, int]] = []
    expansions = 0
    truncated = False
    for distance in range(1, depth + 1):
        reached: set[int] = set()
        for node in frontier:
            if expansions >= MAX_EXPANSIONS:
                truncated = True
                break
            expansions += 1
            for other in _adjacent(db, node, direction, rel_type):
                if other not in distances:
                    distances[other] = distance
                    reached.add(other)
        found.extend((distance, node) for node in sorted(reached))
        if len(found) > limit or truncated or not reached:
            break
        frontier = sorted(reached)
    truncated = truncated or len(found) > limit
    return [(db.get_substrate(node), distance) for distance, node in found[:limit]], truncated


def _adjacent(db: bfxdb.Database, node: int, direction: str, rel_type: str | None) -> list[int]:
    """The identities one hop from ``node`` in the given direction."""
    others = []
    if direction in ("out", "both"):
        others += [rel.target if rel.source == node else rel.source for rel in db.outgoing(node, rel_type)]
    if direction in ("in", "both"):
        others += [rel.source if rel.target == node else rel.target for rel in db.incoming(node, rel_type)]
    return others
