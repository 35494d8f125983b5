"""Cypher scripts and dumps: statements run one by one; literals and escapes read as the query parser reads them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.formats import cypher_literal, export, import_files
from bfxdb.formats.cypher_dump import _Literal

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
#: Bodies of Cypher string literals, with every kind of escape openCypher has.
ESCAPED = [
    r"plain",
    r"it\'s",
    r"say \"hi\"",
    r"back\\slash",
    r"\n\r\t\b\f",
    r"\u00e9 and \U0001F98B",
    r"\uD83D\uDE00 is one character",
    r"tab\u0009in the middle",
]
BAD_ESCAPES = [r"\q", r"\u12", r"\uD83D alone", r"\U00110000"]


def test_a_cypher_script_runs_statement_by_statement(text_file, db):
    script = (
        "// a script\nCREATE (:City {name: 'Oslo'});\nCREATE (:City {name: 'Bergen'})\n  ;\n"
        "MATCH (c:City) SET c.country = 'NO';\n"
    )
    report = import_files(db, [text_file("cities.cypher", script)])
    assert report.statements == 3
    assert sorted(s.metadata["name"] for s in db.find_substrates(metadata={"country": "NO"})) == ["Bergen", "Oslo"]


def test_a_failing_cypher_statement_undoes_the_import(text_file, db):
    script = "CREATE (:A);\nRETURN nope;\n"
    with pytest.raises(bfxdb.InvalidInput, match="s.cypher:2:"):
        import_files(db, [text_file("s.cypher", script)])
    assert db.count_substrates() == 0


@given(json_values)
def test_cypher_literals_read_back_exactly(value):
    text = cypher_literal(value)
    reader = _Literal(text)
    assert json.dumps(reader.value(), sort_keys=True) == json.dumps(value, sort_keys=True)
    assert reader.pos == len(text)


@pytest.mark.parametrize("body", ESCAPED)
def test_the_dump_reader_and_the_query_parser_read_escapes_the_same(db, body):
    literal = f"'{body}'"
    assert _Literal(literal).value() == db.query(f"RETURN {literal} AS s").scalar()


@pytest.mark.parametrize("body", BAD_ESCAPES)
def test_the_dump_reader_and_the_query_parser_refuse_the_same_escapes(db, body):
    with pytest.raises(bfxdb.QuerySyntaxError) as parsed:
        db.query(f"RETURN '{body}' AS s")
    with pytest.raises(bfxdb.QuerySyntaxError) as dumped:
        _Literal(f"'{body}'").value()
    assert parsed.value.detail_code == dumped.value.detail_code
    assert parsed.value.message.startswith(dumped.value.message)


@given(st.text(max_size=12))
def test_a_written_string_literal_is_read_back_by_the_query_parser(text):
    with bfxdb.connect() as db:
        assert db.query(f"RETURN {cypher_literal(text)} AS s").scalar() == text


def test_a_dump_with_escaped_text_imports_with_its_ids(tmp_path, db):
    text = "emoji \U0001F600, quote ', backslash \\, newline \n, bell \x07"
    created = db.create_substrate(labels=["T"], metadata={"text": text})
    export(db, "cypher", tmp_path / "dump.cypher")
    with bfxdb.connect() as copy:
        report = import_files(copy, [tmp_path / "dump.cypher"])
        assert (report.substrates, report.statements) == (1, 0)
        assert copy.get_substrate(created.identity).metadata == {"text": text}
