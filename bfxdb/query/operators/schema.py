"""The schema commands: CREATE / DROP CONSTRAINT (Neo4j 5's names and IF [NOT] EXISTS), CREATE VECTOR INDEX."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import ClassVar

from ... import search
from ...errors import QueryArgumentError
from ...storage import Constraint, SearchIndex
from ..runtime import Context


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
        if any(name == wanted.name for _id, name, _label, _keys in ctx.store.property_indexes()):
            if self.if_exists:
                return []
            raise QueryArgumentError(
                f"cannot create constraint `{wanted.name}`: an index has that name", "IndexWithNameAlreadyExists"
            )
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
