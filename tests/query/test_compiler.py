"""Golden tests of the pattern compiler: a pattern in, (SQL, parameters) out, no database."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb.query import ast, prepare
from bfxdb.query.compiler import MatchSpec, compile_match
from bfxdb.query.evaluator import compile_expression
from bfxdb.query.operators import CountPushdown, DirectReturn, MatchOp, OrderedLimit
from bfxdb.query.runtime import Context
from bfxdb.storage import IDENTITY_OF, NODE_OF, is_simple_key, json_path_literal, quote_identifier


def _identity(node: str) -> str:
    return IDENTITY_OF.format(node)


def _node(identity: str) -> str:
    return NODE_OF.format(identity)


def _name(name: str) -> str:
    # a label or type is a parameter that bind() turns into its id
    return name


class _Names:
    """A store that only knows the ids of some label and type names, in SQLite's dialect."""

    dialect = "sqlite"

    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = ids

    def name_ids(self, names: list[str]) -> dict[str, int]:
        return self.ids


NODE_COLUMNS = (
    "{a}.identity, {a}.expression_type, {a}.expression_code, {a}.metadata, {a}.created_at, "
    "(SELECT group_concat(n.name, CAST(X'1F' AS TEXT)) FROM substrate_labels AS l JOIN names AS n ON n.id = l.label "
    "WHERE l.node = {a}.node)"
)


def compile_parts(*parts: ast.PatternPart, outer=frozenset(), fetch=frozenset(), keep=None, reach=False):
    spec = MatchSpec(tuple(parts), frozenset(outer), frozenset(fetch), keep, reach=reach)
    return compile_match(spec, compile_expression)


def first_match_plan(query: str):
    """The MatchPlan of the first operator of a prepared query."""
    op = prepare(query).plan.pipelines[0].ops[0]
    if isinstance(op, (CountPushdown, DirectReturn)):
        op = op.match
    assert isinstance(op, MatchOp)
    return op.plan


def test_single_labelled_node_scans_the_label_index():
    part = ast.PatternPart((ast.NodePattern("n", ("Person",)),))
    plan = compile_parts(part, keep=frozenset({"n"}))
    assert plan.render(()) == (
        f"SELECT {_identity('l1.node')} FROM substrate_labels AS l1 WHERE l1.label = {_name(':c2')}"
    )
    assert plan.params == {"c2": "Person"}


def test_fetched_node_selects_its_data_columns():
    part = ast.PatternPart((ast.NodePattern("n"),))
    plan = compile_parts(part, fetch={"n"}, keep=frozenset({"n"}))
    assert plan.render(()) == f"SELECT {NODE_COLUMNS.format(a='n1')} FROM substrates AS n1"
    assert plan.outputs == {"n": ("node", 0, True)}


def test_directed_hop_takes_node_ids_from_relationship_columns():
    part = ast.PatternPart(
        (ast.NodePattern("a"), ast.RelPattern("r", ("KNOWS",), "out"), ast.NodePattern("b"))
    )
    plan = compile_parts(part, keep=frozenset({"a", "b"}))
    assert plan.render(()) == (
        f"SELECT {_identity('r1.source')}, {_identity('r1.target')} "
        "FROM relationships AS r1 WHERE r1.rel_type = :c2"
    )
    assert plan.params == {"c2": "KNOWS"}


def test_bound_node_becomes_a_parameter_read_from_the_row():
    part = ast.PatternPart((ast.NodePattern("a"), ast.RelPattern(None, (), "in"), ast.NodePattern("b")))
    plan = compile_parts(part, outer={"a"}, keep=frozenset({"b"}))
    assert plan.render(()) == (
        f"SELECT {_identity('r2.source')} FROM relationships AS r2 WHERE r2.target = {_node(':s3')}"
    )
    assert [name for name, _ in plan.sources] == ["s3"]


def test_undirected_hop_matches_either_orientation():
    part = ast.PatternPart((ast.NodePattern("a"), ast.RelPattern("r", (), "both"), ast.NodePattern("b")))
    plan = compile_parts(part, keep=frozenset({"a", "b"}))
    assert plan.render(()) == (
        f"SELECT n2.identity, {_identity('(CASE WHEN r1.source = n2.node THEN r1.target ELSE r1.source END)')} "
        "FROM substrates AS n2, relationships AS r1 WHERE (r1.source = n2.node OR r1.target = n2.node)"
    )


