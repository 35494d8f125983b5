"""Compile Cypher expressions into Python closures ``(row, ctx) -> value``, once per plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import QuerySemanticError, QueryTypeError
from . import ast
from .compiler import MatchSpec, compile_match, free_variables
from .functions import FUNCTIONS, regex_match
from .runtime import Context
from .semantics import is_aggregate
from .sqlplan import MatchPlan
from .temporal import TEMPORAL_TYPES, component
from .values import (
    UNORDERED,
    NodeRef,
    RelRef,
    add,
    compare,
    divide,
    equals,
    estimate_size,
    modulo,
    multiply,
    negate,
    power,
    subtract,
    type_name,
)

Evaluator = Callable[[dict, Context], Any]

#: Python-side loops (comprehensions, reduce, quantifiers) check the deadline once per this many
#: steps plus one: a power of two less one, so the test is a mask.
_CHECK_EVERY = 1023
#: A list a comprehension builds is estimated, and the deadline checked, once per this many
#: steps plus one, and when done: an estimate costs about as much as a few dozen steps.
_ESTIMATE_EVERY = 63


class Subquery(Protocol):
    """A planned subquery: runs from the enclosing row."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns its RETURN gives (none without one)."""
        ...

    def run_from(self, row: dict, ctx: Context, limit: int | None = None) -> list[dict]:
        """Run from one row; at most ``limit`` result rows."""
        ...

    def stream_from(self, row: dict, ctx: Context) -> Iterator[dict]:
        """Yield the result rows from one row as they are pulled."""
        ...


#: Plans the query of ``EXISTS { ... }``, ``COUNT { ... }`` or ``COLLECT { ... }`` against the enclosing row.
SubqueryPlanner = Callable[[ast.Query, frozenset[str]], Subquery]


@dataclass(frozen=True, slots=True)
class ExpressionCompiler:
    """Compile expressions into closures evaluated against a row and a run context, once per plan.

    The planner makes the compiler it uses with its own ``plan_subquery``, so that an
    ``EXISTS { MATCH ... }`` inside an expression is planned like any query; this module
    never needs the planner. Without one, such a subquery is refused.
    """

    plan_subquery: SubqueryPlanner | None = None

    def __call__(self, expr: Any, scope: frozenset[str]) -> Evaluator:
        """Compile one expression.

        :param expr: an ast expression (aggregates must already be replaced by variables).
        :param scope: the variables bound in the rows it will see.
        :returns: ``f(row, ctx) -> value``.
        :raises QuerySemanticError: for constructs that cannot appear here (e.g. an aggregate).
        """
        method = _COMPILERS.get(type(expr))
        if method is None:
            raise QuerySemanticError(f"unsupported expression {type(expr).__name__}", "UnexpectedSyntax")
        return method(self, expr, scope)


def _literal(compiler: ExpressionCompiler, expr: ast.Literal, scope: frozenset[str]) -> Evaluator:
    value = expr.value
    return lambda row, ctx: value


def _parameter(compiler: ExpressionCompiler, expr: ast.Parameter, scope: frozenset[str]) -> Evaluator:
    name = expr.name
    return lambda row, ctx: ctx.param(name)


def _variable(compiler: ExpressionCompiler, expr: ast.Variable, scope: frozenset[str]) -> Evaluator:
    name = expr.name

    def read(row: dict, ctx: Context) -> Any:
        return row.get(name)

    return read


#: The values that can make a literal list or map bigger than the query text wrote it: one
#: holding the same list twice, over and over (``[acc, acc]`` in reduce), doubles each time.
_CONTAINERS = frozenset({list, dict})


def _list(compiler: ExpressionCompiler, expr: ast.ListLiteral, scope: frozenset[str]) -> Evaluator:
    items = [compiler(item, scope) for item in expr.items]

    def build(row: dict, ctx: Context) -> Any:
        out = [item(row, ctx) for item in items]
        for part in out:
            if type(part) in _CONTAINERS:
                ctx.fits(estimate_size(out))
                break
        return out

    return build


def _map(compiler: ExpressionCompiler, expr: ast.MapLiteral, scope: frozenset[str]) -> Evaluator:
    items = [(key, compiler(value, scope)) for key, value in expr.items]

    def build(row: dict, ctx: Context) -> Any:
        out = {key: value(row, ctx) for key, value in items}
        for part in out.values():
            if type(part) in _CONTAINERS:
                ctx.fits(estimate_size(out))
                break
        return out

    return build


