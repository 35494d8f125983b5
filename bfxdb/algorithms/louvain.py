"""Louvain communities in NumPy: each pass moves the nodes one colour class at a time, level after level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .library import numpy

if TYPE_CHECKING:
    from .snapshot import Snapshot

#: Neo4j GDS's defaults: a level stops after this many passes, or sooner when a pass raises the
#: modularity by less than the tolerance; the whole stops after this many levels, or sooner when
#: a level raises it by less than the tolerance.
MAX_ITERATIONS = 10
MAX_LEVELS = 10
TOLERANCE = 1e-4
#: The colour classes are drawn from one fixed seed, so the same graph gives the same communities.
SEED = 1
#: The most rounds of colouring a level gets, and the fewest nodes a round must colour for the next
#: to come (one in FEWEST of those left); the nodes still uncoloured then are classes of one.
#: The benchmark's sparse 1M-node graph took 17 rounds; its aggregated levels up to 570, 1.4 s.
ROUNDS = 64
FEWEST = 100
#: A move must gain more than this share of the total weight: equal gains computed in a different
#: order must not move a node back and forth.
NOISE = 1e-12


@dataclass(slots=True)
class _Level:
    """One level's graph: every link twice, once from each end (``tails`` sorted), with ``weights``;
    ``loops[i]`` is node i's self-loop weight, which counts twice in its degree."""

    size: int
    tails: Any
    heads: Any
    weights: Any
    loops: Any


def louvain(
    snapshot: Snapshot,
    resolution: float = 1.0,
    max_iterations: int = MAX_ITERATIONS,
    max_levels: int = MAX_LEVELS,
    tolerance: float = TOLERANCE,
    check: Callable[[], None] | None = None,
) -> list[int]:
    """Each node's community, numbered 0, 1, ... in the order of their lowest nodes, found by Louvain
    (Blondel et al., 2008) on the relationships taken both ways: local moves raise the modularity
    at ``resolution`` until a level settles, then each community becomes one node of the next level.

    Sequential Louvain visits one node at a time, which NumPy cannot do quickly. Here each pass
    colours the nodes so that no two neighbours share a colour and moves all the nodes of one
    colour at once, each to the neighbouring community that gains the most: as no neighbour of a
    moving node moves with it, the links it counts are exact, as they would be in a sequential
    pass (after Lu, Halappanavar and Kalyanaraman, 2015); the nodes of a dense part, which would
    need a colour each, move one at a time. Weights must be zero or more.
    ``check``, called after each pass, raises QueryTimeout once the time limit has passed.
    """
    np = numpy()
    level = _first_level(np, snapshot)
    rng = np.random.default_rng(SEED)
    membership = np.arange(snapshot.size)
    for _ in range(max_levels):
        communities, gain = _local_moves(np, level, resolution, max_iterations, tolerance, rng, check)
        if gain <= 0:
            break
        level, renumbered = _aggregate(np, level, communities)
        membership = renumbered[membership]
        if gain < tolerance:
            break
    return _by_lowest_node(np, membership)


def _first_level(np: Any, snapshot: Snapshot) -> _Level:
    tails, heads = snapshot.sources, snapshot.targets
    weights = np.ones(len(tails)) if snapshot.weights is None else np.asarray(snapshot.weights, dtype=np.float64)
    looped = tails == heads
    loops = np.bincount(tails[looped], weights=weights[looped], minlength=snapshot.size)
    linked = ~looped
    tails, heads, weights = tails[linked], heads[linked], weights[linked]
    both_tails, both_heads = np.concatenate((tails, heads)), np.concatenate((heads, tails))
    order = _stable_order(np, both_tails, snapshot.size)
    return _Level(snapshot.size, both_tails[order], both_heads[order], np.tile(weights, 2)[order], loops)


def _stable_order(np: Any, keys: Any, bound: int) -> Any:
    """The indices that sort ``keys`` (integers from 0 to ``bound`` - 1) stably.

    Where key and index fit together in 63 bits this sorts them packed into one integer: NumPy
    sorts plain integers with vector instructions, 7x faster than argsort at 4M keys here.
    """
    count = len(keys)
    if count == 0 or bound * count >= 2**63:
        return np.argsort(keys, kind="stable")
    packed = keys.astype(np.int64) * count + np.arange(count)
    packed.sort()
    return packed % count


def _colour_classes(np: Any, level: _Level, rng: Any, check: Callable[[], None] | None) -> list[Any]:
    """The entries of ``level`` (indices into its tails) split by the colour of their tail, such that
    no link joins two nodes of one colour; within a class, in order of tail.

    Each round (Jones and Plassmann) colours the uncoloured nodes whose random priority is above
    every uncoloured neighbour's, and drops the links they end. A dense part needs a round for each
    of its nodes (a clique of c nodes, c rounds over what is left of its c^2 links), so after
    ROUNDS rounds, or a round that coloured fewer than one in FEWEST of the nodes left, each node
    left is a class of its own: moved alone, as sequential Louvain moves it. ``check`` is called
    after each round.
    """
    priority = rng.permutation(level.size)
    colour = np.zeros(level.size, dtype=np.int64)
    uncoloured = np.ones(level.size, dtype=bool)
    tails, heads = level.tails, level.heads
    rounds = 0
    while rounds < ROUNDS and uncoloured.any():
        # the uncoloured node of highest priority is always chosen: every link left joins two uncoloured nodes
        highest = np.full(level.size, -1, dtype=priority.dtype)
        np.maximum.at(highest, tails, priority[heads])
        chosen = uncoloured & (priority > highest)
        colour[chosen] = rounds
        uncoloured &= ~chosen
        rounds += 1
        kept = ~(chosen[tails] | chosen[heads])
        tails, heads = tails[kept], heads[kept]
        if check is not None:
            check()
        if int(chosen.sum()) * FEWEST < int(uncoloured.sum()):
            break
    left = np.flatnonzero(uncoloured)
    colour[left] = rounds + np.arange(len(left))
    classes = rounds + len(left)
    order = _stable_order(np, colour[level.tails], classes)
    bounds = np.searchsorted(colour[level.tails][order], np.arange(classes + 1))
    return [order[start:end] for start, end in zip(bounds, bounds[1:]) if end > start]


