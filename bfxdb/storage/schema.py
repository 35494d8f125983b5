"""The SQLite schema of a bfxdb file and its forward migrations, keyed by PRAGMA user_version."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from ..errors import StorageError
from .constraints import CONSTRAINTS_V4
from .quoting import quote_identifier
from .searchindexes import SEARCH_INDEXES_V5
from .statistics import analyse, has_statistics

# Identities are unsigned 64-bit numbers stored as SQLite's signed INTEGER PRIMARY KEY
# (two's complement); printf('%016X') shows the unsigned hex form, so the generated
# columns give a person in the sqlite3 shell the same ids the API prints.
SCHEMA_V1 = """
CREATE TABLE substrates (
    identity        INTEGER PRIMARY KEY,
    substrate_id    TEXT GENERATED ALWAYS AS (printf('0x%016X', identity)) VIRTUAL,
    expression_type TEXT,
    expression_code TEXT,
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at      TEXT NOT NULL
);

CREATE TABLE substrate_labels (
    substrate INTEGER NOT NULL REFERENCES substrates(identity) ON DELETE CASCADE,
    label     TEXT NOT NULL,
    PRIMARY KEY (substrate, label)
) WITHOUT ROWID;
CREATE INDEX substrate_labels_by_label ON substrate_labels(label, substrate);

CREATE TABLE relationships (
    identity        INTEGER PRIMARY KEY,
    relationship_id TEXT GENERATED ALWAYS AS (printf('0x%016X', identity)) VIRTUAL,
    source          INTEGER NOT NULL REFERENCES substrates(identity) ON DELETE CASCADE,
    target          INTEGER NOT NULL REFERENCES substrates(identity) ON DELETE CASCADE,
    rel_type        TEXT NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    bidirectional   INTEGER NOT NULL DEFAULT 0 CHECK (bidirectional IN (0, 1)),
    created_at      TEXT NOT NULL
);
CREATE INDEX relationships_out ON relationships(source, rel_type, target);
CREATE INDEX relationships_in ON relationships(target, rel_type, source);

-- Property indexes made by Cypher CREATE INDEX: one SQLite expression index per property.
CREATE TABLE property_indexes (
    name       TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    properties TEXT NOT NULL CHECK (json_valid(properties))
);

-- Readable views for the sqlite3 shell: hex ids everywhere, labels as a JSON array.
CREATE VIEW substrates_readable AS
SELECT s.substrate_id,
       (SELECT json_group_array(l.label) FROM substrate_labels AS l WHERE l.substrate = s.identity)
           AS labels,
       s.metadata, s.expression_type, s.expression_code, s.created_at
FROM substrates AS s;

CREATE VIEW relationships_readable AS
SELECT r.relationship_id, r.rel_type,
       printf('0x%016X', r.source) AS source_id,
       printf('0x%016X', r.target) AS target_id,
       r.bidirectional, r.metadata, r.created_at
FROM relationships AS r;
"""

#: Version 2 makes the file about half as large (measured at 100k substrates with two
#: relationships each: 415 bytes per substrate down to 230). Relationships and labels refer to a
#: substrate by its dense internal ``node`` number (3 bytes for up to 8M substrates) instead of its
#: random 64-bit identity (8 bytes), in the table and in both traversal indexes; labels and
#: relationship types are interned in ``names``; times are integer microseconds since the Unix
#: epoch instead of 27 bytes of ISO text; relationships without a given identity get the next one
#: (AUTOINCREMENT: appended to the b-tree, never reused). The readable views decode all of it.
#: Relationships declare no foreign keys: SQLite would look up both ends and the type for every
#: row, which bfxdb already does once per statement or per bulk batch (and deleting a substrate
#: deletes its relationships itself); ``bfxdb check`` looks for orphans. Labels keep theirs.
_TABLES_V2 = """
CREATE TABLE names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE substrates (
    node            INTEGER PRIMARY KEY,
    identity        INTEGER NOT NULL UNIQUE,
    substrate_id    TEXT GENERATED ALWAYS AS (printf('0x%016X', identity)) VIRTUAL,
    expression_type TEXT,
    expression_code TEXT,
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at      INTEGER NOT NULL
);

