"""The SQLite backend: connections, transactions, time limits, row-level CRUD, bulk insert and index DDL."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import lru_cache, partial
from pathlib import Path as FilePath
from typing import Any
from urllib.parse import quote

import orjson

from ..errors import (
    BfxError,
    Conflict,
    DatabaseBusy,
    DatabaseCorrupt,
    ForeignDatabase,
    NotFound,
    QueryTimeout,
    ReadOnlyError,
    StorageError,
    TransactionAborted,
    TransactionNested,
)
from ..identity import format_id, to_signed, to_unsigned
from ..model import Relationship, Substrate
from . import constraints, fulltext, portable, schema, vectors
from .changes import DataVersion
from .constraints import Constraint
from .guard import ErrorGuard, damage, translate_error, translate_integrity_error
from .maintenance import FileMaintenance
from .nodemap import NodeMap, fill_ends
from .quoting import has_json_path, json_path, json_path_literal, quote_identifier
from .rows import (
    NAME_ID,
    NODE_OF,
    RELATIONSHIP_COLUMNS,
    SUBSTRATE_COLUMNS,
    SUBSTRATE_FIELDS,
    check_labels,
    check_name,
    decode_metadata,
    encode_metadata,
    relationship_from_row,
    substrate_from_row,
    time_micros,
    utc_now,
)
from .searchindexes import SearchIndex, load_search_indexes
from .statistics import ANALYSED_TABLES, Statistics, analyse, is_stale

DEFAULT_TIMEOUT = 30.0
#: Rows per executemany batch in bulk loads: bounds memory without costing speed.
BULK_BATCH = 50_000
#: A bulk insert of at least this many rows into a table holding no more rows than it brings
#: drops the table's identity, label or traversal indexes and builds them again, sorted, just
#: before the transaction commits (the identity's before the first relationship): at 100k
#: substrates this halved the time of loading their relationships.
BULK_DEFER_ROWS = 10_000
#: The page cache (KiB) of a connection while it has a bulk load under way, instead of SQLite's 2 MiB.
BULK_CACHE_KIB = 256 * 1024
#: The page cache (KiB) while a bulk load builds the indexes it left. SQLite's sorter sorts runs
#: as large as the cache in memory, then merges them: at 20M rows, runs of 8 MiB built two
#: indexes in 25 s, runs of 256 MiB (which scatter far past the CPU's caches) in 61 s.
INDEX_BUILD_CACHE_KIB = 8 * 1024
#: The helper threads SQLite's sorter may use for those builds: one per core, at most four
#: (a further fifth off the builds at 20M rows on two cores).
INDEX_BUILD_THREADS = min(4, os.cpu_count() or 1)
#: The indexes a bulk load may build after its rows, by table. The identity's unique index comes
#: back before the load's first relationship (whose ends are looked up by identity) and before any
#: read; a repeated identity fails its build, and the load with it.
_DEFERRABLE = {
    "substrates": (schema.IDENTITY_INDEX,),
    "substrate_labels": ("substrate_labels_by_label",),
    "relationships": ("relationships_out", "relationships_in"),
}
#: The entities whose full-text indexes a bulk load of each deferrable table fills after its rows.
_ENTITY_OF = {"substrate_labels": "NODE", "relationships": "RELATIONSHIP"}
#: The progress handler runs every this many SQLite virtual-machine steps.
PROGRESS_STEPS = 10_000
#: The version of the SQLite library in use, for reports.
SQLITE_VERSION = sqlite3.sqlite_version

_SUBSTRATE_COLUMNS = SUBSTRATE_COLUMNS.format(a="s")
_RELATIONSHIP_COLUMNS = RELATIONSHIP_COLUMNS.format(a="r")
_INSERT_SUBSTRATE = f"INSERT INTO substrates ({', '.join(SUBSTRATE_FIELDS)}) VALUES (?, ?, ?, ?, ?)"
#: The INSERT of a batch of substrates without expressions.
_INSERT_PLAIN_SUBSTRATE = "INSERT INTO substrates (identity, metadata, created_at) VALUES (?, ?, ?)"
_INSERT_LABEL = "INSERT INTO substrate_labels (node, label) VALUES (?, ?)"
#: The INSERT of one label for each of a run of nodes from ``?1`` on: ``?2`` is the JSON array of their label ids.
_INSERT_LABEL_RUN = "INSERT INTO substrate_labels (node, label) SELECT ?1 + key, value FROM json_each(?2)"
_INSERT_RELATIONSHIP = (
    "INSERT INTO relationships (identity, source, target, rel_type, metadata, bidirectional, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_IN_JSON = "IN (SELECT value FROM json_each(?))"
#: How DROP INDEX drops a search index of each kind, in the caller's transaction.
_DROP_SEARCH_INDEX: dict[str, Callable[[sqlite3.Connection, SearchIndex], None]] = {
    "FULLTEXT": fulltext.drop,
    "VECTOR": vectors.drop,
}
#: How check, check --repair and stats treat a search index of each kind: what is out of step, the
#: rebuild (in the caller's transaction) and how many entities it holds.
_CHECK_SEARCH_INDEX: dict[str, Callable[[sqlite3.Connection, SearchIndex], list[str]]] = {
    "FULLTEXT": fulltext.problems,
    "VECTOR": vectors.problems,
}
_REBUILD_SEARCH_INDEX: dict[str, Callable[[sqlite3.Connection, SearchIndex], None]] = {
    "FULLTEXT": fulltext.rebuild,
    "VECTOR": vectors.rebuild,
}
_HELD_BY_SEARCH_INDEX: dict[str, Callable[[sqlite3.Connection, SearchIndex], int | None]] = {
    "FULLTEXT": fulltext.held,
    "VECTOR": vectors.held,
}


def _adjacent_sql(near: str, far: str, typed: bool) -> str:
    type_filter = f" AND r.rel_type = {NAME_ID.format('?')}" if typed else ""
    ends = "a.identity, b.identity" if near == "source" else "b.identity, a.identity"
    # Joins, not RELATIONSHIP_COLUMNS' subqueries: each correlated subquery costs SQLite more
    # than the lookup in it, and they made a listing 1.5x the bare rows. CROSS JOIN keeps the
    # order: the substrate first, then its entries in the traversal index (near, rel_type,
    # far, row id), which is the ORDER BY's own order: no sort, and pages are stable.
    return (
        f"SELECT r.identity, {ends}, n.name, r.metadata, r.bidirectional, r.created_at "
        f"FROM substrates AS a CROSS JOIN relationships AS r ON r.{near} = a.node "
        f"CROSS JOIN substrates AS b ON b.node = r.{far} CROSS JOIN names AS n ON n.id = r.rel_type "
        f"WHERE a.identity = ?{type_filter} ORDER BY r.rel_type, r.{far}, r.identity LIMIT ? OFFSET ?"
    )


#: Adjacency statements by (direction, filtered by type), built once.
_ADJACENT_SQL = {
    (direction, typed): _adjacent_sql(near, far, typed)
    for direction, near, far in (("out", "source", "target"), ("in", "target", "source"))
    for typed in (False, True)
}
#: One substrate with its labels; a constant, so sqlite3's statement cache finds it by a cached hash.
_GET_SUBSTRATE = f"SELECT {_SUBSTRATE_COLUMNS} FROM substrates AS s WHERE s.identity = ?"


class SQLiteStore(FileMaintenance):
    """One SQLite database file: a connection per thread, explicit transactions, row-level CRUD.

    Writes go through ``BEGIN IMMEDIATE`` so concurrent writers queue on SQLite's busy
    timeout instead of failing half-way; readers never block in WAL mode. The row methods
    leave sqlite3's errors raw for speed: callers run them inside ``guard``.
    """

    #: Turns sqlite3's errors escaping a block of calls into bfxdb errors.
    guard = ErrorGuard()
    #: The SQL dialect the query compiler renders for this store (bfxdb/query/dialect.py).
    dialect = "sqlite"

    def __init__(
        self,
        path: str | FilePath = ":memory:",
        *,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        durable: bool = False,
        create: bool = True,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.timeout = timeout
        self.durable = durable
        self.create = create
        #: Whether the file is opened with SQLite's ``immutable=1``: read-only media (see _connect).
        self.immutable = False
        self.in_memory = self.path == ":memory:" or self.path.startswith("file::memory:")
        self._local = _ThreadState()
        # An in-memory database lives in one connection, so threads share it under a lock.
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._limits: dict[sqlite3.Connection, _TimeLimit] = {}
        self._connections_lock = threading.Lock()
        self._closed = False
        # Rows written by bulk_insert per analysed table since its last ANALYZE: what makes its statistics stale.
        self._bulk_written = dict.fromkeys(ANALYSED_TABLES, 0)
        # labels' and types' ids in names, as committed: see name_ids
        self._name_ids: dict[str, int] = {}
        self._data_version = DataVersion(private_memory=self.path == ":memory:")
        # the thread that runs read_beside's reads on its own connection, made on first use
        self._beside: ThreadPoolExecutor | None = None
        try:
            connection = self._connection()
            self._claim(connection)
            if not read_only:
                self._migrate(connection)
            else:
                self._check_version(connection)
        except sqlite3.Error as error:
            self.close()
            raise _open_error(self.path, error) from None
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        try:
            connection = self._connect()
            connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            # WAL with NORMAL survives a killed process (the OS keeps the written pages);
            # FULL also survives power loss at the cost of an fsync per commit.
            connection.execute(f"PRAGMA synchronous = {'FULL' if self.durable else 'NORMAL'}")
            if self.read_only:
                connection.execute("PRAGMA query_only = ON")
        except sqlite3.Error as error:
            raise _open_error(self.path, error) from None
        limit = _TimeLimit()
        connection.set_progress_handler(limit.expired, PROGRESS_STEPS)
        with self._connections_lock:
            self._connections.append(connection)
            self._limits[connection] = limit
        return connection

    def _connect(self) -> sqlite3.Connection:
        """Connect to the file: created when missing unless read-only or ``create=False``.

        A read-only file in WAL mode needs its ``-shm`` beside it, or a directory where SQLite can
        make one. On a read-only mount it has neither once its last writer has checkpointed and
        gone; it then opens ``immutable=1``, which takes SQLite's word that nothing changes the
        file while it is open (no locks, no change detection). That holds on read-only media,
        and only there: elsewhere another process could write, so the error stands.
        """
        options: dict[str, Any] = {"timeout": self.timeout, "isolation_level": None, "check_same_thread": False}
        if self.in_memory or (self.create and not self.read_only):
            return sqlite3.connect(self.path, **options)
        mode = "ro" if self.read_only else "rw"
        connection = sqlite3.connect(_file_uri(self.path, mode, self.immutable), uri=True, **options)
        if not self.read_only or self.immutable:
            return connection
        try:
            # The first read opens the WAL index: here is where a missing -shm fails.
            connection.execute("PRAGMA schema_version")
        except sqlite3.OperationalError as error:
            connection.close()
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_CANTOPEN or not _on_read_only_media(self.path):
                raise
            _check_no_wal(self.path)
            self.immutable = True
            return sqlite3.connect(_file_uri(self.path, mode, True), uri=True, **options)
        return connection

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError("the database is closed")
        if self.in_memory:
            if self._shared is None:
                self._shared = self._open()
            return self._shared
        connection = self._local.connection
        if connection is None:
            connection = self._local.connection = self._open()
        return connection

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for a read, with the indexes a bulk load left for later built.

        _indexes_back and _connection in one, their checks inlined: every query's statements pass here.
        """
        local = self._local
        connection = self._shared if self.in_memory else local.connection
        if connection is None or self._closed or local.bulk is not None:
            self._indexes_back()
            return self._connection()
        return connection

    def close(self) -> None:
        """Close every connection this store opened, in every thread."""
        self._closed = True
        if self._beside is not None:
            self._beside.shutdown(wait=True)
        self._data_version.close()
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _claim(self, connection: sqlite3.Connection) -> None:
        """Refuse a file bfxdb did not make, before anything is written to it (not even WAL mode).

        :raises ForeignDatabase: for another application's SQLite file, ``create`` or not.
        :raises StorageError: for an empty file with ``create=False``.
        """
        foreign = schema.foreign_content(connection)
        if foreign is not None:
            raise ForeignDatabase(
                f"{self.path!r} is not a bfxdb database: it holds {foreign}, which bfxdb did not make, "
                "and bfxdb left it unchanged; give a new path for a bfxdb database (`bfxdb init NEW_PATH` makes one)",
                path=self.path,
            )
        if not self.create and connection.execute("PRAGMA user_version").fetchone()[0] == 0:
            raise StorageError(
                f"{self.path!r} is empty, not a bfxdb database; `bfxdb init PATH` or connect(PATH) makes one there"
            )

    def _migrate(self, connection: sqlite3.Connection) -> None:
        if not self.in_memory:
            # A setting of the file, kept by every later connection: made only once the file is known to be ours.
            connection.execute("PRAGMA journal_mode = WAL")
        version = self._known_version(connection)
        if version == schema.SCHEMA_VERSION:
            return
        with self.transaction():
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version, schema.SCHEMA_VERSION):
                migration = schema.MIGRATIONS[step]
                if isinstance(migration, str):
                    schema.run_script(connection, migration)
                else:
                    migration(connection)
                connection.execute(f"PRAGMA user_version = {step + 1}")

    def _check_version(self, connection: sqlite3.Connection) -> None:
        version = self._known_version(connection)
        if version < schema.OLDEST_READABLE:
            raise StorageError(f"{self.path!r} has schema version {version}; open it writable once to migrate")

    def _known_version(self, connection: sqlite3.Connection) -> int:
        """Return the file's schema version.

        :raises StorageError: for a version newer than this bfxdb knows.
        """
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise StorageError(
                f"{self.path!r} has schema version {version}; this bfxdb knows up to {schema.SCHEMA_VERSION}"
            )
        return version

    def data_version(self) -> Hashable | None:
        """Return the version of the data this thread reads; None inside a transaction (see DataVersion).

        Equal versions mean nothing was committed by any connection or process, nor written by
        this thread, in between: what was read from the store may be reused.
        """
        # The thread's connection without _connection()'s checks, for a call made before every invoke.
        connection = self._shared if self.in_memory else self._local.connection
        if connection is None or self._closed:
            connection = self._connection()
        try:
            return self._data_version.of(connection)
        except sqlite3.Error as error:
            raise translate_error(error) from None

    def read_beside(self, version: Hashable | None, sql: str, params: Sequence[Any] = ()) -> Callable[[], Any] | None:
        """Start a one-row read on another connection, for a caller whose transaction reads the state at ``version``.

        SQLite releases the GIL while it steps a statement, so the two reads use both cores. The
        caller read ``version`` before its transaction began and has read in it since; the other
        connection's read counts only if the WAL index still holds ``version`` once it is done: then
        nothing was committed from before the caller's snapshot to after this one, and both read
        the same state. Only a file in WAL mode can tell (its index is shared by every connection).

        :returns: None when this store cannot tell (see above; an in-memory database has one
            connection); else a function that waits for the row and returns it, or None if a commit
            came in between. An error of the read (its time limit, the caller's) is raised there.
        """
        if version is None or self.in_memory or not self._data_version.shared or self._closed:
            return None
        if self._beside is None:
            with self._connections_lock:
                if self._beside is None:
                    self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bfxdb-beside")
        seconds = self.time_left()
        future = self._beside.submit(self._read_beside_now, version, sql, tuple(params), seconds)

        def row() -> Any:
            try:
                return future.result()
            except sqlite3.Error as error:
                raise self._limits[self._connection()].translate(error) from None

        return row

    def _read_beside_now(self, version: Hashable, sql: str, params: tuple, seconds: float) -> Any:
        connection = self._connection()  # the reading thread's own
        clock = self._limits[connection]
        previous = clock.tighten(None if math.isinf(seconds) else max(seconds, 0.0))
        try:
            connection.execute("BEGIN")
            try:
                found = connection.execute(sql, params).fetchone()
            finally:
                # it only read; an interrupted statement may have ended the transaction already
                if connection.in_transaction:
                    connection.execute("COMMIT")
        finally:
            clock.at, clock.seconds = previous
        return found if self._data_version.of(connection) == version else None

    def time_left(self) -> float:
        """Return the seconds left before the time limit of this thread's bounded run passes (inf for none)."""
        return self._limits[self._connection()].at - time.monotonic()

    def schema_version(self) -> int:
        """Return the file's PRAGMA user_version."""
        version: int = self.execute("PRAGMA user_version").fetchone()[0]
        return version

    # ------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[None]:
        """Run the block atomically: all of it commits or none of it does; nested blocks are savepoints.

        :param write: take the write lock at the start (``BEGIN IMMEDIATE``), so the block never
            fails half-way on a lock; readers use a deferred transaction.
        :raises ReadOnlyError: for a write block on a read-only store.
        """
        connection, depth = self._open_transaction(write)
        try:
            yield
        except BaseException:
            self._close_transaction(connection, depth, commit=False)
            raise
        self._close_transaction(connection, depth, commit=True)

    def lock_merges(self) -> None:
        """Nothing to do: a write transaction holds the file's write lock (BEGIN IMMEDIATE), so MERGEs never race."""

    def next_batch(self, write: bool, *, commit: bool = True) -> None:
        """End the open transaction, committing (or rolling back) what it has done, and begin the next
        one at once: the batches of ``CALL { ... } IN TRANSACTIONS``, each of which ends on its own.

        Only a transaction nested in no other may end; inside a ``Database.transaction()`` block
        the query's transaction is a savepoint of the block's, and this refuses before doing anything.

        :param write: take the write lock for the next transaction (``BEGIN IMMEDIATE``).
        :param commit: commit; False rolls back (a failed batch under ON ERROR CONTINUE or BREAK).
        :raises TransactionNested: when the open transaction is nested in another.
        """
        if self._local.depth != 1:
            raise TransactionNested(
                "CALL { ... } IN TRANSACTIONS commits batch by batch, so it cannot run inside an explicit "
                "transaction; run the query on its own, outside Database.transaction()",
                "TransactionNested",
            )
        connection = self._connection()
        self._end(connection, 0, commit=commit)
        self._begin(connection, write)

    def run_bounded(
        self,
        write: bool,
        seconds: float | None,
        function: Callable[..., Any],
        *args: Any,
        transactional: bool = True,
        limit: float | None = None,
    ) -> Any:
        """Call ``function(*args, check)`` in one transaction under a time limit, and commit its work.

        With ``transactional=False`` no transaction is opened: for a read of one SQL statement,
        which SQLite runs on one snapshot by itself. ``limit`` is the time limit the caller set,
        when ``seconds`` is what is left of it (planning took the rest): a timeout names it.

        ``check`` raises QueryTimeout once the limit has passed, for Python loops; SQL is stopped
        by the connection's progress handler. A plain method rather than two context managers
        because every Cypher query passes through here.

        :raises QueryTimeout: when the limit passes; nothing is written.
        """
        if not transactional:
            return self._run_statement(seconds, limit, function, args)
        connection, depth = self._open_transaction(write)
        clock = self._limits[connection]
        previous = clock.tighten(seconds, limit)
        try:
            result = function(*args, clock.check)
        except sqlite3.Error as error:
            self._close_transaction(connection, depth, commit=False)
            raise clock.translate(error) from None
        except BaseException:
            self._close_transaction(connection, depth, commit=False)
            raise
        finally:
            clock.at, clock.seconds = previous
        self._close_transaction(connection, depth, commit=True)
        return result

    def stream_bounded(
        self, seconds: float | None, function: Callable[..., Iterator], *args: Any, limit: float | None = None
    ) -> Iterator:
        """Yield what ``function(*args, check)`` yields, inside one read transaction under a time limit.

        The transaction opens at the first pull and ends when the rows do, on an error, or when the
        generator is closed, always by committing: it only read, and what this thread wrote
        between pulls (nested in it as savepoints) must not be lost. The limit's clock runs from
        the first pull, slow consumers included; between pulls the connection's own limit is
        back, so other work on this thread is not cut short. In WAL mode the read transaction
        blocks no writer. ``limit`` is as in run_bounded: the limit a timeout names.

        :raises QueryTimeout: on a pull after the limit has passed.
        """
        connection, depth = self._open_transaction(False)
        clock = self._limits[connection]
        outer = clock.at, clock.seconds
        clock.tighten(seconds, limit)
        mine = clock.at, clock.seconds
        rows: Iterator | None = None
        try:
            while True:
                clock.at, clock.seconds = mine
                try:
                    if rows is None:
                        rows = function(*args, clock.check)
                    row = next(rows)
                except StopIteration:
                    break
                except sqlite3.Error as error:
                    raise clock.translate(error) from None
                finally:
                    clock.at, clock.seconds = outer
                yield row
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
            # an error may have made SQLite roll back by itself already
            self._close_transaction(connection, depth, commit=connection.in_transaction)

    def _run_statement(
        self, seconds: float | None, limit: float | None, function: Callable[..., Any], args: tuple
    ) -> Any:
        if self.in_memory:
            self._shared_lock.acquire()
        try:
            # _connection inlined for a thread that has its connection: every small read passes here
            connection = None if self._closed or self.in_memory else self._local.connection
            clock = self._limits[connection or self._connection()]
            previous = clock.tighten(seconds, limit)
            try:
                return function(*args, clock.check)
            except sqlite3.Error as error:
                raise clock.translate(error) from None
            finally:
                clock.at, clock.seconds = previous
        finally:
            if self.in_memory:
                self._shared_lock.release()

    def _open_transaction(self, write: bool) -> tuple[sqlite3.Connection, int]:
        if write and self.read_only:
            raise ReadOnlyError("this database was opened read-only")
        if self.in_memory:
            self._shared_lock.acquire()
        try:
            connection = self._connection()
            depth = self._local.depth
            if depth == 0:
                self._begin(connection, write)
            elif not connection.in_transaction:
                # A SAVEPOINT outside a transaction begins one, and its RELEASE would commit
                # the block's writes on their own, after the enclosing ones were undone.
                raise TransactionAborted(
                    "SQLite ended the enclosing transaction after an error in it, undoing all of it; "
                    "nothing more can be written in it: end the block and begin a new transaction"
                )
            else:
                connection.execute(f"SAVEPOINT bfx_{depth}")
        except BaseException:
            if self.in_memory:
                self._shared_lock.release()
            raise
        self._local.depth = depth + 1
        return connection, depth

    def _close_transaction(self, connection: sqlite3.Connection, depth: int, *, commit: bool) -> None:
        try:
            self._local.depth = depth
            self._end(connection, depth, commit=commit)
        finally:
            if self.in_memory:
                self._shared_lock.release()

    def _begin(self, connection: sqlite3.Connection, write: bool) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                self._local.writing = write
                return
            except sqlite3.Error as error:
                # The busy timeout covers ordinary contention; a lock held past it is an outage.
                locked = isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
                if locked and time.monotonic() > deadline:
                    raise DatabaseBusy(
                        f"another connection or process has held the database's write lock for over "
                        f"{self.timeout:g} s; nothing was written, try again later"
                    ) from None
                if not locked:
                    raise translate_error(error, "cannot start a transaction") from None
                time.sleep(0.01)

    def _end(self, connection: sqlite3.Connection, depth: int, *, commit: bool) -> None:
        bulk = self._local.bulk
        if not commit and bulk is not None:
            # the rows rolled back may have been a bulk load's: their node numbers are no longer theirs
            bulk.nodes.clear()
        if not commit and not connection.in_transaction:
            # SQLite rolled back by itself, as it does on some errors (a damaged page, a full disk).
            if depth == 0 and self._local.bulk is not None:
                self._finish_bulk(connection, build=False)
            return
        try:
            if depth == 0:
                if self._local.bulk is not None:
                    # the indexes a bulk load left are built in its transaction, so they commit with it
                    self._finish_bulk(connection, build=commit)
                if commit:
                    self._fold_vectors(connection)
                connection.execute("COMMIT" if commit else "ROLLBACK")
            elif commit:
                connection.execute(f"RELEASE bfx_{depth}")
            else:
                connection.execute(f"ROLLBACK TO bfx_{depth}")
                connection.execute(f"RELEASE bfx_{depth}")
        except sqlite3.Error as error:
            if connection.in_transaction and depth == 0:
                # The error raised below says what went wrong; a failing ROLLBACK adds nothing.
                with suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise translate_error(error, f"cannot {'commit' if commit else 'roll back'}") from None

    def _fold_vectors(self, connection: sqlite3.Connection) -> None:
        """Fold what a write transaction made pending in the vector indexes into their BLOBs, before it commits.

        The indexes are read again only when the schema changed (PRAGMA schema_version, about 1 µs):
        a file without vector indexes pays that alone per commit.
        """
        if not self._local.writing:
            return
        version = connection.execute("PRAGMA schema_version").fetchone()[0]
        cached = self._local.vector_indexes
        if cached is None or cached[0] != version or cached[1] is not connection:
            cached = self._local.vector_indexes = (version, connection, vectors.load(connection))
        for index in cached[2]:
            vectors.fold(connection, index)

    def backup_to(self, path: str) -> None:
        """Copy the database into the file at ``path`` with SQLite's online backup, in one step.

        One step holds one read transaction (in WAL mode writers carry on) and never restarts.

        :raises StorageError: if the source cannot be read or the copy written; DatabaseCorrupt when
            the source is damaged, so the copy fails its check.
        """
        try:
            source = sqlite3.connect(
                "file:" + FilePath(self.path).resolve().as_posix() + "?mode=ro", uri=True, timeout=self.timeout
            )
            copy = sqlite3.connect(path)
            try:
                source.backup(copy)
                if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise DatabaseCorrupt("backup failed: the copy fails its quick_check, so the database is damaged")
            finally:
                copy.close()
                source.close()
        except sqlite3.Error as error:
            raise translate_error(error, "backup failed") from None

    # ------------------------------------------------------------ statements

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one SQL statement on this thread's connection with its values as parameters.

        :raises StorageError: for any error but an interrupt, which run_bounded turns into QueryTimeout;
            DatabaseCorrupt for a damaged file.
        """
        try:
            return self._reader().execute(sql, params)
        except sqlite3.Error as error:
            raise _statement_error(error) from None

    def fetch_all(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple]:
        """Run one statement as execute does and return all its rows (errors while stepping alike)."""
        try:
            rows: list[tuple] = self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise _statement_error(error) from None
        return rows

    # ------------------------------------------------------------ substrates

    def insert_substrate(
        self,
        identity: int,
        *,
        labels: Iterable[str] = (),
        metadata: dict | None = None,
        expression_type: str | None = None,
        expression_code: str | None = None,
    ) -> Substrate:
        """Insert one substrate with its labels.

        :raises Conflict: when the identity exists already.
        """
        labels = check_labels(labels)
        metadata_text = encode_metadata(metadata)
        created_at = utc_now()
        signed = to_signed(identity)
        connection = self._connection()
        with self.transaction():
            try:
                node = connection.execute(
                    _INSERT_SUBSTRATE,
                    (signed, expression_type, expression_code, metadata_text, time_micros(created_at)),
                ).lastrowid
            except sqlite3.IntegrityError:
                raise Conflict(
                    f"substrate {format_id(identity)} already exists", substrate_id=format_id(identity)
                ) from None
            if labels:
                ids = _intern(connection, labels)
                with _naming("substrate", identity):
                    connection.executemany(_INSERT_LABEL, [(node, ids[label]) for label in labels])
        return Substrate(
            identity,
            tuple(sorted(labels)),
            decode_metadata(metadata_text),
            expression_type,
            expression_code,
            created_at,
        )

    def get_substrate(self, identity: int) -> Substrate | None:
        """Load one substrate, or None."""
        row = self._reader().execute(_GET_SUBSTRATE, (to_signed(identity),)).fetchone()
        return substrate_from_row(row) if row else None

    def get_substrates(self, identities: Iterable[int]) -> dict[int, Substrate]:
        """Load many substrates at once, keyed by identity; missing ones are left out."""
        ids = json.dumps([to_signed(identity) for identity in identities])
        rows = self._reader().execute(
            f"SELECT {_SUBSTRATE_COLUMNS} FROM substrates AS s WHERE s.identity {_IN_JSON}", (ids,)
        )
        return {substrate.identity: substrate for substrate in map(substrate_from_row, rows)}

    def expression_of(self, identity: int) -> tuple[str | None, str | None] | None:
        """Return (expression_type, expression_code) of a substrate, or None if it does not exist."""
        return self._reader().execute(
            "SELECT expression_type, expression_code FROM substrates WHERE identity = ?", (to_signed(identity),)
        ).fetchone()

    def find_substrates(
        self,
        label: str | None = None,
        metadata: dict | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Substrate]:
        """List substrates in identity order, filtered by a label and by metadata key equality."""
        where: list[str] = []
        params: list[Any] = []
        if label is not None:
            where.append(
                "EXISTS (SELECT 1 FROM substrate_labels AS l "
                f"WHERE l.node = s.node AND l.label = {NAME_ID.format('?')})"
            )
            params.append(label)
        for key, value in (metadata or {}).items():
            path, encoded = json_path(key), json.dumps(value, separators=(",", ":"))
            # Types must match too: json_extract alone makes true equal 1 and 1.0 equal 1.
            if has_json_path(key):
                where.append(
                    "json_type(s.metadata, ?) = json_type(?) AND json_extract(s.metadata, ?) IS json_extract(?, '$')"
                )
                params.extend((path, encoded, path, encoded))
            else:
                where.append(
                    "EXISTS (SELECT 1 FROM json_each(s.metadata) AS m WHERE m.fullkey = ? "
                    "AND m.type = json_type(?) AND m.value IS json_extract(?, '$'))"
                )
                params.extend((path, encoded, encoded))
        sql = f"SELECT {_SUBSTRATE_COLUMNS} FROM substrates AS s"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.identity LIMIT ? OFFSET ?"
        params.extend((-1 if limit is None else limit, offset))
        return [substrate_from_row(row) for row in self._connection().execute(sql, params)]

    def count_substrates(self) -> int:
        """Count all substrates."""
        return self._connection().execute("SELECT count(*) FROM substrates").fetchone()[0]

    def set_node_property(self, key: str, values: list[tuple[int, Any]]) -> None:
        """Set property ``key`` of each substrate, given by node number, to its JSON value, in one statement."""
        # each value travels as its JSON text: SQLite would print a REAL with 15 digits, losing the last ones
        pairs = [[node, json.dumps(value)] for node, value in values]
        self.execute(
            "WITH v AS (SELECT json_extract(value, '$[0]') AS node, json_extract(value, '$[1]') AS x "
            "FROM json_each(?)) "
            "UPDATE substrates SET metadata = json_set(metadata, ?, json(v.x)) FROM v WHERE substrates.node = v.node",
            (json.dumps(pairs), json_path(key)),
        )

    def replace_metadata(self, kind: str, identity: int, metadata: dict) -> None:
        """Replace the whole metadata of a substrate or a relationship.

        :raises NotFound: if it does not exist.
        """
        table = {"substrate": "substrates", "relationship": "relationships"}[kind]
        with _naming(kind, identity):
            cursor = self._connection().execute(
                f"UPDATE {table} SET metadata = ? WHERE identity = ?", (encode_metadata(metadata), to_signed(identity))
            )
        if cursor.rowcount == 0:
            raise NotFound(f"{kind} {format_id(identity)} not found")

    def add_labels(self, identity: int, labels: Iterable[str]) -> int:
        """Add labels to a substrate; returns how many were new."""
        signed = to_signed(identity)
        connection = self._connection()
        labels = check_labels(labels)
        ids = _intern(connection, labels)
        with _naming("substrate", identity):
            cursor = connection.executemany(
                "INSERT OR IGNORE INTO substrate_labels (node, label) "
                "SELECT node, ? FROM substrates WHERE identity = ?",
                [(ids[label], signed) for label in labels],
            )
        return max(cursor.rowcount, 0)

    def remove_labels(self, identity: int, labels: Iterable[str]) -> int:
        """Remove labels from a substrate; returns how many it had."""
        signed = to_signed(identity)
        cursor = self._connection().executemany(
            f"DELETE FROM substrate_labels WHERE node = {NODE_OF.format('?')} AND label = {NAME_ID.format('?')}",
            [(signed, label) for label in labels],
        )
        return max(cursor.rowcount, 0)

    def delete_substrate(self, identity: int) -> int:
        """Delete a substrate with its labels and relationships; returns how many relationships went.

        :raises NotFound: if it does not exist.
        """
        self._indexes_back()
        connection = self._connection()
        with self.transaction():
            row = connection.execute(
                "SELECT node FROM substrates WHERE identity = ?", (to_signed(identity),)
            ).fetchone()
            if row is None:
                raise NotFound(f"substrate {format_id(identity)} not found", substrate_id=format_id(identity))
            relationships = connection.execute(
                "DELETE FROM relationships WHERE source = ? OR target = ?", (row[0], row[0])
            ).rowcount
            connection.execute("DELETE FROM substrates WHERE node = ?", row)
        return relationships

    # ------------------------------------------------------------ relationships

    def insert_relationship(
        self,
        identity: int | None,
        source: int,
        target: int,
        rel_type: str,
        metadata: dict | None = None,
        bidirectional: bool = False,
    ) -> Relationship:
        """Insert one relationship between two existing substrates.

        :param identity: its identity, or None for the next one (one above any used so far).
        :raises NotFound: naming the endpoint that does not exist.
        :raises Conflict: when the identity exists already.
        """
        check_name("rel_type", rel_type)
        metadata_text = encode_metadata(metadata)
        created_at = utc_now()
        # its ends are looked up by identity: a bulk load's identity index must be back
        connection = self._reader()
        with self.transaction():
            nodes = dict(
                connection.execute(
                    "SELECT identity, node FROM substrates WHERE identity IN (?, ?)",
                    (to_signed(source), to_signed(target)),
                ).fetchall()
            )
            for role, endpoint in (("source", source), ("target", target)):
                if to_signed(endpoint) not in nodes:
                    raise NotFound(
                        f"{role} substrate {format_id(endpoint)} not found", substrate_id=format_id(endpoint)
                    )
            try:
                cursor = connection.execute(
                    _INSERT_RELATIONSHIP,
                    (
                        None if identity is None else to_signed(identity),
                        nodes[to_signed(source)],
                        nodes[to_signed(target)],
                        _intern(connection, (rel_type,))[rel_type],
                        metadata_text,
                        int(bool(bidirectional)),
                        time_micros(created_at),
                    ),
                )
            except sqlite3.IntegrityError as error:
                entity = "the new relationship" if identity is None else None
                named = constraints.violation(error, entity) or vectors.refusal(error, entity)
                if named is not None:
                    raise named from None
                raise Conflict(f"relationship {format_id(identity or 0)} already exists") from None
        return Relationship(
            to_unsigned(cursor.lastrowid or 0),
            source,
            target,
            rel_type,
            decode_metadata(metadata_text),
            bool(bidirectional),
            created_at,
        )

    def get_relationship(self, identity: int) -> Relationship | None:
        """Load one relationship, or None."""
        row = self._connection().execute(
            f"SELECT {_RELATIONSHIP_COLUMNS} FROM relationships AS r WHERE r.identity = ?", (to_signed(identity),)
        ).fetchone()
        return relationship_from_row(row) if row else None

    def get_relationships(self, identities: Iterable[int]) -> dict[int, Relationship]:
        """Load many relationships at once, keyed by identity; missing ones are left out."""
        ids = json.dumps([to_signed(identity) for identity in identities])
        rows = self._connection().execute(
            f"SELECT {_RELATIONSHIP_COLUMNS} FROM relationships AS r WHERE r.identity {_IN_JSON}", (ids,)
        )
        return {rel.identity: rel for rel in map(relationship_from_row, rows)}

    def adjacent(
        self,
        identity: int,
        direction: str,
        rel_type: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Relationship]:
        """List the relationships leaving (``"out"``) or reaching (``"in"``) a substrate.

        In the traversal index's order (type in order of first use, far end's node number, id), so
        pages are stable and need no sort. The stored direction decides: a bidirectional relationship
        is listed at its source as outgoing and at its target as incoming.
        """
        key = (to_signed(identity),) if rel_type is None else (to_signed(identity), rel_type)
        rows = self._reader().execute(
            _ADJACENT_SQL[direction, rel_type is not None], key + (-1 if limit is None else limit, offset)
        )
        return list(map(relationship_from_row, rows))

    def find_relationships(
        self, rel_type: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Relationship]:
        """List relationships in identity order, optionally of one type."""
        sql = f"SELECT {_RELATIONSHIP_COLUMNS} FROM relationships AS r"
        params: list[Any] = []
        if rel_type is not None:
            sql += f" WHERE r.rel_type = {NAME_ID.format('?')}"
            params.append(rel_type)
        sql += " ORDER BY r.identity LIMIT ? OFFSET ?"
        params.extend((-1 if limit is None else limit, offset))
        return [relationship_from_row(row) for row in self._connection().execute(sql, params)]

    def count_relationships(self) -> int:
        """Count all relationships."""
        return self._connection().execute("SELECT count(*) FROM relationships").fetchone()[0]

    def name_ids(self, names: list[str]) -> dict[str, int]:
        """Return the ids the store keeps labels and relationship types under; a name never used is left out.

        A name's id, once committed, never changes (names are only ever added), so ids read outside
        a transaction are kept for every later call; ids read inside one may yet be rolled back.
        """
        known = self._name_ids
        for name in names:
            if name not in known:
                break
        else:
            # a loop rather than all() over a generator: every query naming a label or type asks
            return known
        connection = self._connection()
        found = dict(
            connection.execute(f"SELECT name, id FROM names WHERE name {_IN_JSON}", (json.dumps(names),)).fetchall()
        )
        if not connection.in_transaction:
            known.update(found)
        return {**known, **found}

    def distinct_labels(self) -> list[tuple[str]]:
        """Every label in use, sorted, as one-value rows."""
        self._indexes_back()
        return self._connection().execute(portable.DISTINCT_LABELS).fetchall()

    def distinct_relationship_types(self) -> list[tuple[str]]:
        """Every relationship type in use, sorted, as one-value rows."""
        return self._connection().execute(portable.DISTINCT_RELATIONSHIP_TYPES).fetchall()

    def distinct_property_keys(self) -> list[tuple[str]]:
        """Every top-level metadata key of substrates and relationships, sorted, as one-value rows."""
        return self._connection().execute(
            "SELECT key FROM substrates, json_each(substrates.metadata) "
            "UNION SELECT key FROM relationships, json_each(relationships.metadata) ORDER BY 1"
        ).fetchall()

    def delete_relationship(self, identity: int) -> None:
        """Delete one relationship.

        :raises NotFound: if it does not exist.
        """
        cursor = self._connection().execute("DELETE FROM relationships WHERE identity = ?", (to_signed(identity),))
        if cursor.rowcount == 0:
            raise NotFound(f"relationship {format_id(identity)} not found")

    # ------------------------------------------------------------ bulk

    def bulk_insert(
        self,
        substrate_rows: Iterable[tuple[int, str | None, str | None, str, int]],
        label_rows: Iterable[tuple[int, str]],
        relationship_rows: Iterable[tuple],
        beside: Callable[[], None] | None = None,
    ) -> None:
        """Insert prepared rows in the caller's transaction, each kind with one statement per batch.

        Rows are already checked (their metadata is encode_metadata's JSON) and use signed
        identities: substrates as (identity, expression_type, expression_code, metadata,
        created_at), labels as (substrate, label), relationships as (identity or None, source,
        target, rel_type, metadata, bidirectional, created_at), times as time_micros gives them.
        Substrates get the next node numbers in the order given, relationships without an
        identity the next identities; endpoints this load did not insert are found with one
        join per batch.

        SQLite works in this process, so ``beside`` is not called: there is nothing to overlap.

        :raises Conflict: naming an identity that exists or repeats.
        :raises NotFound: naming a relationship's endpoint that does not exist.
        """
        connection = self._connection()
        rows = substrate_rows if isinstance(substrate_rows, list) else list(substrate_rows)
        labels = label_rows if isinstance(label_rows, list) else list(label_rows)
        relationships = relationship_rows if isinstance(relationship_rows, list) else list(relationship_rows)
        self._start_bulk(
            connection, {"substrates": len(rows), "substrate_labels": len(labels), "relationships": len(relationships)}
        )
        bulk = getattr(self._local, "bulk", None)
        known = NodeMap() if bulk is None else bulk.nodes
        if relationships and bulk is not None and "substrates" in bulk.deferred:
            self._identity_index_back(connection, bulk)
        # bfxdb serialised the metadata itself: SQLite need not parse it again per row
        connection.execute("PRAGMA ignore_check_constraints = ON")
        try:
            if rows:
                _bulk_substrates(connection, rows, labels, known)
                self._bulk_written["substrates"] += len(rows)
            if relationships:
                _bulk_relationships(connection, relationships, known)
        except sqlite3.IntegrityError as error:
            raise translate_integrity_error(error) from None
        finally:
            connection.execute("PRAGMA ignore_check_constraints = OFF")

    def _start_bulk(self, connection: sqlite3.Connection, rows: dict[str, int]) -> None:
        """Ready a bulk insert of ``rows`` per table: a large cache, and maybe indexes left for the commit.

        Only inside a transaction (a bulk insert always is): the indexes come back before it
        commits, or with its rollback; before any other statement of this thread's, too.
        """
        if not connection.in_transaction:
            return
        bulk = getattr(self._local, "bulk", None)
        if bulk is None:
            cache = connection.execute("PRAGMA cache_size").fetchone()[0]
            connection.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
            bulk = self._local.bulk = _Bulk(cache)
        for table, count in rows.items():
            if count < BULK_DEFER_ROWS or table in bulk.deferred:
                continue
            present = connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (count + 1,))
            if present.fetchone()[0] > count:
                continue
            if table == "substrates":
                bulk.loaded_from = connection.execute("SELECT coalesce(max(node), 0) + 1 FROM substrates").fetchone()[0]
            saved = []
            for index in _DEFERRABLE[table]:
                row = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,))
                found = row.fetchone()
                if found is not None:
                    saved.append(found[0])
                    connection.execute(f"DROP INDEX {index}")
            bulk.deferred[table] = saved
            if table in _ENTITY_OF:
                bulk.fulltext.extend(fulltext.suspend(connection, _ENTITY_OF[table]))

    def _indexes_back(self) -> None:
        """Build the indexes a bulk load of this thread left for later, before a read that needs them."""
        if getattr(self._local, "bulk", None) is not None:
            self._finish_bulk(self._connection(), build=True)

    def _identity_index_back(self, connection: sqlite3.Connection, bulk: _Bulk) -> None:
        """Build the identity's unique index a bulk load dropped.

        A repeat makes the build fail, and the rows that repeat can no longer be told apart, so the
        whole transaction is rolled back there and then: nothing can commit it without its index,
        even a caller that catches the Conflict and carries on.

        :raises Conflict: naming the first substrate of the load whose identity repeats one before it.
        """
        for statement in bulk.deferred.pop("substrates"):
            try:
                with _page_cache(connection, INDEX_BUILD_CACHE_KIB, INDEX_BUILD_THREADS):
                    # a savepoint rolled back may have brought the index back already
                    connection.execute(statement.replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1))
            except sqlite3.IntegrityError:
                conflict = _repeated_identity(connection, bulk.loaded_from)
                self._local.bulk = None
                connection.execute(f"PRAGMA cache_size = {bulk.cache}")
                connection.execute("ROLLBACK")
                raise conflict from None

    def _finish_bulk(self, connection: sqlite3.Connection, *, build: bool) -> None:
        """End this thread's bulk load: build the indexes it left (``build``), restore the cache."""
        bulk = self._local.bulk
        self._local.bulk = None
        # the node numbers (up to a gigabyte) are of no use to the index builds: give them back first
        bulk.nodes.clear()
        try:
            if build:
                if "substrates" in bulk.deferred:
                    self._identity_index_back(connection, bulk)
                with _page_cache(connection, INDEX_BUILD_CACHE_KIB, INDEX_BUILD_THREADS):
                    for statements in bulk.deferred.values():
                        for statement in statements:
                            # a savepoint rolled back may have brought the index back already
                            connection.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
                for index in bulk.fulltext:
                    # from scratch, so whatever the transaction wrote past the missing triggers is in too
                    fulltext.rebuild(connection, index)
        finally:
            connection.execute(f"PRAGMA cache_size = {bulk.cache}")

    def refresh_statistics(self) -> list[str]:
        """ANALYZE each table of ANALYSED_TABLES that bulk inserts grew by STALE_FRACTION since its last ANALYZE.

        Called once a bulk load has committed, so an import in many batches analyses a few times
        (each at about 1.5 times the size of the last), not once per batch.

        :returns: the tables analysed.
        """
        connection = self._connection()
        stale = [table for table in ANALYSED_TABLES if is_stale(connection, table, self._bulk_written[table])]
        if stale:
            with self.transaction():
                for table in stale:
                    analyse(connection, table)
                    self._bulk_written[table] = 0
        return stale

    def statistics(self) -> Statistics:
        """Return the row counts of the database as this thread sees it now, counted lazily.

        The same object is handed out until a write: this connection's own (total_changes) or
        another connection's commit (PRAGMA data_version).
        """
        self._indexes_back()
        connection = self._connection()
        # The shared-memory version outside a transaction (a tenth of a microsecond: every query with
        # a cost-based choice asks, to see whether its plan still fits); inside one, SQLite's own.
        version = self._data_version.of(connection)
        if version is None:
            version = connection.execute("PRAGMA data_version").fetchone()[0]
        key = (connection.total_changes, version)
        cached = self._local.statistics
        if cached is None or cached[0] != key or cached[1] is not connection:
            cached = self._local.statistics = (key, connection, Statistics(connection))
        return cached[2]

    # ------------------------------------------------------------ property indexes

    def create_property_index(self, name: str, label: str, keys: Sequence[str]) -> bool:
        """Record a property index and build one SQLite expression index per key.

        :param keys: property keys, each accepted by ``is_simple_key``: queries name them as SQL
            text, which is what lets SQLite use the index.
        :returns: False, changing nothing, when an index of that name exists already.
        :raises InvalidInput: for a key ``is_simple_key`` refuses.
        """
        for key in keys:
            json_path_literal(key)
        with self.transaction():
            if self.execute("SELECT 1 FROM property_indexes WHERE name = ?", (name,)).fetchone():
                return False
            self.execute(
                "INSERT INTO property_indexes (name, label, properties) VALUES (?, ?, ?)",
                (name, label, json.dumps(list(keys))),
            )
            for key in keys:
                constraints.ensure_index(self._connection(), "NODE", key)
        return True

    def drop_property_index(self, name: str | None, label: str | None, keys: Sequence[str]) -> bool:
        """Drop the property index of that name, or without a name the one on that label and keys.

        An expression index goes only when no other property index still uses its key.

        :returns: False, changing nothing, when there is no such index.
        """
        with self.transaction():
            row = None
            if name:
                row = self.execute("SELECT name, properties FROM property_indexes WHERE name = ?", (name,)).fetchone()
            else:
                for candidate in self.execute(
                    "SELECT name, properties FROM property_indexes WHERE label = ?", (label,)
                ).fetchall():
                    if tuple(json.loads(candidate[1])) == tuple(keys):
                        row = candidate
            if row is None:
                return False
            self.execute("DELETE FROM property_indexes WHERE name = ?", (row[0],))
            still_used = self._indexed_keys() | constraints.unique_keys(self._connection(), "NODE")
            for key in json.loads(row[1]):
                if key not in still_used:
                    self.execute(f"DROP INDEX IF EXISTS {quote_identifier('property_' + key)}")
        return True


    def _indexed_keys(self) -> set[str]:
        """The keys property indexes (CREATE INDEX) keep an expression index on."""
        return {key for (text,) in self.execute("SELECT properties FROM property_indexes") for key in json.loads(text)}

    def property_indexes(self) -> list[tuple[int, str, str, tuple[str, ...]]]:
        """Every property index CREATE INDEX made, by name: (id, name, label, keys)."""
        rows = self.execute("SELECT rowid, name, label, properties FROM property_indexes ORDER BY name").fetchall()
        return [(row[0], row[1], row[2], tuple(json.loads(row[3]))) for row in rows]

    # ------------------------------------------------------------ constraints

    def constraints(self) -> list[Constraint]:
        """Every property constraint, by name (none in a v3 file opened read-only, which has no table for them)."""
        with self.guard:
            if not self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'constraints'").fetchone():
                return []
            return constraints.load_constraints(self._connection())

    def create_constraint(self, constraint: Constraint) -> Constraint:
        """Store a constraint, with the triggers that enforce it and the index a unique one owns.

        :returns: the constraint with its id.
        :raises SchemaConstraintViolation: naming an entity the stored data has that breaks it.
        :raises InvalidInput: for a property key that cannot be indexed, or an unknown property type.
        """
        self._indexes_back()
        with self.transaction(), self.guard:
            return constraints.create(self._connection(), constraint)

    def drop_constraint(self, constraint: Constraint) -> None:
        """Drop a constraint, its triggers, and the indexes of its that no property index needs."""
        with self.transaction(), self.guard:
            constraints.drop(self._connection(), constraint, self._indexed_keys())


    # ------------------------------------------------------------ search indexes (full-text, vector)

    def search_indexes(self, kind: str | None = None) -> list[SearchIndex]:
        """Every search index of the catalogue, or those of one kind (FULLTEXT, VECTOR), by name."""
        with self.guard:
            return load_search_indexes(self._connection(), kind)

    def create_fulltext_index(self, index: SearchIndex) -> SearchIndex:
        """Record a full-text index and build it: its FTS5 table filled, its triggers keeping it in step.

        :returns: the index with its catalogue id.
        :raises InvalidInput: for an unknown analyzer or a property key that cannot be indexed.
        """
        self._indexes_back()
        with self.transaction(), self.guard, _page_cache(self._connection(), BULK_CACHE_KIB):
            return fulltext.create(self._connection(), index)

    def drop_search_index(self, name: str) -> bool:
        """Drop the search index of that name, whatever its kind, with its data and triggers.

        :returns: False, changing nothing, when there is no such index.
        """
        with self.transaction(), self.guard:
            found = [index for index in load_search_indexes(self._connection()) if index.name == name]
            if not found:
                return False
            _DROP_SEARCH_INDEX[found[0].kind](self._connection(), found[0])
        return True

    def fulltext_search(self, index: SearchIndex, match: str, skip: int, limit: int) -> list[tuple[int, float]]:
        """Run an FTS5 MATCH expression on a full-text index: (unsigned identity, score), best first.

        :param match: FTS5 query syntax over the index's columns c0, c1, ... in property order.
        """
        self._indexes_back()
        with self.guard:
            hits = fulltext.search(self._connection(), index, match, skip, limit)
        return [(to_unsigned(identity), score) for identity, score in hits]

    def search_index_problems(self) -> list[str]:
        """Say which search indexes (full-text and vector) are out of step with their data; writes nothing."""
        connection = self._connection()
        # a read-only store refuses temporary tables too, which the full-text check needs; the file
        # stays read-only (mode=ro) all the same
        query_only = connection.execute("PRAGMA query_only").fetchone()[0]
        connection.execute("PRAGMA query_only = OFF")
        try:
            found: list[str] = []
            for index in load_search_indexes(connection):
                found.extend(_CHECK_SEARCH_INDEX[index.kind](connection, index))
            return found
        finally:
            connection.execute(f"PRAGMA query_only = {int(query_only)}")

    def repair_search_indexes(self) -> list[str]:
        """Rebuild every search index out of step with its data, in one transaction.

        :returns: the names of the indexes rebuilt.
        :raises InvalidInput: when a vector index covers a value written past its triggers that it cannot hold.
        """
        self._indexes_back()
        rebuilt = []
        with self.transaction(), self.guard, _page_cache(self._connection(), BULK_CACHE_KIB):
            connection = self._connection()
            for index in load_search_indexes(connection):
                if _CHECK_SEARCH_INDEX[index.kind](connection, index):
                    _REBUILD_SEARCH_INDEX[index.kind](connection, index)
                    rebuilt.append(index.name)
        return rebuilt

    def search_index_stats(self) -> list[dict[str, Any]]:
        """Each search index by name: its kind, what it covers and how many entities it holds (None: table gone)."""
        connection = self._connection()
        return [
            {
                "name": index.name,
                "kind": index.kind,
                "entity_type": index.entity_type,
                "labels": list(index.labels),
                "properties": list(index.properties),
                "entities": _HELD_BY_SEARCH_INDEX[index.kind](connection, index),
            }
            for index in load_search_indexes(connection)
        ]

    def create_vector_index(self, index: SearchIndex) -> SearchIndex:
        """Record a vector index, make its tables and triggers and fill it from the stored data, in one transaction.

        :returns: the index with its id.
        :raises InvalidInput: naming a covered entity whose property is no vector the index can hold.
        """
        self._indexes_back()
        # no guard: an interrupt of the time limit reaches run_bounded, which makes it QueryTimeout
        with self.transaction():
            return vectors.create(self._connection(), index)

    def vector_generation(self, index: SearchIndex) -> int:
        """The generation of an index's stored vectors in the caller's transaction; it changes when they do."""
        with self.guard:
            return vectors.generation(self._connection(), index)

    def count_vectors(self, index: SearchIndex) -> int:
        """How many stored (folded) vectors an index holds."""
        with self.guard:
            return vectors.count(self._connection(), index)

    def read_vectors(self, index: SearchIndex, only: list[int] | None = None) -> tuple[list[int], list[int], bytes]:
        """An index's stored vectors (those of the keys ``only``): their keys in order, the entities'
        identities, their float32 BLOBs joined."""
        with self.guard:
            return vectors.read(self._connection(), index, only)

    def vector_changes(self, index: SearchIndex, since: int) -> list[int] | None:
        """The keys an index's folds changed after generation ``since``, from its change log; None past its reach."""
        with self.guard:
            return vectors.changed_since(self._connection(), index, since)

    def pending_vectors(self, index: SearchIndex) -> list[tuple[int, int, list[float] | None]]:
        """The entities written since the index's last fold: (key, identity, vector now or None if it has none)."""
        with self.guard:
            return vectors.pending(self._connection(), index)


class _naming:  # noqa: N801 - used as a function, like contextlib's
    """Turn a constraint trigger's abort in the block into the error naming the entity written.

    A class rather than a generator context manager: it wraps every SET of a query.
    """

    __slots__ = ("kind", "identity")

    def __init__(self, kind: str, identity: int) -> None:
        self.kind = kind
        self.identity = identity

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: object) -> None:
        if isinstance(error, sqlite3.IntegrityError):
            entity = f"{self.kind} {format_id(self.identity)}"
            named = constraints.violation(error, entity) or vectors.refusal(error, entity)
            if named is not None:
                raise named from None