def test_two_hops_are_relationship_unique():
    part = ast.PatternPart(
        (
            ast.NodePattern("a"),
            ast.RelPattern(None, (), "out"),
            ast.NodePattern("b"),
            ast.RelPattern(None, (), "out"),
            ast.NodePattern("c"),
        )
    )
    sql = compile_parts(part, keep=frozenset({"c"})).render(())
    assert sql == (
        "SELECT (SELECT identity FROM substrates WHERE node = r4.target) FROM relationships AS r3, relationships AS r4 "
        "WHERE r4.source = r3.target AND r3.identity <> r4.identity"
    )


def test_id_pushdown_turns_where_into_a_parameter():
    plan = first_match_plan("MATCH (a)-[r]->(b) WHERE id(a) = $id RETURN b")
    assert plan.render(()) == (
        f"SELECT {NODE_COLUMNS.format(a='n3')} FROM substrates AS n3, relationships AS r1 "
        "WHERE r1.source = (SELECT node FROM substrates WHERE identity = :s2) AND r1.target = n3.node"
    )


def test_count_of_reachable_nodes_is_one_statement_over_a_reachability_cte():
    op = prepare("MATCH (a)-[*1..3]->(b) WHERE id(a) = $id RETURN count(DISTINCT b)").plan.pipelines[0].ops[0]
    assert isinstance(op, CountPushdown)
    cte = (
        f"WITH RECURSIVE v2(start, node, depth) AS (SELECT {_node(':s3')}, {_node(':s3')}, 0 "
        "UNION SELECT v2.start, e.target, v2.depth + 1 FROM v2 "
        "JOIN relationships AS e ON e.source = v2.node WHERE v2.depth < :c4) "
    )
    where = f" FROM v2 WHERE v2.start = {_node(':s3')} AND v2.depth >= :c5"
    assert op.match.plan.render((), "b") == f"{cte}SELECT DISTINCT b{where}"
    # a count is one row: no DISTINCT over it
    assert op.match.plan.render((), "count(DISTINCT b)", aggregate=True) == f"{cte}SELECT count(DISTINCT b){where}"
    assert op.match.plan.params == {"c4": 3, "c5": 1}


def test_a_walk_that_may_stay_put_looks_its_seed_up():
    # With a minimum of 0 hops the seed itself is a match, so it must exist.
    op = prepare("MATCH (a)-[*0..3]->(b) WHERE id(a) = $id RETURN count(DISTINCT b)").plan.pipelines[0].ops[0]
    assert f"FROM substrates AS s WHERE s.node = {_node(':s3')}" in op.match.plan.render((), "count(DISTINCT b)")


def test_reachability_from_a_missing_id_counts_nothing():
    with bfxdb.connect() as db:
        db.query("CREATE (:A)-[:T]->(:B)")
        for low in (0, 1):
            query = f"MATCH (a)-[*{low}..3]->(b) WHERE id(a) = $id RETURN count(DISTINCT b) AS c"
            assert db.query(query, {"id": 12345}).rows == [(0,)]


def test_variable_length_with_a_relationship_variable_walks_trails():
    plan = first_match_plan("MATCH (a)-[rs:T*2..]->(b) RETURN rs")
    sql = plan.render(())
    assert "UNION ALL" in sql
    assert "instr(v1.rels, ',' || e.identity || ',') = 0" in sql
    assert "e.rel_type = :c" in sql
    assert sorted(plan.params.values(), key=str) == [2, 64, "T"]


def test_walk_starts_from_the_more_constrained_end():
    sql = first_match_plan("MATCH (a)-[*]->(b:B) RETURN a").render(())
    assert "JOIN relationships AS e ON e.target = v2.node" in sql
    assert "FROM substrate_labels AS s WHERE s.label = :c" in sql


