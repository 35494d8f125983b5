"""Search indexes in `stats`, `check` and `check --repair`: vector tables changed past their triggers, and refolded."""

from __future__ import annotations

import json
import sqlite3

import pytest

import bfxdb
from bfxdb.cli import main

VECTOR = "CREATE VECTOR INDEX emb FOR (n:Doc) ON n.e OPTIONS {indexConfig: {`vector.dimensions`: 3}}"
REL_VECTOR = "CREATE VECTOR INDEX said FOR ()-[r:SAID]-() ON r.e OPTIONS {indexConfig: {`vector.dimensions`: 3}}"
FULLTEXT = "CREATE FULLTEXT INDEX docs FOR (n:Doc|Page) ON EACH [n.title, n.body]"
OUT_OF_STEP = "search index out of step"
QUERY = "CALL db.index.vector.queryNodes('emb', 10, [1.0, 0.0, 0.0]) YIELD node RETURN node.title ORDER BY node.title"


def _titles(db) -> list[str]:
    return [row[0] for row in db.query(QUERY).rows]


def _graph(db_path) -> None:
    """Four :Doc nodes with vectors (one without), a :Page, and two :SAID relationships with vectors."""
    with bfxdb.connect(db_path) as db:
        db.query(VECTOR)
        db.query(REL_VECTOR)
        db.query(FULLTEXT)
        db.query("UNWIND range(1, 4) AS i CREATE (:Doc {title: 'd' + i, e: [toFloat(i), 1.0, 0.5]})")
        db.query("CREATE (:Doc {title: 'bare'}), (:Page {body: 'words'})")
        db.query("CREATE (:P)-[:SAID {e: [1, 2, 3]}]->(:P)-[:SAID {e: [3, 2, 1]}]->(:P)")


def _raw(db_path, *statements: str) -> None:
    """Write to the file with plain sqlite3, as a tool that knows nothing of the triggers' purpose would."""
    raw = sqlite3.connect(db_path)
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def _table(db_path, name: str, prefix: str = "vectors") -> str:
    """The table of a search index in the file: vectors_<id> or fulltext_<id>."""
    raw = sqlite3.connect(db_path)
    (index_id,) = raw.execute("SELECT id FROM search_indexes WHERE name = ?", (name,)).fetchone()
    raw.close()
    return f"{prefix}_{index_id}"


def _problems(db_path) -> list[str]:
    with bfxdb.connect(db_path, read_only=True) as db:
        report = bfxdb.check(db)
    return report.examples.get(OUT_OF_STEP, [])


# ---------------------------------------------------------------- stats


def test_stats_lists_each_search_index_with_its_kind_coverage_and_size(db_path):
    _graph(db_path)
    with bfxdb.connect(db_path, read_only=True) as db:
        figures = bfxdb.graph_stats(db)
    assert figures.search_indexes == [
        {"name": "docs", "kind": "FULLTEXT", "entity_type": "NODE", "labels": ["Doc", "Page"],
         "properties": ["title", "body"], "entities": 6},
        {"name": "emb", "kind": "VECTOR", "entity_type": "NODE", "labels": ["Doc"], "properties": ["e"],
         "entities": 4},
        {"name": "said", "kind": "VECTOR", "entity_type": "RELATIONSHIP", "labels": ["SAID"],
         "properties": ["e"], "entities": 2},
    ]  # fmt: skip


def test_stats_counts_vectors_written_by_the_sqlite3_shell_before_bfxdb_folds_them(db_path):
    _graph(db_path)
    # through the triggers: the key is pending until bfxdb's next write transaction
    _raw(db_path, "UPDATE substrates SET metadata = json_set(metadata, '$.e', json('[0, 0, 1]')) "
                  "WHERE json_extract(metadata, '$.title') = 'bare'",
         "UPDATE substrates SET metadata = json_remove(metadata, '$.e') "
         "WHERE json_extract(metadata, '$.title') = 'd1'")  # fmt: skip
    with bfxdb.connect(db_path, read_only=True) as db:
        held = {index["name"]: index["entities"] for index in bfxdb.graph_stats(db).search_indexes}
    assert held["emb"] == 4
    assert _problems(db_path) == []


def test_stats_command_shows_search_indexes_in_text_and_json(runner, db_path):
    _graph(db_path)
    shown = runner.invoke(main, ["stats", str(db_path)])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert any(line.split() == ["search", "indexes", "3"] for line in lines)
    assert any(line.split()[:1] == ["docs"] and "full-text on (:Doc|Page) [title, body]: 6 entities" in line
               for line in lines)  # fmt: skip
    assert any(line.split()[:1] == ["emb"] and "vector on (:Doc) [e]: 4 entities" in line for line in lines)
    assert any(line.split()[:1] == ["said"] and "vector on ()-[:SAID]-() [e]: 2 entities" in line for line in lines)
    as_json = json.loads(runner.invoke(main, ["stats", "--json", str(db_path)]).stdout)
    assert [(index["name"], index["kind"], index["entities"]) for index in as_json["search_indexes"]] == [
        ("docs", "FULLTEXT", 6), ("emb", "VECTOR", 4), ("said", "VECTOR", 2)
    ]  # fmt: skip


