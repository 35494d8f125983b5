"""Whole-file operations on a database: consistent snapshots, full scans, statistics, checks and backups.

These read many rows at once or need SQLite features no single Database method covers, so
they run SQL through the store's ``execute`` (and, for the online backup, a connection of
their own); they are candidates to fold into the store.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .database import Database
from .errors import InvalidInput
from .identity import format_id, to_unsigned
from .model import Relationship, Substrate
from .store import SQLITE_VERSION, relationship_from_row, substrate_from_row

_SUBSTRATES_SQL = (
    "SELECT s.identity, s.expression_type, s.expression_code, s.metadata, s.created_at, "
    "(SELECT group_concat(l.label, char(31)) FROM substrate_labels AS l WHERE l.substrate = s.identity) "
    "FROM substrates AS s ORDER BY s.identity"
)
_RELATIONSHIPS_SQL = (
    "SELECT identity, source, target, rel_type, metadata, bidirectional, created_at "
    "FROM relationships ORDER BY identity"
)
#: How many problems of one kind `check` lists before it only counts them.
MAX_LISTED = 20


@contextmanager
def snapshot(db: Database) -> Iterator[Database]:
    """Read inside one transaction, so every scan in the block sees the same committed state.

    In WAL mode this blocks no writer, so it is safe beside a running server.
    """
    with db.store.transaction(write=False):
        yield db


def iter_substrates(db: Database) -> Iterator[Substrate]:
    """Stream every substrate in identity order without loading them all; use inside `snapshot`."""
    for row in db.store.execute(_SUBSTRATES_SQL):
        yield substrate_from_row(row)


def iter_relationships(db: Database) -> Iterator[Relationship]:
    """Stream every relationship in identity order without loading them all; use inside `snapshot`."""
    for row in db.store.execute(_RELATIONSHIPS_SQL):
        yield relationship_from_row(row)


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
    sqlite_version: str = SQLITE_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Render as plain JSON values."""
        return dict(self.__dict__)


def graph_stats(db: Database) -> GraphStats:
    """Count substrates by label, relationships by type and expressions by kind, and measure the file.

    :returns: a GraphStats read from one consistent snapshot.
    """
    def scalar(sql: str) -> Any:
        return db.store.execute(sql).fetchone()[0]

    def grouped(sql: str) -> dict[str, int]:
        return {name: count for name, count in db.store.execute(sql)}

    with snapshot(db):
        stats = GraphStats(
            path=db.path,
            schema_version=db.schema_version(),
            substrates=scalar("SELECT count(*) FROM substrates"),
            relationships=scalar("SELECT count(*) FROM relationships"),
            labels=grouped("SELECT label, count(*) FROM substrate_labels GROUP BY label ORDER BY label"),
            unlabelled=scalar(
                "SELECT count(*) FROM substrates AS s WHERE NOT EXISTS "
                "(SELECT 1 FROM substrate_labels AS l WHERE l.substrate = s.identity)"
            ),
            rel_types=grouped("SELECT rel_type, count(*) FROM relationships GROUP BY rel_type ORDER BY rel_type"),
            expressions=grouped(
                "SELECT expression_type, count(*) FROM substrates WHERE expression_type IS NOT NULL "
                "GROUP BY expression_type ORDER BY expression_type"
            ),
            property_indexes=[
                {"name": name, "label": label, "properties": properties}
                for name, label, properties in db.store.execute(
                    "SELECT name, label, properties FROM property_indexes ORDER BY name"
                )
            ],
            file_bytes=_size(db.path),
            wal_bytes=_size(db.path + "-wal"),
            page_size=scalar("PRAGMA page_size"),
            page_count=scalar("PRAGMA page_count"),
            freelist_count=scalar("PRAGMA freelist_count"),
            journal_mode=scalar("PRAGMA journal_mode"),
        )
    return stats


def property_keys(db: Database, sample: int = 10_000) -> dict[str, list[str]]:
    """List the metadata keys seen on a sample of substrates and of relationships.

    :param sample: how many rows of each table to look at, so the answer stays quick on big files.
    :returns: ``{"substrates": [...], "relationships": [...]}``, each sorted.
    """
    keys = {}
    for name in ("substrates", "relationships"):
        rows = db.store.execute(
            f"SELECT DISTINCT j.key FROM (SELECT metadata FROM {name} LIMIT ?) AS t, json_each(t.metadata) AS j "
            "ORDER BY j.key",
            (sample,),
        )
        keys[name] = [key for (key,) in rows]
    return keys