def property_of(value: Any, key: str, ctx: Context) -> Any:
    """Read ``value.key`` for a node, relationship, map or temporal value; null stays null."""
    kind = type(value)
    if kind is NodeRef:
        return ctx.node(value).metadata.get(key)
    if kind is RelRef:
        return ctx.rel(value).metadata.get(key)
    if kind is dict:
        return value.get(key)
    if value is None:
        return None
    if kind in TEMPORAL_TYPES:
        return component(value, key)
    raise QueryTypeError(f"cannot read property {key!r} of {type_name(value)}", "InvalidArgumentType")


def _property(compiler: ExpressionCompiler, expr: ast.PropertyAccess, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope)
    key = expr.key
    return lambda row, ctx: property_of(subject(row, ctx), key, ctx)


def _subscript(compiler: ExpressionCompiler, expr: ast.Subscript, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope)
    index = compiler(expr.index, scope)

    def read(row: dict, ctx: Context) -> Any:
        value = subject(row, ctx)
        position = index(row, ctx)
        if value is None or position is None:
            return None
        kind = type(value)
        if kind is list:
            if type(position) is not int:
                raise QueryTypeError(f"list index must be an integer, not {type_name(position)}", "InvalidArgumentType")
            if -len(value) <= position < len(value):
                return value[position]
            return None
        if kind is dict or kind is NodeRef or kind is RelRef:
            if type(position) is not str:
                raise QueryTypeError(
                    f"map key must be a string, not {type_name(position)}", "MapElementAccessByNonString"
                )
            return property_of(value, position, ctx)
        raise QueryTypeError(f"cannot index into {type_name(value)}", "InvalidArgumentType")

    return read


def _slice(compiler: ExpressionCompiler, expr: ast.Slice, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope)
    start = compiler(expr.start, scope) if expr.start is not None else None
    end = compiler(expr.end, scope) if expr.end is not None else None

    def read(row: dict, ctx: Context) -> Any:
        value = subject(row, ctx)
        low = start(row, ctx) if start is not None else 0
        high = end(row, ctx) if end is not None else None
        if value is None or low is None or (end is not None and high is None):
            return None
        if type(value) is not list:
            raise QueryTypeError(f"cannot slice {type_name(value)}", "InvalidArgumentType")
        for bound in (low, high):
            if bound is not None and type(bound) is not int:
                raise QueryTypeError("list slice bounds must be integers", "InvalidArgumentType")
        return value[low:high]

    return read