def test_stats_of_a_file_without_search_indexes_says_none(runner, db_path):
    with bfxdb.connect(db_path) as db:
        db.query("CREATE (:Doc)")
    shown = runner.invoke(main, ["stats", str(db_path)])
    assert any(line.split() == ["search", "indexes", "none"] for line in shown.stdout.splitlines())


# ---------------------------------------------------------------- check and --repair of vector indexes


def test_check_reports_an_emptied_vector_table_and_repair_refolds_it(runner, db_path):
    _graph(db_path)
    with bfxdb.connect(db_path) as db:
        assert _titles(db) == ["d1", "d2", "d3", "d4"]
    _raw(db_path, f"DELETE FROM {_table(db_path, 'emb')}")
    result = runner.invoke(main, ["check", str(db_path)])
    assert result.exit_code == 1
    assert OUT_OF_STEP in result.stderr and "`emb`" in result.stderr and "4 covered entities" in result.stderr
    assert "`said`" not in result.stderr and "`docs`" not in result.stderr
    repaired = runner.invoke(main, ["check", "--repair", str(db_path)])
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt search index emb" in repaired.stdout and repaired.stdout.rstrip().endswith("ok")
    with bfxdb.connect(db_path) as db:
        assert _titles(db) == ["d1", "d2", "d3", "d4"]
        assert bfxdb.repair(db) == []
        # the triggers are back: a write after the repair is searched
        db.query("CREATE (:Doc {title: 'd0', e: [9.0, 0.0, 0.0]})")
        assert _titles(db) == ["d0", "d1", "d2", "d3", "d4"]


@pytest.mark.parametrize(
    ("index", "tamper"),
    [
        ("emb", "UPDATE {table} SET vector = zeroblob(12) WHERE key = (SELECT min(key) FROM {table})"),
        ("emb", "INSERT INTO {table} (key, vector) VALUES (987654, zeroblob(12))"),
        ("emb", "DELETE FROM {table} WHERE key = (SELECT max(key) FROM {table})"),
        ("said", "DELETE FROM {table}"),
        ("said", "UPDATE {table} SET vector = substr(vector, 1, 8)"),
    ],
    ids=["changed", "extra", "missing", "relationships emptied", "relationship vector cut short"],
)
def test_check_finds_a_vector_table_changed_past_its_triggers(db_path, index, tamper):
    _graph(db_path)
    table = _table(db_path, index)
    _raw(db_path, tamper.format(table=table))
    found = _problems(db_path)
    assert len(found) == 1 and f"`{index}`" in found[0], found
    with bfxdb.connect(db_path) as db:
        assert bfxdb.repair(db) == [index]
    assert _problems(db_path) == []


def test_check_and_repair_a_vector_index_that_lost_its_table(runner, db_path):
    _graph(db_path)
    _raw(db_path, f"DROP TABLE {_table(db_path, 'emb')}")
    assert _problems(db_path) == [f"vector index `emb` lacks its table {_table(db_path, 'emb')}"]
    shown = runner.invoke(main, ["stats", str(db_path)])
    assert shown.exit_code == 0, shown.output
    assert "vector on (:Doc) [e]: table missing" in shown.stdout
    with bfxdb.connect(db_path) as db:
        assert bfxdb.repair(db) == ["emb"]
        assert _titles(db) == ["d1", "d2", "d3", "d4"]
    assert _problems(db_path) == []


def test_repair_is_one_transaction_a_vector_it_cannot_hold_leaves_every_index_as_it_was(db_path):
    _graph(db_path)
    emb = _table(db_path, "emb")
    # the full-text index (named first) is out of step, and emb covers a vector written past its triggers
    _raw(db_path,
         f"DROP TRIGGER \"{_table(db_path, 'docs', 'fulltext')}_node_update\"",
         "UPDATE substrates SET metadata = json_set(metadata, '$.title', 'changed')",
         f"DROP TRIGGER \"{emb}_updated\"",
         "UPDATE substrates SET metadata = json_set(metadata, '$.e', json('[1, 2]')) "
         "WHERE json_extract(metadata, '$.e') IS NOT NULL")  # fmt: skip
    before = _problems(db_path)
    assert [problem.split("`")[1] for problem in before] == ["docs", "emb"]
    with bfxdb.connect(db_path) as db, pytest.raises(bfxdb.InvalidInput, match="`e`.*list of 3 numbers"):
        bfxdb.repair(db)
    assert _problems(db_path) == before
