"""The state of one query run: store, parameters, entity cache, deleted entities, statistics, budgets."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, TypeVar

from ..errors import EntityNotFound, ParameterMissing, QueryLimitExceeded
from ..model import Relationship, Substrate
from .result import LazyStats
from .temporal import decode_properties
from .values import DEFAULT_QUERY_MEMORY, NodeRef, RelRef

#: How many Python-side row steps pass between two calls of the deadline check.
DEADLINE_STRIDE = 2048

#: Rows a buffer grows by between two checks of its size against the memory budget.
BUFFER_STRIDE = 1024

T = TypeVar("T")


def row_size(row: dict) -> int:
    """The bytes a buffered row takes itself: its dict and one slot per value."""
    return sys.getsizeof(row) + 8 * len(row)


class Context:
    """Everything a plan needs while it runs; made fresh for each run, never shared."""

    __slots__ = (
        "store",
        "params",
        "nodes",
        "rels",
        "deleted_nodes",
        "deleted_rels",
        "_stats",
        "check_deadline",
        "ticks",
        "statement_time",
        "memory",
        "held",
        "room_total",
        "outside_transaction",
        "import_dir",
    )
    #: the run's counts of what it wrote (see LazyStats)
    stats = LazyStats()

    def __init__(
        self,
        store: Any,
        params: dict,
        check_deadline: Callable[[], None],
        memory: int | None = DEFAULT_QUERY_MEMORY,
    ) -> None:
        self.store = store
        self.params = params
        self.nodes: dict[int, Substrate] = {}
        self.rels: dict[int, Relationship] = {}
        self.deleted_nodes: set[int] = set()
        self.deleted_rels: set[int] = set()
        self._stats: dict[str, int] | None = None
        self.check_deadline = check_deadline
        self.ticks = 0
        #: nanoseconds since the epoch when the run first read the clock: date() and friends
        #: give the same instant throughout one run
        self.statement_time: int | None = None
        #: the memory budget in bytes (None: no budget), and the bytes held by what the run keeps
        #: to the end of a clause (collect, sort buffers, DISTINCT sets, path sets)
        self.memory = memory
        self.held = 0
        #: the budget as a number to compare with, infinite for none
        self.room_total = math.inf if memory is None else memory
        #: whether the run has no transaction around it, so only its one statement sees one snapshot
        self.outside_transaction = False
        #: the folder LOAD CSV reads from, or None: LOAD CSV is refused
        self.import_dir: str | None = None

    def tick(self, steps: int = 1) -> None:
        """Count Python-side work and check the deadline every DEADLINE_STRIDE steps."""
        self.ticks += steps
        if self.ticks >= DEADLINE_STRIDE:
            self.ticks = 0
            self.check_deadline()

    def fits(self, size: int) -> None:
        """Check that a value of ``size`` bytes, built now, fits in the budget beside what the run holds.

        A value being built is checked, not added: it is dropped again or taken by something
        that holds it (and charges ``hold``), so building many small values in turn never adds up.

        :raises QueryLimitExceeded: when it does not fit.
        """
        if self.held + size > self.room_total:
            raise self.over_budget()

    def hold(self, size: int, steps: int = 1) -> None:
        """Charge ``size`` bytes kept until the run ends (collected items, a seen key), for ``steps`` items.

        The items count as work too (see tick), so an aggregation that collects sees the deadline.

        :raises QueryLimitExceeded: when the run's holdings pass the budget.
        :raises QueryTimeout: when the time limit has passed.
        """
        self.held += size
        if self.held > self.room_total:
            raise self.over_budget()
        self.tick(steps)

    def buffer(self, rows: Iterable[T], size: Callable[[Any], int] = row_size) -> list[T]:
        """Gather rows into a list (a write clause's input, a sort), checking it against the budget as it grows.

        Every BUFFER_STRIDE rows the list is checked as that many rows the size of its last one.
        A row counts its own dict and slots, not the values it shares with other rows (those
        were charged where they were built).

        :param size: the bytes of one buffered item; by default row_size.
        :raises QueryLimitExceeded: when the buffer would not fit.
        """
        if self.memory is None:
            return list(rows)
        out: list[T] = []
        items = iter(rows)
        while chunk := list(islice(items, BUFFER_STRIDE)):
            out.extend(chunk)
            self.holds(out, size)
        return out

    def holds(self, rows: list, size: Callable[[Any], int] = row_size) -> None:
        """Check a list of rows an operator fills itself against the budget, as rows the size of its last one.

        :raises QueryLimitExceeded: when the rows do not fit.
        """
        if self.memory is not None and rows:
            self.fits(len(rows) * size(rows[-1]))

    def over_budget(self) -> QueryLimitExceeded:
        """The error for a run that needs more memory than its budget."""
        return QueryLimitExceeded(
            f"the query needs more than its memory budget of {_mebibytes(self.memory or 0)} "
            "(set query_memory to allow more)",
            "MemoryLimitExceeded",
        )

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
        found = self.nodes.get(ref.id)
        # the cache first: the store is not touched for a node the run has (see StatementWatch)
        if found is not None and (allow_deleted or ref.id not in self.deleted_nodes):
            return found
        return self._load(ref.id, "node", self.nodes, self.deleted_nodes, self.store.get_substrate, allow_deleted)

    def rel(self, ref: RelRef, *, allow_deleted: bool = False) -> Relationship:
        """Load a relationship's current data (cached for the run).

        :raises EntityNotFound: when it was deleted (unless allow_deleted) or never existed.
        """
        found = self.rels.get(ref.id)
        if found is not None and (allow_deleted or ref.id not in self.deleted_rels):
            return found
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


class StatementWatch:
    """The store of a run answered outside a transaction: it passes every call on, noting that one was made.

    A run without BEGIN sees one snapshot only while it makes one statement; one that made
    more is thrown away and run again inside a transaction.
    """

    __slots__ = ("store", "used")

    def __init__(self, store: Any) -> None:
        self.store = store
        self.used = False

    def __getattr__(self, name: str) -> Any:
        self.used = True
        return getattr(self.store, name)


def _mebibytes(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def decoded(entity: Any) -> Any:
    """Give a node or relationship loaded from the store its property values as the query sees them.

    :param entity: a Substrate or Relationship whose metadata is as stored (JSON).
    :returns: the entity, with temporal properties decoded (the same object if there are none).
    """
    metadata = decode_properties(entity.metadata)
    return entity if metadata is entity.metadata else entity._replace(metadata=metadata)
