"""Whole-file operations of a SQLite store: full scans, statistics, property keys and integrity checks."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..errors import DatabaseCorrupt
from ..identity import format_id, to_unsigned
from ..model import Relationship, Substrate
from . import portable, schema
from .guard import translate_error
from .rows import RELATIONSHIP_COLUMNS, SUBSTRATE_COLUMNS, relationship_from_row, substrate_from_row

_SUBSTRATES_SQL = f"SELECT {SUBSTRATE_COLUMNS.format(a='s')} FROM substrates AS s ORDER BY s.identity"
_RELATIONSHIPS_SQL = f"SELECT {RELATIONSHIP_COLUMNS.format(a='r')} FROM relationships AS r ORDER BY r.identity"

Row = TypeVar("Row")


@dataclass
class GraphStats:
    """What `bfxdb stats` shows: counts by label and type, indexes and the file's vital numbers."""

    path: str
    schema_version: int
    substrates: int
    relationships: int
    labels: dict[str, int]
    unlabelled: int
    rel_types: dict[str, int]
    expressions: dict[str, int]
    property_indexes: list[dict[str, Any]]
    file_bytes: int
    wal_bytes: int
    page_size: int
    page_count: int
    freelist_count: int
    journal_mode: str
    sqlite_version: str = sqlite3.sqlite_version
    #: Full-text and vector indexes by name: name, kind, entity_type, labels, properties and entities held.
    search_indexes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Render as plain JSON values."""
        return dict(self.__dict__)


@dataclass(frozen=True, slots=True)
class FileCheck:
    """One check of a file: what it looked at, and each kind of problem it found with one line per case."""

    name: str
    problems: dict[str, list[str]]


class _Store(Protocol):
    """What these operations need of the store they are mixed into."""

    path: str

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor: ...

    def transaction(self, write: bool = True) -> AbstractContextManager[None]: ...

    def schema_version(self) -> int: ...

    def search_index_problems(self) -> list[str]: ...

    def search_index_stats(self) -> list[dict[str, Any]]: ...


class FileMaintenance:
    """The whole-file operations of SQLiteStore, kept apart from its row-level CRUD.

    Every method translates sqlite3's errors itself, including those raised while a scan is
    iterated, so a damaged file gives DatabaseCorrupt rather than a raw sqlite3 error.
    """

    def iter_substrates(self: _Store) -> Iterator[Substrate]:
        """Stream every substrate in identity order; run inside a read transaction for one snapshot."""
        return _stream(self, _SUBSTRATES_SQL, substrate_from_row)

    def iter_relationships(self: _Store) -> Iterator[Relationship]:
        """Stream every relationship in identity order; run inside a read transaction for one snapshot."""
        return _stream(self, _RELATIONSHIPS_SQL, relationship_from_row)

    def graph_stats(self: _Store) -> GraphStats:
        """Count substrates by label, relationships by type and expressions by kind, and measure the file.

        :returns: the figures, read in one transaction.
        :raises DatabaseCorrupt: if a page they need is damaged.
        """

        def scalar(sql: str) -> Any:
            return _rows(self, sql)[0][0]

        def grouped(sql: str) -> dict[str, int]:
            return {name: count for name, count in _rows(self, sql)}

        with self.transaction(write=False):
            return GraphStats(
                path=self.path,
                schema_version=self.schema_version(),
                substrates=scalar("SELECT count(*) FROM substrates"),
                relationships=scalar("SELECT count(*) FROM relationships"),
                labels=grouped(portable.LABEL_COUNTS),
                unlabelled=scalar(portable.UNLABELLED_COUNT),
                rel_types=grouped(portable.RELATIONSHIP_TYPE_COUNTS),
                expressions=grouped(portable.EXPRESSION_COUNTS),
                property_indexes=[
                    {"name": name, "label": label, "properties": properties}
                    for name, label, properties in _rows(
                        self, "SELECT name, label, properties FROM property_indexes ORDER BY name"
                    )
                ],
                file_bytes=_size(self.path),
                wal_bytes=_size(self.path + "-wal"),
                page_size=scalar("PRAGMA page_size"),
                page_count=scalar("PRAGMA page_count"),
                freelist_count=scalar("PRAGMA freelist_count"),
                journal_mode=scalar("PRAGMA journal_mode"),
                search_indexes=_translated(self.search_index_stats),
            )

    def property_keys(self: _Store, sample: int) -> dict[str, list[str]]:
        """List the metadata keys seen on the first ``sample`` substrates and relationships.

        :returns: ``{"substrates": [...], "relationships": [...]}``, each sorted.
        """
        return {
            table: [
                key
                for (key,) in _rows(
                    self,
                    f"SELECT DISTINCT j.key FROM (SELECT metadata FROM {table} LIMIT ?) AS t, "
                    "json_each(t.metadata) AS j ORDER BY j.key",
                    (sample,),
                )
            ]
            for table in ("substrates", "relationships")
        }

    def check_file(self: _Store) -> list[FileCheck]:
        """Run every check of the file in one read transaction: SQLite integrity, keys, orphans, JSON, schema.

        A check that SQLite cannot finish because a page is damaged reports that as an
        ``integrity`` problem, and the checks after it are left out: they would read the same pages.

        :returns: the checks run, in order, with what each found.
        """
        done: list[FileCheck] = []
        try:
            with self.transaction(write=False):
                for name, run in _CHECKS:
                    done.append(FileCheck(name, run(self)))
        except DatabaseCorrupt as error:
            stopped = _CHECKS[len(done)][0] if len(done) < len(_CHECKS) else "end of the read transaction"
            done.append(FileCheck(stopped, {"integrity": [error.message]}))
        return done


def _rows(store: _Store, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement and fetch all its rows, translating errors raised while fetching too."""
    try:
        return store.execute(sql, params).fetchall()
    except sqlite3.Error as error:
        raise translate_error(error) from None


