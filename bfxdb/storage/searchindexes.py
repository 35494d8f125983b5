"""The catalogue of search indexes (full-text and vector): their table, and reading and writing its rows.

An index's own data (an FTS5 table, a table of vectors) and the triggers that keep it in step are
made by the module of its kind; this table records what each index covers, so SHOW INDEXES,
DROP INDEX, the query procedures and ``check`` find every search index in one place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Version 5: the catalogue of search indexes, empty at first.
SEARCH_INDEXES_V5 = """
CREATE TABLE search_indexes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('FULLTEXT', 'VECTOR')),
    entity_type TEXT NOT NULL CHECK (entity_type IN ('NODE', 'RELATIONSHIP')),
    labels      TEXT NOT NULL CHECK (json_valid(labels) AND json_type(labels) = 'array'),
    properties  TEXT NOT NULL CHECK (json_valid(properties) AND json_type(properties) = 'array'),
    options     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options) AND json_type(options) = 'object')
)
"""

#: The kinds of search index the catalogue records, as SHOW INDEXES names their types.
KINDS = frozenset({"FULLTEXT", "VECTOR"})


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """One search index as the catalogue holds it.

    ``labels`` are node labels for a NODE index and relationship types for a RELATIONSHIP one
    (an entity is covered when it has any of them); ``properties`` are the metadata keys it reads;
    ``options`` are the index's settings as given to CREATE ... INDEX (analyzer, dimensions, ...).
    """

    name: str
    kind: str
    entity_type: str
    labels: tuple[str, ...]
    properties: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    id: int = 0


def has_catalogue(connection: sqlite3.Connection) -> bool:
    """Whether the file has the catalogue table: a file older than v5, opened read-only, has none."""
    row = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_indexes'").fetchone()
    return row is not None


def load_search_indexes(connection: sqlite3.Connection, kind: str | None = None) -> list[SearchIndex]:
    """Every search index of the file, or those of one kind, by name; none in a file without the catalogue."""
    if not has_catalogue(connection):
        return []
    rows = connection.execute(
        "SELECT name, kind, entity_type, labels, properties, options, id FROM search_indexes "
        "WHERE ?1 IS NULL OR kind = ?1 ORDER BY name",
        (kind,),
    ).fetchall()
    return [
        SearchIndex(
            row[0], row[1], row[2], tuple(json.loads(row[3])), tuple(json.loads(row[4])), json.loads(row[5]), row[6]
        )
        for row in rows
    ]


def insert_search_index(connection: sqlite3.Connection, index: SearchIndex) -> SearchIndex:
    """Record a new search index in the caller's transaction and give it back with its row id."""
    cursor = connection.execute(
        "INSERT INTO search_indexes (name, kind, entity_type, labels, properties, options) VALUES (?, ?, ?, ?, ?, ?)",
        (
            index.name,
            index.kind,
            index.entity_type,
            json.dumps(list(index.labels)),
            json.dumps(list(index.properties)),
            json.dumps(dict(index.options), sort_keys=True),
        ),
    )
    assert cursor.lastrowid is not None
    return SearchIndex(
        index.name, index.kind, index.entity_type, index.labels, index.properties, index.options, cursor.lastrowid
    )


def delete_search_index(connection: sqlite3.Connection, name: str) -> None:
    """Remove a search index's catalogue row in the caller's transaction (its kind drops its data)."""
    connection.execute("DELETE FROM search_indexes WHERE name = ?", (name,))


def missing_objects(connection: sqlite3.Connection, wanted: Mapping[str, str]) -> list[str]:
    """Which of an index's tables, views and triggers (name: type) the file lacks, as ``trigger name`` each."""
    found = dict(
        connection.execute(
            "SELECT name, type FROM sqlite_master WHERE name IN (SELECT value FROM json_each(?))",
            (json.dumps(list(wanted)),),
        ).fetchall()
    )
    return [f"{kind} {name}" for name, kind in wanted.items() if found.get(name) != kind]
