"""The updating operators: CREATE, MERGE, SET, REMOVE, DELETE, writing through the store.

Each is eager: ``run`` reads every incoming row before its first write, so the reads upstream
never see this clause's writes, and makes every write before it returns, so all later clauses see
them, however many rows are pulled afterwards (none, under ``LIMIT 0``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import ConstraintViolation, QuerySemanticError, QueryTypeError
from ...identity import random_id, to_signed, to_unsigned
from ...storage import NODE_OF
from ..dialect import dialect_of
from ..runtime import Context, decoded
from ..sqlplan import MatchPlan
from ..temporal import TEMPORAL_TYPES, encode_properties
from ..values import NodeRef, PathRef, RelRef, type_name

Evaluator = Callable[[dict, Context], Any]

_SCALARS = (bool, int, float, str, *TEMPORAL_TYPES)


def check_property_value(key: str, value: Any) -> None:
    """Refuse values that cannot be stored as a property: maps, entities, lists of non-scalars.

    Scalars here include the temporal values, which the store holds in the JSON
    form of ``temporal.encode_property``.

    :raises QueryTypeError: InvalidPropertyType.
    """
    kind = type(value)
    if value is None or kind in _SCALARS:
        return
    if kind is list and all(type(item) in _SCALARS for item in value):
        return
    raise QueryTypeError(f"property {key!r} cannot hold a {type_name(value)} value", "InvalidPropertyType")


def _property_map(evaluator: Evaluator | None, row: dict, ctx: Context, merging: bool = False) -> dict:
    if evaluator is None:
        return {}
    value = evaluator(row, ctx)
    if value is None:
        return {}
    if type(value) is not dict:
        raise QueryTypeError(f"properties must be a map, not {type_name(value)}", "InvalidPropertyType")
    properties = {}
    for key, item in value.items():
        if item is None:
            if merging:
                raise QuerySemanticError(
                    f"cannot merge on a null value of property {key!r}", "MergeReadOwnWrites"
                )
            continue
        check_property_value(key, item)
        properties[key] = item
    return properties


@dataclass(frozen=True, slots=True)
class CreatePart:
    """One pattern part to create.

    ``steps`` alternate ("node", variable, labels, properties) and ("rel", variable, type, direction,
    properties), with the property maps as evaluators (or None).
    """

    steps: tuple[tuple, ...]
    path_variable: str | None

    def create(self, row: dict, ctx: Context, merging: bool = False) -> None:
        """Create the part's new entities, binding their variables in ``row`` (updated in place)."""
        store = ctx.store
        stats = ctx.stats
        nodes: list[NodeRef] = []
        rels: list[RelRef] = []
        pending = None
        for step in self.steps:
            if step[0] == "rel":
                pending = step
                continue
            _, variable, labels, properties = step
            if variable is not None and variable in row:
                ref = row[variable]
                if type(ref) is not NodeRef:
                    raise QuerySemanticError(
                        f"cannot create a relationship to {type_name(ref)} {variable}", "VariableTypeConflict"
                    )
            else:
                metadata = _property_map(properties, row, ctx, merging)
                identity = random_id()
                node = store.insert_substrate(identity, labels=labels, metadata=encode_properties(metadata))
                ctx.nodes[identity] = decoded(node)
                stats["nodes_created"] += 1
                stats["labels_added"] += len(set(labels))
                stats["properties_set"] += len(metadata)
                ref = NodeRef(identity)
                if variable is not None:
                    row[variable] = ref
            nodes.append(ref)
            if pending is not None:
                rels.append(self._relationship(pending, nodes[-2], ref, row, ctx, merging))
                pending = None
        if self.path_variable is not None:
            row[self.path_variable] = PathRef(tuple(nodes), tuple(rels))

    @staticmethod
    def _relationship(step: tuple, left: NodeRef, right: NodeRef, row: dict, ctx: Context, merging: bool) -> RelRef:
        _, variable, rel_type, direction, properties = step
        if variable is not None and variable in row:
            return row[variable]
        source, target = (left, right) if direction == "out" else (right, left)
        metadata = _property_map(properties, row, ctx, merging)
        rel = ctx.store.insert_relationship(None, source.id, target.id, rel_type, encode_properties(metadata))
        identity = rel.identity
        ctx.rels[identity] = decoded(rel)
        ctx.stats["relationships_created"] += 1
        ctx.stats["properties_set"] += len(metadata)
        ref = RelRef(identity)
        if variable is not None:
            row[variable] = ref
        return ref