def test_walk_is_seeded_from_the_rows_of_an_inline_property_filter():
    plan = first_match_plan("MATCH (a:Person {pid: $p})-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)")
    pid = "json_extract(s.metadata, '$.\"pid\"')"
    assert plan.render(("str", "str")).startswith(
        "WITH RECURSIVE v2(start, node, depth) AS (SELECT s.node, s.node, 0 FROM substrates AS s "
        f"WHERE ({pid} = :f1 AND json_type(s.metadata, '$.\"pid\"') = 'text') "
        f"AND EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = s.node AND l.label = {_name(':c5')}) "
        "UNION SELECT v2.start, e.target, v2.depth + 1 FROM v2 JOIN relationships AS e ON e.source = v2.node "
        "WHERE v2.depth < :c6 AND e.rel_type = :c7)"
    )
    assert plan.params == {"c4": "Person", "c5": "Person", "c6": 3, "c7": "KNOWS", "c8": 1}
    assert [flt.column for flt in plan.filters] == ["n3.metadata", "s.metadata"]


def test_walk_is_seeded_from_a_where_equality_at_its_far_end_and_walks_backwards():
    plan = first_match_plan("MATCH (c)-[:KNOWS*1..2]->(a:Person) WHERE a.pid = 'p5' RETURN DISTINCT c")
    sql = plan.render(("str", "str"))
    assert "FROM substrates AS s WHERE (json_extract(s.metadata, '$.\"pid\"') = :f1 " in sql
    assert "SELECT v2.start, e.source, v2.depth + 1 FROM v2 JOIN relationships AS e ON e.target = v2.node" in sql


def test_a_property_filter_outranks_a_label_as_the_seed():
    sql = first_match_plan("MATCH (a:Person)-[:KNOWS*1..2]->(b {pid: 'p1'}) RETURN a").render(("str", "str"))
    assert "JOIN relationships AS e ON e.target = v2.node" in sql
    assert "FROM substrates AS s WHERE (json_extract(s.metadata, '$.\"pid\"') = :f1" in sql


def test_walk_after_a_fixed_hop_is_seeded_from_the_neighbours_of_the_filtered_node():
    plan = first_match_plan("MATCH (a:P {pid: $p})-[:K]->(b)-[:K*1..2]->(c) RETURN count(DISTINCT c)")
    assert plan.render(("str", "str")).startswith(
        "WITH RECURSIVE v4(start, node, depth) AS (SELECT DISTINCT s.target, s.target, 0 FROM relationships AS s "
        f"WHERE s.rel_type = {_name(':c8')} AND s.source IN (SELECT t.node FROM substrates AS t WHERE "
        "(json_extract(t.metadata, '$.\"pid\"') = :f1 AND json_type(t.metadata, '$.\"pid\"') = 'text') "
        f"AND EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = t.node AND l.label = {_name(':c9')})) "
        "UNION SELECT v4.start, e.target, v4.depth + 1 FROM v4 JOIN relationships AS e ON e.source = v4.node "
    )
    assert plan.params["c8"] == "K" and plan.params["c9"] == "P"
    assert plan.seeds == (
        "walk v4 seeded from b, the pattern's left end, by its neighbours across a fixed hop "
        "from a node with an id or property filters",
    )


def test_walk_before_a_fixed_hop_from_a_bound_node_is_seeded_from_its_neighbours():
    plan = compile_parts(
        ast.PatternPart(
            (
                ast.NodePattern("c"),
                ast.RelPattern(None, (), "out", length=(1, 2)),
                ast.NodePattern("b"),
                ast.RelPattern(None, ("K",), "in"),
                ast.NodePattern("a"),
            )
        ),
        outer={"a"},
        keep=frozenset({"c"}),
    )
    sql = plan.render(())
    seed = "SELECT DISTINCT s.target, s.target, 0, ',' FROM relationships AS s WHERE s.rel_type = "
    assert seed + ":c" in sql
    assert "AND s.source = (SELECT node FROM substrates WHERE identity = :s" in sql
    assert "JOIN relationships AS e ON e.target = v" in sql


