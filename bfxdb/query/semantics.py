"""Check a parsed query for the faults openCypher reports before running: scope, types, aggregates, clause order."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping

from ..errors import QueryError, QuerySyntaxError, QueryTypeError
from . import ast
from .functions import FUNCTIONS
from .parser import caret_context

__all__ = [
    "ProcedureSignature",
    "check",
    "contains_aggregate",
    "imports_of",
    "is_aggregate",
    "subexpressions",
]

# What is known about a value before the query runs.
ANY = "any"
NULL = "null"
BOOLEAN = "boolean"
INTEGER = "integer"
FLOAT = "float"
STRING = "string"
LIST = "list"
MAP = "map"
NODE = "node"
RELATIONSHIP = "relationship"
RELATIONSHIPS = "relationships"  # the list a variable-length relationship pattern binds
PATH = "path"

_ENTITY_KINDS = {NODE, RELATIONSHIP, RELATIONSHIPS, PATH}
_NOT_BOOLEAN = {INTEGER, FLOAT, STRING, LIST, MAP} | _ENTITY_KINDS
_NOT_NUMBER = {BOOLEAN, STRING, LIST, MAP} | _ENTITY_KINDS
_NOT_MAP_LIKE = {BOOLEAN, INTEGER, FLOAT, STRING, LIST, RELATIONSHIPS, PATH}
_UNKNOWN = {ANY, NULL}

# The kinds each function accepts for its first argument, where a wrong one is certain before running.
_ARGUMENT_KINDS: dict[str, set[str]] = {
    "labels": {NODE},
    "type": {RELATIONSHIP},
    "startnode": {RELATIONSHIP},
    "endnode": {RELATIONSHIP},
    "id": {NODE, RELATIONSHIP},
    "properties": {NODE, RELATIONSHIP, MAP},
    "keys": {NODE, RELATIONSHIP, MAP},
    "nodes": {PATH},
    "relationships": {PATH},
    "length": {PATH, STRING, LIST},
    "size": {STRING, LIST, RELATIONSHIPS},
    "head": {LIST, RELATIONSHIPS},
    "last": {LIST, RELATIONSHIPS},
    "tail": {LIST, RELATIONSHIPS},
}

_BOOLEAN_OPERATORS = {"AND", "OR", "XOR"}
_ARITHMETIC_OPERATORS = {"-", "*", "/", "%", "^"}
_PREDICATE_OPERATORS = {"=", "<>", "<", ">", "<=", ">=", "IN", "STARTS WITH", "ENDS WITH", "CONTAINS", "=~"}
_UPDATING_CLAUSES = (ast.Create, ast.Merge, ast.Set, ast.Remove, ast.Delete, ast.Foreach)

# Where an aggregate may appear in the expression being checked.
_NO_AGGREGATE = "forbidden"
_TOP_AGGREGATE = "allowed"
_IN_AGGREGATE = "inside an aggregate"


@dataclasses.dataclass(frozen=True, slots=True)
class ProcedureSignature:
    """What CALL may pass to and YIELD from a procedure: ``(name, type)`` pairs in order.

    Types are written as in openCypher signatures: ``INTEGER?``, ``STRING``, ``NUMBER?``, ``ANY?``, ...
    (a trailing ``?`` admits null). ``optional`` is how many of the last inputs a call may leave
    out, as Neo4j's procedures with defaults allow (``queryNodes(name, text)``); they are null.
    """

    inputs: tuple[tuple[str, str], ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    optional: int = 0


# The kinds a procedure parameter of each declared type accepts.
_PARAMETER_KINDS = {
    "INTEGER": {INTEGER},
    "FLOAT": {FLOAT, INTEGER},  # an integer argument is widened to a float, as in Neo4j
    "NUMBER": {INTEGER, FLOAT},
    "STRING": {STRING},
    "BOOLEAN": {BOOLEAN},
    "MAP": {MAP},
    "NODE": {NODE},
    "RELATIONSHIP": {RELATIONSHIP},
    "PATH": {PATH},
}


def is_aggregate(expr: ast.Node) -> bool:
    """Tell whether ``expr`` itself is a call of an aggregating function (``count(*)`` included).

    :param expr: any expression node.
    :returns: True for ``count(*)``, ``sum(x)``, ``collect(DISTINCT y)``, ...
    """
    if isinstance(expr, ast.CountStar):
        return True
    if not isinstance(expr, ast.FunctionCall):
        return False
    function = FUNCTIONS.get(expr.name.lower())
    return function is not None and function.aggregate is not None


def contains_aggregate(expr: ast.Node) -> bool:
    """Tell whether ``expr`` or one of its sub-expressions is an aggregate.

    Nested queries (``EXISTS { ... RETURN count(*) }``) aggregate on their own and do not count.

    :param expr: any expression node.
    :returns: True for ``count(*) + 1`` or ``size(collect(n))``, False for ``n.age + 1``.
    """
    return any(is_aggregate(node) for node in _expression_walk(expr))


def subexpressions(expr: ast.Node) -> Iterator[ast.Node]:
    """Yield the direct sub-expressions of ``expr``, patterns' property maps included.

    :param expr: any expression node.
    :returns: an iterator over child expression nodes, in source order; nested queries are not entered.
    """
    for child in ast.children(expr):
        if isinstance(child, _PATTERN_NODES):
            yield from subexpressions(child)
        elif not isinstance(child, ast.Query):
            yield child


_PATTERN_NODES = (ast.Pattern, ast.PatternPart, ast.NodePattern, ast.RelPattern)


def _outside_queries(node: ast.Node) -> bool:
    return not isinstance(node, ast.Query)


def _expression_walk(expr: ast.Node) -> Iterator[ast.Node]:
    """Walk an expression and everything below it except nested queries, which have their own scope."""
    return ast.walk(expr, enter=_outside_queries)


def check(
    statement: ast.Statement,
    text: str | None = None,
    procedures: Mapping[str, ProcedureSignature] | None = None,
) -> None:
    """Check a parsed statement for the errors openCypher raises at compile time.

    :param statement: what :func:`bfxdb.query.parser.parse` returned.
    :param text: the query text, used to show the offending line with a caret in the error.
    :param procedures: signatures by procedure name; when given, CALL arguments are checked
        against them (procedures missing from it are left for the executor to report).
    :raises QuerySyntaxError: the query is well-formed but invalid; ``detail_code`` is the TCK's
        name for the fault (``UndefinedVariable``, ``VariableTypeConflict``, ``InvalidAggregation``, ...).
    :raises QueryTypeError: a property is read from a value that cannot have properties (``WITH 1 AS x
        RETURN x.key``), which the TCK files as a compile-time type error.
    """
    if isinstance(statement.body, ast.Query):
        checker = _Checker(text, procedures or {})
        checker.union = len(statement.body.parts) > 1
        checker.query(statement.body, {}, subquery=False)


def _kind(expr: ast.Node, scope: dict[str, str]) -> str:
    """Return what is known before running about the value of ``expr``."""
    match expr:
        case ast.Literal(value=value):
            if value is None:
                return NULL
            if isinstance(value, bool):
                return BOOLEAN
            return {int: INTEGER, float: FLOAT, str: STRING}.get(type(value), ANY)
        case ast.Variable(name=name):
            return scope.get(name, ANY)
        case ast.ListLiteral() | ast.ListComprehension() | ast.PatternComprehension():
            return LIST
        case ast.MapLiteral() | ast.MapProjection():
            return MAP
        case ast.Binary(op=op) if op in _BOOLEAN_OPERATORS or op in _PREDICATE_OPERATORS:
            return BOOLEAN
        case ast.Binary(op=op, left=left, right=right) if op in _ARITHMETIC_OPERATORS or op == "+":
            kinds = {_kind(left, scope), _kind(right, scope)}
            if kinds <= {INTEGER, FLOAT}:
                return FLOAT if FLOAT in kinds or op == "^" else INTEGER
        case ast.Unary(op="NOT") | ast.IsNull() | ast.HasLabels() | ast.Quantifier() | ast.ExistsSubquery():
            return BOOLEAN
        case ast.PatternPredicate():
            return BOOLEAN
        case ast.CountSubquery():
            return INTEGER
        case ast.CollectSubquery():
            return LIST
    return ANY


def _element_kind(source: ast.Node, scope: dict[str, str]) -> str:
    """Return the kind of the items of the list ``source``, when they all share one."""
    if isinstance(source, ast.ListLiteral) and source.items:
        kinds = {_kind(item, scope) for item in source.items}
        if len(kinds) == 1:
            return kinds.pop()
    if _kind(source, scope) == RELATIONSHIPS:
        return RELATIONSHIP
    return ANY


def _variables(expr: ast.Node) -> Iterator[ast.Variable]:
    """Yield every variable read in ``expr``, local ones of comprehensions included."""
    return (node for node in _expression_walk(expr) if isinstance(node, ast.Variable))


def _column_name(item: ast.ProjectionItem) -> str:
    if item.alias is not None:
        return item.alias
    if isinstance(item.expression, ast.Variable):
        return item.expression.name
    return item.text


class _Checker:
    """Walk one statement clause by clause, tracking the variables in scope and their kinds."""

    def __init__(self, text: str | None, procedures: Mapping[str, ProcedureSignature]) -> None:
        self._text = text
        self._procedures = procedures
        #: how many subqueries (CALL bodies, EXISTS, COUNT, COLLECT) enclose the clause being checked
        self.depth = 0
        #: how many of them are subquery expressions, which may not change the graph
        self.expressions = 0
        #: whether the statement is a UNION (where CALL IN TRANSACTIONS is refused)
        self.union = False

    def fail(self, detail: str, message: str, node: ast.Node, error: type[QueryError] = QuerySyntaxError) -> QueryError:
        """Build the error for a fault found at ``node``; the TCK files a few faults as type errors."""
        line, column = getattr(node, "pos", ast.NO_POS)
        context = caret_context(self._text, line, column) if self._text is not None and line else None
        where = f" (line {line}, column {column})" if line else ""
        return error(message + where, detail, line=line or None, column=column or None, context=context)

    # ------------------------------------------------------------ queries and clauses

    def query(self, query: ast.Query, outer: dict[str, str], subquery: bool) -> frozenset[str]:
        """Check every part of a UNION; return the column names they share."""
        if len(set(query.union_all)) > 1:
            raise self.fail("InvalidClauseComposition", "UNION and UNION ALL cannot be mixed in one query", query)
        columns = None
        for part in query.parts:
            part_columns = self.single_query(part, outer, subquery)
            if columns is not None and part_columns != columns:
                raise self.fail(
                    "DifferentColumnsInUnion",
                    "All parts of a UNION must return the same column names (in any order), not "
                    f"{', '.join(sorted(columns))} and {', '.join(sorted(part_columns))}",
                    part,
                )
            columns = part_columns
        return columns or frozenset()

    def single_query(self, query: ast.SingleQuery, outer: dict[str, str], subquery: bool) -> frozenset[str]:
        """Check the clauses of one query in order; return its column names."""
        scope = dict(outer)
        columns: frozenset[str] = frozenset()
        updated = False
        last = len(query.clauses) - 1
        for index, clause in enumerate(query.clauses):
            if isinstance(clause, ast.Return) and index != last:
                raise self.fail("InvalidClauseComposition", "RETURN can only be the last clause of a query", clause)
            if isinstance(clause, _UPDATING_CLAUSES):
                if subquery or self.expressions:
                    message = "A subquery expression (EXISTS, COUNT, COLLECT) cannot change the graph"
                    raise self.fail("InvalidClauseComposition", message, clause)
                updated = True
            elif isinstance(clause, ast.With):
                updated = False
            elif isinstance(clause, ast.Match) and updated:
                # UNWIND and CALL may follow a write directly; MATCH would read a half-written graph.
                raise self.fail(
                    "InvalidClauseComposition", "MATCH cannot follow an updating clause without WITH in between", clause
                )
            if isinstance(clause, ast.Call) and clause.yield_star and len(query.clauses) > 1:
                raise self.fail("UnexpectedSyntax", "YIELD * is only allowed in a query that is just a CALL", clause)
            if isinstance(clause, ast.Return):
                scope, columns = self.projection(clause.projection, scope, clause)
            elif isinstance(clause, ast.With) and subquery:
                scope = self.with_in_expression(clause, scope, outer)
            elif isinstance(clause, ast.SubqueryCall):
                scope = self.subquery_call(clause, scope, wrote=any(map(_writes, query.clauses[:index])))
                updated = False
            elif isinstance(clause, ast.Call):
                scope = self._call(clause, scope, standalone=len(query.clauses) == 1)
            else:
                scope = getattr(self, f"_{type(clause).__name__.lower()}")(clause, scope)
        final = query.clauses[last]
        if isinstance(final, ast.SubqueryCall) and not subquery and _returns(final.query):
            raise self.fail(
                "InvalidClauseComposition",
                "A query cannot end with a CALL subquery that returns; finish it with RETURN",
                final,
            )
        if not subquery and not isinstance(final, (ast.Return, ast.Call, ast.SubqueryCall) + _UPDATING_CLAUSES):
            raise self.fail(
                "InvalidClauseComposition",
                f"A query cannot end with {type(final).__name__.upper()}; finish it with RETURN or an updating clause",
                final,
            )
        return columns

    # ------------------------------------------------------------ subqueries and FOREACH

    def with_in_expression(self, clause: ast.With, scope: dict[str, str], outer: dict[str, str]) -> dict[str, str]:
        """Check a WITH inside EXISTS, COUNT or COLLECT: the enclosing query's variables stay visible
        after it (the subquery reads them without importing), so it may not name a column like one."""
        result = self._with(clause, scope)
        for item in clause.projection.items:
            name = _column_name(item)
            if name in outer and not (isinstance(item.expression, ast.Variable) and item.expression.name == name):
                raise self.fail(
                    "VariableAlreadyBound",
                    f"`{name}` is a variable of the enclosing query; give this column another name",
                    item,
                )
        return {**outer, **result}

    def expression_query(self, query: ast.Query, scope: dict[str, str]) -> frozenset[str]:
        """Check the query of EXISTS, COUNT or COLLECT, which reads the enclosing variables and writes nothing."""
        self.depth += 1
        self.expressions += 1
        try:
            return self.query(query, scope, subquery=True)
        finally:
            self.depth -= 1
            self.expressions -= 1

    def subquery_call(self, clause: ast.SubqueryCall, scope: dict[str, str], wrote: bool) -> dict[str, str]:
        """Check ``CALL [(imports)] { ... } [IN TRANSACTIONS]``; return the scope with what it returns.

        The body sees only what it imports: the names of ``CALL (x, y)``, everything for ``CALL (*)``,
        and without a scope clause the variables of a leading importing ``WITH x, y``.
        """
        query = clause.query
        if len(set(query.union_all)) > 1:
            raise self.fail("InvalidClauseComposition", "UNION and UNION ALL cannot be mixed in one query", query)
        if clause.in_transactions:
            self.in_transactions(clause, wrote)
        scoped = clause.imports is not None or clause.import_all
        for name in clause.imports or ():
            self.bound(name, scope, clause)
        imported = dict(scope) if clause.import_all else {name: scope[name] for name in clause.imports or ()}
        returned: set[tuple[bool, frozenset[str]]] = set()
        self.depth += 1
        try:
            for part in query.parts:
                outer = imported if scoped else self.importing_with(part, scope)
                columns = self.single_query(part, outer, subquery=False)
                returned.add((isinstance(part.clauses[-1], ast.Return), columns))
        finally:
            self.depth -= 1
        if len(returned) > 1:
            raise self.fail(
                "DifferentColumnsInUnion", "All parts of a UNION must return the same column names", query
            )
        columns = returned.pop()[1]
        after = dict(scope)
        for name in sorted(columns):
            if name in scope:
                raise self.fail(
                    "VariableAlreadyBound",
                    f"Variable `{name}` is already bound in the enclosing query; return it under another name",
                    clause,
                )
            after[name] = ANY
        if clause.status is not None:
            if clause.on_error == "FAIL":
                message = "REPORT STATUS needs ON ERROR CONTINUE or ON ERROR BREAK: under FAIL no batch reports failing"
                raise self.fail("InvalidClauseComposition", message, clause)
            if clause.status in after:
                raise self.fail("VariableAlreadyBound", f"Variable `{clause.status}` is already bound", clause)
            after[clause.status] = MAP
        return after

    def importing_with(self, part: ast.SingleQuery, scope: dict[str, str]) -> dict[str, str]:
        """Return what an unscoped CALL body imports: the variables of its leading ``WITH a, b`` (or ``WITH *``).

        A leading WITH that reads none of the enclosing variables is an ordinary WITH that imports
        nothing; one that does must be nothing but plain references to them.
        """
        names = imports_of(part, scope.keys())
        first = part.clauses[0]
        if not names or not isinstance(first, ast.With):
            return {}
        projection = first.projection
        plain = all(
            isinstance(item.expression, ast.Variable) and item.alias in (None, item.expression.name)
            for item in projection.items
        )
        if (
            not plain
            or first.where is not None
            or projection.distinct
            or projection.order_by
            or projection.skip is not None
            or projection.limit is not None
        ):
            raise self.fail(
                "InvalidImportingWith",
                "An importing WITH at the start of CALL { ... } can only name variables of the enclosing query "
                "(WITH a, b or WITH *); alias, filter or order them in a second WITH",
                first,
            )
        return {name: scope[name] for name in names}

    def in_transactions(self, clause: ast.SubqueryCall, wrote: bool) -> None:
        """Check where ``CALL { ... } IN TRANSACTIONS`` stands and its batch size."""
        if self.depth or self.union:
            where = "inside another subquery" if self.depth else "in a UNION"
            raise self.fail(
                "InvalidClauseComposition", f"CALL {{ ... }} IN TRANSACTIONS cannot stand {where}", clause
            )
        if wrote:
            raise self.fail(
                "InvalidClauseComposition",
                "CALL { ... } IN TRANSACTIONS cannot follow a write outside it: each batch commits on its own",
                clause,
            )
        batch = clause.batch
        if batch is None:
            return
        self.page(batch, "IN TRANSACTIONS OF")
        if isinstance(batch, ast.Literal) and batch.value == 0:
            raise self.fail("InvalidArgumentValue", "IN TRANSACTIONS OF needs at least 1 row per batch", batch)

    def _foreach(self, clause: ast.Foreach, scope: dict[str, str]) -> dict[str, str]:
        self.expression(clause.source, scope)
        kind = _kind(clause.source, scope)
        if kind not in _UNKNOWN | {LIST, RELATIONSHIPS}:
            raise self.fail("InvalidArgumentType", f"FOREACH needs a list, not a {kind}", clause.source)
        if clause.variable in scope:
            raise self.fail("VariableAlreadyBound", f"Variable `{clause.variable}` is already bound", clause)
        inner = {**scope, clause.variable: _element_kind(clause.source, scope)}
        for inside in clause.clauses:
            if not isinstance(inside, _UPDATING_CLAUSES):
                raise self.fail(
                    "InvalidClauseComposition",
                    "FOREACH can only hold updating clauses: CREATE, MERGE, SET, REMOVE, DELETE, FOREACH",
                    inside,
                )
            inner = getattr(self, f"_{type(inside).__name__.lower()}")(inside, inner)
        return scope

    def _match(self, clause: ast.Match, scope: dict[str, str]) -> dict[str, str]:
        scope = self.bind_pattern(clause.pattern.parts, scope, "match")
        if clause.where is not None:
            self.predicate(clause.where, scope)
        return scope

    def _unwind(self, clause: ast.Unwind, scope: dict[str, str]) -> dict[str, str]:
        self.expression(clause.expression, scope)
        if clause.variable in scope:
            raise self.fail("VariableAlreadyBound", f"Variable `{clause.variable}` is already bound", clause)
        return {**scope, clause.variable: _element_kind(clause.expression, scope)}

    def _loadcsv(self, clause: ast.LoadCsv, scope: dict[str, str]) -> dict[str, str]:
        self.expression(clause.source, scope)
        if clause.variable in scope:
            raise self.fail("VariableAlreadyBound", f"Variable `{clause.variable}` is already bound", clause)
        return {**scope, clause.variable: MAP if clause.headers else LIST}

    def _show(self, clause: ast.Show, scope: dict[str, str]) -> dict[str, str]:
        return {**scope, **dict.fromkeys(clause.columns, ANY)}

    def _with(self, clause: ast.With, scope: dict[str, str]) -> dict[str, str]:
        scope, _columns = self.projection(clause.projection, scope, clause, clause.where)
        return scope

    def _create(self, clause: ast.Create, scope: dict[str, str]) -> dict[str, str]:
        return self.bind_pattern(clause.pattern.parts, scope, "create")

    def _merge(self, clause: ast.Merge, scope: dict[str, str]) -> dict[str, str]:
        scope = self.bind_pattern((clause.part,), scope, "merge")
        for item in clause.on_create + clause.on_match:
            self.set_item(item, scope)
        return scope

    def _set(self, clause: ast.Set, scope: dict[str, str]) -> dict[str, str]:
        for item in clause.items:
            self.set_item(item, scope)
        return scope

    def _remove(self, clause: ast.Remove, scope: dict[str, str]) -> dict[str, str]:
        for item in clause.items:
            if isinstance(item, ast.RemoveProperty):
                self.expression(item.subject, scope)
                self.property_owner(item.subject, item.key, scope)
            else:
                self.bound(item.variable, scope, item)
        return scope

    def _delete(self, clause: ast.Delete, scope: dict[str, str]) -> dict[str, str]:
        for expression in clause.expressions:
            if isinstance(expression, ast.HasLabels):
                raise self.fail(
                    "InvalidDelete", "DELETE removes nodes and relationships; use REMOVE to drop a label", expression
                )
            self.expression(expression, scope)
            if _kind(expression, scope) not in _ENTITY_KINDS | _UNKNOWN | {LIST}:
                raise self.fail("InvalidArgumentType", "DELETE needs a node, a relationship or a path", expression)
        return scope

    def _call(self, clause: ast.Call, scope: dict[str, str], standalone: bool) -> dict[str, str]:
        for argument in clause.args or ():
            self.expression(argument, scope)
        signature = self._procedures.get(clause.procedure)
        if signature is not None:
            self.call_arguments(clause, signature, scope, standalone)
        scope = dict(scope)
        for field, alias in clause.yields:
            name = alias or field
            if name in scope:
                raise self.fail("VariableAlreadyBound", f"Variable `{name}` is already bound", clause)
            scope[name] = ANY
        if clause.where is not None:
            self.predicate(clause.where, scope)
        return scope

    def call_arguments(
        self, clause: ast.Call, signature: ProcedureSignature, scope: dict[str, str], standalone: bool
    ) -> None:
        """Check the arguments of CALL against the procedure's signature."""
        if clause.args is None:
            # Standalone, the arguments come from the parameters of the same names.
            if signature.inputs and not standalone:
                raise self.fail(
                    "InvalidArgumentPassingMode",
                    f"{clause.procedure} takes arguments; inside a query pass them in parentheses",
                    clause,
                )
            return
        fewest = len(signature.inputs) - signature.optional
        if not fewest <= len(clause.args) <= len(signature.inputs):
            counted = f"{fewest} to {len(signature.inputs)}" if signature.optional else str(len(signature.inputs))
            raise self.fail(
                "InvalidNumberOfArguments",
                f"{clause.procedure} takes {counted} argument(s), not {len(clause.args)}",
                clause,
            )
        for argument, (name, declared) in zip(clause.args, signature.inputs):
            accepted = _PARAMETER_KINDS.get(declared.rstrip("?").upper())
            kind = _kind(argument, scope)
            if accepted is not None and kind not in accepted | _UNKNOWN:
                raise self.fail(
                    "InvalidArgumentType", f"Argument `{name}` of {clause.procedure} must be {declared}", argument
                )

    def set_item(self, item: ast.SetItem, scope: dict[str, str]) -> None:
        """Check one item of SET, ON CREATE SET or ON MATCH SET."""
        if isinstance(item, ast.SetProperty):
            self.expression(item.subject, scope)
            self.property_owner(item.subject, item.key, scope)
            self.expression(item.value, scope)
        elif isinstance(item, ast.SetProperties):
            self.bound(item.variable, scope, item)
            self.expression(item.value, scope)
        else:
            self.bound(item.variable, scope, item)

    def bound(self, name: str, scope: dict[str, str], node: ast.Node) -> None:
        """Fail unless ``name`` is in scope."""
        if name not in scope:
            raise self.fail("UndefinedVariable", f"Variable `{name}` not defined", node)

    # ------------------------------------------------------------ WITH and RETURN

    def projection(
        self,
        projection: ast.Projection,
        scope: dict[str, str],
        clause: ast.With | ast.Return,
        where: ast.Node | None = None,
    ) -> tuple[dict[str, str], frozenset[str]]:
        """Check the body of WITH or RETURN (and the WHERE of WITH); return the scope after it and its column names.

        ORDER BY and WHERE see the variables from before the projection too, unless DISTINCT or an
        aggregate has folded the rows together.
        """
        if projection.star and not scope and isinstance(clause, ast.Return):
            raise self.fail("NoVariablesInScope", "RETURN * needs variables in scope", clause)
        items = projection.items
        for item in items:
            self.expression(item.expression, scope, aggregate=_TOP_AGGREGATE)
        aggregates = [item for item in items if contains_aggregate(item.expression)]
        grouping = [item for item in items if item not in aggregates]
        keys = {
            ast.shape(item.expression)
            for item in grouping
            if isinstance(item.expression, ast.Variable)
            or (isinstance(item.expression, ast.PropertyAccess) and isinstance(item.expression.subject, ast.Variable))
        }
        if projection.star:
            keys |= {ast.shape(ast.Variable(name)) for name in scope}
        for item in aggregates:
            self.grouped(item.expression, keys, set())

        names = [_column_name(item) for item in items]
        result = dict(scope) if projection.star else {}
        for name, item in zip(names, items):
            result[name] = _kind(item.expression, scope)

        for sort in projection.order_by:
            visible = {**scope, **result}
            self.expression(sort.expression, visible, aggregate=_TOP_AGGREGATE if aggregates else _NO_AGGREGATE)
            if aggregates or projection.distinct:
                self.available(sort.expression, items, result, keys, grouping, bool(aggregates), scope)
        self.page(projection.skip, "SKIP")
        self.page(projection.limit, "LIMIT")
        if where is not None:
            self.predicate(where, {**scope, **result})
            if aggregates or projection.distinct:
                self.available(where, items, result, keys, grouping, False, scope)

        if isinstance(clause, ast.With):
            for item in items:
                if item.alias is None and not isinstance(item.expression, ast.Variable):
                    raise self.fail(
                        "NoExpressionAlias", f"Expression in WITH must be aliased (use AS): {item.text}", item
                    )
        seen: set[str] = set()
        for name, item in zip(names, items):
            if name in seen:
                raise self.fail("ColumnNameConflict", f"Multiple result columns are named `{name}`", item)
            seen.add(name)
        return result, frozenset(result if projection.star else names)

    def grouped(self, expr: ast.Node, keys: set, local: set[str]) -> None:
        """Fail if ``expr``, part of an aggregating item, reads a value that is not a grouping key."""
        if is_aggregate(expr) or isinstance(expr, (ast.Literal, ast.Parameter)) or ast.shape(expr) in keys:
            return
        if isinstance(expr, ast.Variable):
            if expr.name not in local:
                raise self.fail(
                    "AmbiguousAggregationExpression",
                    f"`{expr.name}` is used next to an aggregate but is not a grouping key of this projection",
                    expr,
                )
            return
        if isinstance(expr, _NESTED_QUERIES):
            return
        inner = local | _local_names(expr)
        for sub in subexpressions(expr):
            self.grouped(sub, keys, inner)

    def available(
        self,
        expr: ast.Node,
        items: tuple[ast.ProjectionItem, ...],
        columns: dict[str, str],
        keys: set,
        grouping: list[ast.ProjectionItem],
        aggregating: bool,
        before: dict[str, str],
    ) -> None:
        """Fail if ORDER BY or WHERE, after DISTINCT or aggregation, reads what the projection dropped.

        Follows CIP2021-07-07: allowed are constants, parameters, the projected columns, grouping keys
        (``v`` or ``v.key``), aggregates the projection computes, and anything built from those.
        A pattern comprehension's own new variables (those not in ``before``, the scope before the
        projection) are its to read; one that names a dropped variable still reads what was dropped.
        """
        aggregate_items = {ast.shape(item.expression) for item in items if is_aggregate(item.expression)}
        projected = keys | aggregate_items
        if not aggregating:
            projected |= {ast.shape(item.expression) for item in items}
        grouping_names = {v.name for item in grouping for v in _variables(item.expression)}
        wants_aggregate = contains_aggregate(expr)

        def visit(node: ast.Node, inside_aggregate: bool, local: set[str]) -> None:
            if isinstance(node, (ast.Literal, ast.Parameter)) or ast.shape(node) in projected:
                return
            if isinstance(node, ast.Variable):
                if node.name in columns or node.name in local:
                    return
                if wants_aggregate and not inside_aggregate and node.name in grouping_names:
                    raise self.fail(
                        "AmbiguousAggregationExpression",
                        f"`{node.name}` is sorted next to an aggregate but is not a grouping key of the projection",
                        node,
                    )
                raise self.fail(
                    "UndefinedVariable",
                    f"Variable `{node.name}` is gone after DISTINCT or aggregation; project it to use it here",
                    node,
                )
            inner = local | _local_names(node)
            if isinstance(node, ast.PatternComprehension):
                named = _pattern_names(node.pattern) - local - columns.keys()
                dropped = sorted(named & before.keys())
                if dropped:
                    raise self.fail(
                        "UndefinedVariable",
                        f"Variable `{dropped[0]}` is gone after DISTINCT or aggregation; project it to use it here",
                        node,
                    )
                inner |= named
            for sub in subexpressions(node):
                visit(sub, inside_aggregate or is_aggregate(node), inner)

        visit(expr, False, set())

    def page(self, expr: ast.Node | None, keyword: str) -> None:
        """Check a SKIP or LIMIT count: a constant, non-negative integer."""
        if expr is None:
            return
        variable = next(_variables(expr), None)
        if variable is not None:
            raise self.fail(
                "NonConstantExpression", f"{keyword} must not depend on variables such as `{variable.name}`", variable
            )
        self.expression(expr, {})
        if isinstance(expr, ast.Literal):
            if isinstance(expr.value, bool) or not isinstance(expr.value, int):
                raise self.fail("InvalidArgumentType", f"{keyword} needs an integer, not {expr.value!r}", expr)
            if expr.value < 0:
                raise self.fail("NegativeIntegerArgument", f"{keyword} cannot be negative", expr)

    # ------------------------------------------------------------ patterns

    def bind_pattern(self, parts: tuple[ast.PatternPart, ...], scope: dict[str, str], mode: str) -> dict[str, str]:
        """Check pattern parts and return the scope with the variables they bind.

        ``mode`` is ``match``, ``create``, ``merge``, ``predicate`` (may not bind anything new) or
        ``local`` (pattern comprehensions and EXISTS, whose new variables stay inside).
        """
        scope = dict(scope)
        relationships: set[str] = set()
        for part in parts:
            lone = len(part.elements) == 1
            for element in part.elements:
                self.pattern_properties(element, scope, mode)
                if isinstance(element, ast.NodePattern):
                    self.bind_node(element, scope, mode, lone)
                else:
                    self.bind_relationship(element, scope, mode, relationships)
            if part.path_variable is not None:
                if part.path_variable in scope:
                    raise self.fail("VariableAlreadyBound", f"Variable `{part.path_variable}` is already bound", part)
                scope[part.path_variable] = PATH
        return scope

    def pattern_properties(self, element: ast.NodePattern | ast.RelPattern, scope: dict[str, str], mode: str) -> None:
        properties = element.properties
        if properties is None:
            return
        if isinstance(properties, ast.Parameter) and mode != "create":
            raise self.fail(
                "InvalidParameterUse",
                "A parameter cannot stand for the properties of a pattern here; write {key: $param.key}",
                properties,
            )
        self.expression(properties, scope)

    def bind_node(self, node: ast.NodePattern, scope: dict[str, str], mode: str, lone: bool) -> None:
        if node.label_expr is not None and mode in ("create", "merge"):
            raise self.fail(
                "InvalidLabelExpression",
                f"{mode.upper()} needs the labels to give, such as :A:B or :A&B, "
                f"not the label expression {ast.label_text(node.label_expr)}",
                node,
            )
        name = node.variable
        if name is None:
            return
        kind = scope.get(name)
        if kind is None:
            if mode == "predicate":
                raise self.fail("UndefinedVariable", f"Variable `{name}` not defined", node)
            scope[name] = NODE
            return
        if kind not in (NODE, ANY, NULL):
            raise self.fail("VariableTypeConflict", f"Variable `{name}` is a {kind}, not a node", node)
        if mode in ("create", "merge") and (node.labels or node.properties is not None or lone):
            raise self.fail(
                "VariableAlreadyBound",
                f"Node `{name}` already exists; {mode.upper()} can only connect it, not add labels or properties",
                node,
            )

    def bind_relationship(self, rel: ast.RelPattern, scope: dict[str, str], mode: str, seen: set[str]) -> None:
        name = rel.variable
        if name is not None and name in scope and mode in ("create", "merge"):
            raise self.fail("VariableAlreadyBound", f"Relationship `{name}` is already bound", rel)
        if mode in ("create", "merge"):
            if len(rel.types) != 1:
                raise self.fail("NoSingleRelationshipType", f"{mode.upper()} needs exactly one relationship type", rel)
            if mode == "create" and rel.direction == "both":
                raise self.fail("RequiresDirectedRelationship", "CREATE needs a direction: -> or <-", rel)
            if rel.length is not None:
                raise self.fail("CreatingVarLength", f"{mode.upper()} cannot make a variable-length relationship", rel)
        if name is None:
            return
        expected = RELATIONSHIP if rel.length is None else RELATIONSHIPS
        kind = scope.get(name)
        if kind is None:
            if mode == "predicate":
                raise self.fail("UndefinedVariable", f"Variable `{name}` not defined", rel)
            scope[name] = expected
            seen.add(name)
            return
        if name in seen:
            raise self.fail(
                "RelationshipUniquenessViolation",
                f"Relationship `{name}` appears twice in one pattern, which can never match",
                rel,
            )
        allowed = {expected, ANY, NULL} if rel.length is None else {expected, LIST, ANY, NULL}
        if kind not in allowed:
            raise self.fail("VariableTypeConflict", f"Variable `{name}` is a {kind}, not a {expected}", rel)
        seen.add(name)

    # ------------------------------------------------------------ expressions

    def predicate(self, expr: ast.Node, scope: dict[str, str]) -> None:
        """Check a WHERE condition (of a clause, a comprehension or a quantifier): patterns may stand in it,
        aggregates may not, and its value must be able to be a boolean."""
        self.expression(expr, scope, predicate=True)
        kind = _kind(expr, scope)
        if kind in _NOT_BOOLEAN:
            raise self.fail("InvalidArgumentType", f"WHERE needs a boolean, not a {kind}", expr)

    def expression(
        self, expr: ast.Node, scope: dict[str, str], aggregate: str = _NO_AGGREGATE, predicate: bool = False
    ) -> None:
        """Check one expression.

        :param aggregate: whether an aggregate may appear (``_TOP_AGGREGATE``), may not
            (``_NO_AGGREGATE``), or we are already inside one (``_IN_AGGREGATE``).
        :param predicate: whether a pattern such as ``(a)-->(b)`` may stand here as a boolean.
        """
        self._HANDLERS[type(expr)](self, expr, scope, aggregate, predicate)

    def _constant(self, expr, scope, aggregate, predicate):
        pass

    def _variable(self, expr, scope, aggregate, predicate):
        self.bound(expr.name, scope, expr)

    def _list_literal(self, expr, scope, aggregate, predicate):
        for item in expr.items:
            self.expression(item, scope, aggregate)

    def _map_literal(self, expr, scope, aggregate, predicate):
        for _key, value in expr.items:
            self.expression(value, scope, aggregate)

    def _property_access(self, expr, scope, aggregate, predicate):
        self.expression(expr.subject, scope, aggregate)
        self.property_owner(expr.subject, expr.key, scope, expr)

    def property_owner(self, subject: ast.Node, key: str, scope: dict[str, str], at: ast.Node | None = None) -> None:
        """Fail when ``subject`` is certain to be a value without properties (a path, a number, ...).

        :param at: the property access being read; None for the target of SET or REMOVE.
        """
        kind = _kind(subject, scope)
        if kind in _NOT_MAP_LIKE:
            verb = "read" if at is not None else "write"
            raise self.fail(
                "InvalidArgumentType", f"Cannot {verb} property `{key}` of a {kind}", at or subject, QueryTypeError
            )

    def _subscript(self, expr, scope, aggregate, predicate):
        self.expression(expr.subject, scope, aggregate)
        self.expression(expr.index, scope, aggregate)

    def _slice(self, expr, scope, aggregate, predicate):
        for sub in subexpressions(expr):
            self.expression(sub, scope, aggregate)

    def _unary(self, expr, scope, aggregate, predicate):
        self.expression(expr.operand, scope, aggregate, predicate and expr.op == "NOT")
        kind = _kind(expr.operand, scope)
        if expr.op == "NOT" and kind in _NOT_BOOLEAN:
            raise self.fail("InvalidArgumentType", f"NOT needs a boolean, not a {kind}", expr.operand)
        if expr.op != "NOT" and kind in _NOT_NUMBER:
            raise self.fail("InvalidArgumentType", f"Unary {expr.op} needs a number, not a {kind}", expr.operand)

    def _binary(self, expr, scope, aggregate, predicate):
        logical = expr.op in _BOOLEAN_OPERATORS
        self.expression(expr.left, scope, aggregate, predicate and logical)
        self.expression(expr.right, scope, aggregate, predicate and logical)
        kinds = (_kind(expr.left, scope), _kind(expr.right, scope))
        for operand, kind in zip((expr.left, expr.right), kinds):
            if logical and kind in _NOT_BOOLEAN:
                raise self.fail("InvalidArgumentType", f"{expr.op} needs booleans, not a {kind}", operand)
            if expr.op in _ARITHMETIC_OPERATORS and kind in _NOT_NUMBER:
                raise self.fail("InvalidArgumentType", f"'{expr.op}' needs numbers, not a {kind}", operand)
        if expr.op == "IN" and kinds[1] not in {LIST, RELATIONSHIPS} | _UNKNOWN:
            raise self.fail("InvalidArgumentType", f"IN needs a list, not a {kinds[1]}", expr.right)
        if expr.op == "+" and LIST not in kinds and STRING not in kinds:
            for operand, kind in zip((expr.left, expr.right), kinds):
                if kind in {BOOLEAN, MAP} | _ENTITY_KINDS:
                    raise self.fail("InvalidArgumentType", f"'+' cannot add a {kind}", operand)

    def _is_null(self, expr, scope, aggregate, predicate):
        self.expression(expr.operand, scope, aggregate)

    def _has_labels(self, expr, scope, aggregate, predicate):
        self.expression(expr.subject, scope, aggregate)

    def _function_call(self, expr, scope, aggregate, predicate):
        name = expr.name.lower()
        function = FUNCTIONS.get(name)
        if function is None:
            raise self.fail("UnknownFunction", f"Unknown function '{expr.name}'", expr)
        fewest, most = function.fewest, function.most
        if len(expr.args) < fewest or (most is not None and len(expr.args) > most):
            wanted = str(fewest) if fewest == most else f"{fewest} to {most}" if most else f"at least {fewest}"
            raise self.fail(
                "InvalidNumberOfArguments",
                f"{expr.name}() takes {wanted} argument(s), not {len(expr.args)}",
                expr,
            )
        inner = aggregate
        if function.aggregate is not None:
            inner = self.aggregate_position(expr, aggregate)
        elif name == "rand" and aggregate == _IN_AGGREGATE:
            raise self.fail("NonConstantExpression", "rand() cannot be used inside an aggregate", expr)
        for argument in expr.args:
            self.expression(argument, scope, inner, predicate=name == "exists")
        accepted = _ARGUMENT_KINDS.get(name)
        if accepted is not None and expr.args:
            kind = _kind(expr.args[0], scope)
            if kind not in accepted | _UNKNOWN:
                raise self.fail("InvalidArgumentType", f"{expr.name}() cannot take a {kind}", expr.args[0])

    def _count_star(self, expr, scope, aggregate, predicate):
        self.aggregate_position(expr, aggregate)

    def aggregate_position(self, expr: ast.Node, aggregate: str) -> str:
        """Fail if an aggregate may not stand here; return the position of its arguments."""
        if aggregate == _IN_AGGREGATE:
            raise self.fail("NestedAggregation", "An aggregate cannot be inside another aggregate", expr)
        if aggregate == _NO_AGGREGATE:
            raise self.fail("InvalidAggregation", "Aggregates are only allowed in the items of WITH and RETURN", expr)
        return _IN_AGGREGATE

    def _case(self, expr, scope, aggregate, predicate):
        if expr.subject is not None:
            self.expression(expr.subject, scope, aggregate)
        for when, then in expr.whens:
            self.expression(when, scope, aggregate, predicate=expr.subject is None)
            self.expression(then, scope, aggregate)
        if expr.default is not None:
            self.expression(expr.default, scope, aggregate)

    def _list_comprehension(self, expr, scope, aggregate, predicate):
        self.expression(expr.source, scope, aggregate)
        inner = {**scope, expr.variable: _element_kind(expr.source, scope)}
        if expr.predicate is not None:
            self.predicate(expr.predicate, inner)
        if expr.projection is not None:
            self.expression(expr.projection, inner)

    def _quantifier(self, expr, scope, aggregate, predicate):
        self.expression(expr.source, scope, aggregate)
        if expr.predicate is not None:
            self.predicate(expr.predicate, {**scope, expr.variable: _element_kind(expr.source, scope)})

    def _reduce(self, expr, scope, aggregate, predicate):
        self.expression(expr.init, scope, aggregate)
        self.expression(expr.source, scope, aggregate)
        inner = {**scope, expr.accumulator: ANY, expr.variable: _element_kind(expr.source, scope)}
        self.expression(expr.step, inner)

    def _pattern_comprehension(self, expr, scope, aggregate, predicate):
        inner = self.bind_pattern((expr.pattern,), scope, "local")
        if expr.predicate is not None:
            self.predicate(expr.predicate, inner)
        self.expression(expr.projection, inner)

    def _pattern_predicate(self, expr, scope, aggregate, predicate):
        if not predicate:
            raise self.fail(
                "UnexpectedSyntax",
                "A pattern can only be used as a condition, in WHERE or exists(); use a pattern comprehension "
                "[(a)-->(b) | b] for a list of matches",
                expr,
            )
        self.bind_pattern((expr.pattern,), scope, "predicate")

    def _exists_subquery(self, expr, scope, aggregate, predicate):
        if expr.query is not None:
            self.expression_query(expr.query, scope)
            return
        inner = self.bind_pattern(expr.pattern.parts, scope, "local")
        if expr.where is not None:
            self.predicate(expr.where, inner)

    def _count_subquery(self, expr, scope, aggregate, predicate):
        if expr.query is None:
            self._exists_subquery(expr, scope, aggregate, predicate)
            return
        self.expression_query(expr.query, scope)
        if len(expr.query.parts) > 1 and not _returns(expr.query):
            message = "Each part of a UNION inside COUNT { ... } must RETURN the rows to count"
            raise self.fail("InvalidClauseComposition", message, expr)

    def _collect_subquery(self, expr, scope, aggregate, predicate):
        columns = self.expression_query(expr.query, scope)
        if not _returns(expr.query) or len(columns) != 1:
            raise self.fail(
                "InvalidClauseComposition", "COLLECT { ... } must end with a RETURN of exactly one column", expr
            )

    def _map_projection(self, expr, scope, aggregate, predicate):
        self.expression(expr.subject, scope, aggregate)
        for kind, key, value in expr.items:
            if kind == "variable":
                self.bound(key, scope, expr)
            elif value is not None:
                self.expression(value, scope, aggregate)

    # The check of each kind of expression node, for expression() to dispatch on.
    _HANDLERS = {
        ast.Literal: _constant,
        ast.Parameter: _constant,
        ast.Variable: _variable,
        ast.ListLiteral: _list_literal,
        ast.MapLiteral: _map_literal,
        ast.PropertyAccess: _property_access,
        ast.Subscript: _subscript,
        ast.Slice: _slice,
        ast.Unary: _unary,
        ast.Binary: _binary,
        ast.IsNull: _is_null,
        ast.HasLabels: _has_labels,
        ast.FunctionCall: _function_call,
        ast.CountStar: _count_star,
        ast.Case: _case,
        ast.ListComprehension: _list_comprehension,
        ast.Quantifier: _quantifier,
        ast.Reduce: _reduce,
        ast.PatternComprehension: _pattern_comprehension,
        ast.PatternPredicate: _pattern_predicate,
        ast.ExistsSubquery: _exists_subquery,
        ast.CountSubquery: _count_subquery,
        ast.CollectSubquery: _collect_subquery,
        ast.MapProjection: _map_projection,
    }


