"""The state of one query run: store, parameters, entity cache, deleted entities, statistics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import EntityNotFound, ParameterMissing
from ..model import Relationship, Substrate
from .result import STAT_KEYS
from .temporal import decode_properties
from .values import NodeRef, RelRef

#: How many Python-side row steps pass between two calls of the deadline check.
DEADLINE_STRIDE = 2048

_ZERO_STATS = dict.fromkeys(STAT_KEYS, 0)


class Context:
    """Everything a plan needs while it runs; made fresh for each run, never shared."""

    __slots__ = (
        "store",
        "params",
        "nodes",
        "rels",
        "deleted_nodes",
        "deleted_rels",
        "stats",
        "check_deadline",
        "ticks",
        "statement_time",
    )

    def __init__(self, store: Any, params: dict, check_deadline: Callable[[], None]) -> None:
        self.store = store
        self.params = params
        self.nodes: dict[int, Substrate] = {}
        self.rels: dict[int, Relationship] = {}
        self.deleted_nodes: set[int] = set()
        self.deleted_rels: set[int] = set()
        self.stats = _ZERO_STATS.copy()
        self.check_deadline = check_deadline
        self.ticks = 0
        #: nanoseconds since the epoch when the run first read the clock: date() and friends
        #: give the same instant throughout one run
        self.statement_time: int | None = None

    def tick(self, steps: int = 1) -> None:
        """Count Python-side work and check the deadline every DEADLINE_STRIDE steps."""
        self.ticks += steps
        if self.ticks >= DEADLINE_STRIDE:
            self.ticks = 0
            self.check_deadline()

    def param(self, name: str) -> Any:
        """Read a query parameter.

        :raises ParameterMissing: when the caller did not supply it.
        """
        try:
            return self.params[name]
        except KeyError:
            raise ParameterMissing(f"missing parameter ${name}", "MissingParameter") from None

    def node(self, ref: NodeRef, *, allow_deleted: bool = False) -> Substrate:
        """Load a node's current data (cached for the run).

        :raises EntityNotFound: when the node was deleted (unless allow_deleted) or never existed.
        """
        return self._load(ref.id, "node", self.nodes, self.deleted_nodes, self.store.get_substrate, allow_deleted)

    def rel(self, ref: RelRef, *, allow_deleted: bool = False) -> Relationship:
        """Load a relationship's current data (cached for the run).

        :raises EntityNotFound: when it was deleted (unless allow_deleted) or never existed.
        """
        return self._load(
            ref.id, "relationship", self.rels, self.deleted_rels, self.store.get_relationship, allow_deleted
        )

    @staticmethod
    def _load(
        identity: int,
        kind: str,
        cache: dict,
        deleted: set[int],
        fetch: Callable[[int], Any],
        allow_deleted: bool,
    ) -> Any:
        if identity in deleted and not allow_deleted:
            raise EntityNotFound(f"the {kind} was deleted", "DeletedEntityAccess")
        found = cache.get(identity)
        if found is None:
            found = fetch(identity)
            if found is None:
                raise EntityNotFound(f"{kind} {identity} does not exist", "DeletedEntityAccess")
            found = cache[identity] = decoded(found)
        return found

    def preload_rels(self, identities: Iterable[int]) -> None:
        """Fetch in one batch the relationships not yet cached."""
        missing = [identity for identity in identities if identity not in self.rels]
        if missing:
            self.rels.update((key, decoded(rel)) for key, rel in self.store.get_relationships(missing).items())

    def preload_nodes(self, identities: Iterable[int]) -> None:
        """Fetch in one batch the nodes not yet cached."""
        missing = [identity for identity in identities if identity not in self.nodes]
        if missing:
            self.nodes.update((key, decoded(node)) for key, node in self.store.get_substrates(missing).items())


def decoded(entity: Any) -> Any:
    """Give a node or relationship loaded from the store its property values as the query sees them.

    :param entity: a Substrate or Relationship whose metadata is as stored (JSON).
    :returns: the entity, with temporal properties decoded (the same object if there are none).
    """
    metadata = decode_properties(entity.metadata)
    return entity if metadata is entity.metadata else entity._replace(metadata=metadata)
