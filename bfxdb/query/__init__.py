"""The Cypher engine's entry point: prepare (parse, check, plan; cached) and run queries.

Other rooms use the engine through the names in ``__all__`` only, never through its submodules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExpressionRejected, ParameterMissing, QueryArgumentError, QueryError
from . import ast, semantics
from .dialect import SQLITE, dialect_of
from .estimates import Choice, Estimator, choices_hold
from .evaluator import compile_expression, is_constant
from .operators import (
    ConstraintCommand,
    DirectReturn,
    FulltextIndexCommand,
    IndexCommand,
    OrderedLimit,
    QueryPlan,
    VectorIndexCommand,
    to_output,
)
from .parser import load_parser, parse, parse_bounded, unescape_string
from .planner import plan_statement, writes_in
from .procedures import BUILTINS, Catalogue, Procedure, make_procedure
from .result import Result, Stream
from .runtime import Context
from .semantics import ProcedureSignature
from .sqlplan import EXPLAINED_DIALECT, MatchPlan
from .statements import has_code, split_statements
from .temporal import Date, DateTime, Duration, LocalDateTime, LocalTime, Temporal, Time
from .values import DEFAULT_QUERY_MEMORY, format_number, to_input

__all__ = [
    "BUILTINS",
    "DEFAULT_QUERY_MEMORY",
    "Catalogue",
    "Date",
    "DateTime",
    "Duration",
    "LocalDateTime",
    "LocalTime",
    "PreparedQuery",
    "Procedure",
    "ProcedureSignature",
    "Result",
    "Stream",
    "Temporal",
    "Time",
    "compile_cypher_expression",
    "format_number",
    "has_code",
    "load_parser",
    "make_procedure",
    "prepare",
    "split_statements",
    "to_input",
    "unescape_string",
]

_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    """A parsed, checked and planned query; immutable, so one instance serves every thread.

    ``parameters`` names the ``$parameters`` the query reads. ``profile``: run under PROFILE.
    ``choices``: what the plan chose on the statistics of the store it was planned for (see fits).
    """

    text: str
    plan: QueryPlan | IndexCommand | ConstraintCommand | FulltextIndexCommand | VectorIndexCommand
    writes: bool
    explain: bool
    parameters: frozenset[str]
    profile: bool = False
    choices: tuple[Choice, ...] = ()
    #: the last (statistics, whether the choices hold on them): one answer per snapshot
    _fit: list = field(default_factory=lambda: [None], init=False, repr=False, compare=False)
    columns: tuple[str, ...] = field(init=False)
    plan_text: str = field(init=False)
    #: For a read answered by one SQL statement: the function producing its rows, else None.
    direct: Callable[[Context], list[tuple] | None] | None = field(init=False)

    def __post_init__(self) -> None:
        plan = self.plan
        object.__setattr__(self, "columns", tuple(plan.columns))
        object.__setattr__(self, "plan_text", plan.describe())
        direct = None
        if (
            isinstance(plan, QueryPlan)
            and len(plan.pipelines) == 1
            and not self.writes
            and not self.explain
            and not self.profile
        ):
            direct = plan.pipelines[0].direct
        object.__setattr__(self, "direct", direct)

    def run(
        self,
        store: Any,
        parameters: dict,
        memory: int | None,
        check_deadline: Callable[[], None],
        *,
        import_dir: str | None = None,
    ) -> Result:
        """Run inside the caller's transaction.

        :param store: the Store of the open transaction.
        :param parameters: values of ``$name`` placeholders.
        :param memory: the memory budget in bytes, or None for none.
        :param check_deadline: raises QueryTimeout once the time limit has passed.
        :param import_dir: the folder LOAD CSV reads from (None: LOAD CSV is refused).
        :returns: the Result; for EXPLAIN no rows, only the plan.
        :raises QueryError: a subclass naming what went wrong while running.
        """
        if self.explain:
            plan_text = self.plan_text + _sqlite_plans(self.plan, store)
            return Result(list(self.columns), [], None, plan_text, explained=True)
        ctx = self._context(store, parameters, memory, check_deadline, import_dir)
        if self.profile and isinstance(self.plan, QueryPlan):
            rows, report = self.plan.profile(ctx)
            text = _profile_text(report) + "\n" + self.plan_text + _sqlite_plans(self.plan, store)
            return Result(list(self.columns), rows, ctx.stats, text, report)
        rows = self.plan.execute(ctx)
        return Result(list(self.columns), rows, ctx.stats, self.plan_text)

    def fits(self, store: Any) -> bool:
        """Tell whether the plan's choices still hold on ``store``'s statistics (a plan without any always fits)."""
        if not self.choices:
            return True
        statistics = store.statistics()
        last = self._fit[0]
        if last is None or last[0] is not statistics:
            last = self._fit[0] = (statistics, choices_hold(self.choices, statistics))
        return last[1]

    def stream(
        self,
        store: Any,
        parameters: dict,
        memory: int | None,
        check_deadline: Callable[[], None],
        *,
        import_dir: str | None = None,
    ) -> Iterator[tuple]:
        """Run a read inside the caller's transaction, yielding result rows as they are pulled.

        Work stops where the pulling stops: a consumer that takes five rows runs the query for five.
        ``import_dir`` is as for run.

        :raises QueryError: a subclass naming what went wrong, when the row that hit it is pulled.
        """
        plan = self.plan
        commands = (IndexCommand, ConstraintCommand, FulltextIndexCommand, VectorIndexCommand)
        if self.writes or self.explain or self.profile or isinstance(plan, commands):
            raise QueryArgumentError("only a read query streams; writes, EXPLAIN and PROFILE run with run()")
        return plan.stream(self._context(store, parameters, memory, check_deadline, import_dir))

    def _context(
        self,
        store: Any,
        parameters: dict,
        memory: int | None,
        check_deadline: Callable[[], None],
        import_dir: str | None = None,
    ) -> Context:
        if self.parameters and not self.parameters <= parameters.keys():
            missing = ", ".join(f"${name}" for name in sorted(self.parameters - parameters.keys()))
            raise ParameterMissing(f"missing parameters: {missing}", "MissingParameter")
        ctx = Context(store, _convert_parameters(parameters), check_deadline, memory)
        ctx.import_dir = import_dir
        return ctx

    def run_direct(
        self, store: Any, parameters: dict, memory: int | None, check_deadline: Callable[[], None]
    ) -> Result | None:
        """Answer a read with its one SQL statement, outside any transaction; None when it needs more.

        One statement sees one snapshot by itself, so it needs no BEGIN and COMMIT around it.
        """
        if self.direct is None or (self.parameters and not self.parameters <= parameters.keys()):
            return None
        ctx = Context(store, _convert_parameters(parameters), check_deadline, memory)
        ctx.outside_transaction = True
        rows = self.direct(ctx)
        return None if rows is None else Result(list(self.columns), rows, None, self.plan_text)


def _sqlite_plans(
    plan: QueryPlan | IndexCommand | ConstraintCommand | FulltextIndexCommand | VectorIndexCommand, store: Any
) -> str:
    """EXPLAIN's second part: each pattern's walk seeds and the database engine's own plan of its SQL."""
    if not isinstance(plan, QueryPlan):
        return ""
    lines = []
    for pipeline in plan.pipelines:
        for op in pipeline.ops:
            match = getattr(op, "match", op)
            match_plan = getattr(match, "plan", None)
            if isinstance(match_plan, MatchPlan):
                lines.append(f"{dialect_of(store).engine} plan of {op.describe()[0]}")
                lines.extend(f"  Seed: {seed}" for seed in match_plan.seeds)
                sql = None
                if isinstance(op, OrderedLimit):
                    sql = match_plan.render_ordered(
                        match_plan.explain_kinds(), op.variable, op.key, op.select, store.dialect
                    )
                elif isinstance(op, DirectReturn):
                    sql = op.explain_sql(store.dialect)
                lines.extend(match_plan.sqlite_plan(store, sql))
                lines.extend(f"  Estimate: {estimate}" for estimate in match_plan.estimates)
    return "\n" + "\n".join(lines) if lines else ""