CREATE TABLE substrate_labels (
    node  INTEGER NOT NULL REFERENCES substrates(node) ON DELETE CASCADE,
    label INTEGER NOT NULL REFERENCES names(id),
    PRIMARY KEY (node, label)
) WITHOUT ROWID;

CREATE TABLE relationships (
    identity        INTEGER PRIMARY KEY AUTOINCREMENT,
    relationship_id TEXT GENERATED ALWAYS AS (printf('0x%016X', identity)) VIRTUAL,
    source          INTEGER NOT NULL,
    target          INTEGER NOT NULL,
    rel_type        INTEGER NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    bidirectional   INTEGER NOT NULL DEFAULT 0 CHECK (bidirectional IN (0, 1)),
    created_at      INTEGER NOT NULL
)
"""

#: The label and traversal indexes, built after the rows when a migration copies them.
INDEXES_V2 = """
CREATE INDEX substrate_labels_by_label ON substrate_labels(label, node);
CREATE INDEX relationships_out ON relationships(source, rel_type, target);
CREATE INDEX relationships_in ON relationships(target, rel_type, source)
"""

#: SQL text of a stored time (integer microseconds since the epoch) as the API shows it.
ISO_TIME = (
    "strftime('%Y-%m-%dT%H:%M:%S', {t} / 1000000, 'unixepoch') || printf('.%06dZ', {t} % 1000000)"
)

_VIEWS_V2 = f"""
CREATE VIEW substrates_readable AS
SELECT s.substrate_id,
       (SELECT json_group_array(n.name) FROM substrate_labels AS l JOIN names AS n ON n.id = l.label
        WHERE l.node = s.node) AS labels,
       s.metadata, s.expression_type, s.expression_code, {ISO_TIME.format(t="s.created_at")} AS created_at
FROM substrates AS s;

CREATE VIEW relationships_readable AS
SELECT r.relationship_id, (SELECT name FROM names WHERE id = r.rel_type) AS rel_type,
       (SELECT substrate_id FROM substrates WHERE node = r.source) AS source_id,
       (SELECT substrate_id FROM substrates WHERE node = r.target) AS target_id,
       r.bidirectional, r.metadata, {ISO_TIME.format(t="r.created_at")} AS created_at
FROM relationships AS r
"""

#: A v1 ISO time ("2026-01-01T00:00:00.123456Z") as integer microseconds.
_V1_TIME = (
    "(unixepoch(substr({t}, 1, 19)) * 1000000 + CAST(substr({t}, 21, 6) AS INTEGER))"
)

# Old tables are renamed aside, the new ones filled in identity order (so node numbers follow
# it) and the indexes built after the rows. LEFT JOINs make a v1 row whose substrate is missing
# (only a damaged file has one) fail the NOT NULL constraint and so the whole migration, rather
# than vanish.
_COPY_V1 = f"""
DROP VIEW substrates_readable;
DROP VIEW relationships_readable;
DROP INDEX substrate_labels_by_label;
DROP INDEX relationships_out;
DROP INDEX relationships_in;
ALTER TABLE substrates RENAME TO v1_substrates;
ALTER TABLE substrate_labels RENAME TO v1_substrate_labels;
ALTER TABLE relationships RENAME TO v1_relationships;
{_TABLES_V2};
INSERT INTO names (name) SELECT label FROM v1_substrate_labels UNION SELECT rel_type FROM v1_relationships;
INSERT INTO substrates (identity, expression_type, expression_code, metadata, created_at)
    SELECT identity, expression_type, expression_code, metadata, {_V1_TIME.format(t="created_at")}
    FROM v1_substrates ORDER BY identity;
