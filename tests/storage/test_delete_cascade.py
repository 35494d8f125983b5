"""Schema v3's trigger: a substrate deleted by any SQLite client takes its relationships and labels with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bfxdb
from bfxdb import maintenance
from bfxdb.storage import SCHEMA_VERSION


@pytest.fixture
def v2_file(release_file) -> Path:
    """A copy of the committed v2 fixture: 30 people, a KNOWS ring and a LIKES ring, no trigger."""
    return release_file("v2.db")


def _plain(path: Path | str) -> sqlite3.Connection:
    """A connection as the sqlite3 shell makes one: foreign keys off, SQLite's default."""
    connection = sqlite3.connect(path, isolation_level=None)
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (0,)
    return connection


def _shell_delete(path: Path | str, substrate_id: str) -> None:
    connection = _plain(path)
    assert connection.execute("DELETE FROM substrates WHERE substrate_id = ?", (substrate_id,)).rowcount == 1
    connection.close()


def test_the_fixture_is_a_v2_file_without_the_trigger(v2_file):
    connection = _plain(v2_file)
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)
    assert connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (0,)
    connection.close()


def test_a_v2_file_is_migrated_to_v3_with_its_rows_and_the_trigger(v2_file):
    with bfxdb.connect(v2_file) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.count_substrates() == 30 and db.count_relationships() == 60
        assert db.query("MATCH (:Person {pid: 'p1'})-[:KNOWS]->(m) RETURN m.pid").rows == [("p2",)]
        assert maintenance.check(db).ok
    connection = _plain(v2_file)
    assert connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall() == [
        ("substrates_cascade",)
    ]
    connection.close()


def test_a_v2_file_opens_read_only_as_it_is(v2_file):
    with bfxdb.connect(v2_file, read_only=True) as db:
        assert db.schema_version() == 2
        assert db.query("MATCH (n:Person) RETURN count(n)").rows == [(30,)]


def test_a_shell_delete_of_a_substrate_takes_its_relationships_and_labels(v2_file):
    bfxdb.connect(v2_file).close()
    _shell_delete(v2_file, "0x0000000000000005")
    with bfxdb.connect(v2_file) as db:
        # 5 was the source of two relationships and the target of two
        assert db.count_substrates() == 29 and db.count_relationships() == 56
        report = maintenance.check(db)
        assert report.ok, report.problems
    connection = _plain(v2_file)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()


def test_a_shell_delete_in_a_new_file_cascades_too(file_db):
    a, b = file_db.create_substrate(labels=["A"]), file_db.create_substrate(labels=["B"])
    file_db.create_relationship(a.identity, b.identity, "R")
    file_db.create_relationship(b.identity, a.identity, "R")
    _shell_delete(file_db.path, b.substrate_id)
    assert file_db.count_relationships() == 0
    assert maintenance.check(file_db).ok


def test_a_new_substrate_given_the_freed_node_number_inherits_nothing(file_db):
    a, b = file_db.create_substrate(), file_db.create_substrate(labels=["Old"])
    file_db.create_relationship(a.identity, b.identity, "R")
    _shell_delete(file_db.path, b.substrate_id)  # b had the highest node number: SQLite gives it out again
    c = file_db.create_substrate()
    assert file_db.incoming(c.identity) == [] and file_db.get_substrate(c.identity).labels == ()


def test_bfxdbs_own_deletes_still_count_the_relationships_they_take(file_db):
    a, b = file_db.create_substrate(labels=["N"]), file_db.create_substrate(labels=["N"])
    file_db.create_relationship(a.identity, b.identity, "R")
    file_db.create_relationship(b.identity, b.identity, "R")
    assert file_db.delete_substrate(b.identity) == 2
    result = file_db.query("MATCH (n:N) DETACH DELETE n")
    assert result.stats["nodes_deleted"] == 1 and result.stats["relationships_deleted"] == 0


def test_check_still_finds_orphans_made_another_way(file_db):
    a = file_db.create_substrate()
    file_db.create_relationship(a.identity, a.identity, "R")
    connection = _plain(file_db.path)
    # a relationship written by hand to a node number no substrate has
    connection.execute(
        "INSERT INTO relationships (source, target, rel_type, created_at) "
        "SELECT source, 999, rel_type, created_at FROM relationships"
    )
    connection.close()
    report = maintenance.check(file_db)
    assert not report.ok and "orphan relationship" in report.problems
