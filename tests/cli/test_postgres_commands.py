"""The commands on a postgresql:// URL: the same output as on a file, and a clear refusal where a feature is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main


@pytest.fixture
def pg_graph(postgres_url: str) -> str:
    """A small graph in a new PostgreSQL schema: two people who know each other."""
    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(labels=["Person"], metadata={"name": "Alice"}, identity=1)
        db.create_substrate(labels=["Person"], metadata={"name": "Bob"}, identity=2)
        db.bulk_load(relationships=[{"source": 1, "target": 2, "rel_type": "KNOWS", "metadata": {"since": 2020},
                                     "identity": 7}])
    return postgres_url


def _refused(result, feature: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert feature in result.output and "not supported on the PostgreSQL backend yet" in result.output


def test_init_makes_the_schema_and_hides_the_password(runner, postgres_url):
    result = runner.invoke(main, ["init", postgres_url])
    assert result.exit_code == 0, result.output
    assert "schema version" in result.output and ":bfxdb@" not in result.output and ":***@" in result.output
    with bfxdb.connect(postgres_url, create=False) as db:
        assert db.count_substrates() == 0


def test_query_answers_on_the_server(runner, pg_graph):
    result = runner.invoke(main, ["query", pg_graph, "MATCH (p:Person)-[:KNOWS]->(f) RETURN p.name, f.name"])
    assert result.exit_code == 0, result.output
    assert "Alice" in result.output and "Bob" in result.output


def test_shell_runs_statements_on_the_server(runner, pg_graph):
    result = runner.invoke(main, ["shell", pg_graph], input="MATCH (n) RETURN count(n) AS total;\n")
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "2" in result.output


def test_stats_counts_on_the_server(runner, pg_graph):
    result = runner.invoke(main, ["stats", pg_graph])
    assert result.exit_code == 0, result.output
    assert "postgresql" in result.output and ":Person" in result.output and ":KNOWS" in result.output
    figures = json.loads(runner.invoke(main, ["stats", pg_graph, "--json"]).output)
    assert (figures["substrates"], figures["relationships"], figures["labels"]) == (2, 1, {"Person": 2})


def test_check_passes_a_healthy_schema(runner, pg_graph):
    result = runner.invoke(main, ["check", pg_graph])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ok")


def test_check_finds_an_orphan_relationship_and_exits_1(runner, pg_graph):
    import psycopg

    url, schema = pg_graph.split("?schema=")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'ALTER TABLE "{schema}".substrates DISABLE TRIGGER substrates_cascade')
        connection.execute(f'DELETE FROM "{schema}".substrates WHERE identity = 2')
    result = runner.invoke(main, ["check", pg_graph])
    assert result.exit_code == 1
    assert "orphan relationships" in result.output and "0x0000000000000007" in result.output


def test_import_then_export_round_trips_through_the_server(runner, postgres_url, tmp_path: Path):
    rows = tmp_path / "graph.ndjson"
    rows.write_text(
        '{"type":"substrate","substrate_id":"0x01","labels":["A"],"metadata":{"x":1.5}}\n'
        '{"type":"substrate","substrate_id":"0x02"}\n'
        '{"type":"relationship","relationship_id":"0x09","source_id":"0x01","target_id":"0x02","rel_type":"R"}\n'
    )
    imported = runner.invoke(main, ["import", postgres_url, str(rows)])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(main, ["export", postgres_url])
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.output.splitlines() if line.startswith("{")]
    assert [(line["type"], line.get("substrate_id", line.get("relationship_id"))) for line in lines] == [
        ("substrate", "0x0000000000000001"), ("substrate", "0x0000000000000002"),
        ("relationship", "0x0000000000000009"),
    ]
    assert lines[0]["metadata"] == {"x": 1.5} and lines[0]["labels"] == ["A"]


def test_import_of_a_cypher_script_writes_on_the_server(runner, postgres_url, tmp_path: Path):
    script = tmp_path / "graph.cypher"
    script.write_text("CREATE (:A {x: 1});\nCREATE (:A {x: 2});\n")
    result = runner.invoke(main, ["import", postgres_url, str(script)])
    assert result.exit_code == 0, result.output
    with bfxdb.connect(postgres_url) as db:
        assert db.query("MATCH (a:A) RETURN sum(a.x)").rows == [(3,)]


def test_backup_writes_the_graph_to_a_sqlite_file_that_copy_puts_back(runner, pg_graph, postgres_server, tmp_path):
    import psycopg

    copy = tmp_path / "copy.db"
    result = runner.invoke(main, ["backup", pg_graph, str(copy)])
    assert result.exit_code == 0, result.output
    query = (
        "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN id(n), labels(n), n {.*}, type(r), r {.*}, id(m) "
        "ORDER BY id(n), id(m)"
    )
    with bfxdb.connect(pg_graph) as source, bfxdb.connect(str(copy), read_only=True) as backup:
        assert backup.store.dialect == "sqlite"
        assert backup.count_substrates() == 2
        assert backup.query(query).rows == source.query(query).rows
    again = runner.invoke(main, ["backup", pg_graph, str(copy)])
    assert again.exit_code == 1 and "exists" in again.output, "an existing file is kept without --force"
    restored = pg_graph + "_restored"
    try:
        assert runner.invoke(main, ["copy", str(copy), restored]).exit_code == 0
        with bfxdb.connect(restored) as db, bfxdb.connect(pg_graph) as source:
            assert db.query(query).rows == source.query(query).rows
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as raw:
            raw.execute(f'DROP SCHEMA IF EXISTS "{restored.rpartition("schema=")[2]}" CASCADE')


def test_an_unreachable_server_is_a_clear_error(runner):
    result = runner.invoke(main, ["stats", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot" in result.output and "127.0.0.1" in result.output


def test_serve_answers_http_on_the_server(postgres_url):
    pytest.importorskip("flask", reason="the web extra is not installed")
    from web.app import create_app

    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(metadata={"name": "Alice"}, identity=1)
    app = create_app(postgres_url, {})
    try:
        client = app.test_client()
        found = client.get("/api/v1/substrates/0x0000000000000001")
        assert found.status_code == 200 and found.get_json()["metadata"] == {"name": "Alice"}
        answered = client.post("/api/v1/query", json={"query": "MATCH (n) RETURN n.name AS name"})
        assert answered.status_code == 200 and "Alice" in answered.get_data(as_text=True)
        refused = client.post("/api/v1/query", json={"query": "CREATE CONSTRAINT FOR (n:P) REQUIRE n.id IS UNIQUE"})
        assert refused.status_code == 501 and "constraints" in refused.get_data(as_text=True)
    finally:
        from web.state import close_app

        close_app(app)
