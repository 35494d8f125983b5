"""Compile MATCH patterns into one SELECT with named parameters (a MatchPlan), in SQLite's dialect.

Where PostgreSQL's SQL differs in more than its parameter style, the plan holds a Fragment that
each dialect renders (dialect.py). Every value reaches the database as a named parameter. The
SQL text is built only from a fixed vocabulary (table and column names, generated aliases such
as ``n0`` or ``v1``) and from two quoting functions: ``quote_identifier`` for index names and
``json_path_literal`` for property keys that passed ``is_simple_key``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ..storage import IDENTITY_OF, NODE_OF
from ..storage import RELATIONSHIP_COLUMNS as REL_DATA
from ..storage import RELATIONSHIP_WIDTH as REL_WIDTH
from ..storage import SUBSTRATE_COLUMNS as NODE_DATA
from ..storage import SUBSTRATE_WIDTH as NODE_WIDTH
from . import ast
from .dialect import FALSE, PAGE, Fragment, label_join, label_page, lacks
from .estimates import Estimator, NodeShape, format_rows
from .runtime import Context
from .sqlplan import (
    SELECT_LIST,
    MatchPlan,
    PropertyFilter,
    id_param,
    make_decoder,
    metadatas,
    node_param,
    rel_param,
)
from .values import equals

#: Cap on the length of an unbounded variable-length relationship (``*`` or ``*2..``): a walk
#: deeper than this is not found. Relationship uniqueness already bounds every walk by the number
#: of relationships; the cap bounds the work of a runaway query before its time limit does.
DEFAULT_MAX_HOPS = 64

#: What EXPLAIN says chose a walk's seed, by seed_score.
_SEED_REASONS = {
    0: "nothing (every node)",
    2: "its label",
    3: "its neighbours across a fixed hop from a node with an id or property filters",
    4: "its property filters",
    6: "a bound id",
}

# The rels column of a trail CTE lists relationship ids as ",id1,id2,": instr() then tests
# membership exactly, because every id is enclosed by commas.
_EMPTY_PATH = ", ','"

Evaluator = Callable[[dict, Context], Any]


def free_variables(expr: ast.Node) -> set[str]:
    """Collect the names of variables an expression reads (conservatively, including scoped ones)."""
    return {node.name for node in ast.walk(expr) if isinstance(node, ast.Variable)}


# ---------------------------------------------------------------- pattern compilation


def _label_names(expr: ast.LabelExpr) -> tuple[str, ...] | None:
    """The labels of a plain disjunction ``A|B|C``; None for any other label expression."""
    if expr[0] == "or" and all(term[0] == "label" for term in expr[1:]):
        return tuple(term[1] for term in expr[1:])
    return None

ANON = "\x00"  # prefix of generated names: no user variable starts with NUL


@dataclass(frozen=True, slots=True)
class MatchSpec:
    """What the planner asks of a pattern.

    ``outer``: variables bound before the pattern (read from each incoming row).
    ``fetch``: variables whose full data the query reads (selected with the match).
    ``keep``: new variables the rest of the query reads (None: all); others are not decoded.
    ``pushed_ids``/``pushed_props``: ``id(v) = x`` and ``v.key op x`` conjuncts taken from WHERE
    as (v, x) and (v, key, x, op), x evaluated on the incoming row; op is a PropertyFilter op.
    ``reach``: the consumer ignores duplicate rows, so directed variable-length hops without
    relationship or path variables may be walked as node reachability.
    ``ordered``: node variables the consumer may ask SQL to order by a property of: they test
    their labels with EXISTS, so that SQLite can walk a property index in order.
    """

    parts: tuple[ast.PatternPart, ...]
    outer: frozenset[str]
    fetch: frozenset[str] = frozenset()
    keep: frozenset[str] | None = None
    pushed_ids: tuple[tuple[str, Evaluator], ...] = ()
    pushed_props: tuple[tuple[str, str, Evaluator, str], ...] = ()
    reach: bool = False
    ordered: frozenset[str] = frozenset()


def compile_match(
    spec: MatchSpec,
    compile_expr: Callable[[Any, frozenset[str]], Evaluator],
    estimator: Estimator | None = None,
) -> MatchPlan:
    """Compile a pattern into one SELECT, with a recursive CTE per variable-length hop.

    :param spec: the pattern and what the planner knows around it.
    :param compile_expr: turns an expression and its scope into an evaluator.
    :param estimator: the store's row estimates, which choose each walk's seed; None ranks the
        ends by what restricts them (id, property filters, anchor, label, nothing).
    :returns: an immutable MatchPlan.
    """
    return _PatternCompiler(spec, compile_expr, estimator).build()


#: How deep the identities of a chain of undirected hops nest as CASE expressions at most: each
#: node's is a CASE over the one before, and SQLite's parser stack overflows at about 16.
_CASE_DEPTH = 8
#: SQLite joins at most 64 tables in one SELECT (a walk's CTE is one of them).
MAX_JOIN = 64
#: Hops in one piece of a long pattern part cut into stages: at a table per hop and at most two
#: per node (its substrates row and a label row), a piece always fits in one join.
_PIECE = 16


def compile_stages(
    spec: MatchSpec,
    compile_expr: Callable[[Any, frozenset[str]], Evaluator],
    estimator: Estimator | None = None,
) -> tuple[MatchPlan, ...]:
    """Compile a pattern into one SELECT or, when SQLite could not join it in one, into stages.

    A pattern needing more than MAX_JOIN tables (many parts, a long chain) is cut into pieces of
    at most _PIECE hops, and the pieces are grouped, in order, into stages that each fit one
    join. Each stage runs per row of the stage before, its variables bound (as ``MATCH ... WITH *
    MATCH ...`` would), so nothing is held in memory; the last stage checks that no relationship
    is used twice across the stages. A part with a path variable is never cut: if it alone does
    not fit, SQLite's error stands (QueryTooComplex).

    :param estimator: as for compile_match; the trial cuts are compiled without it, so that only
        the plans that run record their choices.
    :returns: the stages' plans, in the order they run; one plan for a pattern that fits.
    """
    compiler = _PatternCompiler(spec, compile_expr, estimator)
    plan = compiler.build()
    if len(compiler.tables) <= MAX_JOIN:
        return (plan,)
    stages: list[list[ast.PatternPart]] = [[]]
    bound = [spec.outer]
    for piece in _pieces(_named(spec.parts)):
        trial = _PatternCompiler(_stage_spec(spec, [*stages[-1], piece], bound[-1]), compile_expr)
        trial.build()
        if stages[-1] and len(trial.tables) > MAX_JOIN:
            bound.append(bound[-1] | _variables(stages[-1]))
            stages.append([])
        stages[-1].append(piece)
    if len(stages) == 1:
        return (plan,)
    plans = [
        compile_match(_stage_spec(spec, parts, outer), compile_expr, estimator) for parts, outer in zip(stages, bound)
    ]
    rels = tuple(
        dict.fromkeys(
            element.variable
            for parts in stages
            for part in parts
            for element in part.elements
            if isinstance(element, ast.RelPattern) and element.variable
        )
    )
    last = plans[-1]
    plans[-1] = replace(last, residual=(*last.residual, _distinct_rels(rels)))
    return tuple(plans)


def _named(parts: tuple[ast.PatternPart, ...]) -> list[ast.PatternPart]:
    """Name the pattern's anonymous nodes and relationships, so that stages can share and compare them."""
    named = []
    for index, part in enumerate(parts):
        elements = tuple(
            element if element.variable else replace(element, variable=f"{ANON}s{index}.{position}")
            for position, element in enumerate(part.elements)
        )
        named.append(replace(part, elements=elements))
    return named