def _local_moves(
    np: Any,
    level: _Level,
    resolution: float,
    max_iterations: int,
    tolerance: float,
    rng: Any,
    check: Callable[[], None] | None,
) -> tuple[Any, float]:
    """The communities of ``level``'s nodes after its passes, and the modularity they gained."""
    degree = np.bincount(level.tails, weights=level.weights, minlength=level.size) + 2 * level.loops
    total = float(degree.sum())
    communities = np.arange(level.size)
    if total == 0 or not len(level.tails):
        return communities, 0.0
    # the degrees summed over each community's nodes
    community_degree = degree.copy()
    classes = _colour_classes(np, level, rng, check)
    start = before = _modularity(level, communities, community_degree, total, resolution)
    for _ in range(max_iterations):
        moved = 0
        for entries in classes:
            moved += _move_class(np, level, entries, communities, community_degree, degree, total, resolution)
        after = _modularity(level, communities, community_degree, total, resolution)
        if check is not None:
            check()
        gained, before = after - before, after
        if not moved or gained < tolerance:
            break
    return communities, before - start


def _move_class(
    np: Any,
    level: _Level,
    entries: Any,
    communities: Any,
    community_degree: Any,
    degree: Any,
    total: float,
    resolution: float,
) -> int:
    """Move each node of one colour class to the neighbouring community that gains the most
    modularity, if that is more than staying gains; return how many moved."""
    size = level.size
    tails = level.tails[entries]
    # each (tail, neighbouring community) pair once, with the weight of its links
    first_of_tail = np.empty(len(tails), dtype=bool)
    first_of_tail[0] = True
    np.not_equal(tails[1:], tails[:-1], out=first_of_tail[1:])
    nodes = tails[first_of_tail]
    position = np.cumsum(first_of_tail) - 1
    pairs = position * size + communities[level.heads[entries]]
    order = _stable_order(np, pairs, len(nodes) * size)
    pairs = pairs[order]
    starts = _run_starts(np, pairs)
    links = np.add.reduceat(level.weights[entries][order], starts)
    pair_position = pairs[starts] // size
    neighbour = pairs[starts] - pair_position * size
    pair_node = nodes[pair_position]
    pair_degree = degree[pair_node]
    own = neighbour == communities[pair_node]
    # the gain of joining a community, less the same for all (the cost of leaving its own), times
    # total / 2; a node's own community counts without it
    gain = links - resolution * pair_degree * (community_degree[neighbour] - own * pair_degree) / total
    node_degree = degree[nodes]
    staying = -resolution * node_degree * (community_degree[communities[nodes]] - node_degree) / total
    staying[pair_position[own]] = gain[own]
    gain[own] = -np.inf
    segment = _run_starts(np, pair_position)
    best = np.maximum.reduceat(gain, segment)
    better = best > staying + NOISE * total
    if not better.any():
        return 0
    # the first (lowest numbered) community of those that gain the most, for each node that moves
    top = np.flatnonzero(gain == best[pair_position])
    top = top[_run_starts(np, pair_position[top])]
    top = top[better[pair_position[top]]]
    movers, joined = pair_node[top], neighbour[top]
    np.subtract.at(community_degree, communities[movers], degree[movers])
    np.add.at(community_degree, joined, degree[movers])
    communities[movers] = joined
    return len(movers)


def _run_starts(np: Any, ordered: Any) -> Any:
    """Where each run of equal values begins in ``ordered``."""
    if not len(ordered):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def _modularity(level: _Level, communities: Any, community_degree: Any, total: float, resolution: float) -> float:
    inside = level.weights[communities[level.tails] == communities[level.heads]].sum() + 2 * level.loops.sum()
    return float(inside / total - resolution * (community_degree @ community_degree) / total**2)


def _aggregate(np: Any, level: _Level, communities: Any) -> tuple[_Level, Any]:
    """The next level, each community one node, and each node's number there."""
    used = np.zeros(level.size, dtype=bool)
    used[communities] = True
    renumbered = (np.cumsum(used) - 1)[communities]
    size = int(used.sum())
    tails, heads = renumbered[level.tails], renumbered[level.heads]
    inside = tails == heads
    # a link inside a community is there twice, once from each end: half each to its self-loop
    loops = np.bincount(renumbered, weights=level.loops, minlength=size) + np.bincount(
        tails[inside], weights=level.weights[inside], minlength=size
    ) / 2
    between = ~inside
    pairs = tails[between] * size + heads[between]
    order = _stable_order(np, pairs, size * size)
    pairs = pairs[order]
    starts = _run_starts(np, pairs)
    weights = np.add.reduceat(level.weights[between][order], starts) if len(starts) else np.zeros(0)
    tails = pairs[starts] // size
    return _Level(size, tails, pairs[starts] - tails * size, weights, loops), renumbered


def _by_lowest_node(np: Any, membership: Any) -> list[int]:
    lowest = np.full(int(membership.max()) + 1 if len(membership) else 0, len(membership))
    np.minimum.at(lowest, membership, np.arange(len(membership)))
    rank = np.empty(len(lowest), dtype=np.int64)
    rank[np.argsort(lowest)] = np.arange(len(lowest))
    numbered: list[int] = rank[membership].tolist()
    return numbered
