"""Schema v5 files (made by the release before schema v6) get the named identity index in place, and keep everything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bfxdb
from bfxdb import maintenance
from bfxdb.storage import SCHEMA_VERSION
from bfxdb.storage.schema import IDENTITY_INDEX

VECTOR_QUERY = "CALL db.index.vector.queryNodes('doc_embedding', 1, $q) YIELD node RETURN node.doc"
TEXT_QUERY = "CALL db.index.fulltext.queryNodes('doc_text', $words) YIELD node RETURN node.doc ORDER BY node.doc"


@pytest.fixture
def v5_file(release_file) -> Path:
    """A copy of the committed v5 fixture file."""
    return release_file("v5.db")


def _indexes(path: Path) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        listed = connection.execute("PRAGMA index_list(substrates)")
        return [(name, unique, origin) for _, name, unique, origin, _ in listed]
    finally:
        connection.close()


def test_the_fixture_is_a_v5_file_with_the_automatic_identity_index(v5_file):
    connection = sqlite3.connect(v5_file)
    assert connection.execute("PRAGMA user_version").fetchone() == (5,)
    connection.close()
    assert ("sqlite_autoindex_substrates_1", 1, "u") in _indexes(v5_file)


def test_a_v5_file_is_migrated_in_place_with_its_rows_triggers_views_and_search_indexes(v5_file):
    with bfxdb.connect(v5_file) as db:
        assert SCHEMA_VERSION >= 6 and db.schema_version() == SCHEMA_VERSION
        assert db.count_substrates() == 20 and db.count_relationships() == 19
        assert db.query("MATCH (:Doc {doc: 1})-[:NEXT]->(d) RETURN d.title").rows == [("title 2",)]
        assert db.query(TEXT_QUERY, {"words": "graph"}).rows == [(n,) for n in range(1, 21, 2)]
        assert db.query(VECTOR_QUERY, {"q": [7.0, 1.0, 0.0]}).rows == [(7,)]
        # the triggers on substrates still run: constraint, full-text, vector, cascade
        with pytest.raises(bfxdb.SchemaConstraintViolation):
            db.query("CREATE (:Doc {doc: 1})")
        db.query("CREATE (:Doc {doc: 21, title: 'graph zebra', embedding: [100.0, 1.0, 0.0]})")
        assert db.query(TEXT_QUERY, {"words": "zebra"}).rows == [(21,)]
        assert db.query(VECTOR_QUERY, {"q": [100.0, 1.0, 0.0]}).rows == [(21,)]
        with pytest.raises(bfxdb.Conflict, match="0x0000000000000003"):
            db.create_substrate(identity=3)
        assert maintenance.check(db).ok
    assert ("sqlite_autoindex_substrates_1", 1, "u") not in _indexes(v5_file)
    assert (IDENTITY_INDEX, 1, "c") in _indexes(v5_file)
    plain = sqlite3.connect(v5_file)
    assert plain.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # the shell's views, and its deletes: the cascade trigger takes relationships and labels along
    readable = "SELECT substrate_id, labels FROM substrates_readable WHERE metadata ->> 'doc' = 2"
    assert plain.execute(readable).fetchall() == [("0x0000000000000002", '["Doc"]')]
    plain.execute("DELETE FROM substrates WHERE identity = 2")
    plain.commit()
    assert plain.execute("SELECT count(*) FROM relationships_readable").fetchone() == (17,)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: substrates.identity"):
        plain.execute("INSERT INTO substrates (identity, created_at) VALUES (3, 0)")
    plain.close()
    with bfxdb.connect(v5_file) as db:
        assert db.query(TEXT_QUERY, {"words": "sqlite"}).rows == [(n,) for n in range(4, 21, 2)]
        assert maintenance.check(db).ok


def test_the_planner_statistics_follow_the_renamed_index(v5_file):
    connection = sqlite3.connect(v5_file)
    connection.execute("ANALYZE substrates")
    connection.commit()
    connection.close()
    with bfxdb.connect(v5_file):
        pass
    connection = sqlite3.connect(v5_file)
    named = {idx for (idx,) in connection.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'substrates'")}
    connection.close()
    assert IDENTITY_INDEX in named and "sqlite_autoindex_substrates_1" not in named


def test_a_large_load_into_a_migrated_file_drops_and_builds_the_named_index(v5_file):
    with bfxdb.connect(v5_file) as db:
        db.bulk_load(
            [{"identity": 1000 + n, "labels": ["Doc"], "metadata": {"doc": 1000 + n}} for n in range(20_000)],
            [{"source": 1000, "target": 1, "rel_type": "CITES"}],
        )
        with pytest.raises(bfxdb.Conflict, match="substrate 0x0000000000000005 already exists"):
            db.bulk_load([{"identity": 50_000 + n} for n in range(30_000)] + [{"identity": 5}])
        assert db.count_substrates() == 20_020
        assert [r.target for r in db.outgoing(1000)] == [1]
    assert (IDENTITY_INDEX, 1, "c") in _indexes(v5_file)


def test_a_v5_file_opens_read_only_as_it_is(v5_file):
    with bfxdb.connect(v5_file, read_only=True) as db:
        assert db.schema_version() == 5
        assert db.get_substrate(4).metadata["doc"] == 4
    assert ("sqlite_autoindex_substrates_1", 1, "u") in _indexes(v5_file)