def _profile_text(report: list[dict[str, Any]]) -> str:
    """PROFILE's first part: one line per operator with the rows it produced and the time spent in it alone."""
    lines = ["Profile (rows produced; time in the operator alone, the ones above it excluded):"]
    for entry in report:
        rows = entry["rows"]
        lines.append(f"  {entry['operator']}: {rows:,} row{'' if rows == 1 else 's'}, {entry['time_ms']:.3f} ms")
    total = sum(entry["time_ms"] for entry in report)
    lines.append(f"  total: {total:.3f} ms in operators")
    return "\n".join(lines)


def _convert_parameters(parameters: dict) -> dict:
    for value in parameters.values():
        if type(value) not in _SCALAR_TYPES:
            return {name: to_input(value) for name, value in parameters.items()}
    return parameters


def prepare(
    text: str,
    catalogue: Catalogue = BUILTINS,
    check_deadline: Callable[[], None] | None = None,
    store: Any = None,
) -> PreparedQuery:
    """Parse, check and plan a query, or return the cached plan of the same text.

    :param text: openCypher query text.
    :param catalogue: the procedures CALL may run; plans are cached per catalogue.
    :param check_deadline: raises QueryTimeout once the time limit has passed; parsing calls it
        as it goes, so a very long text cannot outrun the limit.
    :param store: the store the query will run on: its statistics choose where walks start, and
        a cached plan whose choices no longer hold on them is planned again (None: fixed ranks).
    :returns: a PreparedQuery, shareable across threads and connections.
    :raises QuerySyntaxError: when the text does not parse or breaks a syntax rule.
    :raises QuerySemanticError: when the query is meaningless (unknown variable, ...).
    :raises ProcedureNotFound: when CALL names a procedure the catalogue lacks.
    :raises QueryTimeout: when check_deadline does.
    """
    prepared = catalogue.plans.get(text)
    if prepared is None or (store is not None and not prepared.fits(store)):
        statement = parse(text) if check_deadline is None else parse_bounded(text, check_deadline)
        if check_deadline is not None:
            check_deadline()
        semantics.check(statement, text, catalogue.signatures)
        estimator = None
        if store is not None:
            estimator = Estimator(store.statistics(), statement.explain or statement.profile)
        plan = plan_statement(statement, catalogue, estimator)
        # EXPLAIN and PROFILE show the SQL the store runs; other plans may be reused on any store
        shown = store.dialect if store is not None and (statement.explain or statement.profile) else SQLITE.name
        described = EXPLAINED_DIALECT.set(shown)
        try:
            prepared = PreparedQuery(
                text,
                plan,
                _writes(statement, catalogue),
                statement.explain,
                _parameter_names(statement),
                statement.profile,
                tuple(estimator.choices) if estimator is not None else (),
            )
        finally:
            EXPLAINED_DIALECT.reset(described)
        if not (statement.explain or statement.profile):
            # EXPLAIN and PROFILE are planned on each run, so the estimates they show are current
            catalogue.plans.put(text, prepared)
    return prepared