INSERT INTO substrate_labels (node, label)
    SELECT s.node, n.id FROM v1_substrate_labels AS l
    LEFT JOIN substrates AS s ON s.identity = l.substrate JOIN names AS n ON n.name = l.label
    ORDER BY 1, 2;
INSERT INTO relationships (identity, source, target, rel_type, metadata, bidirectional, created_at)
    SELECT r.identity, s.node, t.node, n.id, r.metadata, r.bidirectional, {_V1_TIME.format(t="r.created_at")}
    FROM v1_relationships AS r
    LEFT JOIN substrates AS s ON s.identity = r.source LEFT JOIN substrates AS t ON t.identity = r.target
    JOIN names AS n ON n.name = r.rel_type
    ORDER BY r.identity;
DROP TABLE v1_relationships;
DROP TABLE v1_substrate_labels;
DROP TABLE v1_substrates;
{INDEXES_V2};
{_VIEWS_V2}
"""


#: The page cache (KiB) of the connection that migrates a file.
MIGRATION_CACHE_KIB = 256 * 1024


def migrate_v1(connection: sqlite3.Connection) -> None:
    """Take a v1 file to v2 in the caller's transaction; property indexes are rebuilt on the new table."""
    # Dropping v1's substrates drops its expression indexes: keep their SQL to make them again.
    property_indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'substrates' AND sql IS NOT NULL"
    ).fetchall()
    analysed = has_statistics(connection, "substrates")
    cache = connection.execute("PRAGMA cache_size").fetchone()[0]
    # the copy and the index builds of a large file run several times faster in a large cache
    connection.execute(f"PRAGMA cache_size = {-MIGRATION_CACHE_KIB}")
    try:
        for name, _ in property_indexes:
            connection.execute("DROP INDEX " + quote_identifier(name))
        run_script(connection, _COPY_V1)
        for _, statement in property_indexes:
            connection.execute(statement)
    finally:
        connection.execute(f"PRAGMA cache_size = {cache}")
    if analysed:
        # dropping v1's tables dropped their statistics, which the planners rely on
        analyse(connection, "substrates")


def run_script(connection: sqlite3.Connection, script: str) -> None:
    """Run statements separated by ``;`` at a line end, in the caller's transaction (executescript would commit)."""
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(statement)


#: Version 3 makes the schema clean up after itself whoever deletes a substrate: the sqlite3
#: shell and other clients run with foreign keys off (SQLite's default), so without it their
#: ``DELETE FROM substrates`` left its relationships and labels behind, and a new substrate given
#: the freed node number would inherit them. bfxdb deletes relationships before their substrate,
#: so for its own deletes the trigger finds nothing: a probe of each traversal index (the OR runs
#: as two index lookups, a tenth cheaper than two statements) and one of the label key, about
#: 10 µs per substrate (benchmarks/deleting.py).
CASCADE_V3 = """
CREATE TRIGGER substrates_cascade AFTER DELETE ON substrates BEGIN
    DELETE FROM relationships WHERE source = OLD.node OR target = OLD.node;
    DELETE FROM substrate_labels WHERE node = OLD.node;
END
"""


def migrate_v2(connection: sqlite3.Connection) -> None:
    """Take a v2 file to v3 in the caller's transaction: the trigger that cascades substrate deletes."""
    # one statement whose body holds ";\n": not for run_script
    connection.execute(CASCADE_V3)


#: Version 6 makes the identity's uniqueness a named index instead of the column's UNIQUE
#: constraint. SQLite keeps a constraint's automatic index as long as the table; a named one a
#: bulk load into a small table drops and builds again after its rows, sorted, as the hand-tuned
#: reference does (benchmarks/load.py). The b-tree is the same on disk (identity, then node), so
#: the migration renames it and edits the table's text in sqlite_schema, in place and at once
#: whatever the file's size: SQLite's documented way of making a schema change that leaves the
#: stored content as it is (lang_altertable.html, "other kinds of table schema changes"). A
#: rewrite of the table would have had to drop and make again every trigger, view and
#: expression index on it, and could not run with foreign keys on, as every bfxdb connection is.
IDENTITY_INDEX = "substrates_identity"
CREATE_IDENTITY_INDEX = f"CREATE UNIQUE INDEX {IDENTITY_INDEX} ON substrates(identity)"
_V5_IDENTITY = re.compile(r"(\bidentity\s+INTEGER NOT NULL) UNIQUE,")
_V5_AUTOINDEX = "sqlite_autoindex_substrates_1"


