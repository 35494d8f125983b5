"""Schema commands beside CREATE INDEX: constraints, full-text and vector indexes (Neo4j 5's names, IF [NOT] EXISTS)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ... import search
from ...errors import QueryArgumentError
from ...storage import Constraint, SearchIndex
from ..runtime import Context


def name_holder(store: Any, name: str) -> str | None:
    """What holds a schema name, as a message says it ("an index", "a constraint"), or None.

    Index names are unique across property indexes, constraints (which name their indexes) and
    search indexes, as in Neo4j.
    """
    if any(held == name for _id, held, _label, _keys in store.property_indexes()):
        return "an index"
    if any(constraint.name == name for constraint in store.constraints()):
        return "a constraint"
    if any(index.name == name for index in store.search_indexes()):
        return "a search index"
    return None


def name_taken(store: Any, what: str, name: str, if_not_exists: bool) -> bool:
    """Whether a schema object of that name exists, so that CREATE ... IF NOT EXISTS does nothing.

    :raises QueryArgumentError: when it exists and the command has no IF NOT EXISTS.
    """
    holder = name_holder(store, name)
    if holder is None:
        return False
    if if_not_exists:
        return True
    raise QueryArgumentError(f"cannot create {what} `{name}`: {holder} has that name", "IndexWithNameAlreadyExists")


@dataclass(frozen=True, slots=True)
class ConstraintCommand:
    """CREATE CONSTRAINT (``constraint`` set) or DROP CONSTRAINT (``name`` set).

    ``if_exists`` is IF NOT EXISTS of a create, IF EXISTS of a drop: either makes the command do
    nothing, rather than fail, where there is nothing to do.
    """

    constraint: Constraint | None
    name: str | None
    if_exists: bool

    columns: ClassVar[tuple[str, ...]] = ()

    def execute(self, ctx: Context) -> list[tuple]:
        """Create or drop the constraint in the current transaction; returns no rows.

        :raises QueryArgumentError: for a name or an equivalent constraint that exists already, a
            name an index has, or a drop of a constraint that does not exist.
        :raises SchemaConstraintViolation: for a constraint the stored data breaks.
        """
        existing = ctx.store.constraints()
        if self.constraint is None:
            found = [constraint for constraint in existing if constraint.name == self.name]
            if found:
                ctx.store.drop_constraint(found[0])
            elif not self.if_exists:
                raise QueryArgumentError(
                    f"cannot drop constraint `{self.name}`: there is no such constraint", "ConstraintDropFailed"
                )
            return []
        wanted = self.named()
        for constraint in existing:
            clash = None
            if constraint.same_rule(wanted):
                clash = f"an equivalent constraint exists already: `{constraint.name}`"
            elif constraint.name == wanted.name:
                clash = f"a constraint named `{wanted.name}` exists already"
            if clash is not None:
                if self.if_exists:
                    return []
                raise QueryArgumentError(
                    f"cannot create constraint `{wanted.name}`: {clash}", "EquivalentSchemaRuleAlreadyExists"
                )
        if not name_taken(ctx.store, "constraint", wanted.name, self.if_exists):
            ctx.store.create_constraint(wanted)
        return []

    def named(self) -> Constraint:
        """The constraint to create, with its name: given, or made from what it requires, as Neo4j does."""
        constraint = self.constraint
        assert constraint is not None
        if constraint.name:
            return constraint
        digest = hashlib.sha256(replace(constraint, name="").describe().encode()).hexdigest()[:8]
        return replace(constraint, name=f"constraint_{digest}")

    def describe(self) -> str:
        """Describe the command for EXPLAIN."""
        if self.constraint is None:
            return f"DropConstraint {self.name}"
        return "CreateConstraint " + self.named().describe().removeprefix("CREATE CONSTRAINT ")


@dataclass(frozen=True, slots=True)
class FulltextIndexCommand:
    """CREATE FULLTEXT INDEX: the index as ``search.fulltext_index`` checked it; ``if_not_exists`` as written."""

    name: str | None
    entity_type: str
    labels: tuple[str, ...]
    properties: tuple[str, ...]
    options: dict[str, Any]
    if_not_exists: bool

    columns: ClassVar[tuple[str, ...]] = ()

    def index_name(self) -> str:
        """The index's name: given, or made from what it covers, as Neo4j does."""
        if self.name:
            return self.name
        described = repr((self.entity_type, self.labels, self.properties))
        return f"fulltext_{hashlib.sha256(described.encode()).hexdigest()[:8]}"

    def execute(self, ctx: Context) -> list[tuple]:
        """Create the index in the current transaction, filled from the stored data; returns no rows.

        :raises QueryArgumentError: for a name in use (unless IF NOT EXISTS), or an option bfxdb refuses.
        """
        name = self.index_name()
        index = search.fulltext_index(name, self.entity_type, self.labels, self.properties, self.options)
        if not name_taken(ctx.store, "full-text index", name, self.if_not_exists):
            ctx.store.create_fulltext_index(index)
        return []

    def describe(self) -> str:
        """Describe the command for EXPLAIN."""
        return f"CreateFulltextIndex {self.index_name()} ON {'|'.join(self.labels)}({', '.join(self.properties)})"


@dataclass(frozen=True, slots=True)
class VectorIndexCommand:
    """CREATE VECTOR INDEX: a search index of kind VECTOR, its table of vectors and its triggers.

    ``index`` has an empty name when the statement gave none (Neo4j's name is made from the rest).
    ``if_not_exists`` makes the command do nothing where an equivalent or same-named index exists.
    """

    index: SearchIndex
    if_not_exists: bool

    columns: ClassVar[tuple[str, ...]] = ()

    def execute(self, ctx: Context) -> list[tuple]:
        """Create the index in the current transaction; returns no rows.

        :raises QueryArgumentError: for a name in use, or a vector index on the same label and key.
        :raises InvalidInput: for stored data the index cannot hold.
        """
        search.create_index(ctx.store, self.index, self.if_not_exists)
        return []

    def describe(self) -> str:
        """Describe the command for EXPLAIN."""
        return "CreateVectorIndex " + search.describe(search.named(self.index)).removeprefix("CREATE VECTOR INDEX ")
