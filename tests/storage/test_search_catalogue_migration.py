"""Schema v4 files (made by the release before schema v5) gain the search index catalogue, and keep their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bfxdb
from bfxdb import maintenance
from bfxdb.storage import SCHEMA_VERSION


@pytest.fixture
def v4_file(release_file) -> Path:
    """A copy of the committed v4 fixture file."""
    return release_file("v4.db")


def test_the_fixture_is_a_v4_file_without_the_catalogue(v4_file, table_names):
    connection = sqlite3.connect(v4_file)
    assert connection.execute("PRAGMA user_version").fetchone() == (4,)
    connection.close()
    assert "constraints" in table_names(v4_file) and "search_indexes" not in table_names(v4_file)


def test_a_v4_file_is_migrated_to_v5_with_its_rows_and_constraints(v4_file, table_names):
    with bfxdb.connect(v4_file) as db:
        assert SCHEMA_VERSION >= 5 and db.schema_version() == SCHEMA_VERSION
        assert db.count_substrates() == 20 and db.count_relationships() == 19
        assert db.query("MATCH (:Doc {doc: 1})-[:NEXT]->(d) RETURN d.title").rows == [("title 2",)]
        assert db.query("SHOW CONSTRAINTS YIELD name").rows == [("doc_id",)]
        with pytest.raises(bfxdb.SchemaConstraintViolation):
            db.query("CREATE (:Doc {doc: 1})")
        assert maintenance.check(db).ok
    assert "search_indexes" in table_names(v4_file)
    connection = sqlite3.connect(v4_file)
    assert connection.execute("SELECT count(*) FROM search_indexes").fetchone() == (0,)
    connection.close()


def test_the_catalogue_refuses_rows_of_an_unknown_kind_or_malformed_lists(v4_file):
    with bfxdb.connect(v4_file):
        pass
    connection = sqlite3.connect(v4_file)
    insert = "INSERT INTO search_indexes (name, kind, entity_type, labels, properties) VALUES (?, ?, ?, ?, ?)"
    for row in (
        ("a", "SPATIAL", "NODE", '["Doc"]', '["title"]'),
        ("b", "FULLTEXT", "NODE", '"Doc"', '["title"]'),
        ("c", "VECTOR", "EDGE", '["Doc"]', '["title"]'),
        ("d", "VECTOR", "NODE", '["Doc"]', "title"),
    ):
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute(insert, row)
    connection.close()


def test_a_v4_file_opens_read_only_as_it_is(v4_file, table_names):
    with bfxdb.connect(v4_file, read_only=True) as db:
        assert db.schema_version() == 4
        assert db.query("MATCH (d:Doc) RETURN count(d)").scalar() == 20
    assert "search_indexes" not in table_names(v4_file)


def test_catalogue_rows_round_trip_and_a_pre_v5_file_reads_as_none(v4_file):
    from bfxdb.storage.searchindexes import SearchIndex, delete_search_index, insert_search_index, load_search_indexes

    connection = sqlite3.connect(v4_file)
    assert load_search_indexes(connection) == []
    connection.close()
    with bfxdb.connect(v4_file):
        pass
    connection = sqlite3.connect(v4_file)
    made = insert_search_index(
        connection, SearchIndex("docs", "FULLTEXT", "NODE", ("Doc", "Page"), ("title", "body"), {"analyzer": "porter"})
    )
    insert_search_index(
        connection, SearchIndex("embeddings", "VECTOR", "NODE", ("Doc",), ("embedding",), {"dimensions": 3})
    )
    assert made.id > 0
    assert load_search_indexes(connection, "FULLTEXT") == [made]
    assert [index.name for index in load_search_indexes(connection)] == ["docs", "embeddings"]
    delete_search_index(connection, "docs")
    assert [index.name for index in load_search_indexes(connection)] == ["embeddings"]
    connection.close()