def _pieces(parts: list[ast.PatternPart]) -> list[ast.PatternPart]:
    """Cut each part without a path variable into pieces of at most _PIECE hops that share their end nodes."""
    pieces = []
    for part in parts:
        elements = part.elements
        if part.path_variable is not None or len(elements) <= 2 * _PIECE + 1:
            pieces.append(part)
            continue
        for start in range(0, len(elements) - 1, 2 * _PIECE):
            pieces.append(ast.PatternPart(elements[start : start + 2 * _PIECE + 1], pos=part.pos))
    return pieces


def _variables(parts: list[ast.PatternPart]) -> frozenset[str]:
    names = {element.variable for part in parts for element in part.elements if element.variable}
    names.update(part.path_variable for part in parts if part.path_variable)
    return frozenset(names)


def _stage_spec(spec: MatchSpec, parts: list[ast.PatternPart], bound: frozenset[str]) -> MatchSpec:
    """The spec of one stage: its pieces, with every variable of the stages before it bound."""
    names = _variables(parts)
    new = names - bound
    return MatchSpec(
        tuple(parts),
        bound,
        spec.fetch & new,
        names,  # later stages and the uniqueness check read every variable, named or not
        tuple(pushed for pushed in spec.pushed_ids if pushed[0] in new),
        tuple(pushed for pushed in spec.pushed_props if pushed[0] in new),
        False,
        spec.ordered & new,
    )


def _distinct_rels(names: tuple[str, ...]) -> Callable[[dict, Context], bool]:
    """Check that the relationships (and relationship lists) of a staged pattern are all different."""

    def check(row: dict, ctx: Context) -> bool:
        ids: list[int] = []
        for name in names:
            value = row[name]
            if type(value) is list:
                ids.extend(ref.id for ref in value)
            else:
                ids.append(value.id)
        return len(ids) == len(set(ids))

    return check


@dataclass
class _Node:
    name: str
    bound: bool
    labels: list = field(default_factory=list)
    label_exprs: list = field(default_factory=list)  # label expressions beyond labels: (n:A|B), (n:!A)
    label_in: ast.LabelExpr | None = None  # the one of them place_node tests with the label index
    pushed_id: Evaluator | None = None
    needs_table: bool = False
    table: str | None = None
    id_sql: str = ""  # the SQL of the node's number in the store, once assign_id has chosen it
    id_param: str | None = None
    joined_label: str | None = None
    label_alias: str | None = None  # the FROM alias of the joined label row
    label_param: str | None = None  # the parameter of the joined label's id


@dataclass
class _Hop:
    name: str
    alias: str
    rel: ast.RelPattern
    left: str
    right: str
    bounds: tuple[int, int] | None  # (min, max) for variable length
    reach: bool = False
    seed_right: bool = False
    seed_rank: int = 0  # the _SEED_REASONS key of what chose the seed
    seed_anchor: _Hop | None = None  # seed from the neighbours across this fixed hop
    filters: list = field(default_factory=list)
    case_defines_right: bool = False


def _property_check(owner: str, owner_kind: str, key: str, evaluator: Evaluator) -> Callable[[dict, Context], bool]:
    def check(row: dict, ctx: Context) -> bool:
        expected = evaluator(row, ctx)
        return all(equals(m.get(key), expected) is True for m in metadatas(row[owner], owner_kind, ctx))

    return check


