"""`bfxdb export`: every format round-trips through `bfxdb import` with ids, labels, metadata and types intact."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb.cli import main
from bfxdb.formats import ImportOptions, export, format_for, import_files

FORMATS = ["ndjson", "csv", "graphml", "cypher"]
MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
AWKWARD = {
    "text": "quotes ' \" ` ; , | tab\t cr\r lf\n nul\x00 bell\x07 é 漢字 🦋",
    "empty": "",
    "null": None,
    "int": -7,
    "big": 2**64 - 1,
    "float": 1e-300,
    "whole float": 2.0,
    "negative zero": -0.0,
    "bool": False,
    "list": ["a", "b;c", ""],
    "ints": [1, 2, 3],
    "mixed": [1, "1", 1.0, True, None],
    "empty list": [],
    "map": {"nested": {"deeper": [{"x": 1}]}, "": "empty key inside"},
    "key:with:colons": 1,
    "key,with,commas": "v",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def snapshot_of(db: bfxdb.Database) -> tuple[dict, dict]:
    """Everything the round trip must keep, with JSON text so that 1, 1.0 and true stay apart."""
    nodes = {
        s.identity: (sorted(s.labels), json.dumps(s.metadata, sort_keys=True), s.expression_type, s.expression_code)
        for s in db.find_substrates()
    }
    edges = {
        r.identity: (r.source, r.target, r.rel_type, json.dumps(r.metadata, sort_keys=True), r.bidirectional)
        for r in db.find_relationships()
    }
    return nodes, edges


def build(db: bfxdb.Database) -> None:
    a = db.create_substrate(labels=["Person", "Admin"], metadata=AWKWARD, identity="0xFFFFFFFFFFFFFFFF")
    b = db.create_substrate(labels=["Per son", "日本"], metadata={"name": "Bob", "int": "not an int here"}, identity=0)
    m = db.create_substrate("lambda", MULTIPLY, {"name": "multiply"})
    db.create_substrate(metadata={})
    db.create_relationship(a.identity, b.identity, "KNOWS", {"since": 2020, "weights": [0.5, 1.5]})
    db.create_relationship(a.identity, b.identity, "KNOWS", {"since": "long ago"})
    db.create_relationship(b.identity, m.identity, "USES `odd` type", {}, bidirectional=True)
    db.create_relationship(m.identity, m.identity, "SELF", {"text": AWKWARD["text"]})


@pytest.fixture
def source(db_path: Path) -> Path:
    with bfxdb.connect(db_path) as db:
        build(db)
    return db_path


def output_for(tmp_path: Path, export_format: str) -> Path:
    return tmp_path / ("out" if export_format == "csv" else f"out.{export_format}")


@pytest.mark.parametrize("export_format", FORMATS)
def test_export_then_import_gives_the_same_graph(runner, source, tmp_path, export_format):
    out = output_for(tmp_path, export_format)
    exported = runner.invoke(main, ["export", str(source), str(out), "--format", export_format])
    assert exported.exit_code == 0, exported.output
    target = tmp_path / "copy.db"
    imported = runner.invoke(main, ["import", str(target), str(out)])
    assert imported.exit_code == 0, imported.output
    with bfxdb.connect(source) as original, bfxdb.connect(target) as copy:
        assert snapshot_of(copy) == snapshot_of(original)
        assert copy.invoke(copy.find_substrates(metadata={"name": "multiply"})[0].identity, {"x": 5, "y": 7}) == 35


@pytest.mark.parametrize("export_format", FORMATS)
def test_gzip_exports_round_trip(source, tmp_path, export_format):
    name = "out.gz" if export_format == "csv" else f"out.{export_format}.gz"
    with bfxdb.connect(source) as db:
        if export_format == "csv":
            pytest.skip("CSV writes a folder of plain files")
        export(db, export_format, tmp_path / name)
    with gzip.open(tmp_path / name, "rt", encoding="utf-8") as stream:
        assert stream.read(1)
    with bfxdb.connect() as copy, bfxdb.connect(source) as original:
        import_files(copy, [tmp_path / name])
        assert snapshot_of(copy) == snapshot_of(original)


def test_export_to_standard_output_is_ndjson_by_default(runner, source):
    result = runner.invoke(main, ["export", str(source)])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in records] == ["substrate"] * 4 + ["relationship"] * 4
    assert "0x0000000000000000" in {r.get("substrate_id") for r in records}
    assert result.stderr == ""


def test_format_follows_the_destination_name(tmp_path):
    assert format_for(None) == format_for("-") == "ndjson"
    assert format_for(tmp_path / "g.graphml") == "graphml"
    assert format_for(tmp_path / "g.cypher.gz") == "cypher"
    assert format_for(tmp_path / "g.jsonl") == "ndjson"
    assert format_for(tmp_path) == format_for(tmp_path / "new-folder") == "csv"
    assert format_for(f"{tmp_path}/new/") == format_for(f"{tmp_path}/out.csv/") == "csv"
    assert format_for(tmp_path / "g.txt", "ndjson") == "ndjson"
    assert format_for(tmp_path / "g.jsonl", "ndjson") == "ndjson"
    assert format_for(None, "cypher") == "cypher"


@pytest.mark.parametrize(
    "name, options, words",
    [
        ("out.csv", [], "a CSV export writes two files (substrates.csv and relationships.csv) into a folder"),
        ("out.csv", ["--format", "csv"], "name a folder, such as"),
        ("out.csv", ["--format", "ndjson"], "is named as csv (.csv) but --format is ndjson"),
        ("out.graphml", ["--format", "cypher"], "is named as graphml (.graphml) but --format is cypher"),
        ("out.txt", [], "cannot tell the export format from the name"),
        ("out.gz", [], "cannot tell the export format from the name"),
        ("out/", ["--format", "ndjson"], "ends in a slash, so it names a folder, but ndjson writes one file"),
        ("out.ndjson/", [], "ends in a slash, so it names a folder, but ndjson writes one file"),
        ("out.gz", ["--format", "csv"], "a CSV export writes plain files into a folder"),
    ],
)
def test_an_out_name_that_does_not_fit_the_format_is_refused_before_writing(runner, source, tmp_path, name,
                                                                              options, words):
    result = runner.invoke(main, ["export", str(source), f"{tmp_path}/{name}", *options])
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [source.name]


def test_an_existing_folder_or_file_that_does_not_fit_the_format_is_refused(runner, source, tmp_path):
    (tmp_path / "folder.ndjson").mkdir()
    result = runner.invoke(main, ["export", str(source), str(tmp_path / "folder.ndjson")])
    assert result.exit_code == 2 and "is a folder, but ndjson writes one file" in result.stderr
    (tmp_path / "file").write_text("keep me")
    result = runner.invoke(main, ["export", str(source), str(tmp_path / "file"), "--format", "csv"])
    assert result.exit_code == 2 and "is a file, but a CSV export writes a folder" in result.stderr
    assert (tmp_path / "file").read_text() == "keep me"


def test_the_python_export_refuses_the_same_mismatches(source, tmp_path):
    with bfxdb.connect(source) as db, pytest.raises(bfxdb.InvalidInput, match="but --format is ndjson"):
        export(db, "ndjson", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_a_folder_with_a_trailing_slash_gets_the_csv_export(runner, source, tmp_path):
    result = runner.invoke(main, ["export", str(source), f"{tmp_path}/out/"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["relationships.csv", "substrates.csv"]


def test_csv_to_standard_output_is_a_usage_error(runner, source):
    assert runner.invoke(main, ["export", str(source), "--format", "csv"]).exit_code == 2


def test_csv_export_uses_neo4j_headers(runner, source, tmp_path):
    runner.invoke(main, ["export", str(source), str(tmp_path / "csv")])
    substrates = (tmp_path / "csv" / "substrates.csv").read_text(encoding="utf-8").splitlines()[0]
    relationships = (tmp_path / "csv" / "relationships.csv").read_text(encoding="utf-8").splitlines()[0]
    assert substrates.startswith(":ID,:LABEL,:EXPRESSION_TYPE,:EXPRESSION_CODE,")
    assert "ints:int[]" in substrates and "bool:boolean" in substrates and "mixed:json" in substrates
    assert relationships.startswith(":ID,:START_ID,:END_ID,:TYPE,:BIDIRECTIONAL,")


def test_a_label_holding_the_array_delimiter_needs_another_delimiter(runner, tmp_path, db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate(labels=["a;b"])
    refused = runner.invoke(main, ["export", str(db_path), str(tmp_path / "csv")])
    assert refused.exit_code == 1 and "--array-delimiter" not in refused.stderr and "delimiter" in refused.stderr
    done = runner.invoke(main, ["export", str(db_path), str(tmp_path / "csv"), "--array-delimiter", "|"])
    assert done.exit_code == 0
    with bfxdb.connect() as copy:
        import_files(
            copy, [tmp_path / "csv"], options=ImportOptions(array_delimiter="|")
        )
        assert copy.find_substrates()[0].labels == ("a;b",)


def test_graphml_export_reads_in_networkx(source, tmp_path):
    networkx = pytest.importorskip("networkx")
    with bfxdb.connect(source) as db:
        export(db, "graphml", tmp_path / "g.graphml")
    graph = networkx.read_graphml(tmp_path / "g.graphml")
    assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 4
    assert graph.nodes["0x0000000000000000"]["name"] == "Bob"


def test_cypher_dump_replays_in_the_shell_with_new_ids(runner, tmp_path):
    # A replay holds what Cypher properties hold: no nested maps, mixed lists or 65-bit integers.
    with bfxdb.connect(tmp_path / "plain.db") as db:
        a = db.create_substrate(labels=["Per son"], metadata={"name": 'it\'s "Bob"\n', "tags": ["x", "y"], "n": 1.5})
        b = db.create_substrate(labels=["City"], metadata={"name": "Oslo"})
        db.create_relationship(a.identity, b.identity, "LIVES `IN`", {"since": 2020})
        db.create_substrate("lambda", MULTIPLY)
        export(db, "cypher", tmp_path / "dump.cypher")
    script = (tmp_path / "dump.cypher").read_text(encoding="utf-8")
    replayed = runner.invoke(main, ["shell", str(tmp_path / "replay.db")], input=script)
    assert replayed.exit_code == 0, replayed.output
    with bfxdb.connect(tmp_path / "replay.db") as copy:
        assert copy.count_substrates() == 3 and copy.count_relationships() == 1
        [bob] = copy.find_substrates(label="Per son")
        assert bob.metadata == {"name": 'it\'s "Bob"\n', "tags": ["x", "y"], "n": 1.5}
        assert [r.rel_type for r in copy.outgoing(bob.identity)] == ["LIVES `IN`"]
        assert copy.query("MATCH (n) WHERE n._bfxdb_id IS NOT NULL RETURN count(n)").scalar() == 0


def test_cypher_dump_refuses_a_property_it_needs_for_itself(runner, tmp_path, db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate(metadata={"_bfxdb_id": "mine"})
    result = runner.invoke(main, ["export", str(db_path), str(tmp_path / "d.cypher")])
    assert result.exit_code == 1 and "_bfxdb_id" in result.stderr
    assert not (tmp_path / "d.cypher").exists()


def test_export_progress_is_quiet_off_a_terminal(runner, source, tmp_path):
    result = runner.invoke(main, ["export", str(source), str(tmp_path / "g.ndjson")])
    assert "exporting" not in result.stderr
    assert "exported 4 substrates and 4 relationships" in result.stderr


def test_export_of_a_missing_file_is_a_usage_error(runner, tmp_path):
    assert runner.invoke(main, ["export", str(tmp_path / "none.db")]).exit_code == 2


# ---------------------------------------------------------------- properties

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
metadata = st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k != "_bfxdb_id"), json_values, max_size=4)
names = st.text(min_size=1, max_size=6).filter(lambda n: ";" not in n and "\x1f" not in n and "\x00" not in n)


@pytest.mark.parametrize("export_format", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nodes=st.lists(st.tuples(st.lists(names, max_size=2), metadata), min_size=1, max_size=4),
    edges=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), names, metadata, st.booleans()), max_size=4),
)
def test_any_graph_round_trips(export_format, nodes, edges):
    with tempfile.TemporaryDirectory() as folder, bfxdb.connect() as db, bfxdb.connect() as copy:
        created = [db.create_substrate(labels=labels, metadata=data) for labels, data in nodes]
        for source, target, rel_type, data, both in edges:
            db.create_relationship(
                created[source % len(created)].identity, created[target % len(created)].identity, rel_type, data, both
            )
        destination = output_for(Path(folder), export_format)
        export(db, export_format, destination)
        import_files(copy, [destination])
        assert snapshot_of(copy) == snapshot_of(db)
