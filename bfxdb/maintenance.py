"""Whole-database operations: statistics, checks, backups and copies between backends.

The reports are built here; the work is done by the store (``bfxdb.storage``), which turns a
damaged file into DatabaseCorrupt, or into a finding of `check`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .database import Database
from .errors import InvalidInput
from .storage import COPY_BATCH, GraphStats, copy_store

#: How many problems of one kind `check` lists before it only counts them.
MAX_LISTED = 20


def copy_graph(
    source: Database,
    destination: Database,
    *,
    batch_size: int = COPY_BATCH,
    into_nonempty: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Copy the whole graph of ``source`` into ``destination``, on either backend, identities kept.

    The source is read in one snapshot and the destination written in one transaction, ``batch_size``
    rows at a time (storage.copy_store says what is kept and refused).

    :returns: ``{"substrates": n, "relationships": m, "property_indexes": k}``.
    """
    return copy_store(
        source.store, destination.store, batch_size=batch_size, into_nonempty=into_nonempty, on_progress=on_progress
    )


def graph_stats(db: Database) -> GraphStats:
    """Count substrates by label, relationships by type and expressions by kind, and measure the file.

    :returns: a GraphStats read from one consistent snapshot.
    :raises DatabaseCorrupt: if the file is damaged where the counts must read.
    """
    return db.store.graph_stats()


def property_keys(db: Database, sample: int = 10_000) -> dict[str, list[str]]:
    """List the metadata keys seen on a sample of substrates and of relationships.

    :param sample: how many rows of each table to look at, so the answer stays quick on big files.
    :returns: ``{"substrates": [...], "relationships": [...]}``, each sorted.
    """
    return db.store.property_keys(sample)


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
    """Verify a database file: SQLite integrity, foreign keys, orphans, JSON, the schema version, search indexes.

    A damaged file is reported, not raised: as an ``integrity`` problem naming what SQLite met.

    :returns: a CheckReport; ``report.ok`` is False when anything is wrong.
    """
    report = CheckReport()
    for done in db.store.check_file():
        report.checks.append(done.name)
        for kind, found in done.problems.items():
            report.add(kind, len(found), found)
    return report


def repair(db: Database) -> list[str]:
    """Rebuild what ``check`` can mend in place: every full-text or vector index out of step with its data.

    A vector index is refolded from its entities' metadata.

    :returns: the names of the indexes rebuilt, in one transaction.
    :raises InvalidInput: when a vector index covers a value, written past its triggers, that it cannot hold.
    """
    return db.store.repair_search_indexes()


def backup(db: Database, destination: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Copy the database to a new file with SQLite's online backup API, safely while others write.

    From PostgreSQL the new file is a bfxdb SQLite database holding the graph of one snapshot.

    The copy is one consistent snapshot: it is taken in a single backup step, which in WAL mode
    holds only a read transaction (writers carry on) and never restarts because of them. It is
    written beside the destination and renamed into place, so a failure leaves no partial file.

    :param destination: the new file's path.
    :param overwrite: replace an existing destination instead of refusing.
    :returns: the size of the copy in bytes.
    :raises InvalidInput: for an in-memory source or an existing destination without overwrite.
    :raises StorageError: if SQLite cannot read the source or write the copy; DatabaseCorrupt when
        the source is damaged.
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

