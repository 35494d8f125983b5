"""Tell in a fraction of a microsecond whether a SQLite database may have changed: the key of read caches."""

from __future__ import annotations

import mmap
import os
import sqlite3
import threading
from collections.abc import Hashable

#: The WAL-index header at the start of the ``-shm`` file: two copies of a 48-byte header that
#: every commit rewrites (its change counter and last frame; a WAL restart changes its salts).
#: https://www.sqlite.org/walformat.html. Its layout is fixed, since processes running
#: different SQLite versions share one -shm file.
_WAL_INDEX_HEADER = 48
_WAL_INDEX_MAPPED = 136


class DataVersion:
    """The version of what one store's connections read.

    It changes with every commit of any connection in any process, and with every write of the
    connection asked about, committed or not. SQLite's own ``PRAGMA data_version`` says the same
    but costs a statement (about 4 µs); in WAL mode this reads the WAL-index header in shared
    memory instead, which is how SQLite itself tells whether its page cache is still good
    (about 0.1 µs). Without WAL (a private in-memory database, a file in another journal mode)
    it falls back to what SQLite offers there.
    """

    def __init__(self, private_memory: bool) -> None:
        self._private_memory = private_memory
        self._index: mmap.mmap | None = None
        self._tried = False
        self._lock = threading.Lock()

    def of(self, connection: sqlite3.Connection) -> Hashable | None:
        """Return the version ``connection`` reads at, or None inside a transaction.

        Inside a transaction the connection reads a snapshot that may be older than the version,
        so nothing read there may be cached under it.

        :raises sqlite3.Error: from the fallback's statement; the caller translates it.
        """
        if connection.in_transaction:
            return None
        index = self._index
        if index is not None:
            # This connection's own commits rewrite the header too; its uncommitted writes are
            # inside a transaction, answered above.
            return index[:_WAL_INDEX_HEADER]
        if self._private_memory:
            # One connection, shared by every thread: its own count of changes is the whole story.
            return connection.total_changes
        if not self._tried:
            self._map(connection)
            if self._index is not None:
                return self.of(connection)
        return connection.execute("PRAGMA data_version").fetchone()[0], connection.total_changes

    @property
    def shared(self) -> bool:
        """Whether versions are read from the WAL index, and so compare across connections."""
        return self._index is not None

    def _map(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if self._tried:
                return
            self._tried = True
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                return
            # The file SQLite opened, whatever the working directory is now.
            filename = next(row[2] for row in connection.execute("PRAGMA database_list") if row[1] == "main")
            try:
                with open(filename + "-shm", "rb") as file:
                    # While one of the store's connections is open, no process truncates the file
                    # under the mapping: SQLite resets a -shm only when no connection has it open.
                    if os.fstat(file.fileno()).st_size >= _WAL_INDEX_MAPPED:
                        self._index = mmap.mmap(file.fileno(), _WAL_INDEX_MAPPED, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                self._index = None

    def close(self) -> None:
        """Release the shared-memory mapping; call it before the connections close."""
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None
