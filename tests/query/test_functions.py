"""The catalogue of Cypher functions: every name the checker accepts runs, and the README lists them all."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import bfxdb
from bfxdb.query.functions import CATALOGUE, CATEGORIES, FUNCTIONS
from bfxdb.query.temporal import Date, DateTime, LocalDateTime, LocalTime, Time
from tests.conftest import MULTIPLY, REPO

PATH = "MATCH p = (a:Person {name: 'Ann'})-[r:KNOWS]->(b) "
NUMBERS = "UNWIND [1, 2, 3, 4] AS x "


def approx(expected: float) -> Callable[[Any], bool]:
    return lambda value: type(value) is float and math.isclose(value, expected, abs_tol=1e-12)


def of_type(kind: type) -> Callable[[Any], bool]:
    return lambda value: type(value) is kind


def is_uuid(value: Any) -> bool:
    return type(value) is str and str(uuid.UUID(value)) == value


#: One valid call of each function in the catalogue, by lower-case name, and what it must give:
#: a value, or a test of the value.
SAMPLES: dict[str, tuple[str, Any]] = {
    "avg": (NUMBERS + "RETURN avg(x)", 2.5),
    "collect": ("UNWIND [1, null, 2] AS x RETURN collect(x)", [1, 2]),
    "count": ("UNWIND [1, null, 2] AS x RETURN count(x)", 2),
    "max": (NUMBERS + "RETURN max(x)", 4),
    "min": (NUMBERS + "RETURN min(x)", 1),
    "percentilecont": (NUMBERS + "RETURN percentileCont(x, 0.5)", 2.5),
    "percentiledisc": (NUMBERS + "RETURN percentileDisc(x, 0.5)", 2),
    "stdev": ("UNWIND [2, 4, 4, 4, 5, 5, 7, 9] AS x RETURN stDev(x)", approx(math.sqrt(32 / 7))),
    "stdevp": ("UNWIND [2, 4, 4, 4, 5, 5, 7, 9] AS x RETURN stDevP(x)", 2.0),
    "sum": (NUMBERS + "RETURN sum(x)", 10),
    "exists": (PATH + "RETURN [exists(a.age), exists(b.age), exists((b)-->())]", [True, False, False]),
    "coalesce": ("RETURN coalesce(null, 1, 2)", 1),
    "endnode": (PATH + "RETURN endNode(r).name", "Bob"),
    "head": ("RETURN head([1, 2])", 1),
    "id": (PATH + "RETURN id(a)", of_type(int)),
    "last": ("RETURN last([1, 2])", 2),
    "length": (PATH + "RETURN length(p)", 1),
    "properties": (PATH + "RETURN properties(r)", {"since": 2020}),
    "randomuuid": ("RETURN randomUUID()", is_uuid),
    "size": ("RETURN size('abc')", 3),
    "startnode": (PATH + "RETURN startNode(r).name", "Ann"),
    "timestamp": ("RETURN timestamp()", lambda value: type(value) is int and value > 1_600_000_000_000),
    "toboolean": ("RETURN toBoolean('true')", True),
    "tobooleanornull": ("RETURN toBooleanOrNull([1])", None),
    "tofloat": ("RETURN toFloat('1.5')", 1.5),
    "tofloatornull": ("RETURN toFloatOrNull({a: 1})", None),
    "tointeger": ("RETURN toInteger('42')", 42),
    "tointegerornull": ("RETURN toIntegerOrNull([])", None),
    "type": (PATH + "RETURN type(r)", "KNOWS"),
    "keys": (PATH + "RETURN keys(a)", ["name", "age"]),
    "labels": (PATH + "RETURN labels(b)", ["Person"]),
    "nodes": (PATH + "RETURN [n IN nodes(p) | n.name]", ["Ann", "Bob"]),
    "range": ("RETURN range(1, 6, 2)", [1, 3, 5]),
    "relationships": (PATH + "RETURN [x IN relationships(p) | type(x)]", ["KNOWS"]),
    "reverse": ("RETURN reverse([1, 2, 3])", [3, 2, 1]),
    "tail": ("RETURN tail([1, 2, 3])", [2, 3]),
    "tobooleanlist": ("RETURN toBooleanList(['true', 0, null, 'x', [true]])", [True, False, None, None, None]),
    "tofloatlist": ("RETURN toFloatList(['1.5', 2, null, 'x', true])", [1.5, 2.0, None, None, None]),
    "tointegerlist": ("RETURN toIntegerList(['7', 2.9, null, 'x', {}])", [7, 2, None, None, None]),
    "tostringlist": ("RETURN toStringList([1, 2.5, true, null, [1]])", ["1", "2.5", "true", None, None]),
    "abs": ("RETURN abs(-3)", 3),
    "ceil": ("RETURN ceil(1.2)", 2.0),
    "floor": ("RETURN floor(1.8)", 1.0),
    "rand": ("RETURN rand()", lambda value: type(value) is float and 0.0 <= value < 1.0),
    "round": ("RETURN [round(2.5), round(2.675, 2), round(2.5, 0, 'HALF_EVEN')]", [3.0, 2.68, 2.0]),
    "sign": ("RETURN sign(-4)", -1),
    "e": ("RETURN e()", math.e),
    "exp": ("RETURN exp(0)", 1.0),
    "log": ("RETURN log(e())", 1.0),
    "log10": ("RETURN log10(100)", 2.0),
    "sqrt": ("RETURN sqrt(16)", 4.0),
    "acos": ("RETURN acos(1)", 0.0),
    "asin": ("RETURN asin(1)", approx(math.pi / 2)),
    "atan": ("RETURN atan(1)", approx(math.pi / 4)),
    "atan2": ("RETURN atan2(1, 1)", approx(math.pi / 4)),
    "cos": ("RETURN cos(0)", 1.0),
    "cot": ("RETURN cot(pi() / 4)", approx(1.0)),
    "degrees": ("RETURN degrees(pi())", 180.0),
    "haversin": ("RETURN haversin(pi())", 1.0),
    "pi": ("RETURN pi()", math.pi),
    "radians": ("RETURN radians(180)", math.pi),
    "sin": ("RETURN sin(pi() / 2)", 1.0),
    "tan": ("RETURN tan(0)", 0.0),
    "left": ("RETURN left('hello', 2)", "he"),
    "ltrim": ("RETURN ltrim('  x ')", "x "),
    "replace": ("RETURN replace('aXa', 'X', 'b')", "aba"),
    "right": ("RETURN right('hello', 2)", "lo"),
    "rtrim": ("RETURN rtrim(' x  ')", " x"),
    "split": ("RETURN split('a,b', ',')", ["a", "b"]),
    "substring": ("RETURN substring('hello', 1, 3)", "ell"),
    "tolower": ("RETURN toLower('AB')", "ab"),
    "tostring": ("RETURN toString(1.0E-5)", "1.0E-5"),
    "tostringornull": ("RETURN toStringOrNull([1])", None),
    "toupper": ("RETURN toUpper('ab')", "AB"),
    "trim": ("RETURN trim('  x ')", "x"),
    "date": ("RETURN toString(date('2015-07-21'))", "2015-07-21"),
    "localtime": ("RETURN toString(localtime('12:34'))", "12:34"),
    "time": ("RETURN toString(time('12:34+01:00'))", "12:34+01:00"),
    "localdatetime": ("RETURN toString(localdatetime('2015-07-21T12:34'))", "2015-07-21T12:34"),
    "datetime": ("RETURN toString(datetime('2015-07-21T12:34Z'))", "2015-07-21T12:34Z"),
    "date.truncate": ("RETURN toString(date.truncate('month', date('2015-07-21')))", "2015-07-01"),
    "localtime.truncate": ("RETURN toString(localtime.truncate('hour', localtime('12:34')))", "12:00"),
    "time.truncate": ("RETURN toString(time.truncate('hour', time('12:34+01:00')))", "12:00+01:00"),
    "localdatetime.truncate": (
        "RETURN toString(localdatetime.truncate('day', localdatetime('2015-07-21T12:34')))",
        "2015-07-21T00:00",
    ),
    "datetime.truncate": (
        "RETURN toString(datetime.truncate('year', datetime('2015-07-21T12:34Z')))",
        "2015-01-01T00:00Z",
    ),
    "datetime.fromepoch": ("RETURN toString(datetime.fromEpoch(0, 0))", "1970-01-01T00:00Z"),
    "datetime.fromepochmillis": ("RETURN toString(datetime.fromEpochMillis(1000))", "1970-01-01T00:00:01Z"),
    "duration": ("RETURN toString(duration('P1DT2H'))", "P1DT2H"),
    "duration.between": ("RETURN toString(duration.between(date('2015-07-21'), date('2015-07-22')))", "P1D"),
    "duration.indays": ("RETURN toString(duration.inDays(date('2015-07-21'), date('2015-07-24')))", "P3D"),
    "duration.inmonths": ("RETURN toString(duration.inMonths(date('2015-01-01'), date('2015-03-01')))", "P2M"),
    "duration.inseconds": (
        "RETURN toString(duration.inSeconds(localtime('12:00'), localtime('12:00:01')))",
        "PT1S",
    ),
    "expression": ("MATCH (s:Calc) RETURN expression(s)", {"type": "lambda", "code": MULTIPLY}),
    "invoke": ("MATCH (s:Calc) RETURN invoke(s, {x: 5, y: 7})", 35),
    "substrate_id": (PATH + "RETURN substrate_id(a)", lambda value: re.fullmatch("0x[0-9A-F]{16}", value)),
    # (1 + 10 / 14) / 2 and 1 / (1 + 1 + 4), by hand
    "vector.similarity.cosine": (
        "RETURN vector.similarity.cosine([1, 2, 3], [3, 2, 1])",
        lambda value: abs(value - 6 / 7) < 1e-12,
    ),
    "vector.similarity.euclidean": ("RETURN vector.similarity.euclidean([1, 2], [2, 4])", 1 / 6),
}
_INSTANT_TYPES = {
    "date": Date,
    "localtime": LocalTime,
    "time": Time,
    "localdatetime": LocalDateTime,
    "datetime": DateTime,
}
for _kind, _type in _INSTANT_TYPES.items():
    for _clock in ("realtime", "statement", "transaction"):
        SAMPLES[f"{_kind}.{_clock}"] = (f"RETURN {_kind}.{_clock}()", of_type(_type))


@pytest.fixture(scope="module")
def graph():
    with bfxdb.connect() as db:
        db.query("CREATE (:Person {name: 'Ann', age: 30})-[:KNOWS {since: 2020}]->(:Person {name: 'Bob'})")
        db.create_substrate("lambda", MULTIPLY, labels=["Calc"])
        yield db


def test_every_function_in_the_catalogue_has_a_sample_call():
    assert sorted(FUNCTIONS) == sorted(SAMPLES)


def test_a_function_outside_the_catalogue_is_refused_before_running(db):
    with pytest.raises(bfxdb.QuerySyntaxError) as caught:
        db.query("RETURN noSuchFunction(1)")
    assert caught.value.detail_code == "UnknownFunction"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_function_runs(graph, name):
    text, expected = SAMPLES[name]
    value = graph.query(text + " AS value").scalar()
    if callable(expected):
        assert expected(value), f"{name}: {value!r}"
    else:
        assert value == expected and type(value) is type(expected), f"{name}: {value!r}"


def test_each_sample_calls_the_function_it_is_for():
    for name, (text, _) in SAMPLES.items():
        assert re.search(rf"\b{re.escape(name)}\(", text, re.IGNORECASE), name


@pytest.mark.parametrize(
    "text",
    ["RETURN toStringList(1)", "RETURN toIntegerList('1')", "RETURN toFloatList({})", "RETURN toBooleanList(true)"],
)
def test_list_conversions_refuse_what_is_not_a_list(db, text):
    with pytest.raises(bfxdb.QueryTypeError):
        db.query(text)


def test_list_conversions_keep_null(db):
    row = db.query("RETURN toStringList(null), toIntegerList(null), toFloatList(null), toBooleanList(null)").rows
    assert row == [(None, None, None, None)]


def test_random_uuids_differ(db):
    assert len({db.query("RETURN randomUUID() AS u").scalar() for _ in range(5)}) == 5


def test_exists_tests_patterns_inside_where(db):
    db.query("CREATE (:A {name: 'a'})-[:T]->(:B {name: 'b'})")
    assert db.query("MATCH (n) WHERE exists((n)-->()) RETURN n.name AS name").rows == [("a",)]
    assert db.query("MATCH (n) WHERE exists(n.name) RETURN count(n) AS c").scalar() == 2


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("round(-2.5)", -2.0),
        ("round(-2.5, 0)", -3.0),
        ("round(1234.5, -2)", 1200.0),
        ("round(-0.4, 0)", 0.0),
        ("round(1.25, 1, 'HALF_DOWN')", 1.2),
        ("round(1.21, 1, 'UP')", 1.3),
        ("round(-1.29, 1, 'DOWN')", -1.2),
        ("round(-1.21, 1, 'CEILING')", -1.2),
        ("round(1.29, 1, 'FLOOR')", 1.2),
        ("round(1.5, 3, 'UNNECESSARY')", 1.5),
        ("round(1.0E300, 2)", 1.0e300),
        ("round(1.5, null)", None),
    ],
)
def test_round_with_a_precision_rounds_the_decimal_the_float_prints_as(db, call, expected):
    assert db.query(f"RETURN {call} AS value").scalar() == expected


@pytest.mark.parametrize("call", ["round(1.5, 0, 'SIDEWAYS')", "round(1.25, 1, 'UNNECESSARY')"])
def test_round_refuses_an_unknown_mode_and_a_needed_rounding_it_may_not_do(db, call):
    with pytest.raises(bfxdb.QueryArgumentError):
        db.query(f"RETURN {call} AS value")


# ---------------------------------------------------------------- the README's list

README = REPO / "README.md"
_BEGIN = "<!-- functions: begin -->"
_END = "<!-- functions: end -->"


def render_function_table() -> str:
    """The README's table of functions, as the catalogue makes it."""
    lines = [
        _BEGIN,
        "<details><summary>Every function, by group (names ignore case)</summary>",
        "",
        "| group | function | what it gives |",
        "|---|---|---|",
    ]
    for category in CATEGORIES:
        members = [function for function in CATALOGUE if function.category == category]
        for index, function in enumerate(members):
            lines.append(f"| {category if index == 0 else ''} | `{function.signature}` | {function.doc} |")
    lines += ["", "</details>", _END]
    return "\n".join(lines)


def test_readme_lists_every_function_of_the_catalogue():
    text = README.read_text(encoding="utf-8")
    start, end = text.find(_BEGIN), text.find(_END)
    assert 0 <= start < end, f"README.md has no {_BEGIN} ... {_END} block"
    written = text[start : end + len(_END)]
    assert written == render_function_table(), (
        "README.md's function table differs from the catalogue; replace it with:\n\n" + render_function_table()
    )
