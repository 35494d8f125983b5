"""The syntax tree's one way of looking through itself: children, walk and shape."""

from __future__ import annotations

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