def _truth(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise QueryTypeError(f"expected a boolean, got {type_name(value)}", "InvalidArgumentType")


def _unary(compiler: ExpressionCompiler, expr: ast.Unary, scope: frozenset[str]) -> Evaluator:
    operand = compiler(expr.operand, scope)
    if expr.op == "NOT":

        def negation(row: dict, ctx: Context) -> Any:
            value = _truth(operand(row, ctx))
            return None if value is None else not value

        return negation
    if expr.op == "-":
        return lambda row, ctx: negate(operand(row, ctx))

    def plus(row: dict, ctx: Context) -> Any:
        value = operand(row, ctx)
        if value is None or type(value) in (int, float):
            return value
        raise QueryTypeError(f"cannot apply unary + to {type_name(value)}", "InvalidArgumentType")

    return plus


def _short_circuit(decisive: bool) -> Callable[[Evaluator, Evaluator], Evaluator]:
    """Build AND (``decisive`` False) or OR (True): three-valued duals that differ only in that value.

    A side that is ``decisive`` settles the answer without the other; otherwise a null
    on either side leaves it unknown.
    """
    settled = not decisive

    def connect(left: Evaluator, right: Evaluator) -> Evaluator:
        def evaluate(row: dict, ctx: Context) -> Any:
            first = _truth(left(row, ctx))
            if first is decisive:
                return decisive
            second = _truth(right(row, ctx))
            if second is decisive:
                return decisive
            return None if first is None or second is None else settled

        return evaluate

    return connect


_and = _short_circuit(False)
_or = _short_circuit(True)


def _xor(left: Evaluator, right: Evaluator) -> Evaluator:
    def exclusive(row: dict, ctx: Context) -> Any:
        first = _truth(left(row, ctx))
        second = _truth(right(row, ctx))
        if first is None or second is None:
            return None
        return first != second

    return exclusive


def _not_equals(left: Any, right: Any) -> Any:
    same = equals(left, right)
    return None if same is None else not same


def _ordering(test: Callable[[int], bool]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        order = compare(left, right)
        if order is None:
            return None
        return False if order == UNORDERED else test(order)

    return apply


def _in(item: Any, collection: Any) -> Any:
    if collection is None:
        return None
    if type(collection) is not list:
        raise QueryTypeError(f"IN needs a list, not {type_name(collection)}", "InvalidArgumentType")
    unknown = False
    for element in collection:
        same = equals(item, element)
        if same is True:
            return True
        if same is None:
            unknown = True
    return None if unknown else False


def _string_predicate(test: Callable[[str, str], bool]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if type(left) is not str or type(right) is not str:
            return None
        return test(left, right)

    return apply


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": modulo,
    "^": power,
    "=": equals,
    "<>": _not_equals,
    "<": _ordering(lambda order: order < 0),
    ">": _ordering(lambda order: order > 0),
    "<=": _ordering(lambda order: order <= 0),
    ">=": _ordering(lambda order: order >= 0),
    "IN": _in,
    "STARTS WITH": _string_predicate(str.startswith),
    "ENDS WITH": _string_predicate(str.endswith),
    "CONTAINS": _string_predicate(lambda text, part: part in text),
    "=~": regex_match,
}


def _binary(compiler: ExpressionCompiler, expr: ast.Binary, scope: frozenset[str]) -> Evaluator:
    left = compiler(expr.left, scope)
    right = compiler(expr.right, scope)
    if expr.op == "AND":
        return _and(left, right)
    if expr.op == "OR":
        return _or(left, right)
    if expr.op == "XOR":
        return _xor(left, right)
    if expr.op == "+":
        return _plus(left, right)
    operation = _BINARY[expr.op]
    return lambda row, ctx: operation(left(row, ctx), right(row, ctx))


def _plus(left: Evaluator, right: Evaluator) -> Evaluator:
    """Build ``+``, checking a concatenation against the memory budget.

    The check follows the concatenation: add refuses beforehand anything past the item cap,
    so what it builds is at most the cap's slots, while the items it holds are shared.
    """

    def concatenate(row: dict, ctx: Context) -> Any:
        value = add(left(row, ctx), right(row, ctx))
        kind = type(value)
        if kind is list or kind is str:
            ctx.fits(estimate_size(value))
        return value

    return concatenate


def _is_null(compiler: ExpressionCompiler, expr: ast.IsNull, scope: frozenset[str]) -> Evaluator:
    operand = compiler(expr.operand, scope)
    if expr.negated:
        return lambda row, ctx: operand(row, ctx) is not None
    return lambda row, ctx: operand(row, ctx) is None


def _has_labels(compiler: ExpressionCompiler, expr: ast.HasLabels, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope)
    labels = expr.labels
    label_expr = expr.label_expr

    def test(row: dict, ctx: Context) -> Any:
        value = subject(row, ctx)
        if value is None:
            return None
        if type(value) is NodeRef:
            have = ctx.node(value).labels
            if label_expr is not None:
                return matches_labels(label_expr, have)
            return all(label in have for label in labels)
        if type(value) is RelRef:
            rel_type = ctx.rel(value).rel_type
            if label_expr is not None:
                return matches_labels(label_expr, (rel_type,))
            return all(label == rel_type for label in labels)
        raise QueryTypeError(f"cannot test labels of {type_name(value)}", "InvalidArgumentType")

    return test


def matches_labels(expr: ast.LabelExpr, have: Sequence[str]) -> bool:
    """Tell whether a node's labels (or a relationship's one type) satisfy a label expression.

    ``%`` asks for at least one label, so ``!%`` matches the nodes without any (Neo4j 5).
    """
    op = expr[0]
    if op == "label":
        return expr[1] in have
    if op == "any":
        return bool(have)
    if op == "not":
        return not matches_labels(expr[1], have)
    if op == "and":
        return all(matches_labels(term, have) for term in expr[1:])
    return any(matches_labels(term, have) for term in expr[1:])


def _function(compiler: ExpressionCompiler, expr: ast.FunctionCall, scope: frozenset[str]) -> Evaluator:
    entry = FUNCTIONS.get(expr.name.lower())
    if entry is None:
        raise QuerySemanticError(f"unknown function {expr.name}()", "UnknownFunction")
    function = entry.scalar
    if function is None:
        raise QuerySemanticError(f"aggregate {expr.name}() is not allowed here", "InvalidAggregation")
    if entry.name == "exists" and len(expr.args) == 1 and isinstance(expr.args[0], ast.PatternPredicate):
        return compiler(expr.args[0], scope)
    args = [compiler(arg, scope) for arg in expr.args]
    if len(args) == 1:
        only = args[0]
        return lambda row, ctx: function(ctx, [only(row, ctx)])
    return lambda row, ctx: function(ctx, [arg(row, ctx) for arg in args])


def _count_star(compiler: ExpressionCompiler, expr: ast.CountStar, scope: frozenset[str]) -> Evaluator:
    raise QuerySemanticError("count(*) is not allowed here", "InvalidAggregation")


def _case(compiler: ExpressionCompiler, expr: ast.Case, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope) if expr.subject is not None else None
    whens = [(compiler(w, scope), compiler(t, scope)) for w, t in expr.whens]
    default = compiler(expr.default, scope) if expr.default is not None else None

    def choose(row: dict, ctx: Context) -> Any:
        if subject is not None:
            value = subject(row, ctx)
            for when, then in whens:
                if equals(value, when(row, ctx)) is True:
                    return then(row, ctx)
        else:
            for when, then in whens:
                if when(row, ctx) is True:
                    return then(row, ctx)
        return default(row, ctx) if default is not None else None

    return choose


def _list_of(values: Any) -> list | None:
    """Check the source of a comprehension or quantifier: a list, or null for none."""
    if values is None or type(values) is list:
        return values
    raise QueryTypeError(f"cannot iterate over {type_name(values)}", "InvalidArgumentType")


def _iterate(source: Evaluator, variable: str) -> Callable[[dict, Context], Any]:
    """Return a function giving the scoped rows of a list source one at a time, or None for a null source.

    The rows are one dict rebound per element, as reduce does, so a long list costs no copies;
    the deadline is checked as they go.
    """

    def rows(row: dict, ctx: Context) -> Any:
        values = _list_of(source(row, ctx))
        return None if values is None else _scoped(row, variable, values, ctx)

    return rows


def _scoped(row: dict, variable: str, values: list, ctx: Context) -> Any:
    inner = row.copy()
    for step, value in enumerate(values):
        if not step & _CHECK_EVERY:
            ctx.check_deadline()
        inner[variable] = value
        yield inner


def _list_comprehension(compiler: ExpressionCompiler, expr: ast.ListComprehension, scope: frozenset[str]) -> Evaluator:
    inner_scope = scope | {expr.variable}
    source = compiler(expr.source, scope)
    predicate = compiler(expr.predicate, inner_scope) if expr.predicate is not None else None
    projection = compiler(expr.projection, inner_scope) if expr.projection is not None else None
    variable = expr.variable

    def build(row: dict, ctx: Context) -> Any:
        values = _list_of(source(row, ctx))
        if values is None:
            return None
        inner = row.copy()
        out: list = []
        for step, value in enumerate(values):
            if not step & _ESTIMATE_EVERY:
                ctx.check_deadline()
                ctx.fits(estimate_size(out))
            inner[variable] = value
            if predicate is not None and predicate(inner, ctx) is not True:
                continue
            out.append(value if projection is None else projection(inner, ctx))
        ctx.fits(estimate_size(out))
        return out

    return build


def _quantifier(compiler: ExpressionCompiler, expr: ast.Quantifier, scope: frozenset[str]) -> Evaluator:
    rows = _iterate(compiler(expr.source, scope), expr.variable)
    predicate = (
        compiler(expr.predicate, scope | {expr.variable})
        if expr.predicate is not None
        else compiler(ast.Variable(expr.variable), scope | {expr.variable})
    )
    kind = expr.kind

    def decide(row: dict, ctx: Context) -> Any:
        scoped = rows(row, ctx)
        if scoped is None:
            return None
        trues = unknowns = 0
        for inner in scoped:
            value = _truth(predicate(inner, ctx))
            if value is True:
                trues += 1
                if kind == "ANY":
                    return True
                if kind == "NONE":
                    return False
                if kind == "SINGLE" and trues > 1:
                    return False
            elif value is None:
                unknowns += 1
            elif kind == "ALL":
                return False
        if unknowns:
            return None
        if kind == "ALL":
            return True
        if kind == "ANY":
            return False
        if kind == "NONE":
            return True
        return trues == 1

    return decide


def _reduce(compiler: ExpressionCompiler, expr: ast.Reduce, scope: frozenset[str]) -> Evaluator:
    init = compiler(expr.init, scope)
    source = compiler(expr.source, scope)
    step = compiler(expr.step, scope | {expr.accumulator, expr.variable})
    accumulator, variable = expr.accumulator, expr.variable

    def fold(row: dict, ctx: Context) -> Any:
        values = source(row, ctx)
        if values is None:
            return None
        if type(values) is not list:
            raise QueryTypeError(f"cannot reduce over {type_name(values)}", "InvalidArgumentType")
        inner = row.copy()
        inner[accumulator] = init(row, ctx)
        for count, value in enumerate(values):
            if not count & _CHECK_EVERY:
                ctx.check_deadline()
            inner[variable] = value
            folded = inner[accumulator] = step(inner, ctx)
            kind = type(folded)
            if kind is list or kind is dict:
                # the step may have built it from parts no check saw (a function's result)
                ctx.fits(estimate_size(folded))
        return inner[accumulator]

    return fold


def _pattern_plan(
    compiler: ExpressionCompiler,
    parts: tuple[ast.PatternPart, ...],
    scope: frozenset[str],
    keep: frozenset[str] | None,
    *readers: Any,
) -> MatchPlan:
    """Compile a pattern used inside an expression; variables the readers mention are fetched with it."""
    read = set().union(*(free_variables(reader) for reader in readers if reader is not None))
    return compile_match(MatchSpec(parts, scope, frozenset(read - scope), keep), compiler)


def _pattern_comprehension(
    compiler: ExpressionCompiler, expr: ast.PatternComprehension, scope: frozenset[str]
) -> Evaluator:
    plan = _pattern_plan(compiler, (expr.pattern,), scope, None, expr.predicate, expr.projection)
    inner_scope = scope | _pattern_names(expr.pattern)
    predicate = compiler(expr.predicate, inner_scope) if expr.predicate is not None else None
    projection = compiler(expr.projection, inner_scope)

    def build(row: dict, ctx: Context) -> Any:
        out: list = []
        for inner in plan.run(row, ctx):
            if predicate is not None and predicate(inner, ctx) is not True:
                continue
            out.append(projection(inner, ctx))
            if not len(out) & _ESTIMATE_EVERY:
                ctx.fits(estimate_size(out))
        ctx.fits(estimate_size(out))
        return out

    return build


def _pattern_names(part: ast.PatternPart) -> frozenset[str]:
    names = {element.variable for element in part.elements if element.variable}
    if part.path_variable:
        names.add(part.path_variable)
    return frozenset(names)


def _pattern_predicate(compiler: ExpressionCompiler, expr: ast.PatternPredicate, scope: frozenset[str]) -> Evaluator:
    plan = _pattern_plan(compiler, (expr.pattern,), scope, frozenset())
    return lambda row, ctx: bool(plan.run(row, ctx, limit=1))


def _exists(compiler: ExpressionCompiler, expr: ast.ExistsSubquery, scope: frozenset[str]) -> Evaluator:
    if expr.query is not None:
        subquery = _planned(compiler, expr.query, scope, "EXISTS")
        return lambda row, ctx: bool(subquery.run_from(row, ctx, limit=1))
    if expr.pattern is None:
        raise QuerySemanticError("EXISTS needs a pattern or a query", "UnexpectedSyntax")
    parts = expr.pattern.parts
    names = frozenset().union(*(_pattern_names(part) for part in parts))
    plan = _pattern_plan(compiler, parts, scope, None if expr.where is not None else frozenset(), expr.where)
    where = compiler(expr.where, scope | names) if expr.where is not None else None
    if where is None:
        return lambda row, ctx: bool(plan.run(row, ctx, limit=1))

    def test(row: dict, ctx: Context) -> Any:
        return any(where(inner, ctx) is True for inner in plan.run(row, ctx))

    return test


def _planned(compiler: ExpressionCompiler, query: ast.Query, scope: frozenset[str], keyword: str) -> Subquery:
    if compiler.plan_subquery is None:
        raise QuerySemanticError(f"a {keyword} subquery cannot stand here", "UnexpectedSyntax")
    return compiler.plan_subquery(query, scope)


def _count_subquery(compiler: ExpressionCompiler, expr: ast.CountSubquery, scope: frozenset[str]) -> Evaluator:
    if expr.query is not None:
        subquery = _planned(compiler, expr.query, scope, "COUNT")

        def count_rows(row: dict, ctx: Context) -> int:
            counted = 0
            for _ in subquery.stream_from(row, ctx):
                counted += 1
            ctx.tick(counted)
            return counted

        return count_rows
    if expr.pattern is None:
        raise QuerySemanticError("COUNT needs a pattern or a query", "UnexpectedSyntax")
    parts = expr.pattern.parts
    names = frozenset().union(*(_pattern_names(part) for part in parts))
    plan = _pattern_plan(compiler, parts, scope, None if expr.where is not None else frozenset(), expr.where)
    where = compiler(expr.where, scope | names) if expr.where is not None else None
    if where is None:
        return lambda row, ctx: len(plan.run(row, ctx))
    return lambda row, ctx: sum(1 for inner in plan.run(row, ctx) if where(inner, ctx) is True)


def _collect_subquery(compiler: ExpressionCompiler, expr: ast.CollectSubquery, scope: frozenset[str]) -> Evaluator:
    subquery = _planned(compiler, expr.query, scope, "COLLECT")
    column = subquery.columns[0]

    def collect_rows(row: dict, ctx: Context) -> list:
        out = [result[column] for result in subquery.stream_from(row, ctx)]
        ctx.fits(estimate_size(out))
        return out

    return collect_rows


def _map_projection(compiler: ExpressionCompiler, expr: ast.MapProjection, scope: frozenset[str]) -> Evaluator:
    subject = compiler(expr.subject, scope)
    items: list[tuple[str, str, Evaluator | None]] = []
    for kind, key, value in expr.items:
        name = key or ""  # only .* has no key
        if kind == "literal" and value is not None:
            items.append((kind, name, compiler(value, scope)))
        elif kind == "variable":
            items.append((kind, name, compiler(ast.Variable(name), scope)))
        else:
            items.append((kind, name, None))

    def project(row: dict, ctx: Context) -> Any:
        value = subject(row, ctx)
        if value is None:
            return None
        kind = type(value)
        if kind is NodeRef:
            properties = ctx.node(value).metadata
        elif kind is RelRef:
            properties = ctx.rel(value).metadata
        elif kind is dict:
            properties = value
        else:
            raise QueryTypeError(f"cannot project {type_name(value)}", "InvalidArgumentType")
        out: dict = {}
        for item_kind, key, evaluator in items:
            if item_kind == "all":
                out.update(properties)
            elif evaluator is None:  # .key
                out[key] = properties.get(key)
            else:
                out[key] = evaluator(row, ctx)
        return out

    return project


_COMPILERS: dict[type, Callable[[ExpressionCompiler, Any, frozenset[str]], Evaluator]] = {
    ast.Literal: _literal,
    ast.Parameter: _parameter,
    ast.Variable: _variable,
    ast.ListLiteral: _list,
    ast.MapLiteral: _map,
    ast.PropertyAccess: _property,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.Unary: _unary,
    ast.Binary: _binary,
    ast.IsNull: _is_null,
    ast.HasLabels: _has_labels,
    ast.FunctionCall: _function,
    ast.CountStar: _count_star,
    ast.Case: _case,
    ast.ListComprehension: _list_comprehension,
    ast.Quantifier: _quantifier,
    ast.Reduce: _reduce,
    ast.PatternComprehension: _pattern_comprehension,
    ast.PatternPredicate: _pattern_predicate,
    ast.ExistsSubquery: _exists,
    ast.CountSubquery: _count_subquery,
    ast.CollectSubquery: _collect_subquery,
    ast.MapProjection: _map_projection,
}


#: Compiles expressions that hold no subqueries (the planner makes its own compiler for those).
compile_expression = ExpressionCompiler()

_READS_ROWS = (
    ast.Variable,
    ast.PatternPredicate,
    ast.PatternComprehension,
    ast.ExistsSubquery,
    ast.CountSubquery,
    ast.CollectSubquery,
)


def is_constant(expr: ast.Node) -> bool:
    """Tell whether an expression reads no variables (parameters and literals only)."""
    return not any(isinstance(node, _READS_ROWS) or is_aggregate(node) for node in ast.walk(expr))

