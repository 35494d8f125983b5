"""The targets of ``SHOW <target> [YIELD ...] [WHERE ...] [RETURN ...]``: their columns and their rows.

A target is a ShowTarget registered with ``register``: the phrases that name it (``"PROCEDURES"``,
``"BUILT IN FUNCTIONS"``), every column in order (``YIELD *``), the columns shown without YIELD,
and the function giving its rows. The grammar reads any words after SHOW, the parser resolves
them here, and the planner runs the rows through the WITH and RETURN the command stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import QuerySyntaxError
from .ast import SHOW_COLUMNS
from .functions import FUNCTIONS
from .runtime import Context
from .schema_rows import constraint_rows, index_rows

#: What a target's rows function gets: the run, the database's procedure catalogue, and the name
#: written after the phrase (``SHOW DATABASE name``) or None. Each row maps columns to values; a
#: column left out is null.
Rows = Callable[[Context, Any, "str | None"], Iterable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ShowTarget:
    """What one SHOW command lists.

    ``name`` is its canonical phrase (EXPLAIN shows it); ``phrases`` every phrase naming it,
    upper case, words separated by one space; ``takes_name``: one more word after the phrase
    names the entry to show (``SHOW DATABASE graph``), which ``rows`` then gets.
    """

    name: str
    phrases: tuple[str, ...]
    columns: tuple[str, ...]
    defaults: tuple[str, ...]
    rows: Rows
    takes_name: bool = False


_TARGETS: dict[str, ShowTarget] = {}


def register(target: ShowTarget) -> None:
    """Make ``SHOW`` followed by any of the target's phrases list its rows.

    :raises ValueError: when a default column is not one of its columns (a programming error).
    """
    if not set(target.defaults) <= set(target.columns):
        raise ValueError(f"the default columns of SHOW {target.name} must be among its columns")
    for phrase in target.phrases:
        _TARGETS[phrase] = target


def resolve(words: Iterable[str]) -> tuple[ShowTarget, str | None]:
    """Find the target the words after SHOW name, and the entry name written after its phrase.

    :raises QuerySyntaxError: when no target answers to the words.
    """
    written = list(words)
    phrase = " ".join(word.upper() for word in written)
    target = _TARGETS.get(phrase)
    if target is not None:
        return target, None
    if len(written) > 1:
        target = _TARGETS.get(" ".join(word.upper() for word in written[:-1]))
        if target is not None and target.takes_name:
            return target, written[-1]
    known = ", ".join(sorted({target.name for target in _TARGETS.values()}))
    raise QuerySyntaxError(f"SHOW {phrase} is not a command; SHOW lists {known}", "UnexpectedSyntax")


# ---------------------------------------------------------------- SHOW PROCEDURES


def _described(names: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Neo4j's argumentDescription / returnDescription: one map per field."""
    return [{"name": name, "type": kind, "description": name, "isDeprecated": False} for name, kind in names]


def _procedures(ctx: Context, catalogue: Any, name: str | None) -> Iterable[dict[str, Any]]:
    for procedure in sorted(catalogue.procedures.values(), key=lambda procedure: procedure.name):
        yield {
            "name": procedure.name,
            "description": procedure.description,
            # a procedure gets its arguments (built-ins the store to read): none can write
            "mode": "READ",
            "worksOnSystem": False,
            "signature": procedure.describe(),
            "argumentDescription": _described(procedure.signature.inputs),
            "returnDescription": _described(procedure.signature.outputs),
            "admin": False,
            "rolesExecution": None,
            "rolesBoostedExecution": None,
            "isDeprecated": False,
            "deprecatedBy": None,
            "option": {"deprecated": False},
        }


_PROCEDURE_COLUMNS = (
    "name", "description", "mode", "worksOnSystem", "signature", "argumentDescription", "returnDescription",
    "admin", "rolesExecution", "rolesBoostedExecution", "isDeprecated", "deprecatedBy", "option",
)
_EXECUTABLE = ("", " EXECUTABLE", " EXECUTABLE BY CURRENT USER")

register(ShowTarget(
    "PROCEDURES",
    tuple(f"{noun}{tail}" for noun in ("PROCEDURES", "PROCEDURE") for tail in _EXECUTABLE),
    _PROCEDURE_COLUMNS,
    ("name", "description", "mode", "worksOnSystem"),
    _procedures,
))


# ---------------------------------------------------------------- SHOW FUNCTIONS


def _functions(built_in: bool) -> Rows:
    def rows(ctx: Context, catalogue: Any, name: str | None) -> Iterable[dict[str, Any]]:
        if not built_in:
            return  # every function is built in: a database cannot define its own
        for function in sorted(FUNCTIONS.values(), key=lambda function: function.name.lower()):
            arguments = function.signature.split("(", 1)[1].rstrip(")")
            names = [part.strip(" []") for part in arguments.replace("[", ",").split(",")]
            yield {
                "name": function.name,
                "category": function.category.capitalize(),
                "description": function.doc,
                "signature": function.signature,
                "isBuiltIn": True,
                "argumentDescription": _described((part, "ANY") for part in names if part and part != "..."),
                "returnDescription": "ANY",
                "aggregating": function.aggregate is not None,
                "rolesExecution": None,
                "rolesBoostedExecution": None,
                "isDeprecated": False,
                "deprecatedBy": None,
            }

    return rows


