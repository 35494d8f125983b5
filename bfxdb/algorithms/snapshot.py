"""The compact snapshot of a projection, read in one transaction, and writing results back as a property."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import InvalidInput, QueryLimitExceeded
from ..storage import json_path
from .library import igraph, numpy
from .projection import Projection

#: Bytes one node and one relationship take at most while a snapshot is taken and an algorithm runs
#: on it: the columns as JSON text and as NumPy arrays, the Python lists igraph's graph is built
#: from (about 36 bytes an item), igraph's graph (32 bytes an edge, 16 a vertex), the undirected
#: copy most algorithms make of it, and the {identity: value} result (about 100 bytes a node).
#: PageRank at 1M nodes / 2M relationships peaked at 390 MiB over the process's size before; this says 524.
NODE_BYTES = 150
RELATIONSHIP_BYTES = 200


@dataclass(frozen=True)
class _Reads:
    """A store's SQL for the snapshot's reads: each column as one JSON array, names and nodes as list parameters."""

    #: the store's placeholder for a parameter
    placeholder: str
    #: a JSON array of the values of expression {0} (an empty array for no rows)
    array: str
    #: the ids of the names in the one list parameter
    in_names: str
    #: a relationship's property, read from the metadata with the one parameter ``key`` makes
    weight: str
    #: the parameter that names a property key
    key: Callable[[str], str]
    #: how a list of names or node numbers is bound
    items: Callable[[Sequence], Any]
    #: the rows (node, property value) of the node numbers in the one list parameter, the key the other
    node_values: str
    #: a property value of those rows as Python's (SQLite gives values, PostgreSQL JSONB's text)
    value: Callable[[Any], Any]
    #: whether reading the relationships in the order of one end costs nothing (an index holds them so)
    ordered: bool


_READS = {
    "sqlite": _Reads(
        "?", "json_group_array({0})", "(SELECT id FROM names WHERE name IN (SELECT value FROM json_each(?)))",
        "json_extract(r.metadata, ?)", json_path, json.dumps,
        "SELECT s.node, json_extract(s.metadata, ?) FROM substrates AS s "
        "WHERE s.node IN (SELECT value FROM json_each(?))",
        lambda value: value,
        True,
    ),
    # json_agg's text separates items by ", ", which NumPy's parser skips as it does any space
    "postgresql": _Reads(
        "%s", "coalesce(json_agg({0})::text, '[]')", "(SELECT id FROM names WHERE name = ANY(%s))",
        "r.metadata -> %s", str, list,
        "SELECT s.node, (s.metadata -> %s)::text FROM substrates AS s WHERE s.node = ANY(%s)",
        orjson.loads,
        # PostgreSQL would sort: its index-only scans depend on the visibility map
        False,
    ),
}


#: The end of a relationship a walk in the projection's direction arrives at.
_HEADS = {"NATURAL": "r.target", "REVERSE": "r.source"}


def _any_label(reads: _Reads, column: str) -> str:
    """The test that the substrate of node number ``column`` has one of the names bound as labels."""
    return f"EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = {column} AND l.label IN {reads.in_names})"


@dataclass(frozen=True)
class Snapshot:
    """A projection's graph as dense indices 0..n-1: ``identities[i]`` is node i's identity, ``nodes[i]``
    its row in the store; relationship k runs from ``sources[k]`` to ``targets[k]`` (NumPy int32
    arrays, directed as projected) with weight ``weights[k]`` when weighted. ``graph`` is the same
    as an igraph Graph, built on first use (WCC needs none). A snapshot may be reused, so it is
    shared: algorithms change copies of it, never it."""

    projection: Projection
    identities: Sequence[int]
    nodes: Sequence[int]
    sources: Any
    targets: Any
    weights: list[float] | None = None

    @functools.cached_property
    def graph(self) -> Any:
        """The igraph Graph: vertex i is node i, edge k relationship k, its weight as edge attribute ``weight``."""
        graph = igraph().Graph(n=self.size, directed=True)
        # from an iterator of Python ints: a third faster than a list, five times a NumPy array
        graph.add_edges(zip(self.sources.tolist(), self.targets.tolist()))
        if self.weights is not None:
            graph.es["weight"] = self.weights
        return graph

    @property
    def relationships(self) -> int:
        """The number of relationships."""
        return len(self.sources)

    @property
    def size(self) -> int:
        """The number of nodes."""
        return len(self.identities)

    @property
    def weighted(self) -> bool:
        """Whether the relationships carry weights."""
        return self.projection.weight is not None


def check_memory(nodes: int, relationships: int, memory: float | None) -> None:
    """Refuse a graph of ``nodes`` and ``relationships`` whose snapshot would take more than ``memory`` bytes.

    :raises QueryLimitExceeded: when it would.
    """
    needed = nodes * NODE_BYTES + relationships * RELATIONSHIP_BYTES
    if memory is not None and needed > memory:
        raise QueryLimitExceeded(
            f"the graph snapshot needs about {needed >> 20} MiB, past the memory budget of "
            f"{int(memory) >> 20} MiB (set query_memory to allow more)",
            "MemoryLimitExceeded",
        )


def take_snapshot(
    store: Any, projection: Projection, check: Callable[[], None], memory: float | None, version: Any = None
) -> Snapshot:
    """Read a projection from ``store``; call it inside one read transaction, so it sees one state.

    Each column comes out of SQLite as one JSON array of integers (json_group_array, which the
    time limit interrupts like any SQL), which NumPy parses at once: about ten times faster than
    fetching the rows one by one into Python. Each relationship is one integer, source * m + target
    with m one more than the highest node number, while that fits in 64 bits (node numbers below
    3 billion): SQLite turns one integer into text faster than two, and the text is shorter. When
    the store's node numbers run 1..n without a gap and every node is projected, node number k is
    vertex k - 1; otherwise NumPy maps node numbers to positions by binary search in the sorted
    node numbers.

    The nodes' identities are read on a second connection while this one reads the
    relationships (store.read_beside), when ``version``, the store's data version read before
    the transaction began, shows that both read the same state; otherwise after them, here.
    When the relationships are read in order, that connection then reads those arriving at the
    highest node numbers, so both cores share the work.

    :param check: raises QueryTimeout once the time limit has passed.
    :param memory: the bytes the snapshot may take, or None for no limit.
    :param version: the store's data version from before the caller's read transaction, or None.
    :raises QueryLimitExceeded: when the graph would take more than ``memory``, before it is read.
    """
    np = numpy()
    reads = _READS[store.dialect]
    count = store.execute(
        "SELECT (SELECT count(*) FROM substrates), (SELECT min(node) FROM substrates), "
        "(SELECT max(node) FROM substrates), (SELECT count(*) FROM relationships)"
    )
    stored, lowest, highest, relationships = count.fetchone()
    check_memory(stored, relationships, memory)
    dense = not projection.labels and (stored == 0 or (lowest == 1 and highest == stored))
    node_filter, node_params = "", []
    if projection.labels:
        node_filter = f" WHERE {_any_label(reads, 's.node')}"
        node_params.append(reads.items(projection.labels))
    columns = reads.array.format("identity") + ("" if dense else ", " + reads.array.format("node"))
    node_sql = (
        f"SELECT {columns} FROM (SELECT s.identity{'' if dense else ', s.node'} FROM substrates AS s{node_filter} "
        "ORDER BY s.node) AS ordered"
    )
    beside = store.read_beside(version, node_sql, node_params)
    split = None
    if beside is not None and relationships > stored:
        # the other connection goes on to read the relationships arriving at the highest node
        # numbers, this one the rest: shares that take both about as long when a node's read costs
        # what a relationship's does and the relationships arrive evenly over the node numbers
        split = lowest + int((highest - lowest + 1) * (stored + relationships) / (2 * relationships))
    packing = (highest or 0) + 1
    beside_too = functools.partial(store.read_beside, version)
    sources, targets, weights = _relationships(
        np, store, reads, projection, packing if packing**2 <= 2**63 else None, split, beside_too
    )
    check()
    node_rows = None if beside is None else beside()
    if node_rows is None:
        node_rows = store.execute(node_sql, node_params).fetchone()
    # identities are stored signed; as uint64 the negative ones wrap to their unsigned value
    identities = _integers(np, node_rows[0], np.int64).astype(np.uint64).tolist()
    numbers = None if dense else _integers(np, node_rows[1], np.int64)
    node_numbers: Sequence[int] = range(1, stored + 1) if numbers is None else numbers.tolist()
    check()
    index_type = np.int32 if max(stored, 1) < 2**31 else np.int64
    if numbers is None:
        sources, targets = (np.subtract(ends, 1, dtype=index_type, casting="unsafe") for ends in (sources, targets))
    else:
        sources = np.searchsorted(numbers, sources).astype(index_type)
        targets = np.searchsorted(numbers, targets).astype(index_type)
    if projection.direction == "REVERSE":
        sources, targets = targets, sources
    check()
    return Snapshot(projection, identities, node_numbers, sources, targets, weights)


def _relationships(
    np: Any,
    store: Any,
    reads: _Reads,
    projection: Projection,
    packing: int | None,
    split: int | None = None,
    beside: Callable[[str, list[Any]], Callable[[], Any] | None] | None = None,
) -> tuple[Any, Any, list[float] | None]:
    """The projected relationships' source and target node numbers (int64 arrays) and their weights if weighted.

    :param packing: m, to read each relationship as one integer, source * m + target (m is more
        than any node number, m * m at most 2**63); None reads two columns.
    :param split: when they are read in order and ``beside`` starts a read on another connection,
        the relationships arriving at this node number or above are read there, the rest here.
    :param beside: starts a one-row read of (sql, params) on another connection (store.read_beside).
    """
    values = ["r.source", "r.target"]
    params: list[Any] = []
    if packing is not None:
        values = [f"r.source * {reads.placeholder} + r.target"]
        params.append(packing)
    if projection.weight is not None:
        values.append(reads.weight)
        params.append(reads.key(projection.weight))
    where = []
    if projection.types:
        where.append(f"r.rel_type IN {reads.in_names}")
        params.append(reads.items(projection.types))
    if projection.labels:
        # both ends in the projection: the same test as for the nodes, on each end
        for end in ("source", "target"):
            where.append(_any_label(reads, f"r.{end}"))
            params.append(reads.items(projection.labels))
    head = _HEADS.get(projection.direction)
    if reads.ordered and projection.weight is None and head is not None:
        # sorted by the end a walk arrives at, which PageRank's sweep counts into in order; the
        # index on that end holds every column read, so the order costs nothing
        named = ", ".join(f"{value} AS v{number}" for number, value in enumerate(values))
        arrays = ", ".join(reads.array.format(f"v{number}") for number in range(len(values)))

        def ordered(condition: str | None) -> str:
            clauses = where if condition is None else [*where, f"{head} {condition} {reads.placeholder}"]
            return f"SELECT {arrays} FROM (SELECT {named} FROM {_read(clauses)} ORDER BY {head}) AS ordered"

        later = None if split is None or beside is None else beside(ordered(">="), [*params, split])
        if later is None:
            parts = [store.execute(ordered(None), params).fetchone()]
        else:
            parts = [store.execute(ordered("<"), [*params, split]).fetchone()]
            parts.append(later() or store.execute(ordered(">="), [*params, split]).fetchone())
    else:
        arrays = ", ".join(reads.array.format(value) for value in values)
        parts = [store.execute(f"SELECT {arrays} FROM {_read(where)}", params).fetchone()]
    first = np.concatenate([_integers(np, part[0], np.int64) for part in parts])
    if packing is not None:
        sources, targets = np.divmod(first, packing)
    else:
        sources, targets = first, np.concatenate([_integers(np, part[1], np.int64) for part in parts])
    weights = None
    if projection.weight is not None:
        default = projection.default_weight
        weights = [float(w) if type(w) in (int, float) else default for w in orjson.loads(parts[0][-1])]
    return sources, targets, weights


def _read(clauses: list[str]) -> str:
    """The relationships kept by every one of ``clauses``."""
    return f"relationships AS r{' WHERE ' + ' AND '.join(clauses) if clauses else ''}"


def _integers(np: Any, text: str, dtype: Any) -> Any:
    """A JSON array of integers (as json_group_array makes it) as a NumPy array, parsed in C."""
    if text == "[]":
        return np.zeros(0, dtype=dtype)
    return np.fromstring(text[1:-1], dtype=dtype, sep=",")


def node_values(store: Any, snapshot: Snapshot, key: str) -> dict[int, Any]:
    """The value of property ``key`` of each projected node that has one, by node number, read in one statement."""
    reads = _READS[store.dialect]
    rows = store.execute(reads.node_values, (reads.key(key), reads.items(list(snapshot.nodes))))
    return {node: reads.value(value) for node, value in rows if value is not None}


def write_property(store: Any, snapshot: Snapshot, key: str, values: Sequence[Any]) -> int:
    """Set property ``key`` of every projected node to its value (null values are skipped), in one statement.

    :returns: how many nodes were written.
    :raises InvalidInput: for an empty property name.
    """
    if not isinstance(key, str) or not key:
        raise InvalidInput("write must name a property")
    pairs = [(node, value) for node, value in zip(snapshot.nodes, values) if value is not None]
    store.set_node_property(key, pairs)
    return len(pairs)
