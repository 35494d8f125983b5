"""Graph traversal the faces share: one breadth-first search, and neighbours to depth k built on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .errors import InvalidInput
from .model import Relationship, Substrate

R = TypeVar("R")

#: Relationship lists fetched per neighbours walk at most, so a hub-heavy graph cannot stall a request thread.
MAX_EXPANSIONS = 10_000
DIRECTIONS = ("out", "in", "both")

#: Maps a frontier (node ids) to the relationships leaving it, as (relationship, near node, far node) triples.
Step = Callable[[list[int]], Iterable[tuple[R, int, int]]]


@dataclass(frozen=True, slots=True)
class Level(Generic[R]):
    """The nodes one breadth-first level reached for the first time.

    ``reached`` maps each new node to every (relationship, near node) pair that reached it from the
    level before, in the order the step gave them; its keys are in the order first reached.
    ``truncated`` says the expansion limit left part of the level's frontier unexpanded.
    """

    distance: int
    reached: dict[int, list[tuple[R, int]]]
    truncated: bool = False


def breadth_first(
    starts: Iterable[int],
    step: Step[R],
    depth: int,
    max_expansions: int | None = None,
    order: Callable[[Iterable[int]], list[int]] = list,
) -> Iterator[Level[R]]:
    """Walk out from ``starts`` level by level, yielding the nodes each level reaches first.

    The walk stops after ``depth`` levels, after a level that reaches nothing new (not yielded), or
    after a level the expansion limit cut short (yielded, marked truncated). The caller may stop
    early by leaving the loop; no level is computed before it is asked for.

    :param starts: the node ids at distance 0.
    :param step: maps a frontier to the relationships leaving it as (relationship, near, far) triples,
        ``near`` in the frontier; it is called once per level.
    :param depth: the most levels to walk.
    :param max_expansions: the most frontier nodes to expand in the whole walk; None for no limit.
    :param order: orders each frontier before it is expanded (and cut at the limit); by default the
        order its nodes were first reached.
    :returns: an iterator of Levels, distance 1 first.
    """
    first = list(dict.fromkeys(starts))
    seen = set(first)
    frontier = order(first)
    budget = max_expansions
    for distance in range(1, depth + 1):
        truncated = budget is not None and len(frontier) > budget
        if budget is not None:
            frontier = frontier[:budget]
            budget -= len(frontier)
        reached: dict[int, list[tuple[R, int]]] = {}
        for relationship, near, far in step(frontier) if frontier else ():
            if far not in seen:
                reached.setdefault(far, []).append((relationship, near))
        if reached or truncated:
            yield Level(distance, reached, truncated)
        if not reached or truncated:
            return
        seen.update(reached)
        frontier = order(reached)


class Adjacency(Protocol):
    """What neighbours reads: a substrate by id, and the relationships at one (bfxdb.Database has both)."""

    def get_substrate(self, identity: int | str) -> Substrate: ...

    def outgoing(self, identity: int | str, rel_type: str | None = None) -> Sequence[Relationship]: ...

    def incoming(self, identity: int | str, rel_type: str | None = None) -> Sequence[Relationship]: ...


def neighbours(
    db: Adjacency,
    start: int | str,
    depth: int,
    direction: str = "out",
    rel_type: str | None = None,
    limit: int | None = None,
) -> tuple[list[tuple[Substrate, int]], bool]:
    """Find the substrates within ``depth`` hops of ``start``, each at its shortest distance.

    At most MAX_EXPANSIONS substrates have their relationships listed; past that the answer is cut short.

    :param db: an open bfxdb.Database.
    :param direction: follow relationships ``"out"`` of each substrate, ``"in"`` to it, or ``"both"``.
    :param rel_type: follow only relationships of this type.
    :param limit: return at most this many, nearest first (ties in identity order); None for all.
    :returns: ((substrate, distance) pairs, whether the answer was cut short).
    :raises bfxdb.NotFound: if ``start`` does not exist.
    :raises bfxdb.InvalidInput: for a direction other than out, in or both.
    """
    if direction not in DIRECTIONS:
        raise InvalidInput(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    origin = db.get_substrate(start).identity

    def step(frontier: list[int]) -> Iterator[tuple[Relationship, int, int]]:
        for node in frontier:
            if direction in ("out", "both"):
                for rel in db.outgoing(node, rel_type):
                    yield rel, node, rel.target if rel.source == node else rel.source
            if direction in ("in", "both"):
                for rel in db.incoming(node, rel_type):
                    yield rel, node, rel.source if rel.target == node else rel.target

    found: list[tuple[int, int]] = []
    truncated = False
    for level in breadth_first([origin], step, depth, MAX_EXPANSIONS, order=sorted):
        found.extend((level.distance, node) for node in sorted(level.reached))
        truncated = level.truncated
        if limit is not None and len(found) > limit:
            break
    cut = found if limit is None else found[:limit]
    truncated = truncated or len(cut) < len(found)
    return [(db.get_substrate(node), distance) for distance, node in cut], truncated
