"""Turn a checked syntax tree into an immutable plan: a pipeline of operators per single query."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from .. import search
from ..errors import ProcedureNotFound, QuerySemanticError
from ..storage import Constraint, is_simple_key
from . import ast
from .aggregates import AGGREGATES, DUPLICATE_INSENSITIVE
from .compiler import ANON, MatchSpec, compile_match, compile_stages
from .estimates import Estimator
from .evaluator import ExpressionCompiler, is_constant
from .functions import FUNCTIONS
from .operators import (
    AggregateSpec,
    CallOp,
    ConstraintCommand,
    CountPushdown,
    CreateOp,
    CreatePart,
    DeleteOp,
    DirectReturn,
    FilterOp,
    ForeachOp,
    FulltextIndexCommand,
    IndexCommand,
    InTransactionsOp,
    LiteralCount,
    LoadCsvOp,
    MatchOp,
    MergeOp,
    OptionalOp,
    OrderedLimit,
    Pipeline,
    ProjectionOp,
    QueryPlan,
    RemoveOp,
    SetOp,
    ShortestOp,
    ShortestPart,
    ShowOp,
    SubqueryBody,
    SubqueryOp,
    UnwindOp,
    VectorIndexCommand,
    decode_column,
    decode_id,
    direct_property,
    fuse_counts,
)
from .procedures import Catalogue
from .semantics import contains_aggregate, imports_of, is_aggregate
from .show import resolve as resolve_show
from .sqlplan import NODE_METADATA, ORDER_VALUE, REL_METADATA, decode_node, decode_rel

#: Functions whose single variable argument is read only for its identity.
_IDENTITY_READERS = frozenset({"id", "count"})


def plan_statement(
    statement: ast.Statement, catalogue: Catalogue | None = None, estimator: Estimator | None = None
) -> QueryPlan | IndexCommand | ConstraintCommand | FulltextIndexCommand | VectorIndexCommand:
    """Plan a parsed and checked statement.

    :param statement: what the parser returned.
    :param catalogue: the procedures CALL may run (None: CALL is refused).
    :param estimator: row estimates from the store's statistics, which choose where walks start
        (None: fixed ranks); it records the choices, which the plan cache checks before reuse.
    :returns: a QueryPlan for queries, an IndexCommand for CREATE/DROP INDEX, a ConstraintCommand
        for CREATE/DROP CONSTRAINT, a FulltextIndexCommand for CREATE FULLTEXT INDEX, a
        VectorIndexCommand for CREATE VECTOR INDEX.
    :raises QuerySemanticError: for constructs the engine does not support.
    :raises ProcedureNotFound: for CALL of a procedure the catalogue lacks.
    """
    body = statement.body
    if isinstance(body, ast.CreateIndex):
        return IndexCommand("create", body.name, body.label, body.properties)
    if isinstance(body, ast.DropIndex):
        return IndexCommand("drop", body.name, body.label, body.properties, body.if_exists)
    if isinstance(body, ast.CreateFulltextIndex):
        return FulltextIndexCommand(
            body.name, body.entity_type, body.labels, body.properties, body.options, body.if_not_exists
        )
    if isinstance(body, ast.CreateConstraint):
        constraint = Constraint(
            body.name or "", body.kind, body.entity_type, body.label, body.properties, body.property_type
        )
        return ConstraintCommand(constraint, None, body.if_not_exists)
    if isinstance(body, ast.DropConstraint):
        return ConstraintCommand(None, body.name, body.if_exists)
    if isinstance(body, ast.CreateVectorIndex):
        index = search.vector_index(body.name or "", body.entity_type, body.label, body.key, body.options)
        return VectorIndexCommand(index, body.if_not_exists)
    pipelines = tuple(_plan_single(part, frozenset(), catalogue, estimator) for part in body.parts)
    return QueryPlan(pipelines, body.union_all)


def plan_subquery(query: ast.Query, scope: frozenset[str]) -> SubqueryBody:
    """Plan the query of ``EXISTS { ... }``, ``COUNT { ... }`` or ``COLLECT { ... }`` against the enclosing row.

    The enclosing variables stay visible through the body's WITHs: such a subquery reads them
    without importing them.

    :param query: the subquery, UNION included.
    :param scope: the variables bound in the enclosing row.
    :returns: a SubqueryBody to run from that row.
    """
    parts = tuple(_plan_single(part, scope, None, carry=scope) for part in query.parts)
    return SubqueryBody(parts, (None,) * len(parts), query.union_all, parts[0].columns)


#: The planner's expression compiler: it plans the subqueries of EXISTS with plan_subquery.
compile_expression = ExpressionCompiler(plan_subquery)


# ---------------------------------------------------------------- variable usage


class Usage:
    """Which variables the rest of a query reads, and which of them it reads beyond their identity."""

    __slots__ = ("used", "data", "star")

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.data: set[str] = set()
        self.star = False

    def visit(self, node: ast.Node) -> None:
        """Record the variable reads anywhere in a syntax-tree node."""
        for sub in ast.walk(node, enter=_reads_more_than_identity):
            if isinstance(sub, ast.Variable):
                self.used.add(sub.name)
                self.data.add(sub.name)
            elif (identified := _identity_read(sub)) is not None:
                self.used.add(identified)
            elif isinstance(sub, (ast.NodePattern, ast.RelPattern)):
                if sub.variable:
                    self.used.add(sub.variable)
            elif isinstance(sub, ast.PatternPart):
                if sub.path_variable:
                    self.used.add(sub.path_variable)
            elif isinstance(sub, ast.Projection):
                self.star = self.star or sub.star
            elif isinstance(sub, (ast.SetProperties, ast.SetLabels, ast.RemoveLabels)):
                self.used.add(sub.variable)
                self.data.add(sub.variable)


def _identity_read(node: ast.Node) -> str | None:
    """Return ``v`` for ``id(v)`` or ``count(v)``, which read only the identity of ``v``; else None."""
    if (
        isinstance(node, ast.FunctionCall)
        and node.name.lower() in _IDENTITY_READERS
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Variable)
    ):
        return node.args[0].name
    return None


def _reads_more_than_identity(node: ast.Node) -> bool:
    return _identity_read(node) is None


def _usage_after(clauses: tuple) -> list[Usage]:
    """For each clause position, the usage by the clauses after it."""
    usages = []
    running = Usage()
    for clause in reversed(clauses):
        snapshot = Usage()
        snapshot.used, snapshot.data, snapshot.star = set(running.used), set(running.data), running.star
        usages.append(snapshot)
        running.visit(clause)
    usages.reverse()
    return usages


# ---------------------------------------------------------------- AST helpers


def _outside_patterns(node: ast.Node) -> bool:
    """Tell whether to rewrite below ``node``: not in patterns, whose variables are names, not expressions."""
    return not isinstance(node, (ast.PatternPart, ast.Pattern, ast.Query))


def rewrite(expr: ast.Node, change: Callable[[ast.Node], ast.Node | None]) -> ast.Node:
    """Rebuild an expression top-down with ``change`` (see ast.rewrite), leaving patterns as they are."""
    return ast.rewrite(expr, change, enter=_outside_patterns)


def _conjuncts(expr: Any) -> list:
    if isinstance(expr, ast.Binary) and expr.op == "AND":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _and_all(parts: list) -> Any:
    return ast.balanced("AND", parts)


def _pattern_variables(parts: tuple[ast.PatternPart, ...]) -> list[str]:
    names: list[str] = []
    for part in parts:
        if part.path_variable and part.path_variable not in names:
            names.append(part.path_variable)
        for element in part.elements:
            if element.variable and element.variable not in names:
                names.append(element.variable)
    return names


# ---------------------------------------------------------------- planning a single query


def _plan_single(
    query: ast.SingleQuery,
    outer: frozenset[str],
    catalogue: Catalogue | None,
    estimator: Estimator | None = None,
    carry: frozenset[str] = frozenset(),
) -> Pipeline:
    """Plan one single query from the variables ``outer``; every WITH passes on those in ``carry`` too."""
    clauses = query.clauses
    usages = _usage_after(clauses)
    scope: list[str] = sorted(outer)
    ops: list = []
    columns: tuple[str, ...] = ()
    index = 0
    while index < len(clauses):
        clause = clauses[index]
        after = usages[index]
        following = clauses[index + 1] if index + 1 < len(clauses) else None
        if isinstance(clause, ast.Match):
            op, new = _plan_match(clause, scope, after, following, estimator)
            first = index == 0 and not outer and isinstance(op, MatchOp)
            pushdown = (
                _count_pushdown(op, clause, following, first)
                or _direct_return(op, clause, following, first)
                or _ordered_limit(op, clause, following, first)
            )
            if pushdown is not None:
                ops.append(pushdown)
                columns = pushdown.columns
                scope = list(pushdown.columns)
                index += 2
                continue
            ops.append(op)
            scope += [name for name in new if name not in scope]
        elif isinstance(clause, ast.Unwind):
            ops.append(UnwindOp(compile_expression(clause.expression, frozenset(scope)), clause.variable))
            if clause.variable not in scope:
                scope.append(clause.variable)
        elif isinstance(clause, (ast.With, ast.Return)):
            where = clause.where if isinstance(clause, ast.With) else None
            projection = clause.projection
            if carry and isinstance(clause, ast.With):
                projection = _carrying(projection, carry)
            op = _plan_projection(projection, scope, where, final=isinstance(clause, ast.Return))
            ops.append(op)
            scope = list(op.columns)
            columns = op.columns
        elif isinstance(clause, ast.Create):
            op = CreateOp(tuple(_create_part(part, frozenset(scope)) for part in clause.pattern.parts))
            ops.append(op)
            scope += [name for name in _pattern_variables(clause.pattern.parts) if name not in scope]
        elif isinstance(clause, ast.Merge):
            ops.append(_plan_merge(clause, scope))
            scope += [name for name in _pattern_variables((clause.part,)) if name not in scope]
        elif isinstance(clause, ast.Set):
            ops.append(SetOp(tuple(_set_item(item, frozenset(scope)) for item in clause.items)))
        elif isinstance(clause, ast.Remove):
            ops.append(RemoveOp(tuple(_remove_item(item, frozenset(scope)) for item in clause.items)))
        elif isinstance(clause, ast.Delete):
            evaluators = tuple(compile_expression(expr, frozenset(scope)) for expr in clause.expressions)
            ops.append(DeleteOp(evaluators, clause.detach))
        elif isinstance(clause, ast.SubqueryCall):
            call = _plan_subquery_call(clause, scope, catalogue, estimator)
            if isinstance(call, InTransactionsOp) and _streams_into(ops, index == len(clauses) - 1):
                call = replace(call, streamed=True)
            ops.append(call)
            scope += [name for name in call.bound if name not in scope]
        elif isinstance(clause, ast.Foreach):
            ops.append(_plan_foreach(clause, scope, catalogue, estimator))
        elif isinstance(clause, ast.LoadCsv):
            source = compile_expression(clause.source, frozenset(scope))
            ops.append(LoadCsvOp(source, clause.variable, clause.headers, clause.terminator))
            scope.append(clause.variable)
        elif isinstance(clause, ast.Show):
            target, _ = resolve_show(clause.target.split())
            ops.append(ShowOp(target, clause.argument, catalogue))
            scope += [name for name in clause.columns if name not in scope]
        elif isinstance(clause, ast.Call):
            op = _plan_call(clause, scope, catalogue, standalone=len(clauses) == 1)
            ops.append(op)
            scope += [name for name in op.bound if name not in scope]
            columns = op.bound
        else:
            raise QuerySemanticError(f"{type(clause).__name__} clauses are not supported", "UnexpectedSyntax")
        index += 1
    if not isinstance(clauses[-1], (ast.Return, ast.Call)):
        columns = ()
    return Pipeline(fuse_counts(ops), columns)


def _streams_into(before: list, last: bool) -> bool:
    """Tell whether ``CALL { } IN TRANSACTIONS`` may pull its rows batch by batch: when they come from
    LOAD CSV alone (no write changes a file's records) and no clause after it would see the import half done."""
    return last and bool(before) and all(isinstance(op, LoadCsvOp) for op in before)


def _carrying(projection: ast.Projection, carry: frozenset[str]) -> ast.Projection:
    """Add to a WITH the enclosing variables a subquery expression reads throughout (see plan_subquery)."""
    if projection.star:
        return projection  # the star passes on everything in scope, the carried variables included
    named = {item.alias or item.text for item in projection.items}
    extra = tuple(ast.ProjectionItem(ast.Variable(name), None, name) for name in sorted(carry - named))
    return replace(projection, items=projection.items + extra)


def _plan_subquery_call(
    clause: ast.SubqueryCall, scope: list[str], catalogue: Catalogue | None, estimator: Estimator | None
) -> SubqueryOp | InTransactionsOp:
    """Plan ``CALL { ... }``: each part of the body from the variables it imports, then IN TRANSACTIONS."""
    query = clause.query
    parts = []
    imports = []
    for part in query.parts:
        if clause.import_all:
            names = tuple(scope)
        elif clause.imports is not None:
            names = clause.imports
        else:
            names = imports_of(part, scope)
        imports.append(names)
        parts.append(_plan_single(part, frozenset(names), catalogue, estimator))
    body = SubqueryBody(tuple(parts), tuple(imports), query.union_all, parts[0].columns)
    call = SubqueryOp(body, writes_in(query))
    if not clause.in_transactions:
        return call
    batch = _compile_count(clause.batch) if clause.batch is not None else None
    return InTransactionsOp(call, batch, clause.on_error, clause.status)


def _plan_foreach(
    clause: ast.Foreach, scope: list[str], catalogue: Catalogue | None, estimator: Estimator | None
) -> ForeachOp:
    """Plan FOREACH: its clauses as a pipeline run from each row with the list element bound."""
    inner = frozenset(scope) | {clause.variable}
    body = _plan_single(ast.SingleQuery(clause.clauses, clause.pos), inner, catalogue, estimator)
    return ForeachOp(clause.variable, compile_expression(clause.source, frozenset(scope)), body)


def writes_in(query: ast.Query) -> bool:
    """Tell whether a query holds an updating clause anywhere, in its subqueries and FOREACH included."""
    return any(isinstance(node, _UPDATING) for node in ast.walk(query))


_UPDATING = (ast.Create, ast.Merge, ast.Set, ast.Remove, ast.Delete, ast.Foreach)


def _plan_call(clause: ast.Call, scope: list[str], catalogue: Catalogue | None, standalone: bool) -> CallOp:
    """Resolve the procedure, compile its arguments and map the outputs it yields to variables."""
    if catalogue is None:
        raise QuerySemanticError("CALL is not supported inside a subquery", "UnexpectedSyntax")
    procedure = catalogue.procedures.get(clause.procedure)
    if procedure is None:
        raise ProcedureNotFound(f"there is no procedure {clause.procedure}", "ProcedureNotFound")
    signature = procedure.signature
    outer = frozenset(scope)
    # Without parentheses (standalone only) the arguments are the parameters of the same names.
    arguments = clause.args if clause.args is not None else tuple(ast.Parameter(name) for name, _ in signature.inputs)
    # inputs a call may leave out are null
    arguments = tuple(arguments) + (ast.Literal(None),) * (len(signature.inputs) - len(arguments))
    outputs = [name for name, _ in signature.outputs]
    if clause.yields:
        unknown = [field for field, _ in clause.yields if field not in outputs]
        if unknown:
            raise QuerySemanticError(
                f"{procedure.name} has no output {unknown[0]}; it yields {', '.join(outputs) or 'nothing'}",
                "UndefinedVariable",
            )
        yields = tuple((outputs.index(field), alias or field) for field, alias in clause.yields)
    elif standalone or clause.yield_star:
        yields = tuple(enumerate(outputs))
    elif outputs:
        raise QuerySemanticError(
            f"inside a query, name what {procedure.name} yields: CALL {procedure.name}(...) YIELD {outputs[0]}",
            "UnexpectedSyntax",
        )
    else:
        yields = ()
    bound = outer | {variable for _, variable in yields}
    where = compile_expression(clause.where, bound) if clause.where is not None else None
    return CallOp(procedure, tuple(compile_expression(argument, outer) for argument in arguments), yields, where)


def _plan_match(
    clause: ast.Match, scope: list[str], after: Usage, following: Any, estimator: Estimator | None
) -> tuple[Any, list[str]]:
    parts = clause.pattern.parts
    outer = frozenset(scope)
    new = [name for name in _pattern_variables(parts) if name not in outer]
    new_set = frozenset(new)
    pushed_ids: list = []
    pushed_props: list = []
    residual: list = []
    fixed_rels = {
        element.variable
        for part in parts
        for element in part.elements
        if isinstance(element, ast.RelPattern) and element.variable and element.length is None
    }
    pushable_vars = {
        element.variable
        for part in parts
        for element in part.elements
        if isinstance(element, ast.NodePattern) and element.variable
    } | fixed_rels
    pushable_vars -= outer
    for conjunct in _conjuncts(clause.where) if clause.where is not None else []:
        pushed = _push(conjunct, pushable_vars, outer)
        if pushed is None:
            residual.append(conjunct)
        elif pushed[0] == "id":
            pushed_ids.append((pushed[1], compile_expression(pushed[2], outer)))
        else:
            pushed_props.append((pushed[1], pushed[2], compile_expression(pushed[3], outer), pushed[4]))
    usage = Usage()
    usage.used, usage.data, usage.star = set(after.used), set(after.data), after.star
    for conjunct in residual:
        usage.visit(conjunct)
    if any(part.shortest for part in parts):
        return _plan_shortest(clause, outer, usage), new
    keep = None if usage.star else frozenset(usage.used & new_set)
    fetch = frozenset(new_set) if usage.star else frozenset(usage.data & new_set)
    reach = not clause.optional and _duplicate_insensitive(following)
    ordered = _order_property(following)
    order_hint = frozenset({ordered[0]}) & new_set if ordered else frozenset()
    spec = MatchSpec(parts, outer, fetch, keep, tuple(pushed_ids), tuple(pushed_props), reach, order_hint)
    stages = compile_stages(spec, compile_expression, estimator)
    where = compile_expression(_and_all(residual), outer | new_set) if residual else None
    if len(stages) > 1:
        # the stages run inside one OptionalOp: only it extends with nulls; their names are for EXPLAIN
        named = [tuple(name for name in stage.outputs if not name.startswith(ANON)) for stage in stages]
        ops = [MatchOp(stage, False, None, names) for stage, names in zip(stages[:-1], named)]
        ops.append(MatchOp(stages[-1], False, where, named[-1]))
        return OptionalOp(tuple(ops), clause.optional, tuple(new)), new
    return MatchOp(stages[0], clause.optional, where, tuple(new)), new


def _plan_shortest(clause: ast.Match, outer: frozenset[str], usage: Usage) -> OptionalOp:
    """Match the ordinary parts and the shortest paths' endpoints in SQL, then search paths per row."""
    plain: list[ast.PatternPart] = []
    searched: list[ast.PatternPart] = []
    for index, part in enumerate(clause.pattern.parts):
        if not part.shortest:
            plain.append(part)
            continue
        if len(part.elements) != 3:
            raise QuerySemanticError("shortestPath needs a single relationship pattern", "UnexpectedSyntax")
        start, rel, end = part.elements
        start = start if start.variable else replace(start, variable=f"{ANON}start{index}")
        end = end if end.variable else replace(end, variable=f"{ANON}end{index}")
        plain.extend((ast.PatternPart((start,)), ast.PatternPart((end,))))
        searched.append(replace(part, elements=(start, rel, end)))
    new = frozenset(_pattern_variables(tuple(plain))) - outer
    shortest = [
        ShortestPart.of(part, _rel_properties(part.elements[1], outer | new)) for part in searched
    ]
    spec = MatchSpec(tuple(plain), outer, frozenset(usage.data) & new, new)
    ops: list = [MatchOp(compile_match(spec, compile_expression), False, None, tuple(new)), ShortestOp(tuple(shortest))]
    if clause.where is not None:
        scope = outer | frozenset(_pattern_variables(clause.pattern.parts))
        ops.append(FilterOp(compile_expression(clause.where, scope)))
    names = tuple(name for name in _pattern_variables(clause.pattern.parts) if name not in outer)
    return OptionalOp(tuple(ops), clause.optional, names)


def _rel_properties(rel: Any, scope: frozenset[str]) -> Any:
    """Compile a shortestPath relationship's property map over the variables bound before the search."""
    properties = rel.properties if isinstance(rel, ast.RelPattern) else None
    return None if properties is None else compile_expression(properties, scope)


_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _push(conjunct: Any, candidates: set[str], outer: frozenset[str]) -> tuple | None:
    """Recognise conjuncts SQL can test exactly, with x computable before matching.

    ``id(v) = x``, ``v.key op x`` or ``x op v.key`` for op in = < <= > >=, ``v.key IN [..]``
    with a list literal (so never an error), and ``v.key IS [NOT] NULL``.
    """
    if isinstance(conjunct, ast.IsNull):
        tested = _candidate_property(conjunct.operand, candidates)
        if tested is None:
            return None
        return ("prop", *tested, ast.Literal(None), "IS NOT NULL" if conjunct.negated else "IS NULL")
    if not isinstance(conjunct, ast.Binary):
        return None
    if conjunct.op == "IN":
        tested = _candidate_property(conjunct.left, candidates)
        if (
            tested is not None
            and isinstance(conjunct.right, ast.ListLiteral)
            and all(_safe_before_match(item, outer) for item in conjunct.right.items)
        ):
            return ("prop", *tested, conjunct.right, "IN")
        return None
    if conjunct.op not in _FLIPPED:
        return None
    for side, other, op in (
        (conjunct.left, conjunct.right, conjunct.op),
        (conjunct.right, conjunct.left, _FLIPPED[conjunct.op]),
    ):
        if not _safe_before_match(other, outer):
            continue
        if (
            op == "="
            and isinstance(side, ast.FunctionCall)
            and side.name.lower() == "id"
            and len(side.args) == 1
            and isinstance(side.args[0], ast.Variable)
            and side.args[0].name in candidates
        ):
            return ("id", side.args[0].name, other)
        tested = _candidate_property(side, candidates)
        if tested is not None:
            return ("prop", *tested, other, op)
    return None


def _candidate_property(expr: Any, candidates: set[str]) -> tuple[str, str] | None:
    """Return (v, key) when ``expr`` is ``v.key`` for a variable SQL may filter, else None."""
    if (
        isinstance(expr, ast.PropertyAccess)
        and isinstance(expr.subject, ast.Variable)
        and expr.subject.name in candidates
    ):
        return expr.subject.name, expr.key
    return None


def _safe_before_match(expr: Any, outer: frozenset[str]) -> bool:
    """Tell whether an expression can be evaluated once per incoming row without changing errors."""
    if isinstance(expr, (ast.Literal, ast.Parameter)):
        return True
    if isinstance(expr, ast.Variable):
        return expr.name in outer
    if isinstance(expr, ast.FunctionCall) and expr.name.lower() == "id" and len(expr.args) == 1:
        return isinstance(expr.args[0], ast.Variable) and expr.args[0].name in outer
    return False


def _duplicate_insensitive(clause: Any) -> bool:
    """Tell whether a WITH/RETURN gives the same result when its input rows repeat."""
    if not isinstance(clause, (ast.With, ast.Return)):
        return False
    projection = clause.projection
    if projection.star:
        return False
    aggregates = [
        node
        for item in projection.items + projection.order_by
        for node in ast.walk(item.expression, enter=_may_hold_aggregates)
        if is_aggregate(node)
    ]
    if not aggregates:
        return projection.distinct
    return all(
        isinstance(call, ast.FunctionCall) and (call.distinct or call.name.lower() in DUPLICATE_INSENSITIVE)
        for call in aggregates
    )


def _may_hold_aggregates(node: ast.Node) -> bool:
    """Tell whether an aggregate below ``node`` would aggregate the projection's rows (not its own)."""
    return not is_aggregate(node) and not isinstance(node, _OWN_ROWS)


#: Expressions over rows of their own, whose aggregates never aggregate the enclosing projection.
_OWN_ROWS = (ast.PatternComprehension, ast.ExistsSubquery, ast.PatternPredicate, ast.CountSubquery, ast.CollectSubquery)


def _variable_name(expr: Any) -> str | None:
    """Return the name of a bare variable, else None."""
    return expr.name if isinstance(expr, ast.Variable) else None


def _variable_argument(expr: Any, function: str) -> str | None:
    """Return ``v`` when ``expr`` is the call ``function(v)`` on a bare variable, else None.

    None is no variable's name, so callers can test the result straight against a table of names.
    """
    if (
        isinstance(expr, ast.FunctionCall)
        and expr.name.lower() == function
        and len(expr.args) == 1
        and isinstance(expr.args[0], ast.Variable)
    ):
        return expr.args[0].name
    return None


def _count_pushdown(op: MatchOp, clause: ast.Match, following: Any, first: bool) -> CountPushdown | None:
    """Let SQL count when a first MATCH feeds a RETURN/WITH of plain counts only."""
    if not first or clause.optional or op.where is not None or not isinstance(following, (ast.With, ast.Return)):
        return None
    projection = following.projection
    if projection.star or projection.order_by or projection.skip or projection.limit:
        return None
    if isinstance(following, ast.With) and following.where is not None:
        return None
    counts: list[tuple[str | None, bool]] = []
    for item in projection.items:
        expr = item.expression
        if isinstance(expr, ast.CountStar):
            counts.append((None, False))
        elif (
            isinstance(expr, ast.FunctionCall)
            and (counted := _variable_argument(expr, "count")) is not None
            and counted in op.plan.count_exprs
            and counted in op.new
        ):
            counts.append((counted, expr.distinct))
        else:
            return None
    columns = tuple(item.alias or item.text for item in projection.items)
    fallback = _plan_projection(projection, list(op.new), None, final=isinstance(following, ast.Return))
    return CountPushdown(op, tuple(counts), columns, fallback)


def _direct_return(op: MatchOp, clause: ast.Match, following: Any, first: bool) -> DirectReturn | None:
    """Let SQL rows become result rows when a first MATCH feeds a plain RETURN of entities, ids or properties."""
    if not first or clause.optional or op.where is not None or not isinstance(following, ast.Return):
        return None
    projection = following.projection
    if projection.star or projection.distinct or projection.order_by:
        return None
    found = _sql_outputs(op, projection)
    if found is None:
        return None
    projection_op = _plan_projection(projection, list(op.new), None, final=True)
    return DirectReturn(op, projection_op, *found)


def _sql_outputs(
    op: MatchOp, projection: ast.Projection, ordered: tuple[str, str] | None = None
) -> tuple[tuple, str | None] | None:
    """Decode a RETURN of entities, ids or properties straight from SQL rows: (outputs, select list or None).

    Each output is (decoder, first SQL column); the select list reads only the columns the items
    need, when they need no whole entity (else None: the pattern's own select list). ``ordered``
    is the (variable, key) an OrderedLimit's SQL orders by: its rows have a string there, which
    the select list reads as ORDER_VALUE instead of decoding the metadata, when it is the only
    property of that variable the items read.
    """
    outputs = op.plan.outputs
    reads: list[tuple[str, str, str | None]] = []  # (variable, what: entity, id or property, key)
    for item in projection.items:
        expr = item.expression
        if isinstance(expr, ast.Variable) and expr.name in outputs:
            reads.append((expr.name, "entity", None))
        elif (identified := _variable_argument(expr, "id")) in outputs:
            reads.append((identified, "id", None))
        elif (
            isinstance(expr, ast.PropertyAccess)
            and isinstance(expr.subject, ast.Variable)
            and expr.subject.name in outputs
        ):
            reads.append((expr.subject.name, "property", expr.key))
        else:
            return None
    if any(what != "id" and not outputs[name][2] for name, what, _ in reads):
        return None
    tables = op.plan.tables
    if all(what != "entity" and name in tables for name, what, _ in reads):
        # only the columns the RETURN reads: no labels, no expression, no created_at (the SQL is
        # never SELECT DISTINCT here, whose select list would decide which rows there are: that
        # is only for a consumer blind to duplicates, a DISTINCT or aggregating projection).
        # The ordered property is read from the order value only when it is the one property of
        # its node the items read: with another beside it, the metadata is decoded anyway.
        alone = ordered is not None and {
            key for name, what, key in reads if what == "property" and name == ordered[0]
        } == {ordered[1]}
        chosen = [
            f"{tables[name]}.identity" if what == "id"
            else ORDER_VALUE if alone and (name, key) == ordered
            else f"{tables[name]}.metadata"
            for name, what, key in reads
        ]
        selected = list(dict.fromkeys(chosen))
        narrow = tuple(
            (decode_id if what == "id" else decode_column if column == ORDER_VALUE else direct_property(key or ""),
             selected.index(column))
            for (name, what, key), column in zip(reads, chosen)
        )
        return narrow, ", ".join(selected)
    wide: list[tuple[Callable[[tuple, int], Any], int]] = []
    for name, what, key in reads:
        kind, column, _ = outputs[name]
        if what == "entity":
            wide.append((decode_node if kind == "node" else decode_rel, column))
        elif what == "id":
            wide.append((decode_id, column))
        else:
            wide.append((direct_property(key or ""), column + (NODE_METADATA if kind == "node" else REL_METADATA)))
    return tuple(wide), None


def _ordered_limit(op: MatchOp, clause: ast.Match, following: Any, first: bool) -> OrderedLimit | None:
    """Let SQL order and limit when a first MATCH feeds ``ORDER BY v.key LIMIT n`` (ascending, one key)."""
    if not first or clause.optional or op.where is not None or not isinstance(following, (ast.With, ast.Return)):
        return None
    projection = following.projection
    if projection.star or projection.distinct or projection.limit is None:
        return None
    if isinstance(following, ast.With) and following.where is not None:
        return None
    if any(contains_aggregate(item.expression) for item in projection.items):
        return None
    ordered = _order_property(following)
    if ordered is None or ordered[0] not in op.plan.tables:
        return None
    final = isinstance(following, ast.Return)
    found = _sql_outputs(op, projection, ordered) if final else None
    outputs, select = found if found is not None else (None, None)
    return OrderedLimit(op, _plan_projection(projection, list(op.new), None, final), *ordered, outputs, select)


def _order_property(following: Any) -> tuple[str, str] | None:
    """Return (v, key) when a WITH/RETURN orders by the one key ``v.key`` ascending, a simple key of a variable."""
    if not isinstance(following, (ast.With, ast.Return)) or len(following.projection.order_by) != 1:
        return None
    items = following.projection.items
    sort = following.projection.order_by[0]
    expr = sort.expression
    if isinstance(expr, ast.Variable):
        # ORDER BY names a column: it stands for that item's expression
        named = [item.expression for item in items if (item.alias or item.text) == expr.name]
        expr = named[0] if named else expr
    if (
        sort.descending
        or not isinstance(expr, ast.PropertyAccess)
        or not isinstance(expr.subject, ast.Variable)
        or not is_simple_key(expr.key)
    ):
        return None
    subject = expr.subject.name
    if any((item.alias or item.text) == subject and _variable_name(item.expression) != subject for item in items):
        return None  # the ORDER BY reads a column that hides the pattern's variable
    return subject, expr.key


# ---------------------------------------------------------------- projections


def _plan_projection(projection: ast.Projection, scope: list[str], where: Any, final: bool) -> ProjectionOp:
    items = list(projection.items)
    if projection.star:
        visible = [name for name in sorted(scope) if not name.startswith(ANON)]
        items = [ast.ProjectionItem(ast.Variable(name), None, name) for name in visible] + items
    columns = tuple(item.alias or item.text for item in items)
    in_scope = frozenset(scope)
    aggregating = any(contains_aggregate(item.expression) for item in items)
    aggregates: list[AggregateSpec] = []
    synthetic: dict[Hashable, str] = {}  # the shape of each aggregate call to its variable

    def extract(node: Any) -> Any | None:
        if not is_aggregate(node):
            return None
        key = ast.shape(node)
        name = synthetic.get(key)
        if name is None:
            name = synthetic[key] = f"{ANON}agg{len(synthetic)}"
            aggregates.append(_aggregate_spec(node, name, in_scope))
        return ast.Variable(name)

    keys = []
    values: list[tuple[str, ast.Node | None]] = []
    for item, column in zip(items, columns):
        if aggregating and contains_aggregate(item.expression):
            rewritten = rewrite(item.expression, extract)
            values.append((column, rewritten))
        else:
            keys.append((column, compile_expression(item.expression, in_scope)))
            values.append((column, None))
    order = []
    for sort in projection.order_by:
        expr: ast.Node = sort.expression
        # Item by item, so that a column named like a variable of an earlier item shadows it.
        for item, column in zip(items, columns):
            expr = rewrite(expr, _replacing(ast.shape(item.expression), ast.Variable(column)))
        if aggregating:
            expr = rewrite(expr, extract)
        order.append((expr, sort.descending))
    group_scope = in_scope | set(synthetic.values())
    after_scope = group_scope | set(columns)
    compiled_values = tuple(
        (column, compile_expression(expr, group_scope) if expr is not None else None) for column, expr in values
    )
    compiled_order = tuple((compile_expression(expr, after_scope), descending) for expr, descending in order)
    skip = _compile_count(projection.skip)
    limit = _compile_count(projection.limit)
    compiled_where = compile_expression(where, after_scope) if where is not None else None
    return ProjectionOp(
        columns=columns,
        keys=tuple(keys),
        values=compiled_values,
        aggregates=tuple(aggregates) if aggregating else None,
        distinct=projection.distinct,
        order=compiled_order,
        skip=skip,
        limit=limit,
        where=compiled_where,
        final=final,
    )


def _replacing(target: Hashable, replacement: ast.Node) -> Callable[[Any], Any | None]:
    """Build the rewrite rule putting ``replacement`` in place of every expression shaped like ``target``."""

    def change(node: Any) -> Any | None:
        return replacement if ast.shape(node) == target else None

    return change


def _aggregate_spec(node: Any, name: str, scope: frozenset[str]) -> AggregateSpec:
    if isinstance(node, ast.CountStar):
        return AggregateSpec(name, "count", AGGREGATES["count"], (), False, True)
    args = tuple(compile_expression(arg, scope) for arg in node.args)
    if any(contains_aggregate(arg) for arg in node.args):
        raise QuerySemanticError("aggregate calls cannot be nested", "NestedAggregation")
    accumulator = FUNCTIONS[node.name.lower()].aggregate
    if accumulator is None:
        raise QuerySemanticError(f"{node.name}() does not aggregate", "InvalidAggregation")
    return AggregateSpec(name, node.name.lower(), accumulator, args, node.distinct, False)


def _compile_count(expr: Any) -> Any:
    if expr is None:
        return None
    if not is_constant(expr):
        raise QuerySemanticError("SKIP and LIMIT take constant expressions", "NonConstantExpression")
    if isinstance(expr, ast.Literal) and type(expr.value) is int and expr.value >= 0:
        return LiteralCount(expr.value)
    return compile_expression(expr, frozenset())


# ---------------------------------------------------------------- writes


def _properties(expr: Any, scope: frozenset[str]) -> Any:
    return compile_expression(expr, scope) if expr is not None else None


def _create_part(part: ast.PatternPart, scope: frozenset[str], merge: bool = False) -> CreatePart:
    """Plan the creation of one pattern part; MERGE creates an undirected relationship left to right (Neo4j)."""
    steps: list[tuple] = []
    for element in part.elements:
        if isinstance(element, ast.NodePattern):
            steps.append(("node", element.variable, element.labels, _properties(element.properties, scope)))
        else:
            if len(element.types) != 1:
                raise QuerySemanticError("a created relationship needs exactly one type", "NoSingleRelationshipType")
            direction = "out" if merge and element.direction == "both" else element.direction
            if direction == "both":
                raise QuerySemanticError("a created relationship needs a direction", "RequiresDirectedRelationship")
            if element.length is not None:
                raise QuerySemanticError("cannot create a variable-length relationship", "CreatingVarLength")
            steps.append(("rel", element.variable, element.types[0], direction, _properties(element.properties, scope)))
    return CreatePart(tuple(steps), part.path_variable)


def _plan_merge(clause: ast.Merge, scope: list[str]) -> MergeOp:
    outer = frozenset(scope)
    spec = MatchSpec((clause.part,), outer)
    plan = compile_match(spec, compile_expression)
    names = frozenset(_pattern_variables((clause.part,))) | outer
    creator = _create_part(clause.part, outer, merge=True)
    on_create = tuple(_set_item(item, names) for item in clause.on_create)
    on_match = tuple(_set_item(item, names) for item in clause.on_match)
    new = tuple(name for name in _pattern_variables((clause.part,)) if name not in outer)
    return MergeOp(plan, creator, on_create, on_match, new)


def _set_item(item: Any, scope: frozenset[str]) -> tuple:
    if isinstance(item, ast.SetProperty):
        return ("property", compile_expression(item.subject, scope), item.key, compile_expression(item.value, scope))
    if isinstance(item, ast.SetProperties):
        return ("properties", item.variable, compile_expression(item.value, scope), item.replace)
    return ("labels", item.variable, item.labels)


def _remove_item(item: Any, scope: frozenset[str]) -> tuple:
    if isinstance(item, ast.RemoveProperty):
        return ("property", compile_expression(item.subject, scope), item.key)
    return ("labels", item.variable, item.labels)
