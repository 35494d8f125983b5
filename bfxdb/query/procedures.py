"""Procedures for CALL: their signatures, the built-in ones, and per-database catalogues."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import methodcaller
from typing import Any

from .. import algorithms, search
from ..errors import BfxError, InvalidInput, ProcedureFailed, QueryTypeError
from ..model import Path, Relationship, Substrate
from .plancache import PLAN_CACHE_SIZE, PlanCache
from .runtime import Context
from .schema_rows import CONSTRAINT_OUTPUTS, INDEX_OUTPUTS, constraint_rows, index_rows
from .semantics import ProcedureSignature
from .temporal import TEMPORAL_TYPES, decode_properties
from .values import NodeRef, RelRef, to_input

#: The types a signature may declare, as openCypher writes them; a trailing ``?`` admits null.
PARAMETER_TYPES = frozenset(
    {"ANY", "BOOLEAN", "STRING", "INTEGER", "FLOAT", "NUMBER", "LIST", "MAP", "NODE", "RELATIONSHIP", "PATH"}
)
#: Most rows one call of a procedure may give; past it the query fails rather than exhaust memory.
MAX_PROCEDURE_ROWS = 10_000_000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Which Python values each declared type accepts once arguments are in caller form.
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "ANY": lambda value: True,
    "BOOLEAN": lambda value: isinstance(value, bool),
    "STRING": lambda value: isinstance(value, str),
    "INTEGER": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "FLOAT": lambda value: isinstance(value, float),
    "NUMBER": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "LIST": lambda value: isinstance(value, list),
    "MAP": lambda value: isinstance(value, dict),
    "NODE": lambda value: isinstance(value, Substrate),
    "RELATIONSHIP": lambda value: isinstance(value, Relationship),
    "PATH": lambda value: isinstance(value, Path),
}


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure CALL can run: a name, a signature and the function that yields its rows.

    ``function`` gets the arguments in signature order (entities as Substrate, Relationship and
    Path objects) and returns an iterable of rows, each a mapping keyed by output name or a
    sequence in output order. Built-in procedures also get the store, first, or with ``needs_context``
    the run's Context (its store, time limit and memory budget); ``writes`` marks one that changes the
    graph, so the query holding it takes the write lock and a read-only run refuses it.
    """

    name: str
    signature: ProcedureSignature
    function: Callable[..., Iterable[Any]]
    description: str = ""
    needs_store: bool = False
    needs_context: bool = False
    writes: bool = False

    def describe(self) -> str:
        """The signature as openCypher writes it, e.g. ``db.labels() :: (label :: STRING)``."""
        inputs = ", ".join(f"{name} :: {kind}" for name, kind in self.signature.inputs)
        outputs = ", ".join(f"{name} :: {kind}" for name, kind in self.signature.outputs)
        return f"{self.name}({inputs}) :: ({outputs})"


