"""The SQLite schema of a bfxdb file and its forward migrations, keyed by PRAGMA user_version."""

from __future__ import annotations

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

#: MIGRATIONS[i] takes a file from user_version i to i + 1.
MIGRATIONS: tuple[str, ...] = (SCHEMA_V1,)

SCHEMA_VERSION = len(MIGRATIONS)