_FUNCTION_COLUMNS = (
    "name", "category", "description", "signature", "isBuiltIn", "argumentDescription", "returnDescription",
    "aggregating", "rolesExecution", "rolesBoostedExecution", "isDeprecated", "deprecatedBy",
)
for _scope, _built_in in (("", True), ("ALL ", True), ("BUILT IN ", True), ("USER DEFINED ", False)):
    register(ShowTarget(
        f"{_scope}FUNCTIONS",
        tuple(f"{_scope}{noun}{tail}" for noun in ("FUNCTIONS", "FUNCTION") for tail in _EXECUTABLE),
        _FUNCTION_COLUMNS,
        ("name", "category", "description"),
        _functions(_built_in),
    ))


# ---------------------------------------------------------------- SHOW DATABASES


def database_name(path: str) -> str:
    """The name SHOW DATABASES gives the one database: its file's name, or ``:memory:``."""
    return path.replace("\\", "/").rsplit("/", 1)[-1] or path


def _databases(ctx: Context, catalogue: Any, name: str | None) -> Iterable[dict[str, Any]]:
    store = ctx.store
    own = database_name(store.path)
    if name is not None and name != own:
        return
    read_only = store.read_only
    yield {
        "name": own,
        "type": "standard",
        "aliases": [],
        "access": "read-only" if read_only else "read-write",
        "address": None,
        "role": "primary",
        "writer": not read_only,
        "requestedStatus": "online",
        "currentStatus": "online",
        "statusMessage": "",
        "default": True,
        "home": True,
        "constituents": [],
        "store": store.dialect,
        "path": store.path,
    }


_DATABASE_COLUMNS = (
    "name", "type", "aliases", "access", "address", "role", "writer", "requestedStatus", "currentStatus",
    "statusMessage", "default", "home", "constituents", "store", "path",
)
register(ShowTarget(
    "DATABASES",
    ("DATABASES", "DATABASE", "DEFAULT DATABASE", "HOME DATABASE"),
    _DATABASE_COLUMNS,
    _DATABASE_COLUMNS[:13],
    _databases,
    takes_name=True,
))


# ---------------------------------------------------------------- SHOW INDEXES, SHOW CONSTRAINTS


def _of_types(read: Callable[[Any], Iterable[dict[str, Any]]], types: tuple[str, ...] | None) -> Rows:
    """The rows of db.indexes or db.constraints whose ``type`` is one of ``types`` (None: every row)."""

    def rows(ctx: Context, catalogue: Any, name: str | None) -> Iterable[dict[str, Any]]:
        return (row for row in read(ctx.store) if types is None or row["type"] in types)

    return rows


def _register_schema(
    noun: str, nouns: tuple[str, ...], procedure: str, read: Callable[[Any], Iterable[dict[str, Any]]],
    kinds: dict[str, tuple[str, ...] | None],
) -> None:
    every, shown = SHOW_COLUMNS[procedure]
    for words, types in kinds.items():
        register(ShowTarget(
            f"{words} {noun}".strip(),
            tuple(f"{words} {word}".strip() for word in nouns),
            every,
            shown,
            _of_types(read, types),
        ))


_INDEX_KINDS: dict[str, tuple[str, ...] | None] = {"": None, "ALL": None}
_INDEX_KINDS.update({kind: (kind,) for kind in ("RANGE", "TEXT", "POINT", "LOOKUP", "FULLTEXT", "VECTOR")})
_register_schema("INDEXES", ("INDEXES", "INDEX"), "db.indexes", index_rows, _INDEX_KINDS)

#: SHOW ... CONSTRAINTS: the words naming a kind of constraint, and its types without the entity
_CONSTRAINT_WORDS = {
    "UNIQUE": "UNIQUENESS", "UNIQUENESS": "UNIQUENESS", "KEY": "KEY",
    "EXIST": "PROPERTY_EXISTENCE", "EXISTS": "PROPERTY_EXISTENCE", "EXISTENCE": "PROPERTY_EXISTENCE",
    "PROPERTY EXIST": "PROPERTY_EXISTENCE", "PROPERTY EXISTENCE": "PROPERTY_EXISTENCE",
    "PROPERTY TYPE": "PROPERTY_TYPE",
}
_ENTITIES = {
    "": ("NODE", "RELATIONSHIP"), "NODE": ("NODE",), "REL": ("RELATIONSHIP",), "RELATIONSHIP": ("RELATIONSHIP",),
}


def _constraint_type(entity: str, kind: str) -> str:
    """The type SHOW CONSTRAINTS gives a kind of constraint on an entity (Neo4j 5's names)."""
    return "UNIQUENESS" if (entity, kind) == ("NODE", "UNIQUENESS") else f"{entity}_{kind}"


_CONSTRAINT_KINDS: dict[str, tuple[str, ...] | None] = {"": None, "ALL": None}
_CONSTRAINT_KINDS.update({
    f"{entity} {words}".strip(): tuple(_constraint_type(each, kind) for each in entities)
    for entity, entities in _ENTITIES.items()
    for words, kind in _CONSTRAINT_WORDS.items()
})
_register_schema("CONSTRAINTS", ("CONSTRAINTS", "CONSTRAINT"), "db.constraints", constraint_rows, _CONSTRAINT_KINDS)
