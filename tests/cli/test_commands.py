"""The `bfxdb` commands query, stats, check, backup, demo, --version and the lazy serve, with their error paths."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from pathlib import Path

import click
import pytest

import bfxdb
from bfxdb.cli import main

from ..conftest import REPO


@pytest.fixture
def graph(db_path: Path) -> Path:
    """A small file database: two people who know each other and a multiply expression."""
    with bfxdb.connect(db_path) as db:
        alice = db.create_substrate(labels=["Person"], metadata={"name": "Alice", "age": 30}, identity=1)
        bob = db.create_substrate(labels=["Person"], metadata={"name": "Bob", "age": 25}, identity=2)
        db.create_relationship(alice.identity, bob.identity, "KNOWS", {"since": 2020})
        db.create_substrate("lambda", 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)', {"name": "multiply"})
    return db_path


def test_version_prints_the_package_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert bfxdb.__version__ in result.output


def test_help_lists_every_command_with_the_exit_codes(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("query", "shell", "import", "export", "stats", "check", "backup", "serve", "demo"):
        assert command in result.output
    assert "Exit codes" in result.output


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for name in main.list_commands(click.Context(main)):
        assert f"bfxdb {name}" in readme, f"`bfxdb {name}` is missing from the README"


def test_serve_resolves_lazily_and_explains_itself_when_missing(runner, monkeypatch):
    def refuse(name, *args, **kwargs):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr("bfxdb.cli.importlib.import_module", refuse)
    listing = runner.invoke(main, ["--help"])
    assert listing.exit_code == 0 and "serve" in listing.output
    result = runner.invoke(main, ["serve", "graph.db", "--port", "0"])
    assert result.exit_code == 1
    assert "not available" in result.output and "pip install 'bfxdb[web]'" in result.output


def test_the_hint_for_a_missing_command_names_an_extra_that_installs_it(runner, monkeypatch):
    def refuse(name, *args, **kwargs):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr("bfxdb.cli.importlib.import_module", refuse)
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name in main.lazy:
        hint = runner.invoke(main, [name]).output
        named = re.findall(r"pip install 'bfxdb\[(\w+)\]'", hint)
        assert named and all(extra in extras for extra in named), hint
    assert {"flask", "waitress"} <= {re.split("[<>=!~ ]", spec)[0].lower() for spec in extras["web"]}


def test_serve_runs_the_web_command_when_it_is_installed(runner, monkeypatch):
    calls = []

    @click.command()
    @click.argument("path")
    def serve(path):
        calls.append(path)

    monkeypatch.setattr("bfxdb.cli.importlib.import_module", lambda name: type("module", (), {"serve": serve}))
    result = runner.invoke(main, ["serve", "graph.db"])
    assert result.exit_code == 0 and calls == ["graph.db"]


def test_demo_runs_the_multiply_example_twice(runner, tmp_path):
    path = str(tmp_path / "demo.db")
    first = runner.invoke(main, ["demo", path])
    assert first.exit_code == 0, first.output
    assert "-> 35" in first.output
    second = runner.invoke(main, ["demo", path])
    assert second.exit_code == 0 and "from an earlier run" in second.output


# ---------------------------------------------------------------- query


def test_query_prints_a_table_and_a_summary(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "MATCH (n:Person) RETURN n.name AS name, n.age ORDER BY name"])
    assert result.exit_code == 0, result.output
    assert "│ name  │ n.age │" in result.stdout
    assert "│ Alice │    30 │" in result.stdout
    assert "2 rows" in result.stderr and "ms" in result.stderr


def test_query_shows_nodes_and_relationships_readably(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "MATCH (a)-[r]->(b) RETURN a, r"])
    assert result.exit_code == 0, result.output
    assert "(0x0000000000000001:Person {" in result.stdout
    assert "-[:KNOWS {since: 2020}]->" in result.stdout


def test_query_json_has_the_http_shape(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "MATCH (n:Person) RETURN n ORDER BY n.name", "-f", "json"])
    body = json.loads(result.stdout)
    assert body["columns"] == ["n"]
    assert body["rows"][0][0]["substrate_id"] == "0x0000000000000001"
    assert body["rows"][0][0]["metadata"] == {"name": "Alice", "age": 30}
    assert "nodes_created" in body["stats"]


def test_query_csv_and_ndjson_formats(runner, graph):
    text = "MATCH (n:Person) RETURN n.name AS name, n.age AS age, [1, 2] AS list ORDER BY name"
    csv_out = runner.invoke(main, ["query", str(graph), text, "--format", "csv"]).stdout
    assert csv_out.splitlines() == ["name,age,list", 'Alice,30,"[1, 2]"', 'Bob,25,"[1, 2]"']
    lines = runner.invoke(main, ["query", str(graph), text, "--format", "ndjson"]).stdout.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"name": "Alice", "age": 30, "list": [1, 2]},
        {"name": "Bob", "age": 25, "list": [1, 2]},
    ]


@pytest.mark.parametrize("output_format", ["json", "ndjson", "csv", "table"])
def test_query_streams_every_row_and_reports_the_count(runner, graph, output_format):
    text = "UNWIND range(1, 3000) AS x RETURN x, toString(x) AS s"
    result = runner.invoke(main, ["query", str(graph), text, "-f", output_format])
    assert result.exit_code == 0, result.output
    assert "3000 rows" in result.stderr
    if output_format == "json":
        body = json.loads(result.stdout)
        assert body["rows"] == [[x, str(x)] for x in range(1, 3001)] and body["row_count"] == 3000
    elif output_format == "ndjson":
        lines = result.stdout.splitlines()
        assert [json.loads(line) for line in lines] == [{"x": x, "s": str(x)} for x in range(1, 3001)]
    elif output_format == "csv":
        assert result.stdout.splitlines() == ["x,s", *(f"{x},{x}" for x in range(1, 3001))]


def test_query_error_after_rows_went_out_ends_the_json_document_and_exits_1(runner, graph):
    text = "UNWIND [1, 2, 0] AS x RETURN 6 / x AS y"
    result = runner.invoke(main, ["query", str(graph), text, "-f", "json"])
    assert result.exit_code == 1 and "division by zero" in result.stderr
    body = json.loads(result.stdout)
    assert body["rows"] == [[6], [3]] and body["row_count"] == 2
    assert body["error"]["code"] == "query_argument"


def test_query_parameters_are_json_or_text(runner, graph):
    text = "MATCH (n:Person) WHERE n.age > $min AND n.name <> $skip RETURN n.name"
    result = runner.invoke(main, ["query", str(graph), text, "-p", "min=20", "--param", "skip=Bob", "-f", "csv"])
    assert result.stdout.splitlines() == ["n.name", "Alice"]
    result = runner.invoke(
        main,
        [
            "query",
            str(graph),
            "RETURN $a AS a, $b AS b",
            "--params-json",
            '{"a": [1], "b": 2}',
            "-p",
            "b=3",
            "-f",
            "ndjson",
        ],
    )
    assert json.loads(result.stdout) == {"a": [1], "b": 3}


def test_query_and_shell_take_a_memory_budget_in_mib(runner, graph):
    text = "RETURN size(range(1, 100000)) AS n"
    refused = runner.invoke(main, ["query", str(graph), text, "--query-memory", "1"])
    assert refused.exit_code == 1 and "memory budget of 1 MiB" in refused.stderr
    assert runner.invoke(main, ["query", str(graph), text, "-f", "csv"]).stdout.splitlines() == ["n", "100000"]
    shell = runner.invoke(main, ["shell", str(graph), "--query-memory", "1"], input=text + ";\n")
    assert shell.exit_code == 1 and "memory budget of 1 MiB" in shell.output + shell.stderr


def test_query_reads_the_text_from_standard_input(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "-", "-f", "csv"], input="RETURN 6 * 7 AS answer\n")
    assert result.stdout.splitlines() == ["answer", "42"]


def test_query_writes_commit(runner, graph):
    created = runner.invoke(main, ["query", str(graph), "CREATE (:City {name: 'Oslo'})"])
    assert created.exit_code == 0 and "nodes created: 1" in created.stderr
    with bfxdb.connect(graph) as db:
        assert [s.metadata for s in db.find_substrates(label="City")] == [{"name": "Oslo"}]


def test_query_syntax_error_shows_a_caret_and_exits_1(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "MATCH (n)\nRETUR n"])
    assert result.exit_code == 1
    assert "line 2, column 1" in result.stderr
    lines = result.stderr.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret - 1].strip() == "RETUR n"


def test_query_runtime_errors_exit_1(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "RETURN $missing"])
    assert result.exit_code == 1 and "Error:" in result.stderr


def test_query_read_only_refuses_writes(runner, graph):
    result = runner.invoke(main, ["query", str(graph), "CREATE (n)", "--read-only"])
    assert result.exit_code == 1 and "read-only" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["--param", "no-equals-sign"],
        ["--params-json", "{not json"],
        ["--params-json", "[1, 2]"],
        ["--format", "xml"],
        ["--no-such-option"],
    ],
)
def test_query_usage_errors_exit_2(runner, graph, arguments):
    result = runner.invoke(main, ["query", str(graph), "RETURN 1", *arguments])
    assert result.exit_code == 2


def test_query_on_a_missing_file_is_a_usage_error_and_creates_nothing(runner, tmp_path):
    missing = tmp_path / "nope.db"
    result = runner.invoke(main, ["query", str(missing), "RETURN 1"])
    assert result.exit_code == 2
    assert not missing.exists()


# ---------------------------------------------------------------- stats, check, backup


def test_stats_counts_by_label_and_type(runner, graph):
    result = runner.invoke(main, ["stats", str(graph)])
    assert result.exit_code == 0, result.output
    assert ":Person" in result.output and ":KNOWS" in result.output and "lambda 1" in result.output
    figures = json.loads(runner.invoke(main, ["stats", str(graph), "--json"]).stdout)
    assert figures["substrates"] == 3 and figures["relationships"] == 1
    assert figures["labels"] == {"Person": 2} and figures["unlabelled"] == 1
    assert figures["rel_types"] == {"KNOWS": 1}
    assert figures["schema_version"] >= 1 and figures["file_bytes"] > 0


def test_check_passes_a_healthy_file(runner, graph):
    result = runner.invoke(main, ["check", str(graph)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("ok")


def test_check_finds_orphan_relationships_and_exits_1(runner, graph):
    connection = sqlite3.connect(graph)
    connection.execute("PRAGMA foreign_keys = OFF")
    # past the schema's own cascade (the trigger): the orphans of a file damaged some other way
    connection.execute("DROP TRIGGER substrates_cascade")
    connection.execute("DELETE FROM substrates WHERE identity = 2")
    connection.commit()
    connection.close()
    result = runner.invoke(main, ["check", str(graph)])
    assert result.exit_code == 1
    assert "orphan relationship" in result.stderr
    assert "names missing target node 2" in result.stderr
    assert "foreign key" in result.stderr


def test_check_fails_on_a_file_that_is_not_a_database(runner, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(main, ["check", str(junk)])
    assert result.exit_code == 1


def test_backup_copies_a_consistent_file(runner, graph, tmp_path):
    destination = tmp_path / "copy.db"
    result = runner.invoke(main, ["backup", str(graph), str(destination)])
    assert result.exit_code == 0, result.output
    with bfxdb.connect(destination, read_only=True) as copy:
        assert copy.count_substrates() == 3 and copy.count_relationships() == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_backup_refuses_to_overwrite_without_force(runner, graph, tmp_path):
    destination = tmp_path / "copy.db"
    destination.write_text("precious")
    refused = runner.invoke(main, ["backup", str(graph), str(destination)])
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert destination.read_text() == "precious"
    forced = runner.invoke(main, ["backup", str(graph), str(destination), "--force"])
    assert forced.exit_code == 0
    with bfxdb.connect(destination, read_only=True) as copy:
        assert copy.count_substrates() == 3


def test_backup_while_another_connection_writes(graph, tmp_path):
    from bfxdb import maintenance

    with bfxdb.connect(graph) as writer, bfxdb.connect(graph, read_only=True) as reader:
        with writer.transaction():
            writer.create_substrate(metadata={"uncommitted": True})
            maintenance.backup(reader, tmp_path / "copy.db")
    with bfxdb.connect(tmp_path / "copy.db", read_only=True) as copy:
        assert copy.count_substrates() == 3
        assert copy.find_substrates(metadata={"uncommitted": True}) == []


def test_backup_of_the_file_onto_itself_is_refused(runner, graph):
    result = runner.invoke(main, ["backup", str(graph), str(graph), "--force"])
    assert result.exit_code == 1 and "itself" in result.stderr


def test_the_cli_reads_csv_from_import_dir(runner, tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "people.csv").write_text("name\nAnn\n")
    graph = tmp_path / "graph.db"
    bfxdb.connect(graph).close()
    text = "LOAD CSV WITH HEADERS FROM 'file:///people.csv' AS row RETURN row.name AS name"
    result = runner.invoke(main, ["query", str(graph), text, "-f", "csv", "--import-dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["name", "Ann"]
    refused = runner.invoke(main, ["query", str(graph), text])
    assert refused.exit_code == 1 and "LOAD CSV is off" in refused.stderr
