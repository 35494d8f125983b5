"""Tests of the TCK value notation: parsing, rendering, engine values and table comparison (no engine needed)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tck.values import (
    NodeValue,
    PathValue,
    RelValue,
    TckValueError,
    compare_table,
    from_engine,
    key,
    parse_value,
    render,
)


@dataclass(frozen=True)
class FakeSubstrate:
    """Has the attributes of bfxdb.Substrate that the comparison reads."""

    identity: int
    labels: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FakeRelationship:
    """Has the attributes of bfxdb.Relationship that the comparison reads."""

    identity: int
    source: int
    target: int
    rel_type: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FakePath:
    """Has the attributes of bfxdb.Path that the comparison reads."""

    nodes: tuple
    relationships: tuple = ()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("-9223372036854775808", -9223372036854775808),
        ("1.0", 1.0),
        (".5", 0.5),
        ("-0.25", -0.25),
        ("1e-3", 0.001),
        ("1e308", 1e308),
        ("-1.2e+2", -120.0),
        ("Inf", math.inf),
        ("-Inf", -math.inf),
        ("''", ""),
        ("'a b'", "a b"),
        ("'\\''", "'"),
        ("'a\\\\b'", "a\\b"),
        ("'tab\\tnew\\nline'", "tab\tnew\nline"),
        ("'\\u00e9'", "é"),
        ("'<x>'", "<x>"),
        ("[]", []),
        ("[1, 'a', [null]]", [1, "a", [None]]),
        ("{}", {}),
        ("{name: 'x', num:2, `odd key`: [1]}", {"name": "x", "num": 2, "odd key": [1]}),
        ("()", NodeValue()),
        ("(:A)", NodeValue(("A",))),
        ("(:A:B {name: 'x'})", NodeValue(("A", "B"), {"name": "x"})),
        ("({num: 1})", NodeValue((), {"num": 1})),
        ("[:T]", RelValue("T")),
        ("[:T {k: 1.5}]", RelValue("T", {"k": 1.5})),
        ("[[:X], [:Y]]", [RelValue("X"), RelValue("Y")]),
        ("<()>", PathValue(NodeValue())),
        (
            "<(:A)-[:T]->(:B)<-[:U {k: 1}]-()>",
            PathValue(
                NodeValue(("A",)),
                ((RelValue("T"), True, NodeValue(("B",))), (RelValue("U", {"k": 1}), False, NodeValue())),
            ),
        ),
        ("[<(:A)-[:HAS]->()>]", [PathValue(NodeValue(("A",)), ((RelValue("HAS"), True, NodeValue()),))]),
    ],
)
def test_parse_value_reads_the_tck_notation(text, value):
    assert key(parse_value(text)) == key(value)
    assert parse_value(text) == value or isinstance(value, float) and math.isnan(value)


def test_parse_value_reads_nan():
    assert math.isnan(parse_value("NaN"))


def test_integers_and_floats_parse_to_distinct_types():
    assert type(parse_value("1")) is int
    assert type(parse_value("1.0")) is float
    assert type(parse_value("1e3")) is float


@pytest.mark.parametrize("text", ["", "nul", "'open", "[1, 2", "{k 1}", "(:A", "[:T", "<(:A)-[:T]-(:B)>", "1 2", "(A)"])
def test_parse_value_rejects_malformed_cells(text):
    with pytest.raises(TckValueError):
        parse_value(text)


@pytest.mark.parametrize(
    ("left", "right"),
    [("1", "1.0"), ("1", "true"), ("0", "false"), ("'1'", "1"), ("null", "'null'"), ("[1, 2]", "[2, 1]"),
     ("(:A)", "(:A {k: 1})"), ("(:A)", "(:A:B)"), ("[:T]", "[:U]"), ("<(:A)-[:T]->(:B)>", "<(:A)<-[:T]-(:B)>"),
     ("{a: 1}", "{a: 1, b: 2}"), ("[1]", "[[1]]")],
)
def test_key_tells_different_values_apart(left, right):
    assert key(parse_value(left)) != key(parse_value(right))


@pytest.mark.parametrize(
    ("left", "right"),
    [("NaN", "NaN"), ("(:A:B {x: 1, y: 2})", "(:B:A {y: 2, x: 1})"), ("{a: 1, b: 2}", "{b: 2, a: 1}"),
     ("0.1", "0.10"), ("1e3", "1000.0")],
)
def test_key_matches_equal_values(left, right):
    assert key(parse_value(left)) == key(parse_value(right))


def test_key_can_ignore_list_order_at_every_depth():
    left, right = parse_value("[[1, 2], {k: ['a', 'b']}]"), parse_value("[{k: ['b', 'a']}, [2, 1]]")
    assert key(left) != key(right)
    assert key(left, ordered_lists=False) == key(right, ordered_lists=False)
    assert key(parse_value("[1, 1, 2]"), ordered_lists=False) != key(parse_value("[1, 2, 2]"), ordered_lists=False)


@pytest.mark.parametrize(
    "text",
    ["null", "true", "-7", "1.5", "NaN", "-Inf", "'it\\'s'", "[1, [2.0, 'x']]", "{k: null}", "(:A:B {name: 'x'})",
     "[:T {k: 1}]", "<(:A)-[:T]->(:B)<-[:U]-()>", "<()>"],
)
def test_render_writes_what_parse_reads(text):
    assert render(parse_value(text)) == text


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
)
names = st.text(alphabet=st.characters(blacklist_characters="`", blacklist_categories=("Cs",)), min_size=1)
maps = st.dictionaries(names, scalars, max_size=3)
nodes = st.builds(NodeValue, st.lists(names, max_size=3).map(tuple), maps)
rels = st.builds(RelValue, names, maps)
paths = st.builds(PathValue, nodes, st.lists(st.tuples(rels, st.booleans(), nodes), max_size=3).map(tuple))
values = st.recursive(
    st.one_of(scalars, nodes, rels, paths),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)),
    max_leaves=12,
)


@given(values)
def test_parse_of_render_round_trips(value):
    assert key(parse_value(render(value))) == key(value)


def test_from_engine_turns_substrates_relationships_and_paths_into_tck_values():
    a = FakeSubstrate(1, ("A",), {"name": "a"})
    b = FakeSubstrate(2, ("B",))
    forward = FakeRelationship(10, 1, 2, "T", {"k": 1})
    backward = FakeRelationship(11, 2, 1, "U")
    loop = FakeRelationship(12, 1, 1, "L")
    assert from_engine(a) == NodeValue(("A",), {"name": "a"})
    assert from_engine(forward) == RelValue("T", {"k": 1})
    path = FakePath((a, b, a, a), (forward, backward, loop))
    assert render(from_engine(path)) == (
        "<(:A {name: 'a'})-[:T {k: 1}]->(:B)-[:U]->(:A {name: 'a'})-[:L]->(:A {name: 'a'})>"
    )
    assert render(from_engine(FakePath((b, a), (forward,)))) == "<(:B)<-[:T {k: 1}]-(:A {name: 'a'})>"
    assert from_engine({"xs": (1, [a])}) == {"xs": [1, [NodeValue(("A",), {"name": "a"})]]}


def test_from_engine_compares_other_types_by_their_string_form():
    import datetime

    assert key(from_engine(datetime.date(1984, 10, 11))) == key(parse_value("'1984-10-11'"))


def test_compare_table_matches_rows_in_any_order_as_a_multiset():
    header = ["n", "x"]
    expected = [["(:A)", "1"], ["(:B)", "2"], ["(:B)", "2"]]
    a, b = FakeSubstrate(1, ("A",)), FakeSubstrate(2, ("B",))
    assert compare_table(header, expected, ["n", "x"], [(b, 2), (a, 1), (b, 2)]) is None
    problem = compare_table(header, expected, ["n", "x"], [(b, 2), (a, 1), (a, 1)])
    assert "missing | (:B) | 2 |" in problem and "unexpected | (:A) | 1 |" in problem


def test_compare_table_keeps_order_when_asked():
    rows = [(1,), (2,)]
    assert compare_table(["x"], [["1"], ["2"]], ["x"], rows, ordered=True) is None
    assert "row 1 differs" in compare_table(["x"], [["2"], ["1"]], ["x"], rows, ordered=True)
    assert "expected 1 rows in order, got 2" in compare_table(["x"], [["1"]], ["x"], rows, ordered=True)


def test_compare_table_checks_column_names_exactly_and_in_order():
    assert "columns differ" in compare_table(["a", "b"], [], ["b", "a"], [])
    assert "columns differ" in compare_table(["a"], [], ["A"], [])
    assert compare_table(["a"], [], ["a"], []) is None


def test_compare_table_tells_integers_from_floats():
    assert compare_table(["x"], [["1"]], ["x"], [(1.0,)]) is not None
    assert compare_table(["x"], [["1.0"]], ["x"], [(1.0,)]) is None
    assert compare_table(["x"], [["NaN"]], ["x"], [(math.nan,)]) is None


def test_compare_table_can_ignore_element_order_in_lists():
    rows = [(["Bar", "Foo"],)]
    assert compare_table(["l"], [["['Foo', 'Bar']"]], ["l"], rows) is not None
    assert compare_table(["l"], [["['Foo', 'Bar']"]], ["l"], rows, ordered_lists=False) is None


def test_compare_table_reports_an_unparsable_expected_cell():
    with pytest.raises(TckValueError):
        compare_table(["x"], [["{oops"]], ["x"], [(1,)])