def migrate_v5(connection: sqlite3.Connection) -> None:
    """Take a v5 file to v6 in the caller's transaction: the identity's automatic index becomes IDENTITY_INDEX."""
    (table,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'substrates'"
    ).fetchone()
    edited, changes = _V5_IDENTITY.subn(r"\1,", table)
    columns = [row[2] for row in connection.execute(f"PRAGMA index_info({_V5_AUTOINDEX})")]
    if changes != 1 or columns != ["identity"]:
        raise StorageError("cannot migrate to schema version 6: the substrates table is not as version 5 made it")
    cookie = connection.execute("PRAGMA schema_version").fetchone()[0]
    connection.execute("PRAGMA writable_schema = ON")
    try:
        connection.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'substrates'", (edited,))
        connection.execute(
            "UPDATE sqlite_master SET name = ?, sql = ? WHERE type = 'index' AND name = ?",
            (IDENTITY_INDEX, CREATE_IDENTITY_INDEX, _V5_AUTOINDEX),
        )
        # a new schema cookie makes every connection, this one too, read the edited schema again
        connection.execute(f"PRAGMA schema_version = {cookie + 1}")
    finally:
        connection.execute("PRAGMA writable_schema = OFF")
    if has_statistics(connection, "substrates"):
        connection.execute("UPDATE sqlite_stat1 SET idx = ? WHERE idx = ?", (IDENTITY_INDEX, _V5_AUTOINDEX))


#: MIGRATIONS[i] takes a file from user_version i to i + 1: a script, or a function of the connection.
#: Version 4 adds the table of property constraints (CREATE CONSTRAINT), empty at first;
#: version 5 the catalogue of search indexes (full-text and vector), empty at first; version 6 the
#: named identity index (migrate_v5).
MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    SCHEMA_V1,
    migrate_v1,
    migrate_v2,
    CONSTRAINTS_V4,
    SEARCH_INDEXES_V5,
    migrate_v5,
)

SCHEMA_VERSION = len(MIGRATIONS)
#: The oldest version a read-only open reads as it is: v3 only added a trigger, which reads never meet,
#: a v3 file has no constraints, which is what a missing constraints table reads as, a v4 file
#: no search indexes, which is what a missing catalogue reads as, and a v5 file's identity index
#: only bears SQLite's automatic name.
OLDEST_READABLE = 2

#: Tables every schema version has: with a user_version set, they tell a bfxdb file from another application's.
SIGNATURE_TABLES = frozenset({"substrates", "relationships"})
#: How many of a foreign file's tables a message names.
_NAMED = 3


def foreign_content(connection: sqlite3.Connection) -> str | None:
    """Say what in the open file shows it is another application's; None for a bfxdb file or an empty one.

    Empty means what a new file holds: no tables, views, indexes or triggers, user_version and
    application_id 0. Reading this writes nothing.
    """
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    application = connection.execute("PRAGMA application_id").fetchone()[0]
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    if version > 0 and SIGNATURE_TABLES <= set(tables):
        return None
    if tables:
        named = ", ".join(tables[:_NAMED]) + (f" and {len(tables) - _NAMED} more" if len(tables) > _NAMED else "")
        return f"the table{'s' if len(tables) > 1 else ''} {named}"
    others = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if others:
        return f"{others} schema object{'s' if others > 1 else ''} and no table"
    if application:
        return f"application_id {application}"
    if version:
        return f"user_version {version} and no table"
    return None
