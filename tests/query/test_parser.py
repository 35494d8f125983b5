"""Tests of the query front end: grammar, syntax tree, syntax errors, and the compile-time checks against the TCK."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bfxdb.errors import QuerySemanticError, QuerySyntaxError, QueryTypeError
from bfxdb.query import ast
from bfxdb.query.ast import (
    Binary,
    Case,
    CountStar,
    ExistsSubquery,
    FunctionCall,
    HasLabels,
    IsNull,
    ListComprehension,
    ListLiteral,
    Literal,
    MapLiteral,
    MapProjection,
    NodePattern,
    Parameter,
    PatternComprehension,
    PatternPart,
    PatternPredicate,
    PropertyAccess,
    Quantifier,
    Reduce,
    RelPattern,
    Slice,
    Subscript,
    Unary,
    Variable,
)
from bfxdb.query.functions import FUNCTIONS
from bfxdb.query.parser import parse
from bfxdb.query.semantics import (
    ProcedureSignature,
    check,
    contains_aggregate,
    is_aggregate,
)
from tests.tck import KNOWN_PASSING
from tests.tck.ratchet import read_known_passing

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
TCK_FEATURES = Path(__file__).resolve().parents[2].parent / "shared" / "opencypher" / "tck" / "features"


def bare(node):
    """Return ``node`` with every position reset, so expected trees can be written without positions."""
    if isinstance(node, tuple):
        return tuple(bare(item) for item in node)
    if isinstance(node, ast.Node):
        changes = {f.name: bare(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "pos"}
        return dataclasses.replace(node, **changes, pos=ast.NO_POS)
    return node


def clauses(text: str) -> tuple:
    """Return the clauses of a single query, positions stripped."""
    return bare(parse(text).body.parts[0].clauses)


def expression(text: str):
    """Return the tree of one expression, read as ``RETURN <text>``, positions stripped."""
    return bare(parse(f"RETURN {text}").body.parts[0].clauses[0].projection.items[0].expression)


def node(name=None, *labels, properties=None):
    return NodePattern(name, tuple(labels), properties)


def chain(*elements, path=None):
    return PatternPart(tuple(elements), path)


a, b, n, x, xs = (Variable(v) for v in ("a", "b", "n", "x", "xs"))


def lit(value):
    return Literal(value)


# ---------------------------------------------------------------- golden trees: expressions


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("1 + 2 * 3", Binary("+", lit(1), Binary("*", lit(2), lit(3)))),
        ("(1 + 2) * 3", Binary("*", Binary("+", lit(1), lit(2)), lit(3))),
        ("2 ^ 3 ^ 2", Binary("^", Binary("^", lit(2), lit(3)), lit(2))),
        ("-3 ^ 2", Binary("^", lit(-3), lit(2))),
        ("-x", Unary("-", x)),
        ("+x", Unary("+", x)),
        ("--1", Unary("-", lit(-1))),
        ("NOT a = b", Unary("NOT", Binary("=", a, b))),
        ("a OR b XOR x AND n", Binary("OR", a, Binary("XOR", b, Binary("AND", x, n)))),
        ("1 < x <= 3", Binary("AND", Binary("<", lit(1), x), Binary("<=", x, lit(3)))),
        (
            "a = b <> x",
            Binary("AND", Binary("=", a, b), Binary("<>", b, x)),
        ),
        ("n.name STARTS WITH 'A'", Binary("STARTS WITH", PropertyAccess(n, "name"), lit("A"))),
        ("n.name ends with 'z'", Binary("ENDS WITH", PropertyAccess(n, "name"), lit("z"))),
        ("x CONTAINS 'b' OR x =~ 'a.*'", Binary("OR", Binary("CONTAINS", x, lit("b")), Binary("=~", x, lit("a.*")))),
        ("x IN [1, 2]", Binary("IN", x, ListLiteral((lit(1), lit(2))))),
        ("x IS NULL", IsNull(x, False)),
        ("x IS NOT NULL", IsNull(x, True)),
        ("n:Person:Admin", HasLabels(n, ("Person", "Admin"))),
        ("n.address.city", PropertyAccess(PropertyAccess(n, "address"), "city")),
        ("xs[0]", Subscript(xs, lit(0))),
        ("xs[1..2]", Slice(xs, lit(1), lit(2))),
        ("xs[..2]", Slice(xs, None, lit(2))),
        ("xs[1..]", Slice(xs, lit(1), None)),
        ("n['key']", Subscript(n, lit("key"))),
        ("count(*)", CountStar()),
        ("COUNT(DISTINCT n.x)", FunctionCall("COUNT", (PropertyAccess(n, "x"),), True)),
        ("toUpper(n.name)", FunctionCall("toUpper", (PropertyAccess(n, "name"),))),
        ("db.util.fn(1, 2)", FunctionCall("db.util.fn", (lit(1), lit(2)))),
        ("rand()", FunctionCall("rand", ())),
        ("exists(n.x)", FunctionCall("exists", (PropertyAccess(n, "x"),))),
        ("CASE x WHEN 1 THEN 'a' ELSE 'b' END", Case(x, ((lit(1), lit("a")),), lit("b"))),
        (
            "CASE WHEN x > 1 THEN 'a' WHEN x < 0 THEN 'b' END",
            Case(None, ((Binary(">", x, lit(1)), lit("a")), (Binary("<", x, lit(0)), lit("b"))), None),
        ),
        ("[x IN xs WHERE x > 1 | x * 2]", ListComprehension("x", xs, Binary(">", x, lit(1)), Binary("*", x, lit(2)))),
        ("[x IN xs]", ListComprehension("x", xs, None, None)),
        ("[x IN xs | x]", ListComprehension("x", xs, None, x)),
        ("all(x IN xs WHERE x > 0)", Quantifier("ALL", "x", xs, Binary(">", x, lit(0)))),
        ("single(x IN xs WHERE x)", Quantifier("SINGLE", "x", xs, x)),
        ("reduce(s = 0, x IN xs | s + x)", Reduce("s", lit(0), "x", xs, Binary("+", Variable("s"), x))),
        (
            "n {.name, age: 1, x, .*}",
            MapProjection(
                n,
                (("property", "name", None), ("literal", "age", lit(1)), ("variable", "x", None), ("all", None, None)),
            ),
        ),
        (
            "{a: 1, `b c`: [1, 'x'], end: null}",
            MapLiteral((("a", lit(1)), ("b c", ListLiteral((lit(1), lit("x")))), ("end", lit(None)))),
        ),
        ("[]", ListLiteral(())),
        ("{}", MapLiteral(())),
        ("$param", Parameter("param")),
        ("$0", Parameter("0")),
        ("$`odd name`", Parameter("odd name")),
        ("true AND FALSE", Binary("AND", lit(True), lit(False))),
        ("`a``b`", Variable("a`b")),
        (
            "[p = (a)-[:R]->(b) WHERE b.ok | p]",
            PatternComprehension(
                chain(node("a"), RelPattern(None, ("R",), "out"), node("b"), path="p"),
                PropertyAccess(b, "ok"),
                Variable("p"),
            ),
        ),
        (
            "exists((a)-->())",
            FunctionCall("exists", (PatternPredicate(chain(node("a"), RelPattern(None, (), "out"), node())),)),
        ),
    ],
)
def test_expression_tree(text, tree):
    assert expression(text) == tree


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("0", 0),
        ("-0", 0),
        ("9223372036854775807", INT64_MAX),
        ("-9223372036854775808", INT64_MIN),
        ("0x7FFFFFFFFFFFFFFF", INT64_MAX),
        ("-0x8000000000000000", INT64_MIN),
        ("0x1a2B", 0x1A2B),
        ("0o777", 0o777),
        ("-0o17", -0o17),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1.5e-3", 0.0015),
        ("-.1E-5", -0.000001),
        ("'a\\'b'", "a'b"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'\\\\ \\n \\t \\b \\f \\r'", "\\ \n \t \b \f \r"),
        ("'\\u00e9'", "é"),
        ("'\\U0001F600'", "😀"),
        ("'\\uD83D\\uDE00'", "😀"),
        ("'🧐🍌'", "🧐🍌"),
        ("null", None),
    ],
)
def test_literal_values(written, value):
    assert expression(written) == Literal(value)


# ---------------------------------------------------------------- golden trees: clauses


def test_match_where_return_tree():
    tree = clauses(
        "MATCH (a:Person {name: $name})-[r:KNOWS|:LIKES*1..3]->(b) WHERE a.age > 30 "
        "RETURN b.name AS name ORDER BY name DESC SKIP 1 LIMIT 2"
    )
    assert tree == (
        ast.Match(
            ast.Pattern(
                (
                    chain(
                        node("a", "Person", properties=MapLiteral((("name", Parameter("name")),))),
                        RelPattern("r", ("KNOWS", "LIKES"), "out", (1, 3)),
                        node("b"),
                    ),
                )
            ),
            Binary(">", PropertyAccess(a, "age"), lit(30)),
        ),
        ast.Return(
            ast.Projection(
                (ast.ProjectionItem(PropertyAccess(b, "name"), "name", "b.name"),),
                order_by=(ast.SortItem(Variable("name"), True),),
                skip=lit(1),
                limit=lit(2),
            )
        ),
    )


@pytest.mark.parametrize(
    ("written", "rel"),
    [
        ("-->", RelPattern(None, (), "out")),
        ("<--", RelPattern(None, (), "in")),
        ("--", RelPattern(None, (), "both")),
        ("<-->", RelPattern(None, (), "both")),
        ("-[r]->", RelPattern("r", (), "out")),
        ("<-[:T]-", RelPattern(None, ("T",), "in")),
        ("-[r:T|U]-", RelPattern("r", ("T", "U"), "both")),
        ("-[*]->", RelPattern(None, (), "out", (None, None))),
        ("-[*2]->", RelPattern(None, (), "out", (2, 2))),
        ("-[*2..]->", RelPattern(None, (), "out", (2, None))),
        ("-[*..3]->", RelPattern(None, (), "out", (None, 3))),
        ("-[r:T*0..1 {w: 1}]->", RelPattern("r", ("T",), "out", (0, 1), MapLiteral((("w", lit(1)),)))),
        ("-[$props]->", RelPattern(None, (), "out", None, Parameter("props"))),
    ],
)
def test_relationship_patterns(written, rel):
    (match, _ret) = clauses(f"MATCH (a){written}(b) RETURN a")
    assert match.pattern.parts[0].elements[1] == rel


def test_pattern_as_predicate_starts_with_any_node_form():
    where = clauses("MATCH (n) WHERE (n:A {k: 1})-->() AND ({k: 2})<--(:B) AND NOT (n)--(n) RETURN n")[0].where
    first, second = where.left.left, where.left.right
    assert first == PatternPredicate(
        chain(node("n", "A", properties=MapLiteral((("k", lit(1)),))), RelPattern(None, (), "out"), node())
    )
    assert second.pattern.elements[0] == node(properties=MapLiteral((("k", lit(2)),)))
    assert where.right == Unary("NOT", PatternPredicate(chain(node("n"), RelPattern(None, (), "both"), node("n"))))


def test_updating_clauses_tree():
    tree = clauses("MATCH (n) SET n.x = 1, n = {y: 2}, n += $p, n:L:M REMOVE n.x, n:L DETACH DELETE n")
    assert tree[1:] == (
        ast.Set(
            (
                ast.SetProperty(n, "x", lit(1)),
                ast.SetProperties("n", MapLiteral((("y", lit(2)),)), True),
                ast.SetProperties("n", Parameter("p"), False),
                ast.SetLabels("n", ("L", "M")),
            )
        ),
        ast.Remove((ast.RemoveProperty(n, "x"), ast.RemoveLabels("n", ("L",)))),
        ast.Delete((n,), detach=True),
    )


def test_create_merge_unwind_with_tree():
    tree = clauses(
        "UNWIND [1, 2] AS x WITH DISTINCT x WHERE x > 1 CREATE p = (a:A {x: x})-[:R]->(b) "
        "MERGE (c:C {id: 1}) ON CREATE SET c.new = true ON MATCH SET c.seen = 1"
    )
    assert tree == (
        ast.Unwind(ListLiteral((lit(1), lit(2))), "x"),
        ast.With(ast.Projection((ast.ProjectionItem(x, None, "x"),), distinct=True), Binary(">", x, lit(1))),
        ast.Create(
            ast.Pattern(
                (
                    chain(
                        node("a", "A", properties=MapLiteral((("x", x),))),
                        RelPattern(None, ("R",), "out"),
                        node("b"),
                        path="p",
                    ),
                )
            )
        ),
        ast.Merge(
            chain(node("c", "C", properties=MapLiteral((("id", lit(1)),)))),
            on_create=(ast.SetProperty(Variable("c"), "new", lit(True)),),
            on_match=(ast.SetProperty(Variable("c"), "seen", lit(1)),),
        ),
    )


def test_call_union_and_statement_flags():
    statement = bare(parse("EXPLAIN CALL db.labels() YIELD label AS l WHERE l <> 'x' RETURN l UNION RETURN 1 AS l"))
    assert statement.explain and not statement.profile
    query = statement.body
    assert query.union_all == (False,)
    assert query.parts[0].clauses[0] == ast.Call(
        "db.labels", (), (("label", "l"),), False, Binary("<>", Variable("l"), lit("x"))
    )
    assert bare(parse("CALL db.labels").body.parts[0].clauses[0]) == ast.Call("db.labels", None)
    assert bare(parse("PROFILE RETURN 1")).profile


def test_shortest_path_and_exists_subquery():
    match = clauses("MATCH p = shortestPath((a)-[*]-(b)) RETURN p")[0]
    assert match.pattern.parts[0].shortest == "shortestPath"
    assert match.pattern.parts[0].path_variable == "p"
    where = clauses("MATCH (n) WHERE EXISTS { MATCH (n)-->(m) RETURN m } AND EXISTS { (n)-->(m) WHERE m.x } RETURN n")[
        0
    ].where
    assert isinstance(where.left, ExistsSubquery) and where.left.query is not None
    assert where.right.pattern is not None and where.right.where == PropertyAccess(Variable("m"), "x")


def test_schema_commands():
    assert bare(parse("CREATE INDEX FOR (n:Person) ON (n.name, n.age)").body) == ast.CreateIndex(
        "Person", ("name", "age")
    )
    assert bare(parse("create index person_name for (n:Person) on (n.name)").body).name == "person_name"
    assert bare(parse("CREATE INDEX ON :Person(name)").body) == ast.CreateIndex("Person", ("name",))
    assert bare(parse("DROP INDEX ON :Person(name)").body) == ast.DropIndex(None, "Person", ("name",))
    assert bare(parse("DROP INDEX person_name").body) == ast.DropIndex("person_name")


# ---------------------------------------------------------------- positions, column text, names


def test_every_node_has_the_position_where_it_starts():
    statement = parse("MATCH (a)\n  RETURN a.name AS n,\n         count(*)")
    match, ret = statement.body.parts[0].clauses
    assert statement.pos == (1, 1)
    assert match.pos == (1, 1)
    assert match.pattern.parts[0].elements[0].pos == (1, 7)
    assert ret.pos == (2, 3)
    first, second = ret.projection.items
    assert first.expression.pos == (2, 10)
    assert first.expression.subject.pos == (2, 10)
    assert second.expression.pos == (3, 10)


def test_every_node_has_a_position():
    statement = parse(
        "MATCH p = (a:A {x: [1, -2]})-[r:T*1..2]->(b) WHERE a.x IN [1] AND NOT b:B "
        "WITH a, [x IN range(1, 3) WHERE x > 1 | x] AS xs, {k: $v} AS m "
        "RETURN CASE WHEN a.x = 1 THEN 'y' END AS c, reduce(s = 0, y IN xs | s + y), m{.k}, count(*)"
    )

    def walk(value):
        if isinstance(value, tuple):
            for item in value:
                walk(item)
        elif isinstance(value, ast.Node):
            assert value.pos != ast.NO_POS, value
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))

    walk(statement)


def test_projection_text_is_the_written_expression():
    items = (
        parse("RETURN n.name, count(*), a + 1, toUpper( n.name ) AS u, `x` /* note */ ORDER BY 1")
        .body.parts[0]
        .clauses[0]
        .projection.items
    )
    assert [item.text for item in items] == ["n.name", "count(*)", "a + 1", "toUpper( n.name )", "`x`"]


def test_keywords_stay_usable_as_names_where_opencypher_allows():
    match, ret = clauses("MATCH (n:End:Match)-[:TYPE|count]->(count) RETURN n.end AS type, {match: 1, where: 2}, count")
    assert match.pattern.parts[0].elements[0].labels == ("End", "Match")
    assert match.pattern.parts[0].elements[1].types == ("TYPE", "count")
    assert match.pattern.parts[0].elements[2].variable == "count"
    items = ret.projection.items
    assert items[0] == ast.ProjectionItem(PropertyAccess(n, "end"), "type", "n.end")
    assert items[1].expression == MapLiteral((("match", lit(1)), ("where", lit(2))))
    assert items[2].expression == Variable("count")


def test_comments_whitespace_and_semicolon_are_ignored():
    plain = bare(parse("MATCH (n) RETURN n"))
    assert bare(parse("// leading\nMATCH /* inline */ (n)\n\tRETURN n ; ")) == plain


def test_parse_is_cached_by_text():
    assert parse("RETURN 12345 AS cached") is parse("RETURN 12345 AS cached")


# ---------------------------------------------------------------- syntax errors


def syntax_error(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    return caught.value


def test_syntax_error_names_line_column_found_and_expected_with_a_caret():
    error = syntax_error("MATCH (n)\nRETURN n AS")
    assert (error.line, error.column) == (2, 12)
    assert error.detail_code == "UnexpectedSyntax"
    assert "ends too early" in error.message and "name" in error.message
    assert error.context == "RETURN n AS\n           ^"


def test_syntax_error_on_an_unexpected_word():
    error = syntax_error("MATCH (n) RETRUN n")
    assert (error.line, error.column) == (1, 11)
    assert "Invalid input 'RETRUN'" in error.message and "RETURN" in error.message
    assert error.context == "MATCH (n) RETRUN n\n          ^"


def test_a_word_after_the_final_semicolon_is_a_syntax_error_not_a_crash():
    error = syntax_error("MATCH (n) RETURN n; x")
    assert (error.line, error.column) == (1, 21)
    assert "Invalid input 'x'" in error.message and "the end of the query" in error.message


def test_caret_keeps_tabs_so_it_lines_up():
    error = syntax_error("RETURN\t1 ~ 2")
    assert error.context == "RETURN\t1 ~ 2\n      \t  ^"


@pytest.mark.parametrize(
    ("text", "detail", "column"),
    [
        ("RETURN 9223372036854775808", "IntegerOverflow", 8),
        ("RETURN -9223372036854775809", "IntegerOverflow", 8),
        ("RETURN 0x8000000000000000", "IntegerOverflow", 8),
        ("RETURN 12ab", "InvalidNumberLiteral", 8),
        ("RETURN 0x", "InvalidNumberLiteral", 8),
        ("RETURN 0o8", "InvalidNumberLiteral", 8),
        ("RETURN 1e999", "FloatingPointOverflow", 8),
        ("RETURN 'ab\\uZZ'", "InvalidUnicodeLiteral", 11),
        ("RETURN '\\q'", "InvalidEscapeSequence", 9),
        ("RETURN 'never closed", "UnexpectedSyntax", 8),
        ("MATCH (a)-[:R..]->(b) RETURN a", "InvalidRelationshipPattern", 14),
        ("MATCH (a)-[*-2]->(b) RETURN a", "InvalidRelationshipPattern", 13),
        ("MATCH (a)-[*1.5]->(b) RETURN a", "InvalidRelationshipPattern", 13),
        ("RETURN [, ]", "UnexpectedSyntax", 9),
        ("RETURN count(1)(*)", "UnexpectedSyntax", 16),
        ("RETURN foo(*)", "UnexpectedSyntax", 8),
        ("MATCH (n) SET n", "UnexpectedSyntax", 15),
        ("MATCH (n) WHERE (1 + 2)-->() RETURN n", "UnexpectedSyntax", 17),
    ],
)
def test_syntax_error_details(text, detail, column):
    error = syntax_error(text)
    assert (error.detail_code, error.column) == (detail, column)
    assert error.context.splitlines()[1] == " " * (column - 1) + "^"


def test_deep_nesting_is_a_syntax_error_not_a_crash():
    parse("RETURN " + "[" * 100 + "]" * 100)
    parse("RETURN " + " OR ".join(["true"] * 100))
    for text in ("RETURN " + "[" * 5000 + "]" * 5000, "RETURN " + " + ".join(["1"] * 1000)):
        with pytest.raises(QuerySyntaxError) as caught:
            parse(text)
        assert "nests more than" in caught.value.message


# ---------------------------------------------------------------- properties


@given(st.integers(INT64_MIN, INT64_MAX))
def test_integers_in_range_parse_back(value):
    assert expression(str(value)) in (Literal(value), Unary("-", Literal(-value)))


@given(st.integers(0, INT64_MAX))
def test_hex_and_octal_parse_back(value):
    assert expression(hex(value)) == Literal(value)
    assert expression(f"0o{value:o}") == Literal(value)


@given(st.one_of(st.integers(INT64_MAX + 1, 2**80), st.integers(-(2**80), INT64_MIN - 1)))
def test_integers_out_of_range_overflow(value):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(f"RETURN {value}")
    assert caught.value.detail_code == "IntegerOverflow"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_parse_back(value):
    assert expression(repr(value)) == Literal(value)


def cypher_string(text: str, quote: str, escape_all: bool) -> str:
    """Write ``text`` as a Cypher string literal, escaping what must be (or, with escape_all, everything)."""
    out = []
    for ch in text:
        if escape_all:
            out.append(f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}")
        elif ch in ("\\", quote):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return quote + "".join(out) + quote


@given(st.text(), st.sampled_from(["'", '"']), st.booleans())
def test_strings_parse_back(value, quote, escape_all):
    assert expression(cypher_string(value, quote, escape_all)) == Literal(value)


@given(st.text(min_size=1))
def test_backtick_names_parse_back(name):
    quoted = "`" + name.replace("`", "``") + "`"
    match, ret = clauses(f"MATCH (n:{quoted}) RETURN n.{quoted} AS {quoted}")
    assert match.pattern.parts[0].elements[0].labels == (name,)
    assert ret.projection.items[0].expression == PropertyAccess(n, name)
    assert ret.projection.items[0].alias == name


KEYWORD_QUERY = (
    "MATCH (n:Person) WHERE n.age IS NOT NULL AND NOT n.x IN [1] "
    "RETURN DISTINCT n.name AS name ORDER BY name DESC LIMIT 3"
)
KEYWORDS = {
    "MATCH",
    "WHERE",
    "IS",
    "NOT",
    "NULL",
    "AND",
    "IN",
    "RETURN",
    "DISTINCT",
    "AS",
    "ORDER",
    "BY",
    "DESC",
    "LIMIT",
}


@given(st.lists(st.booleans(), min_size=len(KEYWORD_QUERY), max_size=len(KEYWORD_QUERY)))
def test_keywords_are_case_insensitive(upper):
    def recase(match: re.Match) -> str:
        word = match.group(0)
        if word not in KEYWORDS:
            return word
        start = match.start()
        return "".join(c.upper() if upper[start + i] else c.lower() for i, c in enumerate(word))

    assert bare(parse(re.sub(r"\w+", recase, KEYWORD_QUERY))) == bare(parse(KEYWORD_QUERY))


expressions_text = st.recursive(
    st.sampled_from(["1", "x", "n.name", "'s'", "$p", "[1, 2]", "count(*)", "null"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" + ", " * ", " - ", " AND ", " = ", " < ", "^"]), inner).map("".join),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"toString({e})"),
        inner.map(lambda e: f"[{e}, {e}]"),
    ),
    max_leaves=8,
)


@given(expressions_text)
def test_projection_text_round_trips(text):
    item = parse(f"WITH 1 AS x, {{name: 2}} AS n RETURN {text}, 1").body.parts[0].clauses[1].projection.items[0]
    assert item.text == text
    assert bare(parse(f"RETURN {item.text}").body.parts[0].clauses[0].projection.items[0].expression) == bare(
        item.expression
    )


# ---------------------------------------------------------------- compile-time checks


def check_text(text: str, **options) -> None:
    check(parse(text), text, **options)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("MATCH (n) RETURN m", "UndefinedVariable"),
        ("MATCH (n) WITH n.x RETURN 1", "NoExpressionAlias"),
        ("RETURN 1 AS a, 2 AS a", "ColumnNameConflict"),
        ("MATCH (n) RETURN n.x, count(*) ORDER BY n.y", "UndefinedVariable"),
        ("MATCH (n) WHERE count(n) > 1 RETURN n", "InvalidAggregation"),
        ("RETURN count(count(*))", "NestedAggregation"),
        ("MATCH (n) RETURN n.x + count(*)", "AmbiguousAggregationExpression"),
        ("RETURN foo(1)", "UnknownFunction"),
        ("RETURN size(1, 2)", "InvalidNumberOfArguments"),
        ("MATCH (n) RETURN n SKIP -1", "NegativeIntegerArgument"),
        ("MATCH (n) RETURN n LIMIT n.x", "NonConstantExpression"),
        ("MATCH (n)", "InvalidClauseComposition"),
        ("CREATE (a) MATCH (b) RETURN b", "InvalidClauseComposition"),
        ("MATCH (a) RETURN a MATCH (b) RETURN b", "InvalidClauseComposition"),
        ("RETURN 1 AS a UNION RETURN 1 AS b", "DifferentColumnsInUnion"),
        ("MATCH (n) RETURN (n)-->()", "UnexpectedSyntax"),
        ("MATCH (a) MERGE (a)", "VariableAlreadyBound"),
        ("MATCH (a) CREATE (a:Foo)", "VariableAlreadyBound"),
        ("MATCH ()-[r]->() MATCH (r) RETURN r", "VariableTypeConflict"),
        ("MATCH (a)-[r]->()-[r]->(a) RETURN r", "RelationshipUniquenessViolation"),
        ("CREATE ()-[:A|:B]->()", "NoSingleRelationshipType"),
        ("CREATE (a)-[:A]-(b)", "RequiresDirectedRelationship"),
        ("CREATE (a)-[:A*2]->(b)", "CreatingVarLength"),
        ("MATCH (n $p) RETURN n", "InvalidParameterUse"),
        ("MATCH (n) DELETE n:Person", "InvalidDelete"),
        ("RETURN NOT 1", "InvalidArgumentType"),
        ("MATCH p = ()-->() RETURN labels(p)", "InvalidArgumentType"),
        ("MATCH () RETURN *", "NoVariablesInScope"),
        ("MATCH (n) WHERE exists { MATCH (n)-->(m) SET m.x = 1 } RETURN n", "InvalidClauseComposition"),
    ],
)
def test_compile_time_errors(text, detail):
    with pytest.raises(QuerySyntaxError) as caught:
        check_text(text)
    assert caught.value.detail_code == detail
    assert caught.value.context is not None


def test_compile_time_error_points_at_the_culprit():
    with pytest.raises(QuerySyntaxError) as caught:
        check_text("MATCH (n)\nRETURN n.name, missing")
    error = caught.value
    assert (error.line, error.column) == (2, 16)
    assert "missing" in error.message
    assert error.context == "RETURN n.name, missing\n               ^"


def test_property_of_a_plain_value_is_a_type_error():
    with pytest.raises(QueryTypeError) as caught:
        check_text("WITH 123 AS x RETURN x.num")
    assert caught.value.detail_code == "InvalidArgumentType"


def test_procedure_signatures_check_call_arguments():
    procedures = {"my.proc": ProcedureSignature((("in", "INTEGER?"),), (("out", "STRING?"),))}
    check_text("CALL my.proc(1) YIELD out RETURN out", procedures=procedures)
    check_text("CALL my.proc", procedures=procedures)
    for text, detail in [
        ("CALL my.proc(1, 2)", "InvalidNumberOfArguments"),
        ("CALL my.proc('a')", "InvalidArgumentType"),
        ("CALL my.proc YIELD out RETURN out", "InvalidArgumentPassingMode"),
    ]:
        with pytest.raises(QuerySyntaxError) as caught:
            check_text(text, procedures=procedures)
        assert caught.value.detail_code == detail


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (n) WITH n MATCH (n)-[r]->(m) RETURN r",
        "MERGE (a:Person {name: 'x'}) ON CREATE SET a.created = timestamp() RETURN a",
        "MATCH (n) RETURN n.name AS name, count(*) AS c ORDER BY c DESC, name",
        "MATCH (n) RETURN DISTINCT n.name ORDER BY n.name",
        "MATCH (n) RETURN n.x, count(*) ORDER BY count(*)",
        "MATCH (me)--(you) RETURN me.age, me.age + count(you.age)",
        "MATCH (a) WITH a.name AS name WHERE a.x = 1 RETURN name",
        "MATCH p = shortestPath((a)-[*]-(b)) RETURN p, length(p), nodes(p)",
        "UNWIND $rows AS row MERGE (n:Thing {id: row.id}) SET n += row",
        "MATCH (a {id: 1}), (b {id: 2}) MERGE (a)-[r:LINK]-(b) RETURN r",
        "MATCH (n) RETURN invoke(n, {x: 5}), substrate_id(n), id(n), expression(n)",
        "MATCH (a)-[r:KNOWS*1..3]->(b) RETURN size(r), [x IN r | type(x)]",
        "MATCH (n) WHERE NOT (n)-[:X]->(:Y) AND exists((n)<--()) RETURN n",
        "MATCH (n) WHERE EXISTS { (n)-->(m) WHERE m.x = 1 } RETURN [(n)-->(k) | k.name]",
        "CREATE (a) UNWIND [1, 2] AS x RETURN x",
        "CALL db.labels() YIELD label RETURN label",
        "MATCH (n) WITH n SKIP toInteger(rand() * 9) RETURN n",
        "CREATE INDEX FOR (n:Person) ON (n.name)",
    ],
)
def test_valid_queries_pass_the_checks(text):
    check_text(text)


def test_aggregate_helpers():
    assert {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "collect",
        "percentilecont",
        "percentiledisc",
        "stdev",
        "stdevp",
    } == {name for name, function in FUNCTIONS.items() if function.aggregate is not None}
    assert (FUNCTIONS["invoke"].fewest, FUNCTIONS["invoke"].most) == (2, 2)
    assert is_aggregate(expression("count(*)")) and is_aggregate(expression("percentileCont(x, 0.5)"))
    assert not is_aggregate(expression("size(collect(x))"))
    assert contains_aggregate(expression("size(collect(x)) + 1"))
    assert not contains_aggregate(expression("n.age + 1"))
    assert not contains_aggregate(expression("EXISTS { MATCH (n) RETURN count(*) }"))


# ---------------------------------------------------------------- the openCypher TCK


@dataclasses.dataclass(frozen=True)
class TckQuery:
    """One query of a TCK scenario, with the compile-time error the TCK expects of it, if any."""

    feature: str
    scenario: str
    key: str  # the scenario's key, as tests/tck/known_passing.txt writes it
    text: str
    error: tuple[str, str] | None  # (error class, detail code), for compile-time errors the front end owns
    procedures: dict


# The TCK's compile-time error classes and the exception the front end raises for each.
FRONT_END_ERRORS = {"SyntaxError": QuerySyntaxError, "SemanticError": QuerySemanticError, "TypeError": QueryTypeError}
EXPECTED_ERROR = re.compile(r"an? (\w+) should be raised at (compile time|runtime|any time): (\w+|\*)")
PROCEDURE = re.compile(r"there exists a procedure ([\w.]+)\((.*?)\) :: \((.*?)\)\s*:")


def read_signature(inputs: str, outputs: str) -> ProcedureSignature:
    def fields(text: str) -> tuple[tuple[str, str], ...]:
        return tuple(tuple(part.strip() for part in field.split("::")) for field in text.split(",") if field.strip())

    return ProcedureSignature(fields(inputs), fields(outputs))


@functools.cache
def tck_queries() -> tuple[TckQuery, ...]:
    """Read every query of the TCK's feature files, with Scenario Outline examples filled in."""
    from gherkin.parser import Parser
    from gherkin.token_scanner import TokenScanner

    found = []
    for path in sorted(TCK_FEATURES.rglob("*.feature")):
        feature = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))["feature"]
        for child in feature["children"]:
            scenario = child.get("scenario")
            if scenario is None:
                continue
            rows: list[dict] = [{}]
            if scenario.get("examples"):
                rows = [
                    dict(zip([c["value"] for c in table["tableHeader"]["cells"]], [c["value"] for c in row["cells"]]))
                    for table in scenario["examples"]
                    for row in table["tableBody"]
                ]
            for index, row in enumerate(rows):
                found.extend(scenario_queries(path, scenario, row, index if scenario.get("examples") else None))
    return tuple(found)