def _translated(read: Callable[[], Row]) -> Row:
    """Run a read of the store, giving sqlite3's errors as bfxdb's (DatabaseCorrupt for a damaged page)."""
    try:
        return read()
    except sqlite3.Error as error:
        raise translate_error(error) from None


def _stream(store: _Store, sql: str, decode: Callable[[tuple], Row]) -> Iterator[Row]:
    try:
        for row in store.execute(sql):
            yield decode(row)
    except sqlite3.Error as error:
        raise translate_error(error) from None


def _integrity(store: _Store) -> dict[str, list[str]]:
    return {"integrity": [message for (message,) in _rows(store, "PRAGMA integrity_check") if message != "ok"]}


def _foreign_keys(store: _Store) -> dict[str, list[str]]:
    return {
        "foreign key": [
            f"{table} row {rowid} has no {parent} row"
            for table, rowid, parent, _ in _rows(store, "PRAGMA foreign_key_check")
        ]
    }


def _orphan_relationships(store: _Store) -> dict[str, list[str]]:
    orphans = _rows(
        store,
        "SELECT r.identity, r.source, r.target, "
        "EXISTS (SELECT 1 FROM substrates AS s WHERE s.node = r.source), "
        "EXISTS (SELECT 1 FROM substrates AS s WHERE s.node = r.target) "
        "FROM relationships AS r WHERE NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.node = r.source) "
        "OR NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.node = r.target)",
    )
    return {
        "orphan relationship": [
            f"relationship {format_id(to_unsigned(identity))} names missing "
            + " and ".join(
                f"{role} node {end}"
                for role, end, present in (("source", source, has_source), ("target", target, has_target))
                if not present
            )
            for identity, source, target, has_source, has_target in orphans
        ]
    }


def _orphan_labels(store: _Store) -> dict[str, list[str]]:
    labels = _rows(
        store,
        "SELECT l.node, (SELECT name FROM names WHERE id = l.label) FROM substrate_labels AS l "
        "WHERE NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.node = l.node)",
    )
    return {"orphan label": [f"label {label!r} of missing substrate node {node}" for node, label in labels]}


def _metadata_objects(store: _Store) -> dict[str, list[str]]:
    found = {}
    for table, id_column in (("substrates", "substrate_id"), ("relationships", "relationship_id")):
        bad = _rows(
            store,
            f"SELECT {id_column} FROM {table} WHERE NOT json_valid(metadata) OR json_type(metadata) IS NOT 'object'",
        )
        found[f"bad {table} metadata"] = [f"{table[:-1]} {ident}" for (ident,) in bad]
    return found


def _schema_version(store: _Store) -> dict[str, list[str]]:
    version = store.schema_version()
    if version == schema.SCHEMA_VERSION:
        return {}
    return {"schema version": [f"file has {version}, this bfxdb expects {schema.SCHEMA_VERSION}"]}


def _search_indexes(store: _Store) -> dict[str, list[str]]:
    return {"search index out of step": store.search_index_problems()}


#: The checks of check_file, in the order they run: (name reported, function).
_CHECKS: tuple[tuple[str, Callable[[_Store], dict[str, list[str]]]], ...] = (
    ("PRAGMA integrity_check", _integrity),
    ("PRAGMA foreign_key_check", _foreign_keys),
    ("orphan relationships", _orphan_relationships),
    ("orphan labels", _orphan_labels),
    ("metadata is a JSON object", _metadata_objects),
    ("schema version", _schema_version),
    ("search indexes match their data", _search_indexes),
)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
