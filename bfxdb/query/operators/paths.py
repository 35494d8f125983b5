"""shortestPath and allShortestPaths: the shared breadth-first search, one SQL query per level."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import QuerySemanticError
from ...graph import breadth_first
from ...identity import to_signed, to_unsigned
from .. import ast
from ..compiler import DEFAULT_MAX_HOPS
from ..runtime import Context
from ..values import NodeRef, PathRef, RelRef
from .read import MatchOp

_STEP = {
    "out": "SELECT identity, source, target FROM relationships WHERE source IN (SELECT value FROM json_each(:ids))",
    "in": "SELECT identity, source, target FROM relationships WHERE target IN (SELECT value FROM json_each(:ids))",
}
_TYPES = " AND rel_type IN (SELECT value FROM json_each(:types))"


@dataclass(frozen=True, slots=True)
class ShortestPart:
    """One ``p = shortestPath((a)-[r:T*low..high]->(b))`` part, with its endpoints already bound."""

    start: str
    end: str
    rel_variable: str | None
    path_variable: str | None
    types: tuple[str, ...]
    direction: str
    low: int
    high: int
    all: bool  # allShortestPaths: every shortest path, not just one

    @classmethod
    def of(cls, part: ast.PatternPart) -> ShortestPart:
        """Read a shortestPath or allShortestPaths part whose endpoints have variables.

        :param part: a part of three elements (node, relationship, node), both nodes named.
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
        )

    def paths(self, row: dict, ctx: Context) -> list[PathRef]:
        """Find the shortest path(s) between the row's endpoints (none when either is null)."""
        source, target = row.get(self.start), row.get(self.end)
        if type(source) is not NodeRef or type(target) is not NodeRef:
            return []
        if source.id == target.id:
            return [PathRef((source,), ())] if self.low == 0 else []
        parents: dict[int, list[tuple[int, int]]] = {source.id: []}
        for level in breadth_first([source.id], lambda frontier: self._step(frontier, ctx), self.high):
            ctx.hold(len(level.reached) * _PARENT_SIZE, len(level.reached))
            for node, arrivals in level.reached.items():
                parents[node] = [(near, rel_id) for rel_id, near in arrivals]
            if target.id in level.reached:
                walks = self._unwind(parents, source.id, target.id, ctx)
                return [_path(walk) for walk in (walks if self.all else walks[:1])]
        return []

    def _step(self, frontier: list[int], ctx: Context) -> list[tuple[int, int, int]]:
        """Relationships leaving the frontier as (relationship, near node, far node), unsigned."""
        params = {"ids": json.dumps([to_signed(node) for node in frontier])}
        suffix = ""
        if self.types:
            params["types"] = json.dumps(list(self.types))
            suffix = _TYPES
        frontier_set = set(frontier)
        steps = []
        directions = ("out", "in") if self.direction == "both" else (self.direction,)
        for direction in directions:
            for rel_id, source, target in ctx.store.execute(_STEP[direction] + suffix, params):
                rel_id, source, target = to_unsigned(rel_id), to_unsigned(source), to_unsigned(target)
                if direction == "out" and source in frontier_set:
                    steps.append((rel_id, source, target))
                if direction == "in" and target in frontier_set:
                    steps.append((rel_id, target, source))
        return steps

    @staticmethod
    def _unwind(parents: dict, source: int, target: int, ctx: Context) -> list[list[tuple[int, int]]]:
        """Every shortest walk to target as [(node, relationship into it)], source first.

        There can be exponentially many, so the walks are checked against the memory budget.
        """
        if target == source:
            return [[(source, -1)]]
        walks = []
        for near, rel_id in parents[target]:
            for walk in ShortestPart._unwind(parents, source, near, ctx):
                walks.append(walk + [(target, rel_id)])
            ctx.fits(len(walks) * _WALK_STEP_SIZE * len(walks[-1]) if walks else 0)
        return walks

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


def _path(walk: list[tuple[int, int]]) -> PathRef:
    return PathRef(
        tuple(NodeRef(node) for node, _ in walk),
        tuple(RelRef(rel_id) for _, rel_id in walk[1:]),
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
        return [f"ShortestPath ({kinds}): breadth-first, one SQL query per level"]


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