def scenario_queries(path: Path, scenario: dict, row: dict, example: int | None) -> list[TckQuery]:
    def fill(text: str) -> str:
        for key, value in row.items():
            text = text.replace(f"<{key}>", value)
        return text

    steps = scenario["steps"]
    error = None
    procedures = {}
    for step in steps:
        expected = EXPECTED_ERROR.match(step["text"])
        if expected and expected.group(2) == "compile time" and expected.group(1) in FRONT_END_ERRORS:
            error = (expected.group(1), expected.group(3))
        declared = PROCEDURE.match(step["text"])
        if declared:
            procedures[declared.group(1)] = read_signature(declared.group(2), declared.group(3))
    feature = path.relative_to(TCK_FEATURES).as_posix()
    name = fill(scenario["name"])
    key = "::".join([feature, scenario["name"].strip()] + ([] if example is None else [str(example)]))
    queries = []
    for step in steps:
        if "docString" not in step:
            continue
        # Setup queries ("having executed") must always be valid; only the query under test may fail.
        failing = error if step["text"].startswith("executing") else None
        queries.append(TckQuery(feature, name, key, fill(step["docString"]["content"]), failing, procedures))
    return queries


def tck_outcome(query: TckQuery) -> Exception | None:
    """Parse and check one TCK query; return the front-end error it raised, if any."""
    try:
        check(parse(query.text), query.text, query.procedures)
    except (QuerySyntaxError, QuerySemanticError, QueryTypeError) as error:
        return error
    return None


