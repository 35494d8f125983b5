"""Property constraints (CREATE CONSTRAINT): their table, the triggers that enforce them, the check of stored data.

SQLite enforces every constraint itself, so no write path can skip one: each constraint is a
pair of triggers that abort the offending statement with RAISE(ABORT, ...). A node's labels
live in another table than its properties, and a partial index cannot look there, so
uniqueness is a trigger too: it probes the constraint's expression index (the one CREATE
INDEX builds, which MATCH uses) for another entity with the same value. A RAISE message can
only be an SQL literal (SQLite 3.40), so it carries the constraint's description as JSON,
from which ``violation`` builds the error; the store names the offending entity where it knows it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace

from ..errors import InvalidInput, SchemaConstraintViolation
from ..identity import format_id, to_unsigned
from .quoting import json_path_literal, quote_identifier
from .statistics import analyse

#: Version 4: the table of property constraints (their triggers and indexes are made with them).
CONSTRAINTS_V4 = """
CREATE TABLE constraints (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('UNIQUENESS', 'KEY', 'PROPERTY_EXISTENCE', 'PROPERTY_TYPE')),
    entity_type   TEXT NOT NULL CHECK (entity_type IN ('NODE', 'RELATIONSHIP')),
    label         TEXT NOT NULL,
    properties    TEXT NOT NULL CHECK (json_valid(properties)),
    property_type TEXT
)
"""

#: What opens a RAISE message of a constraint trigger; the rest is the constraint as JSON.
MESSAGE_PREFIX = "bfxdb constraint "

#: The SQL test that a JSON type ``{t}`` (with temporal kind ``{k}``) is of each property type Neo4j names.
_SCALAR_TYPES = {
    "BOOLEAN": "{t} IN ('true', 'false')",
    "STRING": "{t} = 'text'",
    "INTEGER": "{t} = 'integer'",
    "FLOAT": "{t} = 'real'",
    "DATE": "({t} = 'object' AND {k} = 'date')",
    "LOCAL TIME": "({t} = 'object' AND {k} = 'localtime')",
    "ZONED TIME": "({t} = 'object' AND {k} = 'time')",
    "LOCAL DATETIME": "({t} = 'object' AND {k} = 'localdatetime')",
    "ZONED DATETIME": "({t} = 'object' AND {k} = 'datetime')",
    "DURATION": "({t} = 'object' AND {k} = 'duration')",
}
#: The property types a PROPERTY_TYPE constraint may require, as SHOW CONSTRAINTS spells them.
PROPERTY_TYPES = frozenset(_SCALAR_TYPES) | {f"LIST<{name} NOT NULL>" for name in _SCALAR_TYPES}

#: Where each entity type keeps its rows, and the name of its row's own key column.
_TABLES = {"NODE": ("substrates", "node"), "RELATIONSHIP": ("relationships", "identity")}


@dataclass(frozen=True, slots=True)
class Constraint:
    """One property constraint as the constraints table holds it.

    ``kind`` is UNIQUENESS, KEY (unique and present), PROPERTY_EXISTENCE or PROPERTY_TYPE;
    ``label`` is a label for a NODE constraint, a relationship type for a RELATIONSHIP one;
    ``property_type`` is a PROPERTY_TYPE constraint's types, alternatives joined by `` | ``.
    """

    name: str
    kind: str
    entity_type: str
    label: str
    properties: tuple[str, ...]
    property_type: str | None = None
    id: int = 0

    @property
    def type(self) -> str:
        """Neo4j's name of the constraint's type: UNIQUENESS, NODE_KEY, RELATIONSHIP_PROPERTY_TYPE, ..."""
        if self.kind == "UNIQUENESS" and self.entity_type == "NODE":
            return "UNIQUENESS"
        return f"{self.entity_type}_{self.kind}"

    @property
    def unique(self) -> bool:
        """Whether the constraint makes its properties unique, and so owns an index."""
        return self.kind in ("UNIQUENESS", "KEY")

    def same_rule(self, other: Constraint) -> bool:
        """Whether two constraints require the same of the same entities, whatever their names."""
        return (self.kind, self.entity_type, self.label, self.properties, self.property_type) == (
            other.kind,
            other.entity_type,
            other.label,
            other.properties,
            other.property_type,
        )

    def describe(self) -> str:
        """The constraint as Cypher creates it."""
        variable, pattern = ("n", f"(n:{_cypher_name(self.label)})")
        if self.entity_type == "RELATIONSHIP":
            variable, pattern = "r", f"()-[r:{_cypher_name(self.label)}]-()"
        keys = [f"{variable}.{_cypher_name(key)}" for key in self.properties]
        subject = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ")"
        requirement = {
            "UNIQUENESS": "IS UNIQUE",
            "KEY": f"IS {'NODE' if self.entity_type == 'NODE' else 'RELATIONSHIP'} KEY",
            "PROPERTY_EXISTENCE": "IS NOT NULL",
            "PROPERTY_TYPE": f"IS :: {self.property_type}",
        }[self.kind]
        return f"CREATE CONSTRAINT {_cypher_name(self.name)} FOR {pattern} REQUIRE {subject} {requirement}"


def _cypher_name(name: str) -> str:
    if name.replace("_", "a").isalnum() and not name[0].isdigit():
        return name
    return "`" + name.replace("`", "``") + "`"


def load_constraints(connection: sqlite3.Connection) -> list[Constraint]:
    """Every constraint of the file, by name."""
    rows = connection.execute(
        "SELECT name, kind, entity_type, label, properties, property_type, id FROM constraints ORDER BY name"
    ).fetchall()
    return [Constraint(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6]) for row in rows]


def unique_keys(connection: sqlite3.Connection, entity_type: str) -> set[str]:
    """The property keys the unique constraints on one entity type keep an expression index on."""
    return {
        key
        for constraint in load_constraints(connection)
        if constraint.unique and constraint.entity_type == entity_type
        for key in constraint.properties
    }


def index_name(entity_type: str, key: str) -> str:
    """The SQLite expression index of a property key: ``property_KEY`` for nodes (CREATE INDEX's own)."""
    return ("property_" if entity_type == "NODE" else "relationship_property_") + key


def ensure_index(connection: sqlite3.Connection, entity_type: str, key: str) -> None:
    """Build the expression index on a property key unless it exists, and describe it to the planners."""
    table, _ = _TABLES[entity_type]
    name = index_name(entity_type, key)
    exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()
    if exists:
        return
    connection.execute(
        f"CREATE INDEX {quote_identifier(name)} ON {table}(json_extract(metadata, {json_path_literal(key)}))"
    )
    # the new index has no statistics: SQLite and the estimator would guess its selectivity
    analyse(connection, name)


def create(connection: sqlite3.Connection, constraint: Constraint) -> Constraint:
    """Store a constraint and make its triggers and index, in the caller's transaction.

    :returns: the constraint with its id.
    :raises SchemaConstraintViolation: naming an entity the stored data has that breaks it.
    :raises InvalidInput: for a property key that cannot be indexed, or an unknown property type.
    """
    for key in constraint.properties:
        json_path_literal(key)
    if constraint.kind == "PROPERTY_TYPE":
        for alternative in _alternatives(constraint.property_type):
            if alternative not in PROPERTY_TYPES:
                raise InvalidInput(f"{alternative} is not a property type a constraint can require")
    cursor = connection.execute(
        "INSERT INTO constraints (name, kind, entity_type, label, properties, property_type) VALUES (?, ?, ?, ?, ?, ?)",
        (
            constraint.name,
            constraint.kind,
            constraint.entity_type,
            constraint.label,
            json.dumps(list(constraint.properties)),
            constraint.property_type,
        ),
    )
    stored = replace(constraint, id=cursor.lastrowid or 0)
    connection.execute("INSERT OR IGNORE INTO names (name) VALUES (?)", (constraint.label,))
    name_id = connection.execute("SELECT id FROM names WHERE name = ?", (constraint.label,)).fetchone()[0]
    if stored.unique:
        for key in stored.properties:
            ensure_index(connection, stored.entity_type, key)
    _check_stored(connection, stored, name_id)
    for statement in _triggers(stored, name_id):
        connection.execute(statement)
    return stored


def drop(connection: sqlite3.Connection, constraint: Constraint, keys_in_use: set[str]) -> None:
    """Drop a constraint's row and triggers, and its indexes that nothing else in ``keys_in_use`` needs."""
    connection.execute("DELETE FROM constraints WHERE id = ?", (constraint.id,))
    for suffix in ("added", "updated"):
        connection.execute(f"DROP TRIGGER IF EXISTS {quote_identifier(f'constraint_{constraint.id}_{suffix}')}")
    if constraint.unique:
        still = keys_in_use | unique_keys(connection, constraint.entity_type)
        for key in constraint.properties:
            if key not in still:
                connection.execute(f"DROP INDEX IF EXISTS {quote_identifier(index_name(constraint.entity_type, key))}")


def _alternatives(property_type: str | None) -> list[str]:
    return [part.strip() for part in (property_type or "").split("|")]


# ---------------------------------------------------------------- the SQL of a violation


def _absent(metadata: str, key: str) -> str:
    """SQL: the key is missing or JSON null in the metadata (both are null in Cypher)."""
    return f"coalesce(json_type({metadata}, {json_path_literal(key)}), 'null') = 'null'"


def _of_type(metadata: str, key: str, property_type: str | None) -> str:
    """SQL: the key's value is of one of the property type's alternatives."""
    path = json_path_literal(key)
    temporal_path = path[:-1] + '."$temporal"' + "'"
    tests = []
    for alternative in _alternatives(property_type):
        if alternative.startswith("LIST<"):
            element = alternative[len("LIST<") : -len(" NOT NULL>")]
            test = _SCALAR_TYPES[element].format(t="e.type", k="json_extract(e.value, '$.\"$temporal\"')")
            tests.append(
                f"(json_type({metadata}, {path}) = 'array' AND NOT EXISTS "
                f"(SELECT 1 FROM json_each({metadata}, {path}) AS e WHERE NOT {test}))"
            )
        else:
            tests.append(
                _SCALAR_TYPES[alternative].format(
                    t=f"json_type({metadata}, {path})", k=f"json_extract({metadata}, {temporal_path})"
                )
            )
    return "(" + " OR ".join(tests) + ")"


def _same_values(constraint: Constraint, metadata: str, own: str, name_id: int) -> str:
    """SQL: a SELECT of the other entities of the constraint's label or type with the same values.

    Values are equal as Cypher compares them: json_extract reads true as 1 and a list as its
    JSON text, so the JSON types must match too, with integer and real one kind (1 = 1.0).
    """
    table, column = _TABLES[constraint.entity_type]
    terms = []
    for key in constraint.properties:
        path = json_path_literal(key)
        terms.append(f"json_extract(o.metadata, {path}) = json_extract({metadata}, {path})")
        terms.append(
            f"replace(json_type(o.metadata, {path}), 'real', 'integer') = "
            f"replace(json_type({metadata}, {path}), 'real', 'integer')"
        )
    if constraint.entity_type == "NODE":
        terms.append(f"EXISTS (SELECT 1 FROM substrate_labels AS ol WHERE ol.node = o.node AND ol.label = {name_id})")
    else:
        terms.append(f"o.rel_type = {name_id}")
    terms.append(f"o.{column} <> {own}")
    return f"SELECT o.identity FROM {table} AS o WHERE " + " AND ".join(terms)


def _violations(constraint: Constraint, metadata: str, own: str, name_id: int) -> list[tuple[str, str]]:
    """(reason, SQL condition) of each way an entity with this metadata and row key breaks the constraint."""
    found = []
    if constraint.kind in ("KEY", "PROPERTY_EXISTENCE"):
        for key in constraint.properties:
            found.append((f"missing {key}", _absent(metadata, key)))
    if constraint.kind == "PROPERTY_TYPE":
        key = constraint.properties[0]
        found.append(
            ("type", f"NOT {_absent(metadata, key)} AND NOT {_of_type(metadata, key, constraint.property_type)}")
        )
    if constraint.unique:
        present = " AND ".join(f"NOT {_absent(metadata, key)}" for key in constraint.properties)
        found.append(("duplicate", f"{present} AND EXISTS ({_same_values(constraint, metadata, own, name_id)})"))
    return found


def _raise(constraint: Constraint, reason: str) -> str:
    """The RAISE of a trigger: the constraint and the reason as JSON in an SQL string literal."""
    payload = json.dumps(_payload(constraint, reason))
    # DDL takes no parameters; doubling the quotes keeps any name inside the literal
    return "RAISE(ABORT, '" + (MESSAGE_PREFIX + payload).replace("'", "''") + "')"


def _payload(constraint: Constraint, reason: str) -> dict:
    """What a violation's error is made from: the constraint's description and the reason."""
    return {
        "name": constraint.name,
        "type": constraint.type,
        "entity_type": constraint.entity_type,
        "label": constraint.label,
        "properties": list(constraint.properties),
        "property_type": constraint.property_type,
        "reason": reason,
    }


def _checks(constraint: Constraint, metadata: str, entity: str, name_id: int) -> str:
    """A trigger body's statements: one SELECT RAISE(...) per way the written entity may break the constraint."""
    return " ".join(
        f"SELECT {_raise(constraint, reason)} WHERE {condition};"
        for reason, condition in _violations(constraint, metadata, entity, name_id)
    )


def _triggers(constraint: Constraint, name_id: int) -> list[str]:
    """The two triggers of a constraint: when an entity gains the label (or is made with the type), and
    when its metadata changes."""
    added = quote_identifier(f"constraint_{constraint.id}_added")
    updated = quote_identifier(f"constraint_{constraint.id}_updated")
    if constraint.entity_type == "NODE":
        row = "(SELECT metadata FROM substrates WHERE node = NEW.node)"
        on_add = _checks(constraint, row, "NEW.node", name_id)
        on_update = _checks(constraint, "NEW.metadata", "NEW.node", name_id)
        return [
            f"CREATE TRIGGER {added} AFTER INSERT ON substrate_labels WHEN NEW.label = {name_id} BEGIN {on_add} END",
            f"CREATE TRIGGER {updated} AFTER UPDATE OF metadata ON substrates "
            f"WHEN EXISTS (SELECT 1 FROM substrate_labels WHERE node = NEW.node AND label = {name_id}) "
            f"BEGIN {on_update} END",
        ]
    body = _checks(constraint, "NEW.metadata", "NEW.identity", name_id)
    return [
        f"CREATE TRIGGER {added} AFTER INSERT ON relationships WHEN NEW.rel_type = {name_id} BEGIN {body} END",
        f"CREATE TRIGGER {updated} AFTER UPDATE OF metadata, rel_type ON relationships "
        f"WHEN NEW.rel_type = {name_id} BEGIN {body} END",
    ]


def _check_stored(connection: sqlite3.Connection, constraint: Constraint, name_id: int) -> None:
    """Refuse a constraint the stored data breaks, naming the first entity that does (and its twin)."""
    if constraint.entity_type == "NODE":
        source = f"substrate_labels AS l JOIN substrates AS s ON s.node = l.node WHERE l.label = {name_id}"
        own = "s.node"
    else:
        source = f"relationships AS s WHERE s.rel_type = {name_id}"
        own = "s.identity"
    for reason, condition in _violations(constraint, "s.metadata", own, name_id):
        twin = f"({_same_values(constraint, 's.metadata', own, name_id)} LIMIT 1)" if reason == "duplicate" else "NULL"
        row = connection.execute(f"SELECT s.identity, {twin} FROM {source} AND {condition} LIMIT 1").fetchone()
        if row is None:
            continue
        entity = _entity(constraint.entity_type, row[0])
        other = None if row[1] is None else _entity(constraint.entity_type, row[1])
        what, _ = _explain(_payload(constraint, reason), entity, other)
        raise SchemaConstraintViolation(
            f"cannot create constraint `{constraint.name}`: {what}",
            "ConstraintCreationFailed",
            constraint=constraint.name,
            entity=entity,
        )


def _entity(entity_type: str, signed: int) -> str:
    return f"{'substrate' if entity_type == 'NODE' else 'relationship'} {format_id(to_unsigned(signed))}"


# ---------------------------------------------------------------- the error of a violation


def violation(error: sqlite3.Error, entity: str | None = None) -> SchemaConstraintViolation | None:
    """The bfxdb error for a constraint trigger's abort, naming ``entity`` if given; None for any other error."""
    text = str(error)
    if not isinstance(error, sqlite3.IntegrityError) or not text.startswith(MESSAGE_PREFIX):
        return None
    return violation_error(json.loads(text[len(MESSAGE_PREFIX) :]), entity)


def violation_error(payload: dict, entity: str | None, other: str | None = None) -> SchemaConstraintViolation:
    """Say in words how ``entity`` breaks the constraint the payload (a trigger's JSON) describes."""
    what, requirement = _explain(payload, entity, other)
    return SchemaConstraintViolation(
        f"{what}: constraint `{payload['name']}` ({payload['type']}) {requirement}",
        "ConstraintValidationFailed",
        constraint=payload["name"],
        entity=entity,
    )


def _explain(payload: dict, entity: str | None, other: str | None) -> tuple[str, str]:
    """What the entity does wrong, and what the constraint requires, in words."""
    node = payload["entity_type"] == "NODE"
    who = entity or ("a node" if node else "a relationship")
    holders = f"node with label `{payload['label']}`" if node else f"relationship of type `{payload['label']}`"
    keys = ", ".join(f"`{key}`" for key in payload["properties"])
    reason = payload["reason"]
    if reason == "duplicate":
        with_whom = other or f"another {holders}"
        return f"{who} has the same {keys} as {with_whom}", f"makes {keys} unique among every {holders}"
    if reason.startswith("missing "):
        return f"{who} lacks the property `{reason[len('missing ') :]}`", f"requires {keys} on every {holders}"
    key, wanted = payload["properties"][0], payload["property_type"]
    return f"{who} has `{key}` of a type other than {wanted}", f"requires `{key}` to be {wanted} on every {holders}"
