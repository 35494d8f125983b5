"""The public Database: one method per user action, over the store, the sandbox and the query engine."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

from . import algorithms, sandbox
from .collector import collector_paused
from .dimensions import PART_TO_WHOLE, Dimension, divide
from .errors import ExpressionError, InvalidInput, NotFound, QueryTimeout, ReadOnlyError
from .identity import ID_LIMIT, assign_identity, format_id, parse_id, to_signed
from .model import Relationship, Substrate
from .query import (
    BUILTINS,
    DEFAULT_QUERY_MEMORY,
    PreparedQuery,
    Result,
    Stream,
    compile_cypher_expression,
    load_parser,
    make_procedure,
    prepare,
)
from .storage import (
    BULK_BATCH,
    CHECKED_NAMES,
    DEFAULT_TIMEOUT,
    Backend,
    check_labels,
    check_name,
    encode_metadata,
    open_store,
    time_micros,
    utc_now,
)

if TYPE_CHECKING:
    import networkx

#: Default time limit of a Cypher query, in seconds; None means no limit.
DEFAULT_QUERY_TIMEOUT = 60.0
MAX_QUERY_LENGTH = 1 << 20
#: Most compiled expressions one thread keeps for ``invoke`` between two changes of the data.
MAX_CACHED_EXPRESSIONS = 4096


def connect(
    path: str | FilePath = ":memory:",
    *,
    read_only: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    durable: bool = False,
    query_timeout: float | None = DEFAULT_QUERY_TIMEOUT,
    query_memory: int | None = DEFAULT_QUERY_MEMORY,
    create: bool = True,
    import_dir: str | FilePath | None = None,
) -> Database:
    """Open a bfxdb database file, making a new one where the file is missing or empty.

    A SQLite file of another application (tables bfxdb did not make) is refused, with or
    without ``create``, and left exactly as it was: bfxdb never adds its tables to a file it does
    not own, nor switches it to WAL. On read-only media, ``read_only=True`` opens the file as
    SQLite's ``immutable`` when it must (the README's "Storage" section says when).

    :param path: the SQLite file, ``":memory:"`` for a private in-memory database, or a
        ``postgresql://user:password@host:port/database`` URL (extra ``postgres``; ``?schema=NAME``
        picks the PostgreSQL schema, ``bfxdb`` by default), where Cypher raises NotSupported for now.
    :param read_only: open for reading only; every write raises ReadOnlyError.
    :param timeout: seconds to wait for another writer's lock before giving up.
    :param durable: fsync every commit (survives power loss, not only a killed process).
    :param query_timeout: default time limit of a Cypher query, in seconds.
    :param query_memory: default memory budget of a Cypher query, in bytes (512 MiB); None for none.
    :param create: make a new database at a missing or empty path (the default); False opens
        only an existing bfxdb database and creates no file.
    :param import_dir: the folder Cypher's ``LOAD CSV`` reads ``file:///`` URLs from; None (the
        default) refuses LOAD CSV. It reads nothing outside the folder and nothing from the network.
    :returns: a Database, usable as a context manager.
    :raises ForeignDatabase: if the file is another application's SQLite database, or the PostgreSQL
        schema holds tables bfxdb did not make.
    :raises ExtraMissing: for a PostgreSQL URL without psycopg installed.
    :raises StorageError: if the file cannot be opened, has a newer schema, or (``create=False``)
        is missing or empty; DatabaseCorrupt when it is damaged or no database at all.

    >>> with connect() as db:
    ...     db.count_substrates()
    0
    """
    folder = _check_import_dir(import_dir)
    store = open_store(path, read_only=read_only, timeout=timeout, durable=durable, create=create)
    database = Database(store, query_timeout, query_memory)
    database.import_dir = folder
    return database


class Database:
    """An open bfxdb database: substrates, relationships, expressions and Cypher queries."""

    def __init__(
        self,
        store: Backend,
        query_timeout: float | None = DEFAULT_QUERY_TIMEOUT,
        query_memory: int | None = DEFAULT_QUERY_MEMORY,
    ) -> None:
        self._store = store
        self._guard = store.guard
        self.query_timeout = query_timeout
        self.query_memory = _check_memory(query_memory)
        #: the folder LOAD CSV reads from (None: LOAD CSV is refused)
        self.import_dir: str | None = None
        self._catalogue = BUILTINS
        self._expressions = _ExpressionCache()
        # The composition root: the query engine's Cypher expressions are the sandbox's "cypher" type.
        sandbox.register_expression_type("cypher", compile_cypher_expression)

    @property
    def path(self) -> str:
        """The database file's path, or ``":memory:"``."""
        return self._store.path

    @property
    def read_only(self) -> bool:
        """Whether this handle refuses writes."""
        return self._store.read_only

    @property
    def store(self) -> Backend:
        """The storage layer, for the query engine and tools that need rows."""
        return self._store

    def close(self) -> None:
        """Close the database; the handle cannot be used afterwards."""
        algorithms.SNAPSHOTS.forget(self._store)
        self._store.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def algorithms(self) -> algorithms.Algorithms:
        """The graph algorithms (needs the ``algorithms`` extra): ``db.algorithms.pagerank(...)`` and the
        rest of the ``algo.*`` procedures, each returning {identity: value} in one transaction."""
        return algorithms.Algorithms(self._store, self._guard, self._limits)

    def _limits(self) -> tuple[float | None, int | None]:
        return self.query_timeout, self.query_memory

    def to_networkx(self) -> networkx.MultiDiGraph:
        """Build a networkx MultiDiGraph of the whole database (extra ``networkx``)."""
        from .interop import graph_to_networkx

        with self.snapshot():
            return graph_to_networkx(self.iter_substrates(), self.iter_relationships())

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Read inside one transaction, so every read in the block sees the same committed state.

        In WAL mode this blocks no writer, so it is safe beside a running server.
        """
        with self._guard, self._store.transaction(write=False):
            yield self

    def iter_substrates(self) -> Iterator[Substrate]:
        """Stream every substrate in identity order without loading them all; use inside `snapshot`.

        :raises DatabaseCorrupt: on reaching a damaged page.
        """
        return self._store.iter_substrates()

    def iter_relationships(self) -> Iterator[Relationship]:
        """Stream every relationship in identity order without loading them all; use inside `snapshot`.

        :raises DatabaseCorrupt: on reaching a damaged page.
        """
        return self._store.iter_relationships()

    def schema_version(self) -> int:
        """Return the file's schema version (PRAGMA user_version)."""
        with self._guard:
            return self._store.schema_version()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Group writes atomically: everything in the block commits together or not at all.

        Nested blocks are savepoints: an error inside one undoes only that block if caught.
        """
        with self._guard, self._store.transaction(write=True):
            yield self

    # ------------------------------------------------------------ substrates

    def create_substrate(
        self,
        expression_type: str | None = None,
        expression_code: str | None = None,
        metadata: dict | None = None,
        labels: Iterable[str] = (),
        identity: int | str | None = None,
    ) -> Substrate:
        """Create a substrate.

        Its identity is ``identity`` when given; otherwise the fingerprint of its expression
        (so the same expression is never stored twice), or a random one when it has none.

        :param expression_type: ``"lambda"``, ``"constant"`` or ``"cypher"``; defaults to
            ``"lambda"`` when code is given.
        :param expression_code: the expression's text, checked against the sandbox now.
        :raises Conflict: when the identity exists; ``details["substrate_id"]`` names it.
        :raises ExpressionRejected: when the sandbox refuses the expression.
        :raises InvalidInput: for bad metadata, labels or ids.
        """
        expression_type, expression_code = _check_expression(expression_type, expression_code)
        with self._guard:
            return self._store.insert_substrate(
                assign_identity(identity, expression_type, expression_code),
                labels=labels,
                metadata=metadata,
                expression_type=expression_type,
                expression_code=expression_code,
            )

    def get_substrate(self, identity: int | str) -> Substrate:
        """Load a substrate by identity (an int, `0x` hex or decimal digits).

        :raises NotFound: if there is none.
        """
        identity = parse_id(identity)
        with self._guard:
            substrate = self._store.get_substrate(identity)
        if substrate is None:
            raise NotFound(f"substrate {format_id(identity)} not found", substrate_id=format_id(identity))
        return substrate

    def update_substrate(
        self,
        identity: int | str,
        metadata: dict | None = None,
        labels: Iterable[str] | None = None,
    ) -> Substrate:
        """Replace a substrate's metadata and/or its labels; None leaves that part as it is.

        :raises NotFound: if there is no such substrate.
        """
        identity = parse_id(identity)
        with self._guard, self._store.transaction():
            current = self.get_substrate(identity)
            if metadata is not None:
                self._store.replace_metadata("substrate", identity, metadata)
            if labels is not None:
                labels = check_labels(labels)
                self._store.remove_labels(identity, set(current.labels) - set(labels))
                self._store.add_labels(identity, labels)
            return self.get_substrate(identity)

    def delete_substrate(self, identity: int | str) -> int:
        """Delete a substrate and every relationship touching it.

        :returns: how many relationships were deleted with it.
        :raises NotFound: if there is no such substrate.
        """
        with self._guard:
            return self._store.delete_substrate(parse_id(identity))

    def find_substrates(
        self,
        label: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Substrate]:
        """List substrates in identity order.

        :param label: keep those with this label.
        :param metadata: keep those whose metadata has each of these keys with an equal JSON value.
        """
        _check_page(limit, offset)
        with self._guard:
            return self._store.find_substrates(label, dict(metadata or {}), limit, offset)

    def count_substrates(self) -> int:
        """Count all substrates."""
        with self._guard:
            return self._store.count_substrates()

    # ------------------------------------------------------------ expressions

    def invoke(self, identity: int | str, parameters: Mapping[str, Any] | None = None) -> Any:
        """Evaluate a substrate's expression with the given parameters, inside the sandbox.

        Each call evaluates the expression as stored at that moment: the compiled expression is
        reused only while the database is unchanged (no commit by any connection or process, no
        write by this thread) and no expression type was registered anew, which costs a fraction
        of a microsecond to tell. For the last bit of speed in a loop, see :meth:`invocable`.

        :returns: a JSON value.
        :raises NotFound: if there is no such substrate.
        :raises ExpressionError: if it has no expression or the evaluation fails or runs over a limit.
        """
        if type(parameters) is not dict and parameters is not None and not isinstance(parameters, Mapping):
            raise InvalidInput("parameters must be an object")
        # No error guard here: the sandbox turns whatever the evaluation raises into ExpressionError.
        return self._compiled(identity).invoke(parameters)

    def invocable(self, identity: int | str) -> Callable[[Mapping[str, Any] | None], Any]:
        """Return a function that evaluates a substrate's expression as it is now: ``f(parameters)``.

        For hot loops: a call costs what the sandboxed expression alone costs (0.9x-1.0x a plain
        Python lambda), with no look-up in the database. The function keeps the expression it was made
        with: a later change to the substrate (its deletion, its re-creation with other code) is
        not seen by it; call ``invocable`` again to pick such a change up, or use :meth:`invoke`,
        which sees every change on its very next call. The function holds no database resources
        and stays usable after the database is closed.

        >>> db = connect()
        >>> multiply = db.create_substrate("lambda", "lambda x, y: x * y")
        >>> f = db.invocable(multiply.identity)
        >>> [f({"x": x, "y": 7}) for x in range(3)]
        [0, 7, 14]

        :returns: ``f(parameters)``, returning a JSON value; it raises ExpressionError when the
            evaluation fails or runs over a limit, or the parameters are not a mapping.
        :raises NotFound: if there is no such substrate.
        :raises ExpressionError: if it has no expression.
        """
        invoke: Callable[[Mapping[str, Any] | None], Any] = self._compiled(identity).invoke
        return invoke

    def _compiled(self, identity: int | str) -> sandbox.CompiledExpression:
        """Return a substrate's compiled expression, from this thread's cache while the data is unchanged."""
        cache = self._expressions
        version = self._store.data_version()
        generation = sandbox.EXPRESSION_TYPES.generation
        if version is None or version != cache.version or generation != cache.generation:
            cache.version = version
            cache.generation = generation
            cache.compiled = {}
        # Keyed by the id as given (bool is no id, though True == 1): a hit skips parsing it.
        key = identity if type(identity) is int or type(identity) is str else None
        if key is not None:
            compiled = cache.compiled.get(key)
            if compiled is not None:
                return compiled
        number = parse_id(identity)
        with self._guard:
            expression = self._store.expression_of(number)
        if expression is None:
            raise NotFound(f"substrate {format_id(number)} not found", substrate_id=format_id(number))
        expression_type, expression_code = expression
        if expression_type is None or expression_code is None:
            raise ExpressionError(f"substrate {format_id(number)} has no expression to invoke")
        compiled = sandbox.compile_expression(expression_type, expression_code)
        if version is not None and key is not None:
            if len(cache.compiled) >= MAX_CACHED_EXPRESSIONS:
                cache.compiled.clear()
            cache.compiled[key] = compiled
        return compiled

    def divide(self, identity: int | str, materialize: bool = False) -> list[Dimension]:
        """Split a substrate into its nine Fibonacci dimensions.

        :param materialize: also store each dimension as a substrate (label ``Dimension``) linked
            ``PART_TO_WHOLE`` to the parent; doing it again changes nothing.
        :raises NotFound: if there is no such substrate.
        """
        parent = self.get_substrate(identity)
        dimensions = divide(parent.identity)
        if materialize:
            with self._guard, self._store.transaction():
                existing = self._store.get_substrates(d.identity for d in dimensions)
                for dimension in dimensions:
                    if dimension.identity in existing:
                        continue
                    self._store.insert_substrate(
                        dimension.identity,
                        labels=("Dimension",),
                        metadata={
                            "name": dimension.name,
                            "level": dimension.level,
                            "index": dimension.index,
                            "description": dimension.description,
                        },
                    )
                    self._store.insert_relationship(None, dimension.identity, parent.identity, PART_TO_WHOLE)
        return dimensions

    # ------------------------------------------------------------ relationships

    def create_relationship(
        self,
        source: int | str,
        target: int | str,
        rel_type: str,
        metadata: dict | None = None,
        bidirectional: bool = False,
    ) -> Relationship:
        """Create a directed, typed relationship from source to target; parallel ones are allowed.

        :param bidirectional: a flag kept with the relationship for readers that treat it as
            two-way (the seed's field); adjacency and Cypher still see the stored direction.
        :raises NotFound: naming the endpoint that does not exist.
        """
        source, target = parse_id(source), parse_id(target)
        if not isinstance(bidirectional, bool):
            raise InvalidInput("bidirectional must be true or false")
        with self._guard:
            return self._store.insert_relationship(None, source, target, rel_type, metadata, bidirectional)

    def get_relationship(self, identity: int | str) -> Relationship:
        """Load a relationship by identity.

        :raises NotFound: if there is none.
        """
        identity = parse_id(identity)
        with self._guard:
            relationship = self._store.get_relationship(identity)
        if relationship is None:
            raise NotFound(f"relationship {format_id(identity)} not found")
        return relationship

    def delete_relationship(self, identity: int | str) -> None:
        """Delete a relationship.

        :raises NotFound: if there is none.
        """
        with self._guard:
            self._store.delete_relationship(parse_id(identity))

    def outgoing(
        self, identity: int | str, rel_type: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Relationship]:
        """List the relationships leaving a substrate, ordered by type, target and id.

        :raises NotFound: if there is no such substrate.
        """
        return self._adjacent(identity, "out", rel_type, limit, offset)

    def incoming(
        self, identity: int | str, rel_type: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Relationship]:
        """List the relationships arriving at a substrate, ordered by type, source and id.

        :raises NotFound: if there is no such substrate.
        """
        return self._adjacent(identity, "in", rel_type, limit, offset)

    def _adjacent(
        self, identity: int | str, direction: str, rel_type: str | None, limit: int | None, offset: int
    ) -> list[Relationship]:
        identity = parse_id(identity)
        _check_page(limit, offset)
        with self._guard:
            found = self._store.adjacent(identity, direction, rel_type, limit, offset)
            # An empty answer is ambiguous: tell a lonely substrate from a missing one.
            if not found and self._store.expression_of(identity) is None:
                raise NotFound(f"substrate {format_id(identity)} not found", substrate_id=format_id(identity))
        return found

    def find_relationships(
        self, rel_type: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Relationship]:
        """List relationships in identity order, optionally of one type."""
        _check_page(limit, offset)
        with self._guard:
            return self._store.find_relationships(rel_type, limit, offset)

    def count_relationships(self) -> int:
        """Count all relationships."""
        with self._guard:
            return self._store.count_relationships()

    # ------------------------------------------------------------ bulk

    def bulk_load(
        self,
        substrates: Iterable[Mapping[str, Any] | Substrate] = (),
        relationships: Iterable[Mapping[str, Any] | Relationship] = (),
    ) -> dict[str, int]:
        """Load many substrates and relationships in one transaction: all of them or none.

        Items are dicts with the keyword names of create_substrate / create_relationship, or
        Substrate / Relationship values. Expressions are checked by the sandbox as usual.

        :returns: ``{"substrates": n, "relationships": m}``.
        :raises Conflict: for an identity that exists or repeats; nothing is written.
        :raises NotFound: for a relationship whose endpoint does not exist; nothing is written.
        """
        counts = {"substrates": 0, "relationships": 0}
        created_at = time_micros(utc_now())
        with self._guard, self._store.transaction(), collector_paused():
            # each batch is prepared in steps while the store sends the one before (if its server works beside)
            substrate_batches = _Prepared(substrates, lambda items: _substrate_rows(items, created_at))
            for substrate_rows, label_rows in substrate_batches:
                self._store.bulk_insert(substrate_rows, label_rows, (), beside=substrate_batches.step)
                counts["substrates"] += len(substrate_rows)
            relationship_batches = _Prepared(relationships, lambda items: (_relationship_rows(items, created_at),))
            for (relationship_rows,) in relationship_batches:
                self._store.bulk_insert((), (), relationship_rows, beside=relationship_batches.step)
                counts["relationships"] += len(relationship_rows)
        # the load has committed: a table it grew a lot gets fresh statistics for the planners
        with self._guard:
            self._store.refresh_statistics()
        return counts

    # ------------------------------------------------------------ queries

    def register_procedure(
        self,
        name: str,
        function: Callable[..., Iterable[Any]],
        *,
        inputs: Iterable[tuple[str, str]] = (),
        outputs: Iterable[tuple[str, str]] = (),
        description: str = "",
    ) -> None:
        """Make a Python function callable from Cypher as ``CALL name(args) YIELD outputs``.

        The function gets the arguments in ``inputs`` order (nodes, relationships and paths as
        Substrate, Relationship and Path) and returns an iterable of rows: mappings keyed by
        output name, or sequences in ``outputs`` order. It should only compute and read; what
        it raises becomes a ProcedureFailed error of the query. Registering a name again
        replaces the procedure. Procedures belong to this Database object, not to the file.

        :param name: dotted names, e.g. ``"geo.nearest"``.
        :param inputs: ``(name, type)`` pairs; types as openCypher writes them (``INTEGER``,
            ``STRING?``, ``NODE``, ``ANY?``, ...), a trailing ``?`` admitting null.
        :param outputs: ``(name, type)`` pairs of what each row holds.
        :raises InvalidInput: for a malformed name, field or type.

        >>> db = connect(":memory:")
        >>> db.register_procedure("math.range", lambda n: ([i] for i in range(n)),
        ...                       inputs=[("n", "INTEGER")], outputs=[("i", "INTEGER")])
        >>> db.query("CALL math.range(3) YIELD i RETURN sum(i) AS total").rows
        [(3,)]
        """
        procedure = make_procedure(name, function, inputs, outputs, description)
        if self._catalogue is BUILTINS:
            self._catalogue = BUILTINS.copy()
        self._catalogue.register(procedure)

    def query(
        self,
        text: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
        timeout: float | None = None,
        memory: int | None = None,
    ) -> Result:
        """Run an openCypher query; all its writes commit together, or none on error.

        The one exception is ``CALL { ... } IN TRANSACTIONS``, whose batches commit one by one: an
        error in batch k leaves batches 1 to k - 1 committed and undoes batch k and the rest of the
        query (ON ERROR CONTINUE or BREAK undo only the failed batch). It refuses to run inside
        ``transaction()`` with TransactionNested.

        :param parameters: values for ``$name`` placeholders.
        :param read_only: refuse a query that would write.
        :param timeout: seconds before the query is stopped (default: the database's query_timeout);
            the limit covers parsing and planning as well as running.
        :param memory: bytes the values the query builds and holds may take (default: the
            database's query_memory).
        :returns: a Result: ``columns``, ``rows``, iteration as dicts, ``stats`` and ``plan``.
        :raises QueryError: its subclasses name what went wrong (syntax, semantics, types, time);
            QueryLimitExceeded past the memory budget, QueryTimeout past the time limit.
        """
        limit = self.query_timeout if timeout is None else timeout
        budget = self.query_memory if memory is None else _check_memory(memory)
        prepared, parameters, writes, remaining = self._prepare_query(text, parameters, read_only, limit)
        try:
            with self._guard:
                if prepared.direct is not None:
                    started = time.monotonic()
                    result = self._store.run_bounded(
                        False, remaining, prepared.run_direct, self._store, parameters, budget, transactional=False
                    )
                    if result is not None:
                        return result
                    # what the direct attempt took counts against the limit of the run in a transaction
                    remaining = _remaining(started, remaining)
                run = functools.partial(prepared.run, import_dir=self.import_dir)
                return self._store.run_bounded(writes, remaining, run, self._store, parameters, budget)
        except QueryTimeout as timeout:
            if timeout.detail_code is not None:
                # a refusal that says why on its own (an algorithm estimated to overrun): kept as it is
                raise
            # the store counts from when it started; the caller's limit counts from the call
            raise QueryTimeout(f"the query ran past its time limit of {limit:g} s") from None

    def stream(
        self,
        text: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
        timeout: float | None = None,
        memory: int | None = None,
    ) -> Stream:
        """Run an openCypher query, producing its rows as they are pulled; use it as a context manager.

        A read holds one read transaction (in WAL mode no writer waits for it) from the first
        pull until the rows end, an error, or ``close()``; its time limit counts the whole while,
        slow pulling included, and only the rows pulled are computed. Pull its rows in the thread
        that made it; what that thread writes while the stream is open commits with the stream's
        transaction, when it ends. A query that writes, EXPLAIN and PROFILE run to the end first, as
        with ``query``.

        :param parameters: values for ``$name`` placeholders.
        :param read_only: refuse a query that would write.
        :param timeout: seconds before the query is stopped (default: the database's query_timeout).
        :param memory: bytes the values the query builds and holds may take (default: query_memory).
        :returns: a Stream: ``columns``, iteration as dicts, ``tuples()``, ``row_count``, ``close()``.
        :raises QueryError: for the text at once; for running it, on the pull that hits the error.

        >>> db = connect(":memory:")
        >>> with db.stream("UNWIND range(1, 1000) AS i RETURN i") as rows:
        ...     [row["i"] for row, _ in zip(rows, range(3))]
        [1, 2, 3]
        """
        limit = self.query_timeout if timeout is None else timeout
        budget = self.query_memory if memory is None else _check_memory(memory)
        prepared, parameters, writes, remaining = self._prepare_query(text, parameters, read_only, limit)
        if writes or prepared.explain or prepared.profile:
            result = self.query(text, parameters, read_only=read_only, timeout=timeout, memory=memory)
            return Stream(
                result.columns, iter(result.rows), result.stats, result.plan, result.profile, result.explained
            )
        stream = functools.partial(prepared.stream, import_dir=self.import_dir)
        rows = self._store.stream_bounded(remaining, stream, self._store, parameters, budget, limit=limit)
        return Stream(list(prepared.columns), _guarded(self._guard, rows), None, prepared.plan_text)

    def _prepare_query(
        self,
        text: str,
        parameters: Mapping[str, Any] | None,
        read_only: bool,
        limit: float | None,
    ) -> tuple[PreparedQuery, dict, bool, float | None]:
        """Check a query's arguments and prepare it under its time limit.

        :returns: the plan, the parameters as a dict, whether it writes, and the seconds of the
            limit left for running it (all of it for a cached plan: the hot path stays as cheap).
        """
        if not isinstance(text, str):
            raise InvalidInput("a query must be a string")
        if len(text) > MAX_QUERY_LENGTH:
            raise InvalidInput(f"the query is {len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
        if type(parameters) is not dict:
            if parameters is not None and not isinstance(parameters, Mapping):
                raise InvalidInput("query parameters must be a mapping of names to values")
            parameters = dict(parameters or {})
        prepared = self._catalogue.plans.get(text)
        if prepared is not None and prepared.choices and not prepared.fits(self._store):
            prepared = None  # chosen on statistics that have changed by an order of magnitude
        remaining = limit
        if prepared is None:
            # The grammar is built before the clock runs: the first query of a process must not pay for it.
            load_parser()
            started = time.monotonic()
            prepared = prepare(text, self._catalogue, _deadline(started, limit), self._store)
            remaining = _remaining(started, limit)
        writes = prepared.writes and not prepared.explain
        if writes and (read_only or self._store.read_only):
            raise ReadOnlyError("this query writes, but it was run read-only")
        return prepared, parameters, writes, remaining


class _ExpressionCache(threading.local):
    """One thread's compiled expressions by substrate id as given, valid at one data version and one
    generation of the sandbox's compilers."""

    def __init__(self) -> None:
        self.version: Hashable | None = None
        self.generation = -1
        self.compiled: dict[int | str, sandbox.CompiledExpression] = {}


def _guarded(guard: Any, rows: Iterator[tuple]) -> Iterator[tuple]:
    """Turn what escapes the store while rows are pulled into bfxdb errors, as ``query`` does."""
    with guard:
        yield from rows


def _deadline(started: float, limit: float | None) -> Callable[[], None] | None:
    """The check that raises QueryTimeout once ``limit`` seconds have passed since ``started``."""
    if limit is None:
        return None
    at = started + limit

    def check() -> None:
        if time.monotonic() > at:
            raise QueryTimeout(f"the query ran past its time limit of {limit:g} s")

    return check


def _remaining(started: float, limit: float | None) -> float | None:
    """What is left of the time limit after preparing the query: the store counts from its own start."""
    return None if limit is None else max(limit - (time.monotonic() - started), 0.0)


def _check_import_dir(folder: str | FilePath | None) -> str | None:
    """The import folder as an absolute path, checked to be a directory.

    :raises InvalidInput: when it is not an existing directory.
    """
    if folder is None:
        return None
    if not isinstance(folder, (str, FilePath)) or not FilePath(folder).is_dir():
        raise InvalidInput(f"the import folder {folder!s} is not a directory")
    return str(FilePath(folder).resolve())


def _check_memory(memory: int | None) -> int | None:
    if memory is not None and (type(memory) is not int or memory <= 0):
        raise InvalidInput(f"a query memory budget must be a positive number of bytes, not {memory!r}")
    return memory


def _check_expression(expression_type: str | None, expression_code: str | None) -> tuple[str | None, str | None]:
    if expression_code is None:
        if expression_type is not None:
            raise InvalidInput("expression_type was given without expression_code")
        return None, None
    if not isinstance(expression_code, str):
        raise InvalidInput("expression_code must be a string")
    expression_type = "lambda" if expression_type is None else expression_type
    if not isinstance(expression_type, str):
        raise InvalidInput("expression_type must be a string")
    sandbox.compile_expression(expression_type, expression_code)
    return expression_type, expression_code


#: SQLite's LIMIT and OFFSET are signed 64-bit.
_MAX_PAGE = 2**63 - 1


def _check_page(limit: int | None, offset: int) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= _MAX_PAGE):
        raise InvalidInput(f"limit must be a non-negative integer, not {limit!r}")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= _MAX_PAGE:
        raise InvalidInput(f"offset must be a non-negative integer, not {offset!r}")


#: How many items one step of a _Prepared batch takes: a few milliseconds of work.
PREPARE_STEP = 512


class _Prepared:
    """Bulk items made into rows a batch of BULK_BATCH at a time, by ``convert`` (items -> a tuple of
    row lists), each batch partly in steps taken while the store sends the batch before.

    The items are still taken from their iterable in this thread, in order: only when it happens
    changes (a generator over a sqlite3 cursor, say, must stay in the thread that made it).
    """

    def __init__(self, items: Iterable, convert: Callable[[list], tuple[list[tuple], ...]]) -> None:
        self._items = iter(items)
        self._convert = convert
        self._parts: list[tuple[list[tuple], ...]] = []
        self._taken = 0

    def step(self) -> None:
        """Prepare up to PREPARE_STEP more items of the next batch."""
        wanted = min(PREPARE_STEP, BULK_BATCH - self._taken)
        if wanted > 0 and (items := list(islice(self._items, wanted))):
            self._parts.append(self._convert(items))
            self._taken += len(items)

    def __iter__(self) -> Iterator[tuple[list[tuple], ...]]:
        """Each batch in turn, its rows of each kind, finished from what its steps left undone."""
        while True:
            if rest := list(islice(self._items, BULK_BATCH - self._taken)):
                self._parts.append(self._convert(rest))
            parts, self._parts, self._taken = self._parts, [], 0
            if not parts:
                return
            yield parts[0] if len(parts) == 1 else tuple(
                [row for part in parts for row in part[kind]] for kind in range(len(parts[0]))
            )


def _substrate_rows(items: list, created_at: int) -> tuple[list[tuple], list[tuple]]:
    """Check substrate items and turn them into table rows with signed identities."""
    rows: list[tuple] = []
    label_rows: list[tuple] = []
    append, add_label = rows.append, label_rows.append  # once per row of a bulk load
    for item in items:
        if type(item) is not dict:
            item = _substrate_item(item)
        expression_type, expression_code = item.get("expression_type"), item.get("expression_code")
        if expression_code is not None or expression_type is not None:
            expression_type, expression_code = _check_expression(expression_type, expression_code)
        given = item.get("identity")
        signed = (
            _signed_id(given)
            if given is not None
            else to_signed(assign_identity(None, expression_type, expression_code))
        )
        append((signed, expression_type, expression_code, encode_metadata(item.get("metadata")), created_at))
        labels = item.get("labels")
        if labels:
            if type(labels) is list and len(labels) == 1 and type(labels[0]) is str and labels[0] in CHECKED_NAMES:
                # one label checked before: most rows of a load (check_labels was a fifth of a row's time)
                add_label((signed, labels[0]))
            else:
                for label in check_labels(labels):
                    add_label((signed, label))
    return rows, label_rows


def _substrate_item(item: object) -> Mapping:
    """A bulk substrate item that is no dict as a mapping: a Substrate's fields, or the mapping itself."""
    if isinstance(item, Substrate):
        return {
            "identity": item.identity,
            "labels": item.labels,
            "metadata": dict(item.metadata),
            "expression_type": item.expression_type,
            "expression_code": item.expression_code,
        }
    if not isinstance(item, Mapping):
        raise InvalidInput(f"a substrate item must be a mapping or a Substrate, not {type(item).__name__}")
    return item


_SIGN_BIT = ID_LIMIT >> 1


def _signed_id(value: object) -> int:
    """parse_id then to_signed, with the common case of an int in range first (once per end per row)."""
    if type(value) is int and 0 <= value < ID_LIMIT:
        return value - ID_LIMIT if value >= _SIGN_BIT else value
    return to_signed(parse_id(value))


def _relationship_rows(items: list, created_at: int) -> list[tuple]:
    """Check relationship items and turn them into table rows with signed identities (None: the next one)."""
    rows: list[tuple] = []
    append = rows.append  # once per row of a bulk load
    for item in items:
        if type(item) is not dict and isinstance(item, Relationship):
            rows.append(
                (
                    to_signed(item.identity),
                    to_signed(item.source),
                    to_signed(item.target),
                    check_name("rel_type", item.rel_type),
                    encode_metadata(dict(item.metadata)),
                    int(item.bidirectional),
                    created_at,
                )
            )
            continue
        if type(item) is not dict and not isinstance(item, Mapping):
            raise InvalidInput(
                f"a relationship item must be a mapping or a Relationship, not {type(item).__name__}"
            )
        try:
            source, target, rel_type = item["source"], item["target"], item["rel_type"]
        except KeyError as missing:
            raise InvalidInput(f"a relationship item lacks {missing.args[0]!r}") from None
        identity = item.get("identity")
        # _signed_id's common case inline: two ends on every row of millions
        if type(source) is int and 0 <= source < ID_LIMIT:
            source = source - ID_LIMIT if source >= _SIGN_BIT else source
        else:
            source = _signed_id(source)
        if type(target) is int and 0 <= target < ID_LIMIT:
            target = target - ID_LIMIT if target >= _SIGN_BIT else target
        else:
            target = _signed_id(target)
        if type(rel_type) is not str or rel_type not in CHECKED_NAMES:
            check_name("rel_type", rel_type)
        append(
            (
                None if identity is None else _signed_id(identity),
                source,
                target,
                rel_type,
                encode_metadata(item.get("metadata")),
                1 if item.get("bidirectional") else 0,
                created_at,
            )
        )
    return rows