def make_procedure(
    name: str,
    function: Callable[..., Iterable[Any]],
    inputs: Iterable[tuple[str, str]] = (),
    outputs: Iterable[tuple[str, str]] = (),
    description: str = "",
) -> Procedure:
    """Check a user's procedure definition and build it.

    :raises InvalidInput: for a malformed name, field name or type, a repeated field, or a
        function that is not callable.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(f"procedure name {name!r} must be dotted names such as my.procedure")
    if not callable(function):
        raise InvalidInput("a procedure needs a callable function")
    signature = ProcedureSignature(_fields(inputs, "input"), _fields(outputs, "output"))
    return Procedure(name, signature, function, str(description))


def _fields(pairs: Iterable[tuple[str, str]], what: str) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    for pair in pairs:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise InvalidInput(f"each {what} must be a (name, type) pair")
        field, kind = pair
        if not isinstance(field, str) or not _FIELD.match(field):
            raise InvalidInput(f"{what} name {field!r} must be a plain name")
        if not isinstance(kind, str) or kind.upper().rstrip("?") not in PARAMETER_TYPES:
            raise InvalidInput(f"{what} {field} has type {kind!r}; use one of {', '.join(sorted(PARAMETER_TYPES))}")
        if any(field == seen for seen, _ in fields):
            raise InvalidInput(f"{what} {field} is declared twice")
        fields.append((field, kind.upper()))
    return tuple(fields)


def check_argument(procedure: Procedure, index: int, value: Any) -> Any:
    """Return ``value`` as argument ``index`` of ``procedure`` takes it: an integer for a FLOAT becomes a float.

    :raises QueryTypeError: unless ``value`` fits the declared type of the argument.
    """
    field, kind = procedure.signature.inputs[index]
    if value is None:
        if kind.endswith("?"):
            return None
        raise QueryTypeError(f"argument {field} of {procedure.name} may not be null", "InvalidArgumentType")
    declared = kind.rstrip("?")
    if declared == "FLOAT" and _ACCEPTS["INTEGER"](value):
        return float(value)
    if not _ACCEPTS[declared](value):
        raise QueryTypeError(f"argument {field} of {procedure.name} must be {kind}", "InvalidArgumentType")
    return value


def run_procedure(procedure: Procedure, arguments: list[Any], ctx: Context) -> list[tuple]:
    """Call a procedure and return its rows as tuples of query values in output order.

    :raises ProcedureFailed: when the function raises, or returns a row that does not fit its outputs.
    :raises QueryTimeout: when the query's time limit passes while rows are read.
    """
    outputs = [field for field, _ in procedure.signature.outputs]
    try:
        function = procedure.function
        if procedure.needs_context:
            produced = function(ctx, *arguments)
        else:
            produced = function(ctx.store, *arguments) if procedure.needs_store else function(*arguments)
        rows: list[tuple] = []
        for row in produced or ():
            rows.append(_row(procedure, outputs, row))
            ctx.tick()
            if len(rows) > MAX_PROCEDURE_ROWS:
                raise ProcedureFailed(
                    f"{procedure.name} gave more than {MAX_PROCEDURE_ROWS} rows", "ProcedureRowLimit"
                )
    except BfxError:
        raise
    except Exception as error:  # the user's function may raise anything; the query reports it
        if procedure.needs_store or procedure.needs_context:
            # A built-in reading the store: its storage errors and time-limit interrupts keep their meaning.
            raise
        raise ProcedureFailed(
            f"procedure {procedure.name} failed: {type(error).__name__}: {error}", "ProcedureCallFailed"
        ) from None
    return rows


def _row(procedure: Procedure, outputs: list[str], row: Any) -> tuple:
    if isinstance(row, Mapping):
        unknown = row.keys() - set(outputs)
        if unknown:
            raise ProcedureFailed(
                f"{procedure.name} returned {', '.join(sorted(map(str, unknown)))}, which it does not declare",
                "ProcedureBadRow",
            )
        values = [row.get(field) for field in outputs]
    elif isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
        if len(row) != len(outputs):
            raise ProcedureFailed(
                f"{procedure.name} returned a row of {len(row)} values; it declares {len(outputs)} outputs",
                "ProcedureBadRow",
            )
        values = list(row)
    else:
        raise ProcedureFailed(
            f"{procedure.name} returned a {type(row).__name__}; rows must be mappings or sequences",
            "ProcedureBadRow",
        )
    return tuple(to_input(value) for value in values)


# ---------------------------------------------------------------- built-in procedures


def _procedures_of(catalogue: Catalogue) -> Callable[[Any], Iterable[tuple]]:
    def listing(store: Any) -> Iterable[tuple]:
        return [(p.name, p.describe(), p.description) for p in sorted(catalogue.procedures.values(), key=_by_name)]

    return listing


def _by_name(procedure: Procedure) -> str:
    return procedure.name


# (name, its one STRING output, the Store method giving the rows, description)
_LISTINGS = (
    ("db.labels", "label", "distinct_labels", "Every label some substrate carries, in order."),
    ("db.relationshipTypes", "relationshipType", "distinct_relationship_types", "Every relationship type in use."),
    ("db.propertyKeys", "propertyKey", "distinct_property_keys", "Every metadata key of substrates and relationships."),
)
_LISTED = tuple(
    Procedure(name, ProcedureSignature((), ((output, "STRING"),)), methodcaller(method), text, needs_store=True)
    for name, output, method, text in _LISTINGS
) + (
    # what SHOW INDEXES and SHOW CONSTRAINTS read (Neo4j 4 had procedures of these names)
    Procedure(
        "db.indexes", ProcedureSignature((), INDEX_OUTPUTS), index_rows, "Every index, as SHOW INDEXES.", True
    ),
    Procedure(
        "db.constraints",
        ProcedureSignature((), CONSTRAINT_OUTPUTS),
        constraint_rows,
        "Every constraint, as SHOW CONSTRAINTS.",
        True,
    ),
)


# ---------------------------------------------------------------- what tools call when they connect

#: Relationships read per batch while db.schema.visualization looks up their endpoints' labels.
_SCHEMA_BATCH = 1000


def _components(store: Any) -> Iterable[tuple]:
    # imported here: importlib.metadata loads zipfile and importlib.resources, which `bfxdb query` never needs
    from importlib import metadata

    try:
        version = metadata.version("bfxdb")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "unknown"
    return [("bfxdb", [version], "community")]


def _type_name(value: Any) -> str:
    """Neo4j's name of a property value's type, as db.schema.*TypeProperties report it."""
    if isinstance(value, list):
        kinds = {_type_name(item) for item in value}
        if len(kinds) == 1 and (kind := kinds.pop()) in _ARRAYS:
            return f"{kind}Array"
        return "List"
    if isinstance(value, TEMPORAL_TYPES):
        return type(value).__name__
    return _SCALAR_NAMES.get(type(value), "Map" if isinstance(value, dict) else "Any")


_SCALAR_NAMES = {str: "String", bool: "Boolean", int: "Long", float: "Double"}
_ARRAYS = frozenset({"String", "Boolean", "Long", "Double"})


class _PropertyTypes:
    """What one label combination or relationship type holds: how many entities, and per key its types and count."""

    __slots__ = ("count", "keys")

    def __init__(self) -> None:
        self.count = 0
        self.keys: dict[str, tuple[set[str], list[int]]] = {}

    def add(self, properties: dict) -> None:
        self.count += 1
        for key, value in decode_properties(properties).items():
            types, seen = self.keys.setdefault(key, (set(), [0]))
            types.add(_type_name(value))
            seen[0] += 1

    def rows(self, head: tuple) -> Iterator[tuple]:
        """One row per key, ``head`` first: (*head, key, types, mandatory); one of nulls without keys."""
        if not self.keys:
            yield (*head, None, None, False)
        for key in sorted(self.keys):
            types, seen = self.keys[key]
            yield (*head, key, sorted(types), seen[0] == self.count)


def _node_type(labels: Iterable[str]) -> str:
    return "".join(f":`{label.replace('`', '``')}`" for label in labels)


def _node_type_properties(store: Any) -> Iterable[tuple]:
    found: dict[tuple[str, ...], _PropertyTypes] = {}
    for node in store.iter_substrates():
        found.setdefault(tuple(sorted(node.labels)), _PropertyTypes()).add(node.metadata)
    for labels in sorted(found):
        yield from found[labels].rows((_node_type(labels), list(labels)))


def _rel_type_properties(store: Any) -> Iterable[tuple]:
    found: dict[str, _PropertyTypes] = {}
    for rel in store.iter_relationships():
        found.setdefault(rel.rel_type, _PropertyTypes()).add(rel.metadata)
    for rel_type in sorted(found):
        yield from found[rel_type].rows((_node_type((rel_type,)),))


def _schema_visualization(store: Any) -> Iterable[tuple]:
    """One row: a map per label ({name}) and one per (start label, type, end label) a relationship joins."""
    labels = [label for (label,) in store.distinct_labels()]
    joined: set[tuple[str, str, str]] = set()
    rels = store.iter_relationships()
    while batch := list(islice(rels, _SCHEMA_BATCH)):
        ends = store.get_substrates({identity for rel in batch for identity in (rel.source, rel.target)})
        for rel in batch:
            source, target = ends.get(rel.source), ends.get(rel.target)
            if source is None or target is None:
                continue
            joined.update((start, rel.rel_type, end) for start in source.labels for end in target.labels)
    nodes = [{"name": label} for label in labels]
    relationships = [{"type": kind, "start": start, "end": end} for start, kind, end in sorted(joined)]
    return [(nodes, relationships)]


def _store_procedure(name: str, inputs: tuple, outputs: tuple, function: Callable, text: str) -> Procedure:
    return Procedure(name, ProcedureSignature(inputs, outputs), function, text, needs_store=True)


_CONNECTING = (
    _store_procedure(
        "dbms.components", (), (("name", "STRING"), ("versions", "LIST"), ("edition", "STRING")), _components,
        "The database software: its name, version and edition.",
    ),
    _store_procedure(
        "db.schema.visualization", (), (("nodes", "LIST"), ("relationships", "LIST")), _schema_visualization,
        "The labels as maps {name}, and as maps {type, start, end} which labels each relationship type joins.",
    ),
    _store_procedure(
        "db.schema.nodeTypeProperties",
        (),
        (("nodeType", "STRING"), ("nodeLabels", "LIST"), ("propertyName", "STRING"), ("propertyTypes", "LIST"),
         ("mandatory", "BOOLEAN")),
        _node_type_properties,
        "Per label combination, each property key, the types of its values and whether every node has it.",
    ),
    _store_procedure(
        "db.schema.relTypeProperties",
        (),
        (("relType", "STRING"), ("propertyName", "STRING"), ("propertyTypes", "LIST"), ("mandatory", "BOOLEAN")),
        _rel_type_properties,
        "Per relationship type, each property key, the types of its values and whether every relationship has it.",
    ),
)


def _streamed(algorithm: algorithms.Algorithm) -> Callable[[Context, Any], Iterable[tuple]]:
    def call(ctx: Context, config: Any) -> Iterable[tuple]:
        values, _ = algorithms.run(algorithm, ctx.store, config, ctx.check_deadline, ctx.room_total - ctx.held)
        return [(NodeRef(identity), value) for identity, value in values.items()]

    return call


def _written(algorithm: algorithms.Algorithm) -> Callable[[Context, Any], Iterable[tuple]]:
    def call(ctx: Context, config: Any) -> Iterable[tuple]:
        if not isinstance(config, dict) or config.get(algorithms.WRITE_KEY) is None:
            raise InvalidInput(f"{algorithm.procedure}.write needs {algorithms.WRITE_KEY}: the property to store")
        _, written = algorithms.run(
            algorithm, ctx.store, config, ctx.check_deadline, ctx.room_total - ctx.held, writes=True
        )
        return [(written,)]

    return call


# Each algorithm as algo.NAME(config) streaming (node, value) rows, and algo.NAME.write(config)
# storing the value as the node property config.write and yielding how many nodes it set.
_CONFIG = (("config", "MAP?"),)
_ALGORITHMS = tuple(
    procedure
    for algorithm in algorithms.ALGORITHMS
    for procedure in (
        Procedure(
            algorithm.procedure,
            ProcedureSignature(_CONFIG, (("node", "NODE"), (algorithm.column, algorithm.kind))),
            _streamed(algorithm),
            algorithm.description,
            needs_context=True,
        ),
        Procedure(
            f"{algorithm.procedure}.write",
            ProcedureSignature(_CONFIG, (("nodePropertiesWritten", "INTEGER"),)),
            _written(algorithm),
            f"{algorithm.description} Stores it as the node property named by write.",
            needs_context=True,
            writes=True,
        ),
    )
)


def _vector_search(entity_type: str, procedure: str) -> Callable[..., Iterable[tuple]]:
    reference = NodeRef if entity_type == "NODE" else RelRef

    def call(ctx: Context, name: str, k: int, vector: list) -> Iterable[tuple]:
        index = search.find_index(ctx.store, name, entity_type, procedure)
        found = search.query_vectors(ctx.store, index, k, vector, ctx.fits, ctx.check_deadline)
        return [(reference(identity), score) for identity, score in found]

    return call


def _fulltext(entity_type: str) -> Callable[..., Iterable[tuple]]:
    reference = NodeRef if entity_type == "NODE" else RelRef

    def call(store: Any, name: str, text: str, options: Any) -> Iterable[tuple]:
        hits = search.query_fulltext(store, name, entity_type, text, options)
        return [(reference(identity), score) for identity, score in hits]

    return call


def _create_node_vector_index(ctx: Context, name: str, label: str, key: str, size: int, function: str) -> list:
    config = {"indexConfig": {"vector.dimensions": size, "vector.similarity_function": function}}
    search.create_index(ctx.store, search.vector_index(name, "NODE", label, key, config), False)
    return []


_QUERY_INPUTS = (("indexName", "STRING"), ("numberOfNearestNeighbours", "INTEGER"), ("query", "LIST"))
_VECTORS = (
    Procedure(
        "db.index.vector.queryNodes",
        ProcedureSignature(_QUERY_INPUTS, (("node", "NODE"), ("score", "FLOAT"))),
        _vector_search("NODE", "db.index.vector.queryNodes"),
        "The k nodes whose vectors are most similar to the query vector, exactly, by score from the highest.",
        needs_context=True,
    ),
    Procedure(
        "db.index.vector.queryRelationships",
        ProcedureSignature(_QUERY_INPUTS, (("relationship", "RELATIONSHIP"), ("score", "FLOAT"))),
        _vector_search("RELATIONSHIP", "db.index.vector.queryRelationships"),
        "The k relationships whose vectors are most similar to the query vector, exactly, by score from the highest.",
        needs_context=True,
    ),
    Procedure(
        "db.index.vector.createNodeIndex",
        ProcedureSignature(
            (
                ("indexName", "STRING"),
                ("label", "STRING"),
                ("propertyKey", "STRING"),
                ("vectorDimension", "INTEGER"),
                ("vectorSimilarityFunction", "STRING"),
            ),
            (),
        ),
        _create_node_vector_index,
        "Make a node vector index, as CREATE VECTOR INDEX does (Neo4j 5's older procedure).",
        needs_context=True,
        writes=True,
    ),
)
# Neo4j's full-text procedures, so code written for it runs: queryNodes('index', 'text' [, {skip, limit}])
_FULLTEXT_INPUTS = (("indexName", "STRING"), ("queryString", "STRING"), ("options", "MAP?"))
_FULLTEXT = (
    Procedure(
        "db.index.fulltext.queryNodes",
        ProcedureSignature(_FULLTEXT_INPUTS, (("node", "NODE"), ("score", "FLOAT")), optional=1),
        _fulltext("NODE"),
        "The nodes a full-text index finds for a query in Lucene's syntax, best score (BM25) first.",
        needs_store=True,
    ),
    Procedure(
        "db.index.fulltext.queryRelationships",
        ProcedureSignature(_FULLTEXT_INPUTS, (("relationship", "RELATIONSHIP"), ("score", "FLOAT")), optional=1),
        _fulltext("RELATIONSHIP"),
        "The relationships a full-text index finds for a query in Lucene's syntax, best score (BM25) first.",
        needs_store=True,
    ),
    Procedure(
        "db.index.fulltext.listAvailableAnalyzers",
        ProcedureSignature((), (("analyzer", "STRING"), ("description", "STRING"), ("stopwords", "LIST"))),
        lambda: search.analyzer_rows(),
        "The analyzers a full-text index may use (OPTIONS {indexConfig: {`fulltext.analyzer`: ...}}).",
    ),
)
_BUILTINS = _LISTED + _ALGORITHMS + _VECTORS + _FULLTEXT


# ---------------------------------------------------------------- catalogues


class Catalogue:
    """The procedures one database can call, and the plans prepared against them.

    Plans name the procedures they call, so each catalogue keeps its own plan cache; registering
    a procedure empties it. Databases that register nothing share the built-in catalogue.
    """

    def __init__(self, procedures: Iterable[Procedure] = _BUILTINS + _CONNECTING) -> None:
        self.procedures: dict[str, Procedure] = {}
        self.plans = PlanCache(PLAN_CACHE_SIZE)
        self._lock = threading.Lock()
        for procedure in procedures:
            self.procedures[procedure.name] = procedure
        listing = ProcedureSignature((), (("name", "STRING"), ("signature", "STRING"), ("description", "STRING")))
        self.procedures["dbms.procedures"] = Procedure(
            "dbms.procedures", listing, _procedures_of(self), "Every procedure CALL can run.", needs_store=True
        )

    @property
    def signatures(self) -> dict[str, ProcedureSignature]:
        """Signatures by name, for the semantic checker."""
        return {name: procedure.signature for name, procedure in self.procedures.items()}

    def copy(self) -> Catalogue:
        """A new catalogue with the same procedures and an empty plan cache."""
        return Catalogue(p for name, p in self.procedures.items() if name != "dbms.procedures")

    def register(self, procedure: Procedure) -> None:
        """Add or replace a procedure; plans prepared before are dropped."""
        with self._lock:
            self.procedures[procedure.name] = procedure
            self.plans.clear()


BUILTINS = Catalogue()
