"""bfxdb.rendering: one text form of a value (numbers as Cypher's toString) and one JSON conversion, in every face."""

from __future__ import annotations

import json

import pytest
from bfxdb.web import create_app
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb.cli import main


@pytest.fixture(scope="module")
def memory():
    """One in-memory database for every example of a property test."""
    with bfxdb.connect() as database:
        yield database


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_reads_as_cypher_tostring_writes_it(memory, value):
    expected = memory.query("RETURN toString($x) AS text", {"x": value}).rows[0][0]
    assert bfxdb.to_text(value) == expected


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "null"),
        (True, "true"),
        (42, "42"),
        (1e-5, "1.0E-5"),
        (3.0, "3.0"),
        ("plain", "plain"),
        (["a", 1.5, None], '["a", 1.5, null]'),
        ({"k": [2.5e10]}, "{k: [2.5E10]}"),
    ],
)
def test_the_text_of_scalars_lists_and_maps(value, text):
    assert bfxdb.to_text(value) == text


def test_the_text_of_entities_paths_and_temporal_values(db):
    [(node, rel, path, day)] = db.query(
        "CREATE p = (a:Person {name: 'Ada'})-[r:KNOWS {since: 1.0E-5}]->(b:Person) "
        "RETURN a, r, p, date('2024-02-29') AS day"
    ).rows
    assert bfxdb.to_text(node) == f'({node.substrate_id}:Person {{name: "Ada"}})'
    assert bfxdb.to_text(rel) == f"({rel.source_id})-[:KNOWS {{since: 1.0E-5}}]->({rel.target_id})"
    assert bfxdb.to_text(path).startswith(bfxdb.to_text(node) + "-[:KNOWS {since: 1.0E-5}]->(")
    assert bfxdb.to_text(day) == "2024-02-29"


def test_json_values_are_strict_json(db):
    [(node, day, numbers)] = db.query(
        "CREATE (a:Person {name: 'Ada'}) RETURN a, date('2024-02-29') AS day, [0.0/0.0, 1.0/0.0, -1.0/0.0, 0.5] AS n"
    ).rows
    converted = bfxdb.to_json_value({"node": node, "day": day, "numbers": numbers, 7: (1, 2)})
    assert converted == {
        "node": node.to_dict(),
        "day": "2024-02-29",
        "numbers": ["NaN", "Infinity", "-Infinity", 0.5],
        "7": [1, 2],
    }
    json.dumps(converted, allow_nan=False)


def test_the_cli_and_the_http_api_answer_a_query_with_the_same_json(tmp_path):
    path = tmp_path / "faces.db"
    with bfxdb.connect(path) as db:
        db.query("CREATE (:T {x: 1.0E-5})-[:R {w: 2.5}]->(:T)")
    text = "MATCH p = (a:T)-[r:R]->(b:T) RETURN a, r, p, date('2024-02-29') AS d, 0.0/0.0 AS nan, {k: [1, 2.5]} AS m"
    cli = CliRunner().invoke(main, ["query", str(path), text, "-f", "json"])
    assert cli.exit_code == 0, cli.output
    from_cli = json.loads(cli.stdout)
    with bfxdb.connect(path) as db:
        from_http = create_app(db).test_client().post("/api/v1/query", json={"query": text}).get_json()
    assert from_http["columns"] == from_cli["columns"] == ["a", "r", "p", "d", "nan", "m"]
    assert from_http["rows"] == from_cli["rows"]
    assert from_cli["rows"][0][3:] == ["2024-02-29", "NaN", {"k": [1, 2.5]}]