@dataclass
class CheckReport:
    """The findings of `check`: each problem kind maps to a count and a few examples."""

    problems: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no check found anything."""
        return not self.problems

    def add(self, kind: str, count: int, examples: list[str]) -> None:
        """Record a problem kind found `count` times."""
        if count:
            self.problems[kind] = count
            self.examples[kind] = examples[:MAX_LISTED]


def check(db: Database) -> CheckReport:
    """Verify a database file: SQLite integrity, foreign keys, orphans, JSON and the schema version.

    :returns: a CheckReport; ``report.ok`` is False when anything is wrong.
    """
    report = CheckReport()

    def listed(sql: str) -> list[tuple]:
        return list(db.store.execute(sql))

    with snapshot(db):
        report.checks.append("PRAGMA integrity_check")
        messages = [message for (message,) in listed("PRAGMA integrity_check") if message != "ok"]
        report.add("integrity", len(messages), messages)

        report.checks.append("PRAGMA foreign_key_check")
        violations = listed("PRAGMA foreign_key_check")
        report.add(
            "foreign key",
            len(violations),
            [f"{table} row {rowid} has no {parent} row" for table, rowid, parent, _ in violations],
        )

        report.checks.append("orphan relationships")
        orphans = listed(
            "SELECT r.identity, r.source, r.target, "
            "EXISTS (SELECT 1 FROM substrates AS s WHERE s.identity = r.source), "
            "EXISTS (SELECT 1 FROM substrates AS s WHERE s.identity = r.target) "
            "FROM relationships AS r WHERE NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.identity = r.source) "
            "OR NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.identity = r.target)"
        )
        report.add(
            "orphan relationship",
            len(orphans),
            [
                f"relationship {format_id(to_unsigned(identity))} names missing "
                + " and ".join(
                    f"{role} {format_id(to_unsigned(end))}"
                    for role, end, present in (("source", source, has_source), ("target", target, has_target))
                    if not present
                )
                for identity, source, target, has_source, has_target in orphans
            ],
        )

        report.checks.append("orphan labels")
        labels = listed(
            "SELECT l.substrate, l.label FROM substrate_labels AS l "
            "WHERE NOT EXISTS (SELECT 1 FROM substrates AS s WHERE s.identity = l.substrate)"
        )
        report.add(
            "orphan label",
            len(labels),
            [f"label {label!r} of missing substrate {format_id(to_unsigned(s))}" for s, label in labels],
        )

        report.checks.append("metadata is a JSON object")
        for table, id_column in (("substrates", "substrate_id"), ("relationships", "relationship_id")):
            bad = listed(
                f"SELECT {id_column} FROM {table} "
                "WHERE NOT json_valid(metadata) OR json_type(metadata) IS NOT 'object'"
            )
            report.add(f"bad {table} metadata", len(bad), [f"{table[:-1]} {ident}" for (ident,) in bad])

        report.checks.append("schema version")
        version = db.schema_version()
        if version != schema.SCHEMA_VERSION:
            report.add("schema version", 1, [f"file has {version}, this bfxdb expects {schema.SCHEMA_VERSION}"])
    return report


def backup(db: Database, destination: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Copy the database to a new file with SQLite's online backup API, safely while others write.

    The copy is one consistent snapshot: it is taken in a single backup step, which in WAL mode
    holds only a read transaction (writers carry on) and never restarts because of them. It is
    written beside the destination and renamed into place, so a failure leaves no partial file.

    :param destination: the new file's path.
    :param overwrite: replace an existing destination instead of refusing.
    :returns: the size of the copy in bytes.
    :raises InvalidInput: for an in-memory source or an existing destination without overwrite.
    :raises StorageError: if SQLite cannot read the source or write the copy.
    """
    if db.store.in_memory:
        raise InvalidInput("an in-memory database cannot be backed up to a file")
    target = Path(destination)
    if target.resolve() == Path(db.path).resolve():
        raise InvalidInput("the backup destination is the database itself")
    if target.exists() and not overwrite:
        raise InvalidInput(f"{target} exists; choose another name or allow overwriting")
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    os.close(handle)
    try:
        db.store.backup_to(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target.stat().st_size


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