class _ThreadState(threading.local):
    """What one thread has of a store: its connection, transaction depth, bulk load and caches.

    Class-level defaults, so reading an attribute a thread has not set yet finds one rather than
    raising: getattr with a default pays for an AttributeError, and every query reads these.
    """

    connection: sqlite3.Connection | None = None
    depth = 0
    writing = False
    #: the _Bulk of a bulk load under way, else None (Any: the bulk functions run only while one is)
    bulk: Any = None
    vector_indexes: tuple | None = None
    statistics: tuple | None = None


class _Bulk:
    """A thread's bulk load under way: the cache size to restore, and the indexes left for the commit."""

    __slots__ = ("cache", "deferred", "fulltext", "loaded_from", "nodes")

    def __init__(self, cache: int) -> None:
        self.cache = cache
        self.deferred: dict[str, list[str]] = {}
        #: the first node number of the substrates loaded while their identity index is dropped
        self.loaded_from = 1
        #: full-text indexes whose triggers the load dropped, to rebuild before the commit
        self.fulltext: list[SearchIndex] = []
        #: node numbers of substrates this load inserted, by signed identity (emptied by any rollback)
        self.nodes = NodeMap()


def _statement_error(error: sqlite3.Error) -> Exception:
    """What a statement's sqlite3 error is raised as: an interrupt as it is (run_bounded makes it a timeout)."""
    if isinstance(error, sqlite3.OperationalError) and "interrupted" in str(error):
        return error
    return translate_error(error)