def test_order_by_a_string_property_with_limit_goes_into_sql():
    op = prepare("MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3").plan.pipelines[0].ops[0]
    assert isinstance(op, OrderedLimit)
    plan = op.match.plan
    ordered = plan.render_ordered((), "n", "pid")
    pid = "json_extract(n1.metadata, '$.\"pid\"')"
    where = (
        " FROM substrates AS n1 WHERE EXISTS "
        f"(SELECT 1 FROM substrate_labels AS l WHERE l.node = n1.node AND l.label = {_name(':c2')}) AND "
    )
    check = (
        f"SELECT 1{where}(({pid} >= '[' AND {pid} < '\\') OR ({pid} >= '{{' AND {pid} < '|')) "
        "AND json_type(n1.metadata, '$.\"pid\"') IN ('array', 'object')"
    )
    # one statement: its last column tells whether a list or map orders before the strings
    assert ordered == (
        f"SELECT {NODE_COLUMNS.format(a='n1')}, EXISTS ({check}){where}{pid} >= '' "
        "ORDER BY {pid} LIMIT :o OFFSET :po".replace("{pid}", pid)
    )
    assert plan.params == {"c2": "Person"}


def test_order_by_an_alias_of_the_property_is_pushed_and_other_orders_are_not():
    def first_op(query: str):
        return prepare(query).plan.pipelines[0].ops[0]

    assert isinstance(first_op("MATCH (n) RETURN n.pid AS p ORDER BY p SKIP 2 LIMIT 3"), OrderedLimit)
    assert isinstance(first_op("MATCH (n) WITH n ORDER BY n.pid LIMIT 3 RETURN n"), OrderedLimit)
    for query in (
        "MATCH (n) RETURN n.pid ORDER BY n.pid DESC LIMIT 3",
        "MATCH (n) RETURN n.pid ORDER BY n.pid, n.x LIMIT 3",
        "MATCH (n) RETURN n.pid ORDER BY n.pid",
        "MATCH (n) RETURN DISTINCT n.pid ORDER BY n.pid LIMIT 3",
        "MATCH (n) RETURN count(*) AS c, n.pid ORDER BY n.pid LIMIT 3",
        "MATCH (n), (m) RETURN m AS n ORDER BY n.pid LIMIT 3",
        "MATCH (n) WHERE n.x + 1 > 2 RETURN n.pid ORDER BY n.pid LIMIT 3",
        "OPTIONAL MATCH (n) RETURN n.pid ORDER BY n.pid LIMIT 3",
    ):
        assert not isinstance(first_op(query), OrderedLimit), query


def test_where_ranges_lists_and_null_tests_become_sql_filters():
    plan = first_match_plan(
        "MATCH (n:P) WHERE n.pid >= $lo AND $hi > n.pid AND n.x IN ['a', 1, null] AND n.y IS NULL "
        "AND n.z IS NOT NULL RETURN n"
    )
    assert [(flt.key, flt.op) for flt in plan.filters] == [
        ("pid", ">="), ("pid", "<"), ("x", "IN"), ("y", "IS NULL"), ("z", "IS NOT NULL")
    ]

    def path(key: str) -> str:
        return f"n1.metadata, '$.\"{key}\"'"

    assert plan.render(("str", "num", "in", "is", "is")).endswith(
        "l.label = :c2) "
        f"AND (json_extract({path('pid')}) >= :f0 AND json_type({path('pid')}) = 'text') "
        f"AND (json_extract({path('pid')}) < :f1 AND json_type({path('pid')}) IN ('integer', 'real')) "
        f"AND (json_extract({path('x')}) IN (SELECT value FROM json_each(:f2)) "
        f"AND json_type({path('x')}) IN ('text', 'integer', 'real')) "
        f"AND (json_type({path('y')}) IS NULL OR json_type({path('y')}) = 'null') "
        f"AND json_type({path('z')}) <> 'null'"
    )
    params, kinds, python = plan.bind({}, Context(_Names({"P": 7}), {"lo": "a", "hi": 5}, lambda: None))
    assert kinds == ("str", "num", "in", "is", "is") and python == []
    # the label is bound as its id in the store's names
    assert params == {"c2": 7, "f0": "a", "f1": 5, "f2": '["a", 1]'}
    params, _, _ = plan.bind({}, Context(_Names({}), {"lo": "a", "hi": 5}, lambda: None))
    assert params["c2"] is None  # a label never used: the condition holds for no row


