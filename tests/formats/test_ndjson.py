"""NDJSON: records in any order, bad lines by number, and the one line parser that every face uses."""

from __future__ import annotations

import json

import pytest

import bfxdb
from bfxdb.cli import main
from bfxdb.formats import InvalidRecord, NotJson, import_files, parse_ndjson_line, read_ndjson_records


def test_ndjson_in_any_order(text_file, db):
    lines = [
        {"type": "relationship", "rel_type": "USES", "source_id": "0xA", "target_id": "0xb", "metadata": {"w": 1}},
        {"type": "substrate", "substrate_id": "0xa", "labels": ["App"], "metadata": {"name": "a"}},
        {"type": "substrate", "identity": 11, "expression_code": "lambda x: x + 1"},
    ]
    path = text_file("g.ndjson", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    report = import_files(db, [path])
    assert (report.substrates, report.relationships) == (2, 1)
    assert db.invoke(11, {"x": 1}) == 2
    assert db.outgoing(10)[0].metadata == {"w": 1}


def test_ndjson_bad_lines_are_reported_by_line(text_file, runner, db_path):
    text = '{"type": "substrate", "identity": 1}\nnot json\n{"type": "vertex"}\n{"type": "substrate", "colour": 1}\n'
    path = text_file("g.jsonl", text)
    result = runner.invoke(main, ["import", str(db_path), str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert f"{path}:2: not JSON" in result.stderr
    assert f'{path}:3: "type" must be' in result.stderr
    assert f"{path}:4: unknown field 'colour'" in result.stderr


def test_expression_rejected_by_the_sandbox_is_a_bad_row(text_file, db):
    path = text_file("g.ndjson", json.dumps({"type": "substrate", "expression_code": "__import__('os')"}) + "\n")
    with pytest.raises(bfxdb.InvalidInput, match="g.ndjson:1:"):
        import_files(db, [path])


@pytest.mark.parametrize(
    "line, error, words",
    [
        ("{not json", NotJson, "not JSON: Expecting property name"),
        (b"\xff\xfe", NotJson, "not JSON: 'utf-8' codec can't decode"),
        ('{"type": "substrate", "metadata": {"x": NaN}}', NotJson, "not JSON: NaN is not a JSON value"),
        ('{"type": "substrate", "metadata": {"x": "\\udc00"}}', NotJson, "field 'metadata' holds a lone UTF-16"),
        ("[" * 5000 + "]" * 5000, NotJson, "not JSON: it nests too deeply"),
        ("[1, 2]", InvalidRecord, "expected a JSON object, not list"),
        ('{"type": "node"}', InvalidRecord, '"type" must be "substrate" or "relationship", not \'node\''),
        ('{"type": "substrate", "colour": 1}', InvalidRecord, "unknown field 'colour' in a substrate record"),
        ('{"type": "substrate", "labels": ["A", 1]}', InvalidRecord, '"labels" must be a list of strings'),
        ('{"type": "relationship", "source_id": "0x1"}', InvalidRecord, 'a relationship record needs "rel_type"'),
        ('{"type": "substrate", "substrate_id": "zz"}', bfxdb.InvalidId, "invalid id 'zz': write an id as 0x"),
    ],
)
def test_a_bad_line_is_refused_with_the_reason(line, error, words):
    with pytest.raises(error) as refused:
        parse_ndjson_line(line)
    assert refused.value.message.startswith(words)


def test_parsed_lines_are_bulk_load_items():
    assert parse_ndjson_line("  \n") is None
    kind, item = parse_ndjson_line(b'{"type": "relationship", "rel_type": "R", "source_id": "0xA", "target_id": 11}\n')
    assert (kind, item["source"], item["target"], item["bidirectional"]) == ("relationship", 10, 11, False)


def test_a_depth_limit_is_the_callers_choice():
    deep = '{"type": "substrate", "metadata": {"x": ' + "[" * 150 + "]" * 150 + "}}"
    assert parse_ndjson_line(deep)[0] == "substrate"
    with pytest.raises(NotJson, match="deeper than 100 levels"):
        parse_ndjson_line(deep, max_depth=100)


def test_records_carry_the_line_number_and_the_type_when_it_was_told():
    records = list(read_ndjson_records(['{"type": "substrate"}\n', "\n", "nope\n", '{"type": "substrate", "x": 1}']))
    assert [(r.line, r.kind, r.error is None) for r in records] == [
        (1, "substrate", True),
        (3, None, False),
        (4, "substrate", False),
    ]