class _TimeLimit:
    """The time limit of whatever a connection runs now; its progress handler reads it.

    ``seconds`` is the limit as the caller set it, which a timeout's message names: the clock
    may have started after part of it was spent (on planning a query).
    """

    __slots__ = ("at", "seconds")

    def __init__(self) -> None:
        self.at = math.inf
        self.seconds = math.inf

    def expired(self) -> int:
        """Tell SQLite to interrupt (non-zero) once the limit has passed."""
        return 1 if time.monotonic() > self.at else 0

    def tighten(self, seconds: float | None, limit: float | None = None) -> tuple[float, float]:
        """Bring the limit forward to ``seconds`` from now (never later); returns the previous one to restore.

        :param limit: the limit the caller set, of which ``seconds`` is what is left (default: ``seconds``).
        """
        previous = self.at, self.seconds
        if seconds is not None:
            until = time.monotonic() + seconds
            if until < self.at:
                self.at, self.seconds = until, seconds if limit is None else limit
        return previous

    def translate(self, error: sqlite3.Error) -> BfxError:
        """The bfxdb error for a sqlite3 error raised under this limit: an interrupt is a timeout."""
        if isinstance(error, sqlite3.OperationalError) and "interrupted" in str(error):
            return QueryTimeout(f"the query ran past its time limit of {self.seconds:g} s")
        return translate_error(error)

    def check(self) -> None:
        """Raise QueryTimeout once the limit has passed; called from Python loops."""
        if time.monotonic() > self.at:
            raise QueryTimeout(f"the query ran past its time limit of {self.seconds:g} s")


