"""The storage seam: what the public API, maintenance and the query engine need of a storage backend.

SQLiteStore implements it today; a PostgreSQL backend implements the same protocol later.
Identities cross it unsigned; rows handed to ``bulk_insert`` and read back by ``execute``
carry them signed, as the backend stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ..model import Relationship, Substrate
from .constraints import Constraint
from .maintenance import FileCheck, GraphStats
from .searchindexes import SearchIndex


class Cursor(Protocol):
    """The rows of one statement, as a DB-API cursor gives them."""

    def fetchone(self) -> Any:
        """Return the next row, or None when there is none."""
        ...

    def fetchall(self) -> list[Any]:
        """Return every remaining row."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """Iterate the remaining rows."""
        ...


class PlannerStatistics(Protocol):
    """The row counts the query planner estimates from (storage.Statistics for SQLite)."""

    def nodes(self) -> float:
        """How many substrates there are."""
        ...

    def relationships(self) -> float:
        """How many relationships there are."""
        ...

    def label(self, label: str) -> float:
        """How many substrates have ``label`` (capped: an order of magnitude is enough)."""
        ...

    def rows_per_value(self, key: str) -> float | None:
        """The mean rows per value of the property index on ``key``; None without one."""
        ...


class Backend(Protocol):
    """A bfxdb database as the layers above storage see it: transactions, rows, indexes, maintenance.

    Row methods may leave the backend's own errors raw for speed; callers run them inside
    ``guard``. Every other method raises only bfxdb errors.
    """

    @property
    def path(self) -> str:
        """The database's file path or address (``":memory:"`` for a private in-memory one)."""
        ...

    @property
    def read_only(self) -> bool:
        """Whether every write is refused."""
        ...

    @property
    def in_memory(self) -> bool:
        """Whether the database lives in memory only, so it has no file to back up."""
        ...

    @property
    def dialect(self) -> str:
        """The name of the SQL dialect ``execute`` takes: ``"sqlite"`` or ``"postgresql"`` (bfxdb/query/dialect.py)."""
        ...

    @property
    def guard(self) -> AbstractContextManager[None]:
        """A context manager turning the backend's own errors escaping a block into bfxdb errors."""
        ...

    def close(self) -> None:
        """Release every connection; the store cannot be used afterwards."""
        ...

    def schema_version(self) -> int:
        """Return the schema version the stored data is at."""
        ...

    def data_version(self) -> Hashable | None:
        """Return a value that changes whenever what this thread reads may have changed (a commit by
        anyone, a write of this thread's); None inside a transaction, where nothing may be cached."""
        ...

    def read_beside(self, version: Hashable | None, sql: str, params: Sequence[Any] = ()) -> Callable[[], Any] | None:
        """Start a one-row read on another connection, for a caller whose transaction reads the state at ``version``.

        :returns: None when the backend cannot show that the other connection reads that state
            (then read in the caller's own transaction); else a function that waits for the row and
            returns it, or None if a commit came in between.
        """
        ...

    def time_left(self) -> float:
        """Return the seconds left of the time limit this thread's run_bounded or stream_bounded call is
        under (inf for none): for work that cannot be stopped once begun, to refuse it beforehand."""
        ...

    def transaction(self, write: bool = True) -> AbstractContextManager[None]:
        """Run a block atomically, taking the write lock first when ``write``; nested blocks are savepoints."""
        ...

    def lock_merges(self) -> None:
        """Keep every other connection's MERGE out until this write transaction ends, so two never both create."""
        ...

    def next_batch(self, write: bool, *, commit: bool = True) -> None:
        """End the open transaction (commit, or roll back) and begin the next; TransactionNested when it is nested."""
        ...

    def run_bounded(
        self,
        write: bool,
        seconds: float | None,
        function: Callable[..., Any],
        *args: Any,
        transactional: bool = True,
        limit: float | None = None,
    ) -> Any:
        """Call ``function(*args, check)`` in one transaction under a time limit, committing its work.

        ``limit`` is the limit the caller set, when ``seconds`` is what is left of it: a timeout names it.
        """
        ...

    def stream_bounded(
        self, seconds: float | None, function: Callable[..., Iterator], *args: Any, limit: float | None = None
    ) -> Iterator:
        """Yield what ``function(*args, check)`` yields inside one read transaction under a time limit (``limit``
        as in run_bounded)."""
        ...

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        """Run one statement of compiled SQL with its values as parameters."""
        ...

    def fetch_all(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple]:
        """Run one statement as execute does and return all its rows (no cursor is handed out)."""
        ...

    def insert_substrate(
        self,
        identity: int,
        *,
        labels: Iterable[str] = (),
        metadata: dict | None = None,
        expression_type: str | None = None,
        expression_code: str | None = None,
    ) -> Substrate:
        """Insert one substrate with its labels; Conflict if the identity exists."""
        ...

    def get_substrate(self, identity: int) -> Substrate | None:
        """Load one substrate, or None."""
        ...

    def get_substrates(self, identities: Iterable[int]) -> dict[int, Substrate]:
        """Load many substrates at once, keyed by identity; missing ones are left out."""
        ...

    def expression_of(self, identity: int) -> tuple[str | None, str | None] | None:
        """Return (expression_type, expression_code) of a substrate, or None if it does not exist."""
        ...

    def find_substrates(
        self,
        label: str | None = None,
        metadata: dict | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Substrate]:
        """List substrates in identity order, filtered by a label and by metadata key equality."""
        ...

    def count_substrates(self) -> int:
        """Count all substrates."""
        ...

    def replace_metadata(self, kind: str, identity: int, metadata: dict) -> None:
        """Replace the whole metadata of a ``"substrate"`` or ``"relationship"``; NotFound if missing."""
        ...

    def set_node_property(self, key: str, values: list[tuple[int, Any]]) -> None:
        """Set property ``key`` of each substrate, given by node number, to its JSON value, in one statement."""
        ...

    def add_labels(self, identity: int, labels: Iterable[str]) -> int:
        """Add labels to a substrate; returns how many were new."""
        ...

    def remove_labels(self, identity: int, labels: Iterable[str]) -> int:
        """Remove labels from a substrate; returns how many it had."""
        ...

    def delete_substrate(self, identity: int) -> int:
        """Delete a substrate with its labels and relationships; returns how many relationships went."""
        ...

    def insert_relationship(
        self,
        identity: int | None,
        source: int,
        target: int,
        rel_type: str,
        metadata: dict | None = None,
        bidirectional: bool = False,
    ) -> Relationship:
        """Insert one relationship between existing substrates (identity None: the next one); NotFound names an end."""
        ...

    def get_relationship(self, identity: int) -> Relationship | None:
        """Load one relationship, or None."""
        ...

    def get_relationships(self, identities: Iterable[int]) -> dict[int, Relationship]:
        """Load many relationships at once, keyed by identity; missing ones are left out."""
        ...

    def adjacent(
        self,
        identity: int,
        direction: str,
        rel_type: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Relationship]:
        """List the relationships leaving (``"out"``) or reaching (``"in"``) a substrate."""
        ...

    def find_relationships(
        self, rel_type: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Relationship]:
        """List relationships in identity order, optionally of one type."""
        ...

    def count_relationships(self) -> int:
        """Count all relationships."""
        ...

    def delete_relationship(self, identity: int) -> None:
        """Delete one relationship; NotFound if it does not exist."""
        ...

    def name_ids(self, names: list[str]) -> dict[str, int]:
        """Return the ids the store keeps labels and relationship types under; a name never used is left out."""
        ...

    def distinct_labels(self) -> list[tuple[str]]:
        """Every label in use, sorted, as one-value rows."""
        ...

    def distinct_relationship_types(self) -> list[tuple[str]]:
        """Every relationship type in use, sorted, as one-value rows."""
        ...

    def distinct_property_keys(self) -> list[tuple[str]]:
        """Every top-level metadata key of substrates and relationships, sorted, as one-value rows."""
        ...

    def bulk_insert(
        self,
        substrate_rows: Iterable[tuple[int, str | None, str | None, str, int]],
        label_rows: Iterable[tuple[int, str]],
        relationship_rows: Iterable[tuple],
        beside: Callable[[], None] | None = None,
    ) -> None:
        """Insert prepared, checked rows with signed identities and times as time_micros gives them.

        A store whose server works beside this process calls ``beside`` after every BESIDE_ROWS
        rows it sends, for the caller to prepare its next rows while the server takes these; a
        store that works in this process ignores it.
        """
        ...

    def refresh_statistics(self) -> list[str]:
        """Refresh the planner statistics of the tables bulk inserts made stale; returns those tables."""
        ...

    def statistics(self) -> PlannerStatistics:
        """The row counts the query planner estimates from, as this thread sees the database now."""
        ...

    def create_property_index(self, name: str, label: str, keys: Sequence[str]) -> bool:
        """Create a property index on a label's keys; False if one of that name exists."""
        ...

    def drop_property_index(self, name: str | None, label: str | None, keys: Sequence[str]) -> bool:
        """Drop the property index named, or else the one on label and keys; False if there is none."""
        ...

    def property_indexes(self) -> list[tuple[int, str, str, tuple[str, ...]]]:
        """Every property index CREATE INDEX made, by name: (id, name, label, keys)."""
        ...

    def constraints(self) -> list[Constraint]:
        """Every property constraint, by name."""
        ...

    def create_constraint(self, constraint: Constraint) -> Constraint:
        """Store and enforce a constraint (returned with its id); SchemaConstraintViolation if the data breaks it."""
        ...

    def drop_constraint(self, constraint: Constraint) -> None:
        """Stop enforcing a constraint and forget it, with the indexes only it needed."""
        ...

    def search_indexes(self, kind: str | None = None) -> list[SearchIndex]:
        """Every search index of the catalogue, or those of one kind (FULLTEXT, VECTOR), by name."""
        ...

    def create_fulltext_index(self, index: SearchIndex) -> SearchIndex:
        """Record a full-text index and build it; returns it with its id."""
        ...

    def drop_search_index(self, name: str) -> bool:
        """Drop the search index of that name, whatever its kind; False when there is none."""
        ...

    def fulltext_search(self, index: SearchIndex, match: str, skip: int, limit: int) -> list[tuple[int, float]]:
        """Run an FTS5 MATCH expression on a full-text index: (identity, score), best first."""
        ...

    def search_index_problems(self) -> list[str]:
        """Say which search indexes (full-text and vector) are out of step with their data."""
        ...

    def repair_search_indexes(self) -> list[str]:
        """Rebuild every search index out of step with its data, in one transaction; returns their names."""
        ...

    def create_vector_index(self, index: SearchIndex) -> SearchIndex:
        """Make a vector index and fill it from the stored data (returned with its id); InvalidInput if it cannot."""
        ...

    def vector_generation(self, index: SearchIndex) -> int:
        """The generation of an index's stored vectors as the open transaction sees them; it changes when they do."""
        ...

    def count_vectors(self, index: SearchIndex) -> int:
        """How many stored vectors an index holds."""
        ...

    def read_vectors(self, index: SearchIndex, only: list[int] | None = None) -> tuple[list[int], list[int], bytes]:
        """An index's stored vectors (those of the keys ``only``): keys in order, the entities' unsigned
        identities, float32 BLOBs joined."""
        ...

    def vector_changes(self, index: SearchIndex, since: int) -> list[int] | None:
        """The keys whose stored vectors changed after generation ``since``, or None when that is not known."""
        ...

    def pending_vectors(self, index: SearchIndex) -> list[tuple[int, int, list[float] | None]]:
        """Entities written since the stored vectors were last brought up to date: (key, identity, vector or None)."""
        ...

    def backup_to(self, path: str) -> None:
        """Copy the whole database into a new file at ``path`` as one consistent snapshot."""
        ...

    def iter_substrates(self) -> Iterator[Substrate]:
        """Stream every substrate in identity order; inside a read transaction for one snapshot."""
        ...

    def iter_relationships(self) -> Iterator[Relationship]:
        """Stream every relationship in identity order; inside a read transaction for one snapshot."""
        ...

    def graph_stats(self) -> GraphStats:
        """Count entities by label, type and expression kind, and measure the file, in one snapshot."""
        ...

    def property_keys(self, sample: int) -> dict[str, list[str]]:
        """List the metadata keys of the first ``sample`` substrates and relationships, each sorted."""
        ...

    def check_file(self) -> list[FileCheck]:
        """Run every integrity check in one snapshot; damage met on the way is a finding, not an error."""
        ...