def test_filters_sql_cannot_test_exactly_are_checked_in_python():
    plan = first_match_plan("MATCH (n) WHERE n.a < $b AND n.c IN [true, 'x'] AND n.d > $e RETURN n")
    params, kinds, python = plan.bind({}, Context(_Names({}), {"b": True, "e": 2**60}, lambda: None))
    assert kinds == ("python", "python", "python")
    assert plan.bind({}, Context(_Names({}), {"b": None, "e": 1}, lambda: None)) is None  # n.a < null is never true


def test_property_filters_render_per_value_kind():
    plan = first_match_plan("MATCH (n {name: $x}) RETURN n")
    text_filter = "(json_extract(n1.metadata, '$.\"name\"') = :f0 AND json_type(n1.metadata, '$.\"name\"') = 'text')"
    assert text_filter in plan.render(("str",))
    assert "json_type(n1.metadata, '$.\"name\"') IN ('integer', 'real')" in plan.render(("num",))
    assert plan.render(("bool",)).endswith("WHERE json_type(n1.metadata, '$.\"name\"') = :f0")
    assert plan.render(("python",)).endswith("WHERE 1")


def test_an_equality_with_plain_text_drops_the_json_type_test_but_not_with_list_like_text():
    plan = first_match_plan("MATCH (n {name: $x}) RETURN n")
    assert plan.render(("text",)).endswith("WHERE json_extract(n1.metadata, '$.\"name\"') = :f0")
    assert plan.bind({}, Context(_Names({}), {"x": "p1"}, lambda: None))[1] == ("text",)
    assert plan.bind({}, Context(_Names({}), {"x": "[1]"}, lambda: None))[1] == ("str",)
    assert plan.bind({}, Context(_Names({}), {"x": "{}"}, lambda: None))[1] == ("str",)


def test_a_string_that_looks_like_a_stored_list_or_map_does_not_equal_it():
    db = bfxdb.connect(":memory:")
    db.query("CREATE (:P {v: [1]}), (:P {v: ['a']}), (:P {v: 1}), (:P {v: true}), (:P {v: 'true'}), (:P {v: '[1]'})")
    lookup = "MATCH (n:P {v: $t}) RETURN n.v"
    found = {text: db.query(lookup, {"t": text}).rows for text in ("[1]", '["a"]', "1", "true")}
    assert found == {"[1]": [("[1]",)], '["a"]': [], "1": [], "true": [("true",)]}


def test_keys_that_are_not_simple_travel_as_parameters():
    plan = first_match_plan("MATCH (n {`it's odd`: 1}) RETURN n")
    sql = plan.render(("num",))
    assert "odd" not in sql
    assert "json_extract(n1.metadata, :k0) = :f0" in sql


def test_quoting_functions():
    assert quote_identifier('we"ird') == '"we""ird"'
    assert json_path_literal("name") == "'$.\"name\"'"
    assert not is_simple_key("a'b")
    assert not is_simple_key('a"b')
    assert is_simple_key("_x1")


# ---------------------------------------------------------------- values never reach SQL text

_alphabet = string.ascii_letters + string.digits + " '\"\\;-_%$(){}[]"


def _cypher_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _rendered_sql(query: str) -> list[str]:
    texts = []
    for pipeline in prepare(query).plan.pipelines:
        for op in pipeline.ops:
            plan = getattr(op, "plan", None) or getattr(getattr(op, "match", None), "plan", None)
            if plan is not None:
                kinds = ("str",) * len(plan.filters)
                texts.append(plan.render(kinds))
    return texts


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(_alphabet, min_size=1, max_size=12),
    number=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    label=st.text(string.ascii_letters, min_size=1, max_size=8),
)
def test_literal_values_never_appear_in_sql_text(text: str, number: int, label: str) -> None:
    """The SQL text does not depend on literal values, labels or types: those are parameters."""
    template = (
        "MATCH (a:`{label}` {{name: {text}}})-[r:`{label}` {{w: {number}}}]->(b) "
        "WHERE b.title = {text} AND id(a) = {number} RETURN b"
    )
    query = template.format(label=label, text=_cypher_string(text), number=number)
    reference = template.format(label="L", text="'x'", number=1)
    assert _rendered_sql(query) == _rendered_sql(reference)
