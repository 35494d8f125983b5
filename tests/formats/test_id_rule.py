"""The one id rule through every import format and the CLI: bare digits are decimal, hex needs 0x."""

from __future__ import annotations

import json

import pytest

import bfxdb
from bfxdb.cli import main
from bfxdb.formats import import_files

HINT = "write hex ids with 0x: 0x8000EAC3017BC915"
LARGEST = "0xFFFFFFFFFFFFFFFF"


def ids(db) -> set[str]:
    return {substrate.substrate_id for substrate in db.find_substrates()}


def test_csv_keys_100_and_0x100_are_two_identities(text_file, db):
    nodes = text_file("n.csv", ":ID,name\n100,decimal\n0x100,hex\n18446744073709551615,largest\n")
    edges = text_file("e.csv", ":START_ID,:END_ID,:TYPE\n100,0x100,R\n")
    import_files(db, [nodes, edges])
    assert db.get_substrate(100).metadata["name"] == "decimal"
    assert db.get_substrate("0x100").metadata["name"] == "hex"
    assert db.get_substrate(LARGEST).metadata["name"] == "largest"
    [edge] = db.find_relationships()
    assert (edge.source, edge.target) == (100, 256)


@pytest.mark.parametrize(
    "key, words",
    [
        ("8000EAC3017BC915", HINT),
        ("18446744073709551616", "between 0 and 2**64 - 1"),
        ("-1", "write an id as 0x"),
        ("0x" + "1" * 17, "more than 16 hex digits"),
    ],
)
def test_a_csv_key_that_looks_like_an_id_but_is_not_one_is_a_bad_row(text_file, db, key, words):
    nodes = text_file("n.csv", f":ID,name\n{key},x\n")
    with pytest.raises(bfxdb.formats.BadRowError) as refused:
        import_files(db, [nodes])
    assert f"{nodes}:2:" in refused.value.message and words in refused.value.message
    assert "id space" in refused.value.message
    assert db.count_substrates() == 0


def test_a_csv_relationship_end_written_as_bare_hex_is_a_bad_row(text_file, db):
    nodes = text_file("n.csv", ":ID\n0x8000EAC3017BC915\n")
    edges = text_file("e.csv", ":START_ID,:END_ID,:TYPE\n8000EAC3017BC915,0x8000EAC3017BC915,R\n")
    with pytest.raises(bfxdb.formats.BadRowError, match=HINT):
        import_files(db, [nodes, edges])


def test_names_and_keys_in_an_id_space_stay_names(text_file, db):
    nodes = text_file("n.csv", "k:ID(Hash),x\n8000EAC3017BC915,1\n")
    names = text_file("m.csv", ":ID,x\nff,2\nalice,3\n")
    import_files(db, [nodes, names])
    assert db.count_substrates() == 3
    assert 0x8000EAC3017BC915 not in {s.identity for s in db.find_substrates()}
    assert 255 not in {s.identity for s in db.find_substrates()}


def test_ndjson_ids_100_and_0x100_are_two_identities(text_file, db):
    lines = [
        {"type": "substrate", "substrate_id": "100"},
        {"type": "substrate", "substrate_id": "0x100"},
        {"type": "substrate", "identity": 7},
        {"type": "substrate", "substrate_id": LARGEST},
        {"type": "relationship", "rel_type": "R", "source_id": "100", "target_id": 256},
    ]
    import_files(db, [text_file("g.ndjson", "\n".join(json.dumps(line) for line in lines))])
    assert {s.identity for s in db.find_substrates()} == {100, 256, 7, 2**64 - 1}
    [edge] = db.find_relationships()
    assert (edge.source, edge.target) == (100, 256)


@pytest.mark.parametrize(
    "value, words", [("8000EAC3017BC915", HINT), ("18446744073709551616", "2**64 - 1"), (-1, "2**64 - 1")]
)
def test_ndjson_bad_ids_are_bad_lines_with_the_hint(text_file, db, value, words):
    path = text_file("g.ndjson", json.dumps({"type": "substrate", "substrate_id": value}) + "\n")
    with pytest.raises(bfxdb.formats.BadRowError) as refused:
        import_files(db, [path])
    assert f"{path}:1:" in refused.value.message and words in refused.value.message


def test_graphml_node_ids_follow_the_rule(text_file, db):
    good = text_file(
        "g.graphml",
        '<graphml><graph edgedefault="directed"><node id="100"/><node id="0x100"/>'
        '<edge source="100" target="0x100"/></graph></graphml>',
    )
    import_files(db, [good])
    assert {s.identity for s in db.find_substrates()} == {100, 256}
    bad = text_file("b.graphml", '<graphml><graph><node id="8000EAC3017BC915"/></graph></graphml>')
    with pytest.raises(bfxdb.formats.BadRowError, match=HINT):
        import_files(db, [bad])


def test_cli_import_reads_100_as_decimal_and_refuses_bare_hex(runner, text_file, db_path):
    good = text_file("n.csv", ":ID\n100\n0x100\n")
    result = runner.invoke(main, ["import", str(db_path), str(good)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(main, ["query", str(db_path), "MATCH (n) RETURN id(n) AS i ORDER BY i", "-f", "json"])
    assert json.loads(shown.stdout)["rows"] == [[100], [256]]
    bad = text_file("b.csv", ":ID\n8000EAC3017BC915\n")
    result = runner.invoke(main, ["import", str(db_path), str(bad)])
    assert result.exit_code == 1
    assert HINT in result.output


def test_python_api_reads_100_as_decimal_everywhere(db):
    db.create_substrate(identity=100, metadata={"n": "int"})
    db.create_substrate(identity="0x100", metadata={"n": "hex"})
    assert db.get_substrate("100").metadata == {"n": "int"}
    assert db.get_substrate(256).metadata == {"n": "hex"}
    relationship = db.create_relationship("100", "0x100", "R")
    assert (relationship.source, relationship.target) == (100, 256)
    assert [r.target for r in db.outgoing("100")] == [256]
    with pytest.raises(bfxdb.InvalidId, match=HINT):
        db.get_substrate("8000EAC3017BC915")
    with pytest.raises(bfxdb.InvalidId, match="write hex ids with 0x: 0xFF"):
        db.create_substrate(identity="FF")
    with pytest.raises(bfxdb.InvalidId, match="2\\*\\*64 - 1"):
        db.create_substrate(identity=2**64)
    assert db.create_substrate(identity=2**64 - 1).substrate_id == LARGEST