def _map_check(owner: str, owner_kind: str, evaluator: Evaluator) -> Callable[[dict, Context], bool]:
    def check(row: dict, ctx: Context) -> bool:
        expected = evaluator(row, ctx)
        if type(expected) is not dict:
            return False
        return all(
            equals(m.get(key), value) is True for m in metadatas(row[owner], owner_kind, ctx)
            for key, value in expected.items()
        )

    return check


def _disjoint(first: str, second: str) -> Callable[[dict, Context], bool]:
    def check(row: dict, ctx: Context) -> bool:
        return not {ref.id for ref in row[first]} & {ref.id for ref in row[second]}

    return check


def _same_list(decoded: str, bound: str) -> Callable[[dict, Context], bool]:
    def check(row: dict, ctx: Context) -> bool:
        return row[decoded] == row[bound]

    return check


def _read_var(name: str, convert: Callable[[Any], Any]) -> Evaluator:
    def read(row: dict, ctx: Context) -> Any:
        return convert(row.get(name))

    return read


def _pushed(evaluator: Evaluator) -> Evaluator:
    def read(row: dict, ctx: Context) -> Any:
        return id_param(evaluator(row, ctx))

    return read


class _PatternCompiler:
    """One-shot builder of a MatchPlan; its state lives only while compiling."""

    def __init__(
        self,
        spec: MatchSpec,
        compile_expr: Callable[[Any, frozenset[str]], Evaluator],
        estimator: Estimator | None = None,
    ) -> None:
        self.spec = spec
        self.compile_expr = compile_expr
        self.estimator = estimator
        self.nodes: dict[str, _Node] = {}
        self.hops: list[_Hop] = []
        self.params: dict[str, Any] = {}
        #: the params holding a label or type name, which bind() replaces with its id in names
        self.names: list[str] = []
        self.sources: list[tuple[str, Evaluator]] = []
        self.filters: list[PropertyFilter] = []
        self.residual: list[Callable[[dict, Context], bool]] = []
        self.required: set[str] = set()
        #: FROM entries: a table, or a Fragment of a label row the dialect may test instead of joining
        self.tables: list[str | Fragment] = []
        #: whether a node's label row is joined already: the labels of nodes reached after it are tested
        self.label_joined = False
        self.ctes: list[list] = []
        self.conditions: list = []
        self.node_filters: list[tuple[str, str, Evaluator, str]] = []
        self.seeds: list[str] = []
        self.estimates: list[str] = []
        self.counter = 0

    # ------------------------------------------------------------ small helpers

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        name = self.fresh("c")
        self.params[name] = value
        return ":" + name

    def source(self, evaluator: Evaluator) -> str:
        name = self.fresh("s")
        self.sources.append((name, evaluator))
        return ":" + name

    def new_filter(
        self, column: str, key: str, evaluator: Evaluator, owner: str, owner_kind: str, op: str = "="
    ) -> int:
        # a value SQL cannot compare (a list, a map) is checked in Python on the decoded owner
        self.required.add(owner)
        self.filters.append(PropertyFilter(column, key, evaluator, owner, owner_kind, op))
        return len(self.filters) - 1

    def all_names(self) -> frozenset[str]:
        names = set(self.spec.outer)
        for part in self.spec.parts:
            names.update(element.variable for element in part.elements if element.variable)
            if part.path_variable:
                names.add(part.path_variable)
        return frozenset(names)

    def inline_properties(self, owner: str, owner_kind: str, properties: Any) -> list[tuple[str, Evaluator]]:
        """Split ``{k: v}`` into SQL-pushable filters (v known before matching) and residual checks."""
        if properties is None:
            return []
        outer = self.spec.outer
        if not isinstance(properties, ast.MapLiteral):
            self.required.add(owner)
            self.residual.append(_map_check(owner, owner_kind, self.compile_expr(properties, outer)))
            return []
        pushable = []
        for key, expr in properties.items:
            if free_variables(expr) <= outer:
                pushable.append((key, self.compile_expr(expr, outer)))
            else:
                self.required.add(owner)
                evaluator = self.compile_expr(expr, self.all_names())
                self.residual.append(_property_check(owner, owner_kind, key, evaluator))
        return pushable

    # ------------------------------------------------------------ build

    def build(self) -> MatchPlan:
        spec = self.spec
        shapes = []
        for part in spec.parts:
            shape = []
            for element in part.elements:
                if isinstance(element, ast.NodePattern):
                    name = element.variable or self.fresh(ANON + "n")
                    node = self.nodes.get(name)
                    if node is None:
                        node = self.nodes[name] = _Node(name, bound=name in spec.outer)
                    node.labels.extend(label for label in element.labels if label not in node.labels)
                    if element.label_expr is not None and element.label_expr not in node.label_exprs:
                        node.label_exprs.append(element.label_expr)
                    for key, evaluator in self.inline_properties(name, "node", element.properties):
                        self.node_filters.append((name, key, evaluator, "="))
                        node.needs_table = True
                    if name in spec.fetch:
                        node.needs_table = True
                else:
                    name = element.variable or self.fresh(ANON + "r")
                shape.append(name)
            shapes.append(shape)
        rel_pushed_ids = {}
        for name, evaluator in spec.pushed_ids:
            if name in self.nodes:
                self.nodes[name].pushed_id = evaluator
            else:
                rel_pushed_ids[name] = evaluator
        rel_pushed_props: dict[str, list] = {}
        for name, key, evaluator, op in spec.pushed_props:
            if name in self.nodes:
                self.node_filters.append((name, key, evaluator, op))
                self.nodes[name].needs_table = True
            else:
                rel_pushed_props.setdefault(name, []).append((key, evaluator, op))
        for part, shape in zip(spec.parts, shapes):
            for index in range(1, len(shape), 2):
                rel = cast(ast.RelPattern, part.elements[index])  # elements alternate nodes and relationships
                self.hops.append(self.make_hop(part, rel, shape[index], shape[index - 1], shape[index + 1]))
        for hop in self.hops:
            if hop.bounds is not None:
                self.choose_seed(hop)
        if self.estimator is not None and self.estimator.explain:
            for name in self.nodes:
                if not name.startswith(ANON) and name not in spec.outer:
                    own = self.own_shape(name)
                    self.estimates.append(f"{name}: {own.describe()}: {format_rows(self.estimator.rows(own))}")
        hops_by_name = {hop.name: hop for hop in self.hops}
        for shape in shapes:
            for index in range(0, len(shape), 2):
                prev_hop = hops_by_name[shape[index - 1]] if index else None
                next_hop = hops_by_name[shape[index + 1]] if index + 1 < len(shape) else None
                self.assign_id(self.nodes[shape[index]], prev_hop, next_hop)
        for node in self.nodes.values():
            self.node_conditions(node)
        for name, key, evaluator, op in self.node_filters:
            node = self.nodes[name]
            self.conditions.append(self.new_filter(f"{node.table}.metadata", key, evaluator, name, "node", op))
        seen: dict[str, _Hop] = {}
        for hop in self.hops:
            if hop.bounds is None:
                self.fixed_hop(hop, seen.get(hop.name), rel_pushed_ids.get(hop.name), rel_pushed_props.get(hop.name))
            else:
                self.variable_hop(hop, hop.bounds)
            seen.setdefault(hop.name, hop)
        self.uniqueness()
        return self.assemble(shapes)

    def make_hop(self, part: ast.PatternPart, rel: ast.RelPattern, name: str, left: str, right: str) -> _Hop:
        bounds = None
        if rel.length is not None:
            low, high = rel.length
            bounds = (1 if low is None else low, DEFAULT_MAX_HOPS if high is None else high)
        alias = self.fresh("r" if bounds is None else "v")
        owner_kind = "rel" if bounds is None else "varlen"
        hop = _Hop(name, alias, rel, left, right, bounds)
        hop.filters = self.inline_properties(name, owner_kind, rel.properties)
        if bounds is not None:
            # Reachability instead of trails is exact here: along a directed hop with min <= 1,
            # the endpoints reachable by walks of length min..max are those reachable by
            # relationship-unique trails, since the shortest walk to any node is a path (or, back
            # to the start, a simple cycle) and is no longer than the walk. Undirected hops break
            # this (a-b-a walks back over one relationship), as do named relationships or paths,
            # whose values would differ; the consumer must ignore duplicate rows.
            hop.reach = (
                self.spec.reach
                and rel.variable is None
                and part.path_variable is None
                and rel.direction != "both"
                and bounds[0] <= 1
                and rel.properties is None
            )
        return hop

    def own_score(self, name: str) -> int:
        """Rank a node by what restricts it alone: an id, property filters (an index may serve them), a label."""
        node = self.nodes[name]
        if node.bound or node.pushed_id is not None:
            return 6
        if any(name == filtered[0] for filtered in self.node_filters):
            return 4
        return 2 if node.labels else 0

    def anchor_hop(self, name: str) -> _Hop | None:
        """A fixed directed hop from ``name`` to a node with an id or property filters: its neighbours are few."""
        for hop in self.hops:
            if hop.bounds is None and hop.rel.direction != "both" and hop.left != hop.right:
                if name in (hop.left, hop.right) and self.own_score(hop.right if hop.left == name else hop.left) >= 4:
                    return hop
        return None

    def own_shape(self, name: str) -> NodeShape:
        """What restricts a node alone, for the estimator."""
        node = self.nodes[name]
        if node.bound or node.pushed_id is not None:
            return NodeShape(bound=True)
        filters = tuple((key, op) for owner, key, _, op in self.node_filters if owner == name)
        return NodeShape(labels=tuple(node.labels), filters=filters)

    def seed_options(self, name: str) -> list[tuple[NodeShape, int, _Hop | None]]:
        """The ways to seed a walk from its end ``name``: (shape, rank, anchor hop or None).

        Its own restrictions always; the neighbours across an anchor hop too when it has no id
        or property filters of its own.
        """
        options: list[tuple[NodeShape, int, _Hop | None]] = [(self.own_shape(name), self.own_score(name), None)]
        anchor = self.anchor_hop(name) if options[0][1] < 4 else None
        if anchor is not None:
            other = anchor.right if anchor.left == name else anchor.left
            options.append((NodeShape(across=self.own_shape(other)), 3, anchor))
        return options

    def choose_seed(self, hop: _Hop) -> None:
        """Seed the walk from the option estimated to match the fewest rows; rank breaks ties, then the left end.

        Without an estimator every estimate is 0, so the rank alone decides.
        """
        options = [(False, *option) for option in self.seed_options(hop.left)]
        options += [(True, *option) for option in self.seed_options(hop.right)]
        estimator = self.estimator
        rows = [estimator.rows(option[1]) if estimator is not None else 0.0 for option in options]
        best = min(range(len(options)), key=lambda index: (rows[index], -options[index][2]))
        hop.seed_right, _, hop.seed_rank, hop.seed_anchor = options[best]
        if estimator is not None:
            estimator.record([option[1] for option in options], best)
            other = min(rows[index] for index in range(len(options)) if options[index][0] != hop.seed_right)
            self.estimates.append(
                f"walk {hop.alias} from its {'right' if hop.seed_right else 'left'} end: {format_rows(rows[best])}; "
                f"from its {'left' if hop.seed_right else 'right'} end: {format_rows(other)}"
            )

    # ------------------------------------------------------------ node identities

    def assign_id(self, node: _Node, prev_hop: _Hop | None, next_hop: _Hop | None) -> None:
        """Choose the SQL expression of a node's number, avoiding a substrates join when possible.

        Relationships and labels refer to substrates by node number; an identity from outside (a
        bound variable, ``id(n) = $x``) is looked up once per statement as a constant subquery.
        """
        if node.id_sql:
            return
        if node.bound:
            node.id_param = NODE_OF.format(self.source(_read_var(node.name, node_param)))
        elif node.pushed_id is not None:
            node.id_param = NODE_OF.format(self.source(_pushed(node.pushed_id)))
        if node.needs_table or (prev_hop is None and next_hop is None):
            self.place_node(node, node.needs_table)
            return
        if node.id_param:
            node.id_sql = node.id_param
            return
        if prev_hop is not None and prev_hop.bounds is None and prev_hop.rel.direction != "both":
            node.id_sql = f"{prev_hop.alias}.{'target' if prev_hop.rel.direction == 'out' else 'source'}"
        elif next_hop is not None and next_hop.bounds is None and next_hop.rel.direction != "both":
            node.id_sql = f"{next_hop.alias}.{'source' if next_hop.rel.direction == 'out' else 'target'}"
        elif prev_hop is not None and prev_hop.bounds is not None:
            node.id_sql = f"{prev_hop.alias}.{'start' if prev_hop.seed_right else 'node'}"
        elif next_hop is not None and next_hop.bounds is not None:
            node.id_sql = f"{next_hop.alias}.{'node' if next_hop.seed_right else 'start'}"
        elif prev_hop is not None and self.nodes[prev_hop.left].id_sql.count("CASE") < _CASE_DEPTH:
            near = self.nodes[prev_hop.left].id_sql
            r = prev_hop.alias
            node.id_sql = f"(CASE WHEN {r}.source = {near} THEN {r}.target ELSE {r}.source END)"
            prev_hop.case_defines_right = True
        else:
            self.place_node(node, False)

    def place_node(self, node: _Node, substrates: bool) -> None:
        """Give a node its own FROM entries: its substrates row and/or the row of its first label.

        Joining the label row (rather than testing it with EXISTS) lets SQLite start a scan
        from the label index; a node's labels are unique, so the join adds no rows. A node
        with property filters keeps EXISTS instead: without statistics SQLite would then
        prefer the label index over a (usually far more selective) property index.
        """
        if substrates:
            node.table = self.fresh("n")
            self.tables.append(f"substrates AS {node.table}")
            node.id_sql = f"{node.table}.node"
        filtered = node.name in self.spec.ordered or any(node.name == filtered[0] for filtered in self.node_filters)
        if node.labels and not filtered:
            alias = node.label_alias = self.fresh("l")
            node.label_param = self.label_id(node.labels[0])
            node.joined_label = node.labels[0]
            if node.id_sql and self.label_joined:
                # a node reached after a label row was joined: PostgreSQL tests its label (see label_join)
                entry, test = label_join(alias, node.id_sql, node.label_param)
                self.tables.append(entry)
                self.conditions.append([test])
            else:
                self.label_joined = True
                self.tables.append(f"substrate_labels AS {alias}")
                if not node.id_sql:
                    node.id_sql = f"{alias}.node"
                else:
                    self.conditions.append(f"{alias}.node = {node.id_sql}")
                self.conditions.append(f"{alias}.label = {node.label_param}")
        if not node.id_sql:
            node.table = self.fresh("n")
            self.tables.append(f"substrates AS {node.table}")
            node.id_sql = f"{node.table}.node"
        if node.id_param:
            self.conditions.append(f"{node.id_sql} = {node.id_param}")
        elif not node.labels and not filtered:
            # (n:A|B) alone: the label index gives the nodes, each once and in node order
            # (SQLite reads the subquery into a sorted list and looks each number up).
            node.label_in = next((expr for expr in node.label_exprs if _label_names(expr)), None)
            if node.label_in is not None:
                labels = ", ".join(self.label_id(name) for name in _label_names(node.label_in) or ())
                self.conditions.append(
                    f"{node.id_sql} IN (SELECT node FROM substrate_labels WHERE label IN ({labels}))"
                )

    def node_conditions(self, node: _Node) -> None:
        for expr in node.label_exprs:
            if expr is not node.label_in:
                self.conditions.append(self.label_sql(expr, node.id_sql))
        if node.id_sql.endswith(".start"):
            return  # a walk's start column comes from its seed, which tested the labels already
        for label in node.labels:
            if label == node.joined_label:
                continue
            self.conditions.append(
                "EXISTS (SELECT 1 FROM substrate_labels AS l "
                f"WHERE l.node = {node.id_sql} AND l.label = {self.label_id(label)})"
            )

    def label_id(self, name: str) -> str:
        """The parameter of the id a label or relationship type is stored as; bind() turns the name into it."""
        param = self.const(name)
        self.names.append(param[1:])
        return param

    def label_sql(self, expr: ast.LabelExpr, node_sql: str) -> str:
        """The SQL condition that the node numbered ``node_sql`` satisfies a label expression.

        A disjunction of labels is one probe of the (node, label) key with ``label IN (...)``.
        """
        op = expr[0]
        probe = f"EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = {node_sql}"
        if op == "label":
            return f"{probe} AND l.label = {self.label_id(expr[1])})"
        if op == "any":
            return probe + ")"
        if op == "not":
            return f"NOT {self.label_sql(expr[1], node_sql)}"
        names = _label_names(expr)
        if names is not None:
            return f"{probe} AND l.label IN ({', '.join(self.label_id(name) for name in names)}))"
        joined = (" AND " if op == "and" else " OR ").join(self.label_sql(term, node_sql) for term in expr[1:])
        return f"({joined})"

    def type_condition(self, alias: str, rel: ast.RelPattern) -> str | Fragment | None:
        """The SQL condition on a relationship's type, None for any type."""
        excluded, types = ast.type_set(rel)
        if not types:
            return None if excluded else FALSE  # [:A&B]: a relationship has one type
        if len(types) == 1 and not excluded:
            return f"{alias}.rel_type = {self.label_id(types[0])}"
        # A type name never used has no id: NOT IN over the names table stays true for it.
        names = ", ".join(self.const(t) for t in types)
        return f"{alias}.rel_type {'NOT IN' if excluded else 'IN'} (SELECT id FROM names WHERE name IN ({names}))"

    # ------------------------------------------------------------ hops

    def fixed_hop(
        self, hop: _Hop, earlier: _Hop | None, pushed_id: Evaluator | None, pushed_props: list | None
    ) -> None:
        r = hop.alias
        self.tables.append(f"relationships AS {r}")
        left, right = self.nodes[hop.left].id_sql, self.nodes[hop.right].id_sql
        direction = hop.rel.direction
        if direction == "both":
            if hop.case_defines_right:
                self.conditions.append(f"({r}.source = {left} OR {r}.target = {left})")
            else:
                self.conditions.append(
                    f"(({r}.source = {left} AND {r}.target = {right}) "
                    f"OR ({r}.source = {right} AND {r}.target = {left}))"
                )
        else:
            source, target = (left, right) if direction == "out" else (right, left)
            if source != f"{r}.source":
                self.conditions.append(f"{r}.source = {source}")
            if target != f"{r}.target":
                self.conditions.append(f"{r}.target = {target}")
        types = self.type_condition(r, hop.rel)
        if types:
            self.conditions.append(types)
        if earlier is not None:
            self.conditions.append(f"{r}.identity = {earlier.alias}.identity")
        elif hop.name in self.spec.outer:
            self.conditions.append(f"{r}.identity = {self.source(_read_var(hop.name, rel_param))}")
        if pushed_id is not None:
            self.conditions.append(f"{r}.identity = {self.source(_pushed(pushed_id))}")
        for key, evaluator, op in [(key, evaluator, "=") for key, evaluator in hop.filters] + (pushed_props or []):
            self.conditions.append(self.new_filter(f"{r}.metadata", key, evaluator, hop.name, "rel", op))

    def variable_hop(self, hop: _Hop, bounds: tuple[int, int]) -> None:
        v = hop.alias
        low, high = bounds
        seed_name, far_name = (hop.right, hop.left) if hop.seed_right else (hop.left, hop.right)
        seed, far = self.nodes[seed_name], self.nodes[far_name]
        reason = _SEED_REASONS[hop.seed_rank]
        shown = "an unnamed node" if seed_name.startswith(ANON) else seed_name
        end = "right" if hop.seed_right else "left"
        self.seeds.append(f"walk {v} seeded from {shown}, the pattern's {end} end, by {reason}")
        seed_where: list = []
        labels = list(seed.labels)
        seed_filters = [filtered[1:] for filtered in self.node_filters if filtered[0] == seed_name]
        anchor = hop.seed_anchor
        seed_id = "s.node"
        if anchor is not None:
            seed_id, seed_where = self.neighbour_seed(anchor, seed_name)
            seed_from = f"DISTINCT {seed_id}, {seed_id}, 0{{}} FROM relationships AS s"
        elif seed_filters and not seed.id_param:
            # Filter the seed rows themselves, with the property expression the indexes are built
            # on, rather than walking from every candidate and filtering the walks' starts; the
            # labels stay EXISTS tests so that SQLite prefers the property index (see place_node).
            seed_from = "s.node, s.node, 0{} FROM substrates AS s"
            for key, evaluator, op in seed_filters:
                seed_where.append(self.new_filter("s.metadata", key, evaluator, seed_name, "node", op))
        elif seed.id_param and not labels and low >= 1:
            # No need to look the seed up: only its relationships matter, and a foreign key
            # guarantees that an id without a substrate has none.
            seed_from = f"{seed.id_param}, {seed.id_param}, 0{{}}"
        elif seed.id_param:
            seed_from = "s.node, s.node, 0{} FROM substrates AS s"
            seed_where.append(f"s.node = {seed.id_param}")
        elif labels:
            # start from the label index rather than scanning every substrate
            seed_from = "s.node, s.node, 0{} FROM substrate_labels AS s"
            seed_where.append(f"s.label = {self.label_id(labels.pop(0))}")
        else:
            seed_from = "s.node, s.node, 0{} FROM substrates AS s"
        for label in labels:
            seed_where.append(
                "EXISTS (SELECT 1 FROM substrate_labels AS l "
                f"WHERE l.node = {seed_id} AND l.label = {self.label_id(label)})"
            )
        direction = hop.rel.direction
        if direction == "both":
            step = f"(e.source = {v}.node OR e.target = {v}.node)"
            nxt = f"CASE WHEN e.source = {v}.node THEN e.target ELSE e.source END"
        elif (direction == "out") != hop.seed_right:
            step, nxt = f"e.source = {v}.node", "e.target"
        else:
            step, nxt = f"e.target = {v}.node", "e.source"
        step_where: list = [f"{v}.depth < {self.const(high)}"]
        types = self.type_condition("e", hop.rel)
        if types:
            step_where.append(types)
        seed_sql = [" WHERE ", *_flattened(_joined(seed_where, " AND "))] if seed_where else []
        if hop.reach:
            cte: list = [
                f"{v}(start, node, depth) AS (SELECT {seed_from.format('')}",
                *seed_sql,
                f" UNION SELECT {v}.start, {nxt}, {v}.depth + 1 FROM {v} JOIN relationships AS e ON {step} WHERE ",
            ]
        else:
            step_where.append(lacks(f"{v}.rels", "e.identity"))
            for key, evaluator in hop.filters:
                step_where.append(self.new_filter("e.metadata", key, evaluator, hop.name, "varlen"))
            cte = [
                f"{v}(start, node, depth, rels) AS (SELECT {seed_from.format(_EMPTY_PATH)}",
                *seed_sql,
                f" UNION ALL SELECT {v}.start, {nxt}, {v}.depth + 1, {v}.rels || e.identity || ',' "
                f"FROM {v} JOIN relationships AS e ON {step} WHERE ",
            ]
        cte.extend(_joined(step_where, " AND "))
        cte.append(")")
        self.ctes.append(cte)
        self.tables.append(v)
        if seed.id_sql != f"{v}.start":
            self.conditions.append(f"{v}.start = {seed.id_sql}")
        if far.id_sql != f"{v}.node":
            self.conditions.append(f"{v}.node = {far.id_sql}")
        if low > 0:
            self.conditions.append(f"{v}.depth >= {self.const(low)}")
        if hop.name in self.spec.outer:
            decoded = ANON + "b" + v
            self.required.add(decoded)
            self.residual.append(_same_list(decoded, hop.name))

    def neighbour_seed(self, hop: _Hop, seed_name: str) -> tuple[str, list]:
        """Seed a walk from the far ends of ``hop``'s relationships leaving its restricted node.

        A superset of the walk's possible starts (the statement still joins the hop itself),
        found from the restricted node's id or property index and the traversal indexes.
        :returns: the seed's id column and its conditions (a condition may be a list of segments).
        """
        seed_is_target = (hop.rel.direction == "out") == (seed_name == hop.right)
        near, far = ("s.target", "s.source") if seed_is_target else ("s.source", "s.target")
        anchor_name = hop.left if seed_name == hop.right else hop.right
        anchor = self.nodes[anchor_name]
        where: list = []
        types = self.type_condition("s", hop.rel)
        if types:
            where.append(types)
        if anchor.id_param:
            where.append(f"{far} = {anchor.id_param}")
            return near, where
        inner: list = []
        for name, key, evaluator, op in self.node_filters:
            if name == anchor_name:
                inner.append(self.new_filter("t.metadata", key, evaluator, anchor_name, "node", op))
        for label in anchor.labels:
            inner.append(
                "EXISTS (SELECT 1 FROM substrate_labels AS l "
                f"WHERE l.node = t.node AND l.label = {self.label_id(label)})"
            )
        where.append([f"{far} IN (SELECT t.node FROM substrates AS t WHERE ", *_joined(inner, " AND "), ")"])
        return near, where

    def uniqueness(self) -> None:
        """Within one MATCH no relationship is used twice: SQL for fixed hops, Python between lists."""
        names: dict[str, _Hop] = {}
        for hop in self.hops:
            names.setdefault(hop.name, hop)
        hops = list(names.values())
        for i, first in enumerate(hops):
            for second in hops[i + 1 :]:
                if first.bounds is None and second.bounds is None:
                    self.conditions.append(f"{first.alias}.identity <> {second.alias}.identity")
                elif first.reach or second.reach:
                    # reach hops are used only where duplicates do not matter
                    continue
                elif first.bounds is None or second.bounds is None:
                    fixed, varlen = (first, second) if first.bounds is None else (second, first)
                    self.conditions.append(lacks(f"{varlen.alias}.rels", f"{fixed.alias}.identity"))
                else:
                    self.required.update((self.list_name(first), self.list_name(second)))
                    self.residual.append(_disjoint(self.list_name(first), self.list_name(second)))

    def list_name(self, hop: _Hop) -> str:
        return ANON + "b" + hop.alias if hop.name in self.spec.outer else hop.name

    # ------------------------------------------------------------ select list and decoding

    def assemble(self, shapes: list[list[str]]) -> MatchPlan:
        spec = self.spec
        outer = spec.outer
        wanted = set(self.required)
        if spec.keep is None:
            wanted.update(name for name in self.all_names() if not name.startswith(ANON))
        else:
            wanted.update(spec.keep)
        columns: list[str] = []
        decoders: list[tuple] = []
        id_columns: dict[str, int] = {}
        hops_by_name = {hop.name: hop for hop in self.hops}

        width = [0]

        def add_column(sql: str, count: int) -> int:
            column = width[0]
            columns.append(sql)
            width[0] += count
            return column

        def node_column(name: str, data: bool) -> int:
            node = self.nodes[name]
            if data:
                id_columns[name] = add_column(NODE_DATA.format(a=node.table), NODE_WIDTH)
            elif name not in id_columns:
                # relationships and labels give node numbers; a variable's value is its identity
                identity = f"{node.table}.identity" if node.table else IDENTITY_OF.format(node.id_sql)
                id_columns[name] = add_column(identity, 1)
            return id_columns[name]

        def rel_column(hop: _Hop, data: bool) -> int:
            key = ANON + hop.alias
            if data:
                id_columns[key] = add_column(REL_DATA.format(a=hop.alias), REL_WIDTH)
            elif key not in id_columns:
                sql = f"{hop.alias}.identity" if hop.bounds is None else f"{hop.alias}.rels"
                id_columns[key] = add_column(sql, 1)
            return id_columns[key]

        for name in self.nodes:
            if name in wanted and name not in outer:
                data = name in spec.fetch
                decoders.append(("node", name, node_column(name, data), data))
        for hop in self.hops:
            if hop.bounds is None:
                if hop.name in wanted and hop.name not in outer:
                    data = hop.name in spec.fetch
                    decoders.append(("rel", hop.name, rel_column(hop, data), data))
            else:
                name = self.list_name(hop)
                if name in wanted and (name not in outer):
                    decoders.append(("list", name, rel_column(hop, False), hop.seed_right))
        for part, shape in zip(spec.parts, shapes):
            path = part.path_variable
            if path is None or path not in wanted or path in outer:
                continue
            steps: list[tuple] = []
            for index, name in enumerate(shape):
                if index % 2 == 0:
                    steps.append(("node", node_column(name, False)))
                else:
                    hop = hops_by_name[name]
                    if hop.bounds is None:
                        steps.append(("rel", rel_column(hop, False)))
                    else:
                        steps.append(("list", rel_column(hop, False), hop.seed_right))
            decoders.append(("path", path, tuple(steps)))
        count_exprs = {name: node.id_sql for name, node in self.nodes.items()}
        count_exprs.update({hop.name: f"{hop.alias}.identity" for hop in self.hops if hop.bounds is None})
        segments: list = []
        if self.ctes:
            segments.append("WITH RECURSIVE ")
            for index, cte in enumerate(self.ctes):
                if index:
                    segments.append(", ")
                segments.extend(cte)
            segments.append(" ")
        reach = any(hop.reach for hop in self.hops)
        segments.extend(["SELECT DISTINCT " if reach else "SELECT ", SELECT_LIST, " FROM "])
        for index, entry in enumerate(self.tables):
            # a Fragment entry brings its own comma (or none, where the dialect tests the label instead)
            segments.append(entry if isinstance(entry, Fragment) or not index else f", {entry}")
        if self.conditions:
            segments.append(" WHERE ")
            segments.extend(_conjunction(self.conditions))
        page = self.label_page()
        return MatchPlan(
            tuple(_merge_text(segments)),
            ", ".join(columns) or "1",
            tuple(self.filters),
            dict(self.params),
            tuple(self.sources),
            make_decoder(tuple(decoders)),
            tuple(self.residual),
            count_exprs,
            {spec[1]: (spec[0], spec[2], spec[3]) for spec in decoders if spec[0] in ("node", "rel")},
            {name: node.table for name, node in self.nodes.items() if node.table and not node.bound},
            bool(self.conditions),
            tuple(self.seeds),
            tuple(self.estimates),
            names=tuple(self.names),
            page_segments=page,
        )

    def label_page(self) -> tuple[str | int | Fragment, ...]:
        """The SQL of a page of one labelled node with nothing else to test, or () for any other pattern.

        SKIP then steps over the label index alone (SQLite keeps a subquery with LIMIT apart)
        and reads the substrates rows of the page only, rather than one per skipped row.
        """
        if len(self.nodes) != 1 or self.hops or self.ctes or self.filters or self.residual:
            return ()
        (node,) = self.nodes.values()
        alias, table = node.label_alias, node.table
        if alias is None or table is None or node.label_param is None or node.bound:
            return ()
        if self.conditions != [f"{alias}.node = {table}.node", f"{alias}.label = {node.label_param}"]:
            return ()
        label_range, label_kept = label_page(node.label_param, alias)
        return (
            "SELECT ", SELECT_LIST, " FROM (SELECT node, label FROM substrate_labels WHERE ", label_range, PAGE,
            f") AS {alias} JOIN substrates AS {table} ON {table}.node = {alias}.node", label_kept,
        )


def _joined(items: list, separator: str) -> list:
    out: list = []
    for index, item in enumerate(items):
        if index:
            out.append(separator)
        out.append(item)
    return out


#: Conditions ANDed in one flat chain at most: SQLite parses a chain as a tree as deep as it is
#: long, and refuses a tree deeper than 1000 ("Expression tree is too large").
_CHAIN = 100


def _conjunction(conditions: list) -> list:
    """AND the conditions together, in parenthesised groups of at most _CHAIN when there are more.

    A long pattern has many conditions (relationship uniqueness alone is quadratic in its hops);
    grouping keeps the expression tree about _CHAIN deep per hundredfold instead of one per condition.
    """
    if len(conditions) <= _CHAIN:
        return _flattened(_joined(conditions, " AND "))
    return _conjunction(
        [["(", *_conjunction(conditions[start : start + _CHAIN]), ")"] for start in range(0, len(conditions), _CHAIN)]
    )


def _flattened(items: list) -> list:
    """Splice the items that are lists of segments into the list."""
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def _merge_text(segments: list) -> list:
    merged: list = []
    for segment in segments:
        if type(segment) is str and merged and type(merged[-1]) is str:
            merged[-1] += segment
        else:
            merged.append(segment)
    return merged


