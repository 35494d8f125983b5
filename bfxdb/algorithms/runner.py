"""Running one algorithm: read its configuration, snapshot the projection, compute, and write back if asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import InvalidInput, QueryTimeout
from ..identity import parse_id
from ..model import Substrate
from .catalogue import CHECK, Algorithm
from .library import igraph, numpy
from .projection import PROJECTION_KEYS, Projection, read_projection
from .snapshot import Snapshot, node_values, take_snapshot, write_property

#: The key naming the node property a result is written to.
WRITE_KEY = "write"
#: The detail code of the QueryTimeout refusing, before it begins, a computation estimated to overrun.
ESTIMATED = "TimeLimitEstimated"


def run(
    algorithm: Algorithm,
    store: Any,
    config: Mapping[str, Any] | None,
    check: Callable[[], None],
    memory: float | None,
    *,
    writes: bool = False,
    snapshot_of: Callable[[Projection], Snapshot] | None = None,
    into: Callable[[Iterable[tuple[int, Any]]], dict[int, Any]] = dict,
) -> tuple[dict[int, Any], int]:
    """Run ``algorithm`` on the projection ``config`` describes, inside the caller's one transaction.

    :param check: raises QueryTimeout once the time limit has passed.
    :param memory: the bytes the snapshot may take, or None for no limit.
    :param writes: whether the caller's transaction may write: ``config["write"]`` is refused otherwise.
    :param snapshot_of: gives the projection's snapshot, one taken before if it may; by default a
        new one is taken.
    :param into: makes the result from its (identity, value) pairs: a dict, or a subclass of one.
    :returns: the result as {identity: value}, in row order, and how many nodes were written.
    :raises InvalidInput: for an unknown or malformed option, or a source node outside the projection.
    :raises ExtraMissing: when the graph library is not installed.
    :raises QueryTimeout: when the time limit passes, or (detail code ESTIMATED) before the computation
        begins, when it would clearly take longer than is left.
    """
    config = dict(config or {})
    unknown = sorted(set(config) - PROJECTION_KEYS - algorithm.options - {WRITE_KEY})
    if unknown:
        known = ", ".join(sorted(PROJECTION_KEYS | algorithm.options | {WRITE_KEY}))
        raise InvalidInput(f"{algorithm.procedure} has no option {', '.join(unknown)}; it takes {known}")
    prop = config.get(WRITE_KEY)
    if prop is not None and not writes:
        raise InvalidInput(
            f"{algorithm.procedure} only reads; CALL {algorithm.procedure}.write to store its results as a property"
        )
    igraph(), numpy()  # fail for a missing extra before reading the graph
    projection = read_projection(config)
    if snapshot_of is None:
        snapshot = take_snapshot(store, projection, check, memory)
    else:
        snapshot = snapshot_of(projection)
    options = dict(config)
    sources = _indices(snapshot, _sources(config))
    if "targetNode" in config:
        options["target"] = _indices(snapshot, [config["targetNode"]])[0]
    if config.get("heuristicProperty") is not None:
        options["heuristic"] = _property(store, snapshot, config["heuristicProperty"])
    # for a computation of bfxdb's own to check the time limit as it goes (igraph's cannot)
    options[CHECK] = check
    check()
    _refuse_if_too_slow(algorithm, store, snapshot, config)
    values = algorithm.compute(snapshot, options, sources)
    check()
    identities = snapshot.identities
    if isinstance(values, dict):
        dense = [values.get(index) for index in range(snapshot.size)]
        result = into((identities[index], value) for index, value in values.items())
    else:
        dense, result = values, into(zip(identities, values))
    written = 0 if prop is None else write_property(store, snapshot, prop, dense)
    return result, written


def _refuse_if_too_slow(algorithm: Algorithm, store: Any, snapshot: Snapshot, config: Mapping[str, Any]) -> None:
    """Refuse to start a computation that would clearly overrun the time left: igraph cannot be stopped.

    :raises QueryTimeout: with detail code ESTIMATED, when the least it would take is more than is left.
    """
    relationships = snapshot.relationships
    least = algorithm.cost(snapshot.size, relationships, config)
    left = store.time_left()
    if least > left:
        raise QueryTimeout(
            f"{algorithm.procedure} on {snapshot.size:,} nodes and {relationships:,} relationships would take "
            f"{least:.3g} s or more, past the {left:.3g} s left of its time limit; it was refused before it began, "
            "since once begun it cannot be stopped (raise the time limit to run it)",
            ESTIMATED,
            least=least,
            left=left,
        )


def _sources(config: Mapping[str, Any]) -> list[Any]:
    if config.get("sourceNode") is not None:
        return [config["sourceNode"]]
    nodes = config.get("sourceNodes")
    if nodes is None:
        return []
    if not isinstance(nodes, (list, tuple)):
        raise InvalidInput("sourceNodes must be a list of nodes")
    return list(nodes)


def _identity(node: Any) -> int:
    return node.identity if isinstance(node, Substrate) else parse_id(node)


def _indices(snapshot: Snapshot, nodes: list[Any]) -> list[int]:
    """The dense indices of nodes given as Substrates or ids, in one pass over the snapshot."""
    wanted = [_identity(node) for node in nodes]
    found: dict[int, int] = {}
    if wanted:
        lookup = set(wanted)
        for index, identity in enumerate(snapshot.identities):
            if identity in lookup:
                found[identity] = index
    missing = [identity for identity in wanted if identity not in found]
    if missing:
        raise InvalidInput(f"node 0x{missing[0]:016X} is not in the projected graph")
    return [found[identity] for identity in wanted]


def _property(store: Any, snapshot: Snapshot, key: Any) -> list[float]:
    """A numeric node property for every projected node (0 where missing), read in the caller's transaction."""
    if not isinstance(key, str):
        raise InvalidInput("heuristicProperty must be a property name")
    by_node = {node: float(value) for node, value in node_values(store, snapshot, key).items()
               if type(value) in (int, float)}
    return [by_node.get(node, 0.0) for node in snapshot.nodes]