#: Expressions that hold a query or pattern of their own, which an aggregating projection does not group.
_NESTED_QUERIES = (
    ast.PatternComprehension, ast.PatternPredicate, ast.ExistsSubquery, ast.CountSubquery, ast.CollectSubquery
)


def imports_of(part: ast.SingleQuery, outer: Collection[str]) -> tuple[str, ...]:
    """Return what the body of an unscoped ``CALL { ... }`` imports: the enclosing variables its leading
    WITH reads (all of them for ``WITH *``); nothing when it does not start with WITH.

    :param part: one part of the body's UNION.
    :param outer: the variables of the enclosing query.
    """
    first = part.clauses[0]
    if not isinstance(first, ast.With):
        return ()
    if first.projection.star:
        return tuple(sorted(outer))
    reads = (variable.name for item in first.projection.items for variable in _variables(item.expression))
    return tuple(dict.fromkeys(name for name in reads if name in outer))


def _returns(query: ast.Query) -> bool:
    """Tell whether a (sub)query ends with RETURN, in every part of its UNION."""
    return all(isinstance(part.clauses[-1], ast.Return) for part in query.parts)


def _writes(clause: ast.Node) -> bool:
    """Tell whether a clause changes the graph in the current transaction: an updating clause, or a
    CALL subquery that holds one and does not commit it in transactions of its own."""
    if isinstance(clause, _UPDATING_CLAUSES):
        return True
    if isinstance(clause, ast.SubqueryCall) and not clause.in_transactions:
        return any(_writes(inner) for part in clause.query.parts for inner in part.clauses)
    return False


def _local_names(expr: ast.Node) -> set[str]:
    """Return the names ``expr`` binds for its own sub-expressions (comprehension and reduce variables)."""
    match expr:
        case ast.ListComprehension(variable=name) | ast.Quantifier(variable=name):
            return {name}
        case ast.Reduce(accumulator=accumulator, variable=name):
            return {accumulator, name}
    return set()


def _pattern_names(part: ast.PatternPart) -> set[str]:
    """Return the variables a pattern part names: its nodes', relationships' and path's."""
    names = {element.variable for element in part.elements if element.variable is not None}
    return names | ({part.path_variable} if part.path_variable else set())