def _parameter_names(statement: ast.Statement) -> frozenset[str]:
    """Collect the names of the ``$parameters`` a statement reads, anywhere in it."""
    return frozenset(node.name for node in ast.walk(statement) if isinstance(node, ast.Parameter))


def _writes(statement: ast.Statement, catalogue: Catalogue) -> bool:
    body = statement.body
    if not isinstance(body, ast.Query):
        return True
    if writes_in(body):
        return True
    # a CALL of a procedure that writes (algo.*.write) makes the query a write, whatever its clauses
    procedures = catalogue.procedures
    return any(
        isinstance(node, ast.Call) and node.procedure in procedures and procedures[node.procedure].writes
        for node in ast.walk(statement)
    )


# ---------------------------------------------------------------- the "cypher" expression type


def compile_cypher_expression(code: str) -> Callable[[dict], Any]:
    """Compile a Cypher expression over ``$parameters`` into a function of the parameters.

    Used as the "cypher" expression type of the sandbox, e.g. ``$x * $y``.

    :param code: one Cypher expression; no variables, patterns, subqueries or aggregates.
    :returns: ``f(parameters) -> value``.
    :raises ExpressionRejected: for anything that is not a pure expression.
    """
    try:
        statement = parse(f"RETURN {code}\nAS value")
    except QueryError as error:
        raise ExpressionRejected(f"not a Cypher expression: {error.message}") from None
    body = statement.body
    if (
        statement.explain
        or statement.profile
        or not isinstance(body, ast.Query)
        or len(body.parts) != 1
        or len(body.parts[0].clauses) != 1
        or not isinstance(body.parts[0].clauses[0], ast.Return)
    ):
        raise ExpressionRejected("a cypher expression must be a single expression")
    projection = body.parts[0].clauses[0].projection
    if (
        projection.star
        or projection.distinct
        or projection.order_by
        or projection.skip is not None
        or projection.limit is not None
        or len(projection.items) != 1
        or projection.items[0].alias != "value"
    ):
        raise ExpressionRejected("a cypher expression must be a single expression")
    expression = projection.items[0].expression
    if not is_constant(expression):
        raise ExpressionRejected("a cypher expression may read $parameters but no variables or patterns")
    evaluator = compile_expression(expression, frozenset())

    def evaluate(parameters: dict) -> Any:
        ctx = Context(None, _convert_parameters(dict(parameters)), _no_deadline)
        return to_output(evaluator({}, ctx), ctx)

    return evaluate


def _no_deadline() -> None:
    """The sandbox bounds expression time itself."""

