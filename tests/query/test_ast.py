"""The syntax tree: its nodes (frozen dataclasses) and its one way of looking through itself: children, walk, shape."""

from __future__ import annotations

import dataclasses

import pytest

from bfxdb.query import ast
from bfxdb.query.parser import parse


def expression(text: str) -> ast.Node:
    body = parse(f"RETURN {text} AS x").body
    assert isinstance(body, ast.Query)
    clause = body.parts[0].clauses[0]
    assert isinstance(clause, ast.Return)
    return clause.projection.items[0].expression


def test_children_are_the_nodes_below_in_source_order():
    case = expression("CASE WHEN a THEN b ELSE c END")
    assert [child.name for child in ast.children(case) if isinstance(child, ast.Variable)] == ["a", "b", "c"]
    assert [child.name for child in ast.children(expression("{k: v, j: w}"))] == ["v", "w"]


def test_walk_goes_depth_first_in_source_order():
    names = [node.name for node in ast.walk(expression("f(a + b, g(c))")) if isinstance(node, ast.Variable)]
    assert names == ["a", "b", "c"]


def test_walk_does_not_enter_below_a_node_refused_by_enter():
    tree = expression("f(a, g(b))")
    nodes = list(ast.walk(tree, enter=lambda node: not (isinstance(node, ast.FunctionCall) and node.name == "g")))
    assert [node.name for node in nodes if isinstance(node, ast.Variable)] == ["a"]
    assert any(isinstance(node, ast.FunctionCall) and node.name == "g" for node in nodes)


def test_walk_reaches_a_whole_statement():
    statement = parse("MATCH (n {k: $a}) WHERE n.x = $b RETURN $c")
    assert {node.name for node in ast.walk(statement) if isinstance(node, ast.Parameter)} == {"a", "b", "c"}


def test_shape_ignores_positions_and_the_case_of_function_names():
    assert ast.shape(expression("count(n.x)")) == ast.shape(expression("  COUNT( n.x )"))
    assert ast.shape(expression("n.x + 1")) != ast.shape(expression("n.x + 2"))


def test_shape_keeps_the_type_of_values():
    shapes = {ast.shape(expression(text)) for text in ("1", "1.0", "true")}
    assert len(shapes) == 3


def test_rewrite_replaces_top_down_and_shares_what_does_not_change():
    tree = expression("f(a, [b, c])")
    assert isinstance(tree, ast.FunctionCall)
    rewritten = ast.rewrite(tree, lambda node: ast.Literal(1) if node == tree.args[0] else None)
    assert isinstance(rewritten, ast.FunctionCall)
    assert rewritten.args[0] == ast.Literal(1) and rewritten.args[1] is tree.args[1]
    assert ast.rewrite(tree, lambda node: None) is tree


def test_rewrite_leaves_below_a_node_refused_by_enter():
    def to_b(node: ast.Node) -> ast.Node | None:
        return ast.Variable("b") if isinstance(node, ast.Variable) else None

    def outside_g(node: ast.Node) -> bool:
        return not (isinstance(node, ast.FunctionCall) and node.name == "g")

    rewritten = ast.rewrite(expression("f(a, g(a))"), to_b, enter=outside_g)
    assert [node.name for node in ast.walk(rewritten) if isinstance(node, ast.Variable)] == ["b", "a"]


#: Every class of node, not their base.
NODE_CLASSES = [
    kind
    for kind in vars(ast).values()
    if isinstance(kind, type) and issubclass(kind, ast.Node) and kind is not ast.Node
]
#: Queries whose trees hold nodes of many classes, for comparing the nodes with plain dataclasses.
VARIED_QUERIES = (
    "MATCH p = (a:A {k: $v})-[r:T*1..2]->(b) WHERE a.x IN [1, 2.5, 'z'] AND NOT b:B "
    "WITH a, count(*) AS c, collect(DISTINCT b.y)[0..2] AS ys ORDER BY c DESC SKIP 1 LIMIT 3 "
    "RETURN a {.x, k: c}, [y IN ys WHERE y IS NOT NULL | y + 1], CASE c WHEN 1 THEN true ELSE null END",
    "UNWIND range(1, 3) AS i MERGE (n:N {i: i}) ON CREATE SET n.c = 1 ON MATCH SET n += {m: 2} "
    "REMOVE n:Old DETACH DELETE n",
    "MATCH (a), (b) CALL db.labels() YIELD label RETURN shortestPath((a)-[*]-(b)), label, "
    "exists { MATCH (a)--() }, reduce(s = 0, x IN [1] | s + x) UNION ALL RETURN 1, 2, 3, 4",
)


_REFERENCES: dict[type, type] = {}


def _reference_of(node: ast.Node) -> object:
    """The same values in a frozen dataclass of the same name, with every method @dataclass generates."""
    names = [field.name for field in dataclasses.fields(node)]
    kind = _REFERENCES.get(type(node))
    if kind is None:
        kind = _REFERENCES[type(node)] = dataclasses.make_dataclass(type(node).__name__, names, frozen=True)
    return kind(*(getattr(node, name) for name in names))


@pytest.mark.parametrize("kind", NODE_CLASSES, ids=lambda kind: kind.__name__)
def test_node_classes_are_slotted_frozen_dataclasses_that_inherit_eq_hash_and_repr(kind):
    assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen
    assert "__slots__" in vars(kind)
    # Generated per class they were most of the query engine's import time (see ast.Node).
    assert not {"__eq__", "__hash__", "__repr__"} & set(vars(kind))


def test_nodes_compare_hash_and_print_as_the_frozen_dataclasses_they_are():
    nodes = [node for text in VARIED_QUERIES for node in ast.walk(parse(text))]
    assert len({type(node) for node in nodes}) >= 35
    references = [_reference_of(node) for node in nodes]
    for node, reference in zip(nodes, references):
        assert repr(node) == repr(reference)
        assert hash(node) == hash(reference)
    for node, reference in zip(nodes, references):
        assert [node == other for other in nodes] == [reference == other for other in references]
        assert [node != other for other in nodes] == [reference != other for other in references]


def test_equal_trees_are_equal_node_for_node_and_positions_count():
    text = VARIED_QUERIES[0]
    first, second = parse(text), parse.__wrapped__(text)
    assert first is not second and first == second and hash(first) == hash(second)
    moved = dataclasses.replace(first, pos=(9, 9))
    assert moved != first and ast.shape(moved) == ast.shape(first)
    assert ast.Variable("x") != ast.Parameter("x") and ast.Variable("x") != "x"


def test_a_node_cannot_be_changed():
    node = ast.Variable("x", (1, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.name = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del node.name  # type: ignore[misc]
    assert not hasattr(node, "__dict__")
