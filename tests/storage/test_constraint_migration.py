"""Schema v3 files (made by the release before schema v4) gain the constraints table, and keep their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bfxdb
from bfxdb import maintenance
from bfxdb.storage import SCHEMA_VERSION


@pytest.fixture
def v3_file(release_file) -> Path:
    """A copy of the committed v3 fixture file."""
    return release_file("v3.db")


def test_the_fixture_is_a_v3_file_without_the_constraints_table(v3_file, table_names):
    connection = sqlite3.connect(v3_file)
    assert connection.execute("PRAGMA user_version").fetchone() == (3,)
    connection.close()
    assert "constraints" not in table_names(v3_file)


def test_a_v3_file_is_migrated_to_v4_with_its_rows(v3_file, table_names):
    with bfxdb.connect(v3_file) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.count_substrates() == 20 and db.count_relationships() == 20
        assert db.query("MATCH (:Person {pid: 'p1'})-[:KNOWS]->(m) RETURN m.pid").rows == [("p2",)]
        assert db.query("SHOW INDEXES YIELD name").rows == [("person_pid",)]
        assert db.query("SHOW CONSTRAINTS").rows == []
        assert maintenance.check(db).ok
    assert "constraints" in table_names(v3_file)


def test_a_migrated_file_takes_constraints_checked_against_its_data(v3_file):
    with bfxdb.connect(v3_file) as db:
        db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.pid IS UNIQUE")
        with pytest.raises(bfxdb.SchemaConstraintViolation, match="has the same `city`"):
            db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.city IS UNIQUE")
        with pytest.raises(bfxdb.SchemaConstraintViolation):
            db.query("MATCH (p:Person {pid: 'p2'}) SET p.pid = 'p1'")


def test_a_v3_file_opens_read_only_as_it_is_with_no_constraints(v3_file, table_names):
    with bfxdb.connect(v3_file, read_only=True) as db:
        assert db.schema_version() == 3
        assert db.query("SHOW CONSTRAINTS").rows == []
        assert db.query("MATCH (p:Person) RETURN count(p)").scalar() == 20
    assert "constraints" not in table_names(v3_file)