@contextmanager
def _page_cache(connection: sqlite3.Connection, kib: int, threads: int = 0) -> Iterator[None]:
    """Give a connection a page cache of ``kib`` and ``threads`` sorter threads for a block, then its own back.

    A bulk load's cache fills a full-text index, which reads every covered row; a small one with
    threads builds an index fastest (INDEX_BUILD_CACHE_KIB).
    """
    cache = connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.execute(f"PRAGMA cache_size = {-kib}")
    if threads:
        connection.execute(f"PRAGMA threads = {threads}")
    try:
        yield
    finally:
        if threads:
            connection.execute("PRAGMA threads = 0")
        connection.execute(f"PRAGMA cache_size = {cache}")


def _file_uri(path: str, mode: str, immutable: bool) -> str:
    """The URI SQLite opens ``path`` by in ``mode`` (ro, rw), with ``?`` and ``#`` in the path escaped."""
    uri = "file:" + quote(FilePath(path).resolve().as_posix()) + "?mode=" + mode
    return uri + "&immutable=1" if immutable else uri


def _on_read_only_media(path: str) -> bool:
    """Whether the file system holding ``path`` is mounted read-only, so that no one can change the file."""
    try:
        return bool(os.statvfs(FilePath(path).resolve().parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _check_no_wal(path: str) -> None:
    """Refuse read-only media whose ``-wal`` may hold commits: ``immutable=1`` would not read them.

    :raises StorageError: when a non-empty ``-wal`` lies beside the file without its ``-shm``.
    """
    wal = FilePath(path + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StorageError(
            f"cannot open database {path!r} read-only: it is on read-only media with a write-ahead log "
            f"({wal.name}) but no {FilePath(path).name}-shm, and its last commits are in the log; copy the "
            "files to writable storage, or open them writable there once so SQLite moves the log into the file"
        )


def _open_error(path: str, error: sqlite3.Error) -> StorageError:
    """The bfxdb error for a file that cannot be opened: DatabaseCorrupt when it is damaged or no database."""
    what = damage(error)
    if what is not None:
        return DatabaseCorrupt(f"cannot open database {path!r}: it is {what} ({error})")
    if not path.startswith("file:") and path != ":memory:" and _on_read_only_media(path):
        return StorageError(
            f"cannot open database {path!r}: {error}; it is on a read-only file system: "
            "open it read-only (--read-only, read_only=True)"
        )
    return StorageError(f"cannot open database {path!r}: {error}")


def _intern(connection: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
    """Return the ids of labels or relationship types, giving the new ones an id in names."""
    wanted = json.dumps(sorted(set(names)))
    connection.execute("INSERT OR IGNORE INTO names (name) SELECT value FROM json_each(?)", (wanted,))
    return dict(connection.execute(f"SELECT name, id FROM names WHERE name {_IN_JSON}", (wanted,)).fetchall())


#: Parameters per INSERT statement of a bulk load, within SQLite's limit of 32,766.
_PARAMETERS_PER_INSERT = 28_000


@lru_cache(maxsize=8)
def _insert_relationships(rows: int, plain: bool) -> str:
    """The INSERT of ``rows`` relationships at once, their parameters flat as _relationship_parameters makes them.

    Plain rows (no identity given, not bidirectional, one created time) bind four values each
    and share the time as ?1: binding the rest of the seven was a fifth of the INSERT's time.
    """
    if plain:
        values = ", ".join(["(?1, ?, ?, ?, ?)"] * rows)
        return f"INSERT INTO relationships (created_at, source, target, rel_type, metadata) VALUES {values}"
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return _INSERT_RELATIONSHIP.replace("VALUES (?, ?, ?, ?, ?, ?, ?)", "VALUES " + values)


def _bulk_substrates(
    connection: sqlite3.Connection, rows: list[tuple], label_rows: list[tuple[int, str]], known: NodeMap
) -> None:
    """Insert substrates with the next node numbers in the order given, then their labels."""
    base = connection.execute("SELECT coalesce(max(node), 0) + 1 FROM substrates").fetchone()[0]
    # The rows go in as they are, with no Python work per row: SQLite gives each the largest
    # node number so far plus one (the only writer, in this transaction), so row i gets
    # base + i. Sorting a batch by identity first bought nothing measurable at 1M (the
    # identity index stays in the cache) and cost a third of the Python time of a substrate.
    identities, types, codes, metadata, times = zip(*rows)
    connection.execute("SAVEPOINT bfx_bulk")
    try:
        if types.count(None) == len(rows) and codes.count(None) == len(rows):
            # no expressions: binding the two NULLs of every row was a sixth of the INSERT's time
            connection.executemany(_INSERT_PLAIN_SUBSTRATE, zip(identities, metadata, times))
        else:
            connection.executemany(_INSERT_SUBSTRATE, rows)
    except sqlite3.IntegrityError:
        # the only constraint to fail is the identity's: undo the batch, then name the culprit
        connection.execute("ROLLBACK TO bfx_bulk")
        connection.execute("RELEASE bfx_bulk")
        _substrate_conflict(connection, identities)
        raise
    connection.execute("RELEASE bfx_bulk")
    known.add(identities, range(base, base + len(identities)))
    if label_rows:
        _bulk_labels(connection, identities, label_rows, base)


def _bulk_labels(
    connection: sqlite3.Connection, identities: tuple[int, ...], label_rows: list[tuple[int, str]], base: int
) -> None:
    """Insert the label rows of substrates just inserted with node numbers from ``base`` on, in ``identities`` order."""
    labelled, names = zip(*label_rows)
    ids = _intern(connection, set(names))
    if labelled == identities:
        # one label per substrate, in their order (the shape of most loads): label row i is node
        # base + i, and one INSERT reads them all from a JSON array (a fifth of executemany's time)
        connection.execute(_INSERT_LABEL_RUN, (base, orjson.dumps(list(map(ids.__getitem__, names))).decode()))
        return
    nodes = dict(zip(identities, range(base, base + len(identities))))
    try:
        # in node order already, as the rows were: the label b-tree is appended to
        connection.executemany(_INSERT_LABEL, zip(map(nodes.__getitem__, labelled), map(ids.__getitem__, names)))
    except sqlite3.IntegrityError:
        # a label row twice on one node: two substrates of the batch share an identity, which the
        # identity index (dropped for the load) did not refuse
        _substrate_conflict(connection, identities)
        raise


def _substrate_conflict(connection: sqlite3.Connection, identities: Sequence[int]) -> None:
    """Raise Conflict naming the first substrate of a refused batch that repeats in it or was stored before."""
    seen: set[int] = set()
    for identity in identities:
        if identity in seen:
            shown = format_id(to_unsigned(identity))
            raise Conflict(f"substrate {shown} appears twice in the load", substrate_id=shown)
        seen.add(identity)
    stored = connection.execute(
        f"SELECT identity FROM substrates WHERE identity {_IN_JSON} LIMIT 1", (orjson.dumps(list(identities)).decode(),)
    ).fetchone()
    if stored is not None:
        shown = format_id(to_unsigned(stored[0]))
        raise Conflict(f"substrate {shown} already exists", substrate_id=shown)


def _repeated_identity(connection: sqlite3.Connection, loaded_from: int) -> Conflict:
    """The Conflict of a load whose identity index failed to build: the earliest repeat, in node order."""
    # one sort of the table, run only when the load has already failed
    identity, first = connection.execute(
        "SELECT identity, first FROM (SELECT identity, node, min(node) OVER same AS first, "
        "row_number() OVER (same ORDER BY node) AS occurrence FROM substrates WINDOW same AS (PARTITION BY identity)) "
        "WHERE occurrence = 2 ORDER BY node LIMIT 1"
    ).fetchone()
    shown = format_id(to_unsigned(identity))
    if first < loaded_from:
        return Conflict(f"substrate {shown} already exists", substrate_id=shown)
    return Conflict(f"substrate {shown} appears twice in the load", substrate_id=shown)


def _bulk_relationships(connection: sqlite3.Connection, rows: list[tuple], known: NodeMap) -> None:
    """Insert relationships, the ends this load did not insert found by one join, types interned per batch."""
    types = _intern(connection, {row[3] for row in rows})
    columns = list(zip(*rows))
    created = columns[6][0]
    plain = columns[0].count(None) == len(rows) and not any(columns[5]) and columns[6].count(created) == len(rows)
    sources, targets = known.find(columns[1]), known.find(columns[2])
    # most often every end is a substrate this load inserted: then nothing is looked up
    if 0 in sources or 0 in targets:
        sources, targets = fill_ends(rows, sources, targets, partial(_stored_ends, connection))
    flat = _relationship_parameters(columns, sources, targets, types, plain)
    width = len(flat) // len(rows)
    per_insert = _PARAMETERS_PER_INSERT // width * width
    # a savepoint, so that a refused batch is undone before the culprit is looked for
    connection.execute("SAVEPOINT bfx_bulk")
    try:
        for start in range(0, len(flat), per_insert):
            chunk = flat[start : start + per_insert]
            statement = _insert_relationships(len(chunk) // width, plain)
            connection.execute(statement, [created, *chunk] if plain else chunk)
    except sqlite3.IntegrityError:
        connection.execute("ROLLBACK TO bfx_bulk")
        connection.execute("RELEASE bfx_bulk")
        given = [row[0] for row in rows if row[0] is not None]
        seen: set[int] = set()
        for identity in given:
            if identity in seen:
                raise Conflict(f"relationship {format_id(to_unsigned(identity))} appears twice in the load") from None
            seen.add(identity)
        stored = connection.execute(
            f"SELECT identity FROM relationships WHERE identity {_IN_JSON} LIMIT 1", (json.dumps(given),)
        ).fetchone()
        if stored is None:
            raise
        raise Conflict(f"relationship {format_id(to_unsigned(stored[0]))} already exists") from None
    connection.execute("RELEASE bfx_bulk")


def _stored_ends(connection: sqlite3.Connection, ends: list[int]) -> dict[int, int]:
    """The node numbers of the stored substrates among ``ends`` (sorted), by identity, with one join."""
    # sorted, SQLite builds the IN list's b-tree in order and walks the identity index in order
    return dict(
        connection.execute(
            f"SELECT identity, node FROM substrates WHERE identity {_IN_JSON}", (orjson.dumps(ends).decode(),)
        ).fetchall()
    )


def _relationship_parameters(
    columns: list[tuple], sources: list[int], targets: list[int], types: dict[str, int], plain: bool
) -> list:
    """The INSERT parameters of relationship rows given as columns and their ends' node numbers, flat.

    Plain rows give source, target, type and metadata; the others all seven columns.
    """
    # one flat list, inserted many rows per statement: each execution of an INSERT into an
    # AUTOINCREMENT table updates sqlite_sequence, so executemany's one row per execution cost
    # a third more (measured: 2M rows in 6.1 s one by one, 3.4 s in statements of 4,000).
    # Built a column at a time by map and slice assignment, with no Python code per row.
    ends_and_type = (sources, targets, map(types.__getitem__, columns[3]))
    picked = [*ends_and_type, columns[4]] if plain else [columns[0], *ends_and_type, *columns[4:]]
    width = len(picked)
    flat: list = [None] * (width * len(columns[0]))
    for offset, column in enumerate(picked):
        flat[offset::width] = column
    return flat
