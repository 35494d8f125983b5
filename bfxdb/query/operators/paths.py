"""shortestPath and allShortestPaths: a breadth-first search from both ends, one SQL query per level."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ...errors import QuerySemanticError
from ...graph import breadth_first
from ...identity import to_signed, to_unsigned
from ...storage import NAME_ID, RELATIONSHIP_COLUMNS
from .. import ast
from ..compiler import DEFAULT_MAX_HOPS
from ..dialect import DIALECTS, dialect_of
from ..runtime import Context
from ..sqlplan import decode_rel
from ..values import NodeRef, PathRef, RelRef, equals
from .read import MatchOp

Evaluator = Callable[[dict, Context], Any]
#: A walk as the search holds it: its nodes as the store's node numbers, its relationships as signed ids.
Walk = tuple[tuple[int, ...], tuple[int, ...]]

_REVERSED = {"out": "in", "in": "out", "both": "both"}


@cache
def _step_sql(direction: str, types: int, data: bool, dialect: str) -> str:
    """The one statement expanding a frontier (``:ids``, a JSON list) as (relationship, near, far) rows.

    The relationship types are parameters ``:t0``, ``:t1``, ...: a list of them costs SQLite less
    than a json_each (about a third of the statement's time). Both directions are one UNION ALL;
    its second half leaves out self-loops, which the first already gave, so that an undirected
    pattern meets each relationship once. Rendered in the dialect of that name.
    """
    sql = DIALECTS[dialect]
    columns = ", " + RELATIONSHIP_COLUMNS.format(a="r") if data else ""
    names = ", ".join(f":t{index}" for index in range(types))
    types_sql = (
        ""
        if not types
        else f" AND r.rel_type = {NAME_ID.format(names)}"
        if types == 1
        else f" AND r.rel_type IN (SELECT id FROM names WHERE name IN ({names}))"
    )
    frontier = sql.id_list("ids")
    out = (
        f"SELECT r.identity, r.source, r.target{columns} FROM relationships AS r "
        f"WHERE r.source IN ({frontier}){types_sql}"
    )
    into = (
        f"SELECT r.identity, r.target, r.source{columns} FROM relationships AS r "
        f"WHERE r.target IN ({frontier}){types_sql}"
    )
    if direction == "out":
        return sql.finish(out)
    if direction == "in":
        return sql.finish(into)
    return sql.finish(f"{out} UNION ALL {into} AND r.source <> r.target")


@dataclass(frozen=True, slots=True)
class ShortestPart:
    """One ``p = shortestPath((a)-[r:T*low..high {props}]->(b))`` part, with its endpoints already bound.

    ``properties`` evaluates the relationship pattern's property map on the row (None: no map);
    every relationship of a path found has those properties.
    """

    start: str
    end: str
    rel_variable: str | None
    path_variable: str | None
    types: tuple[str, ...]
    direction: str
    low: int
    high: int
    all: bool  # allShortestPaths: every shortest path, not just one
    properties: Evaluator | None = None

    @classmethod
    def of(cls, part: ast.PatternPart, properties: Evaluator | None = None) -> ShortestPart:
        """Read a shortestPath or allShortestPaths part whose endpoints have variables.

        :param part: a part of three elements (node, relationship, node), both nodes named.
        :param properties: the relationship's property map, compiled over the row's variables.
        :returns: the part.
        :raises QuerySemanticError: for any other shape.
        """
        start, rel, end = part.elements
        if (
            not isinstance(start, ast.NodePattern)
            or not isinstance(rel, ast.RelPattern)
            or not isinstance(end, ast.NodePattern)
            or start.variable is None
            or end.variable is None
        ):
            raise QuerySemanticError("shortestPath needs a single relationship pattern", "UnexpectedSyntax")
        low, high = rel.length if rel.length is not None else (1, 1)
        return cls(
            start.variable,
            end.variable,
            rel.variable,
            part.path_variable,
            rel.types,
            rel.direction,
            1 if low is None else low,
            DEFAULT_MAX_HOPS if high is None else high,
            part.shortest == "allShortestPaths",
            properties,
        )

    def paths(self, row: dict, ctx: Context) -> list[PathRef]:
        """Find the shortest path(s) between the row's endpoints (none when either is null).

        A path is relationship-unique and its length is within the part's bounds. From a node to
        itself the only path is the empty one, when the minimum is 0 (as in Neo4j).
        """
        source, target = row.get(self.start), row.get(self.end)
        if type(source) is not NodeRef or type(target) is not NodeRef:
            return []
        if source.id == target.id:
            return [PathRef((source,), ())] if self.low == 0 else []
        wanted = None
        if self.properties is not None:
            wanted = self.properties(row, ctx)
            if type(wanted) is not dict:
                return []
        search = _Search(self, wanted or None, ctx)
        sql = dialect_of(ctx.store)
        nodes = dict(
            ctx.store.execute(
                f"SELECT identity, node FROM substrates WHERE identity IN ({sql.positional}, {sql.positional})",
                (to_signed(source.id), to_signed(target.id)),
            ).fetchall()
        )
        first, last = nodes.get(to_signed(source.id)), nodes.get(to_signed(target.id))
        if first is None or last is None:
            return []
        walks = search.meet(first, last)
        if walks is not None and len(walks[0][1]) < self.low:
            # The shortest path is shorter than the minimum: a longer trail may revisit nodes,
            # which a search over nodes cannot see.
            walks = search.trails(first, last)
        if not walks:
            return []
        numbers = json.dumps(sorted({node for walk in walks for node in walk[0]}))
        identities = dict(
            ctx.store.execute(
                sql.finish(f"SELECT node, identity FROM substrates WHERE node IN ({sql.id_list('nodes')})"),
                {"nodes": numbers},
            ).fetchall()
        )
        return [_path(walk, identities) for walk in walks]

    def bind(self, row: dict, path: PathRef) -> dict:
        """Extend a row with the path and relationship variables of this part."""
        new = row.copy()
        if self.path_variable is not None:
            new[self.path_variable] = path
        if self.rel_variable is not None:
            new[self.rel_variable] = list(path.rels)
        return new


#: What one node's entry in the parents of a breadth-first search takes: key, list, a pair.
_PARENT_SIZE = 200
#: What one step of a walk takes: the pair and its slot in the walk.
_WALK_STEP_SIZE = 72


class _Search:
    """One search between two nodes: its SQL steps and the walks they make (node numbers, signed relationship ids)."""

    def __init__(self, part: ShortestPart, wanted: dict | None, ctx: Context) -> None:
        self.part = part
        self.wanted = wanted
        self.ctx = ctx
        self.params = {f"t{index}": rel_type for index, rel_type in enumerate(part.types)}

    def step(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, int]]:
        """Relationships leaving the frontier along ``direction`` as (relationship, near, far): one query."""
        params = dict(self.params, ids=json.dumps(frontier))
        wanted = self.wanted
        store = self.ctx.store
        rows = store.execute(_step_sql(direction, len(self.part.types), wanted is not None, store.dialect), params)
        if wanted is None:
            return rows
        return [row[:3] for row in rows if _has(decode_rel(row, 3).metadata, wanted)]

    def meet(self, source: int, target: int) -> list[Walk] | None:
        """Search from both ends, expanding the smaller frontier, until the two searches meet.

        When a level of one side reaches nodes the other side has reached, those nodes are on
        every shortest path (each at the same distance from the source), so the shortest paths
        are the walks to them from each end, joined.

        :returns: the shortest walks (one for shortestPath), or None when none is within the bound.
        """
        part, ctx = self.part, self.ctx
        forward, backward = part.direction, _REVERSED[part.direction]
        sides = (
            breadth_first([source], lambda frontier: self.step(frontier, forward), part.high),
            breadth_first([target], lambda frontier: self.step(frontier, backward), part.high),
        )
        # each node reached maps to every (relationship, near node) that reached it first
        parents: tuple[dict, dict] = ({source: []}, {target: []})
        sizes = [1, 1]
        for _ in range(part.high):
            side = 0 if sizes[0] <= sizes[1] else 1
            level = next(sides[side], None)
            if level is None:
                return None
            ctx.hold(len(level.reached) * _PARENT_SIZE, len(level.reached))
            reached, other = level.reached, parents[1 - side]
            parents[side].update(reached)
            meeting = [node for node in reached if node in other]
            if meeting:
                return self.joined(meeting, parents[0], parents[1])
            sizes[side] = len(level.reached)
        return None

    def joined(self, meeting: list[int], before: dict, after: dict) -> list[Walk]:
        """The walks source -> m -> target through each meeting node m; all of them only for allShortestPaths.

        There can be exponentially many, so the walks are checked against the memory budget.
        """
        walks: list[Walk] = []
        for node in meeting:
            for head_nodes, head_rels in _walks_to(before, node):
                for tail_nodes, tail_rels in _walks_from(after, node):
                    walks.append((head_nodes + tail_nodes, head_rels + tail_rels))
                    if not self.part.all:
                        return walks
                    self.ctx.fits(len(walks) * _WALK_STEP_SIZE * len(walks[-1][0]))
        return walks

    def trails(self, source: int, target: int) -> list[Walk]:
        """The shortest trails (no relationship twice) of length low..high, found by growing every trail."""
        part, ctx = self.part, self.ctx
        walks: list[Walk] = [((source,), ())]
        for depth in range(1, part.high + 1):
            leaving: dict[int, list[tuple[int, int]]] = {}
            for rel, near, far in self.step(list(dict.fromkeys(nodes[-1] for nodes, _ in walks)), part.direction):
                leaving.setdefault(near, []).append((rel, far))
            walks = [
                (nodes + (far,), rels + (rel,))
                for nodes, rels in walks
                for rel, far in leaving.get(nodes[-1], ())
                if rel not in rels
            ]
            ctx.hold(len(walks) * _WALK_STEP_SIZE * (depth + 1), len(walks))
            if not walks:
                return []
            if depth >= part.low:
                found = [walk for walk in walks if walk[0][-1] == target]
                if found:
                    return found if part.all else found[:1]
        return []


def _has(properties: Mapping[str, Any], wanted: dict) -> bool:
    return all(equals(properties.get(key), value) is True for key, value in wanted.items())


def _walks_to(parents: dict, node: int) -> Iterator[Walk]:
    """Every walk from the search's root to ``node`` along the parents, root first."""
    if not parents[node]:
        yield (node,), ()
        return
    for rel, near in parents[node]:
        for nodes, rels in _walks_to(parents, near):
            yield nodes + (node,), rels + (rel,)


def _walks_from(parents: dict, node: int) -> Iterator[Walk]:
    """Every walk from ``node`` to the search's root along the parents, without ``node`` itself."""
    if not parents[node]:
        yield (), ()
        return
    for rel, near in parents[node]:
        for nodes, rels in _walks_from(parents, near):
            yield (near,) + nodes, (rel,) + rels


def _path(walk: Walk, identities: dict[int, int]) -> PathRef:
    nodes, rels = walk
    return PathRef(
        tuple(NodeRef(to_unsigned(identities[node])) for node in nodes),
        tuple(RelRef(to_unsigned(rel)) for rel in rels),
    )


@dataclass(frozen=True, slots=True)
class ShortestOp:
    """Extend every row by the shortest paths of each shortestPath part (rows without one drop)."""

    parts: tuple[ShortestPart, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Search per row; one output row per path found."""
        for part in self.parts:
            rows = _bind_paths(part, rows, ctx)
        return rows

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        kinds = ", ".join("allShortestPaths" if part.all else "shortestPath" for part in self.parts)
        return [f"ShortestPath ({kinds}): breadth-first from both ends, one SQL query per level"]


def _bind_paths(part: ShortestPart, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
    for row in rows:
        for path in part.paths(row, ctx):
            yield part.bind(row, path)


@dataclass(frozen=True, slots=True)
class FilterOp:
    """The WHERE of a MATCH that had to wait for paths computed in Python."""

    predicate: Callable[[dict, Context], Any]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Keep the rows where the predicate is true."""
        predicate = self.predicate
        return (row for row in rows if predicate(row, ctx) is True)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return ["Filter"]


@dataclass(frozen=True, slots=True)
class OptionalOp:
    """Run a MATCH's operators per incoming row; extend with nulls when optional and nothing matched."""

    ops: tuple[MatchOp | ShortestOp | FilterOp, ...]
    optional: bool
    new: tuple[str, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Apply the inner operators row by row."""
        for row in rows:
            produced: Iterator[dict] = iter((row,))
            for op in self.ops:
                produced = op.run(produced, ctx)
            matched = False
            for match in produced:
                matched = True
                yield match
            if not matched and self.optional:
                extended = row.copy()
                extended.update(dict.fromkeys(self.new))
                yield extended

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        lines = ["OptionalMatch" if self.optional else "Match"]
        for op in self.ops:
            lines.extend("  " + line for line in op.describe())
        return lines