def tck_features() -> list[str]:
    if not TCK_FEATURES.is_dir():
        return []
    return sorted(str(p.relative_to(TCK_FEATURES)) for p in TCK_FEATURES.rglob("*.feature"))


needs_tck = pytest.mark.skipif(not TCK_FEATURES.is_dir(), reason=f"the openCypher TCK is not at {TCK_FEATURES}")


@needs_tck
@pytest.mark.parametrize("feature", tck_features())
def test_tck_feature(feature):
    """Valid queries parse and pass the checks; queries the TCK rejects at compile time are rejected alike."""
    problems = []
    for query in (q for q in tck_queries() if q.feature == feature):
        outcome = tck_outcome(query)
        if query.error is None:
            if outcome is not None:
                problems.append(f"{query.scenario}: rejected a valid query: {outcome.message}\n{query.text}")
            continue
        category, detail = query.error
        if not isinstance(outcome, FRONT_END_ERRORS[category]) or outcome.detail_code != detail:
            got = "nothing" if outcome is None else f"{type(outcome).__name__} {outcome.detail_code}"
            problems.append(f"{query.scenario}: expected {category} {detail}, got {got}\n{query.text}")
    assert not problems, "\n\n".join(problems)


@needs_tck
def test_tck_coverage(capsys):
    """Hold the front end to the TCK: every valid query passes, and in every scenario known to pass
    (tests/tck/known_passing.txt) the compile-time error is caught with the TCK's detail code."""
    known = read_known_passing(KNOWN_PASSING)
    queries = tck_queries()
    valid = [q for q in queries if q.error is None]
    failing = [q for q in queries if q.error is not None]
    rejected = [f"{q.key}: {outcome.message}" for q in valid if (outcome := tck_outcome(q)) is not None]
    missed = []
    for query in failing:
        outcome = tck_outcome(query)
        if outcome is None or outcome.detail_code != query.error[1]:
            got = "nothing" if outcome is None else outcome.detail_code
            missed.append(f"{query.key}: expected {query.error[1]}, got {got}")
    with capsys.disabled():
        print(
            f"\nTCK front end: {len(valid) - len(rejected)}/{len(valid)} valid queries parse and check; "
            f"{len(failing) - len(missed)}/{len(failing)} compile-time errors caught with the right detail code"
        )
    assert {q.key for q in queries} & known, "no TCK query belongs to a known-passing scenario: keys differ?"
    lost = [line for line in missed if line.split(": expected")[0] in known]
    assert not rejected, "valid TCK queries rejected:\n" + "\n".join(rejected)
    assert not lost, "compile-time errors of known-passing scenarios no longer caught:\n" + "\n".join(lost)