@dataclass(frozen=True, slots=True)
class CreateOp:
    """CREATE: make the pattern's new nodes and relationships once per incoming row."""

    parts: tuple[CreatePart, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Create for every row; returns the rows with the new variables bound."""
        incoming = ctx.buffer(rows)
        out = []
        for row in incoming:
            new = row.copy()
            for part in self.parts:
                part.create(new, ctx)
            out.append(new)
        ctx.tick(len(incoming))
        return iter(out)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Create ({len(self.parts)} pattern parts)"]


@dataclass(frozen=True, slots=True)
class MergeOp:
    """MERGE: match the whole pattern, or create it when nothing matches; then ON MATCH / ON CREATE.

    ``on_create`` and ``on_match`` hold SET items as apply_set takes them.
    """

    plan: MatchPlan
    creator: CreatePart
    on_create: tuple[tuple, ...]
    on_match: tuple[tuple, ...]
    new: tuple[str, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Merge for every row, in order, so later rows see what earlier rows created."""
        ctx.store.lock_merges()
        out = []
        for row in ctx.buffer(rows):
            matches = self.plan.run(row, ctx)
            if matches:
                for match in matches:
                    for item in self.on_match:
                        apply_set(item, match, ctx)
                out.extend(matches)
                continue
            new = row.copy()
            self.creator.create(new, ctx, merging=True)
            for item in self.on_create:
                apply_set(item, new, ctx)
            out.append(new)
        return iter(out)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Merge -> {', '.join(self.new)}", f"  SQL: {self.plan.explain()}"]


# ---------------------------------------------------------------- SET and REMOVE


def _current(ref: Any, ctx: Context) -> tuple[str, Any]:
    if type(ref) is NodeRef:
        return "substrate", ctx.node(ref)
    if type(ref) is RelRef:
        return "relationship", ctx.rel(ref)
    raise QueryTypeError(f"cannot set properties on {type_name(ref)}", "InvalidArgumentType")


def _write_metadata(ref: Any, kind: str, entity: Any, metadata: dict, ctx: Context) -> None:
    ctx.store.replace_metadata(kind, ref.id, encode_properties(metadata))
    if kind == "substrate":
        ctx.nodes[ref.id] = entity._replace(metadata=metadata)
    else:
        ctx.rels[ref.id] = entity._replace(metadata=metadata)


def apply_set(item: tuple, row: dict, ctx: Context) -> None:
    """Apply one SET item to one row's entity (a null target is left alone).

    :param item: ("property", subject, key, value), ("properties", variable, value, replace)
        or ("labels", variable, labels), with evaluators compiled by the planner.
    :param row: the row whose variables the item reads.
    :raises QueryTypeError: for a target that is not a node or relationship, or a bad value.
    """
    action = item[0]
    if action == "property":
        _, subject, key, value_of = item
        target = subject(row, ctx)
        if target is None:
            return
        kind, entity = _current(target, ctx)
        value = value_of(row, ctx)
        check_property_value(key, value)
        metadata = dict(entity.metadata)
        if value is None:
            if key not in metadata:
                return
            del metadata[key]
        else:
            metadata[key] = value
        ctx.stats["properties_set"] += 1
        _write_metadata(target, kind, entity, metadata, ctx)
    elif action == "properties":
        _, variable, value_of, replace_all = item
        target = row.get(variable)
        if target is None:
            return
        kind, entity = _current(target, ctx)
        value = value_of(row, ctx)
        if type(value) is NodeRef:
            value = dict(ctx.node(value).metadata)
        elif type(value) is RelRef:
            value = dict(ctx.rel(value).metadata)
        elif value is None:
            value = {}
        elif type(value) is not dict:
            raise QueryTypeError(f"cannot set properties from {type_name(value)}", "InvalidArgumentType")
        metadata = {} if replace_all else dict(entity.metadata)
        changed = len(metadata) if replace_all else 0
        for key, new in value.items():
            check_property_value(key, new)
            if new is None:
                if metadata.pop(key, None) is not None:
                    changed += 1
            else:
                metadata[key] = new
                changed += 1
        ctx.stats["properties_set"] += changed
        _write_metadata(target, kind, entity, metadata, ctx)
    else:
        _, variable, labels = item
        target = row.get(variable)
        if target is None:
            return
        if type(target) is not NodeRef:
            raise QueryTypeError(f"cannot add labels to {type_name(target)}", "InvalidArgumentType")
        node = ctx.node(target)
        added = ctx.store.add_labels(target.id, labels)
        ctx.stats["labels_added"] += added
        ctx.nodes[target.id] = node._replace(labels=tuple(sorted(set(node.labels) | set(labels))))


def apply_remove(item: tuple, row: dict, ctx: Context) -> None:
    """Apply one REMOVE item to one row's entity (a null target is left alone).

    :param item: ("property", subject, key) or ("labels", variable, labels), compiled by the planner.
    :param row: the row whose variables the item reads.
    """
    if item[0] == "property":
        _, subject, key = item
        target = subject(row, ctx)
        if target is None:
            return
        kind, entity = _current(target, ctx)
        if key in entity.metadata:
            metadata = dict(entity.metadata)
            del metadata[key]
            ctx.stats["properties_set"] += 1
            _write_metadata(target, kind, entity, metadata, ctx)
    else:
        _, variable, labels = item
        target = row.get(variable)
        if target is None:
            return
        node = ctx.node(target)
        ctx.stats["labels_removed"] += ctx.store.remove_labels(target.id, labels)
        ctx.nodes[target.id] = node._replace(labels=tuple(label for label in node.labels if label not in labels))


def _apply_items(
    apply: Callable[[tuple, dict, Context], None], items: tuple[tuple, ...], rows: Iterator[dict], ctx: Context
) -> Iterator[dict]:
    """Apply SET or REMOVE items, in order, to every row; the rows pass through."""
    incoming = ctx.buffer(rows)
    for row in incoming:
        for item in items:
            apply(item, row, ctx)
    ctx.tick(len(incoming))
    return iter(incoming)


@dataclass(frozen=True, slots=True)
class SetOp:
    """SET: apply the items (as apply_set takes them), in order, to every row."""

    items: tuple[tuple, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Apply the items; rows pass through."""
        return _apply_items(apply_set, self.items, rows, ctx)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Set ({len(self.items)} items)"]


@dataclass(frozen=True, slots=True)
class RemoveOp:
    """REMOVE: drop properties or labels (items as apply_remove takes them) from every row's entities."""

    items: tuple[tuple, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Apply the items; rows pass through."""
        return _apply_items(apply_remove, self.items, rows, ctx)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Remove ({len(self.items)} items)"]


# ---------------------------------------------------------------- DELETE


@dataclass(frozen=True, slots=True)
class DeleteOp:
    """DELETE / DETACH DELETE: relationships first, then nodes, after reading every row."""

    expressions: tuple[Evaluator, ...]
    detach: bool

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Delete what the expressions name on every row; rows pass through.

        :raises ConstraintViolation: DeleteConnectedNode for a plain DELETE of a node with relationships.
        """
        nodes: dict[int, NodeRef] = {}
        rels: dict[int, RelRef] = {}
        incoming = ctx.buffer(rows)
        for row in incoming:
            for expression in self.expressions:
                _collect_targets(expression(row, ctx), nodes, rels)
        store, stats = ctx.store, ctx.stats
        node_of = NODE_OF.format(dialect_of(store).positional)
        for identity, rel_ref in rels.items():
            if identity in ctx.deleted_rels:
                continue
            ctx.rel(rel_ref)
            store.delete_relationship(identity)
            ctx.deleted_rels.add(identity)
            stats["relationships_deleted"] += 1
        for identity, node_ref in nodes.items():
            if identity in ctx.deleted_nodes:
                continue
            ctx.node(node_ref)
            attached = [
                to_unsigned(rel_id)
                for (rel_id,) in store.execute(
                    f"SELECT identity FROM relationships WHERE source = {node_of} OR target = {node_of}",
                    (to_signed(identity), to_signed(identity)),
                )
            ]
            if attached and not self.detach:
                raise ConstraintViolation(
                    "cannot delete a node that still has relationships; use DETACH DELETE", "DeleteConnectedNode"
                )
            ctx.preload_rels(attached)
            store.delete_substrate(identity)
            ctx.deleted_rels.update(attached)
            ctx.deleted_nodes.add(identity)
            stats["relationships_deleted"] += len(attached)
            stats["nodes_deleted"] += 1
        ctx.tick(len(incoming))
        return iter(incoming)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return ["DetachDelete" if self.detach else "Delete"]


def _collect_targets(value: Any, nodes: dict, rels: dict) -> None:
    kind = type(value)
    if value is None:
        return
    if kind is NodeRef:
        nodes[value.id] = value
    elif kind is RelRef:
        rels[value.id] = value
    elif kind is PathRef:
        for node in value.nodes:
            nodes[node.id] = node
        for rel in value.rels:
            rels[rel.id] = rel
    elif kind is list:
        for item in value:
            _collect_targets(item, nodes, rels)
    else:
        raise QueryTypeError(f"cannot delete {type_name(value)}", "InvalidArgumentType")
