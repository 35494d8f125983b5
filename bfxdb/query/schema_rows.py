"""The rows of SHOW INDEXES and SHOW CONSTRAINTS (procedures db.indexes and db.constraints), from the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import search
from ..storage import VECTOR_SIMILARITY_KEY

#: What SHOW INDEXES says of every index: SQLite builds an index in the statement that makes it.
_RANGE = {"state": "ONLINE", "populationPercent": 100.0, "type": "RANGE", "indexProvider": "range-1.0"}
#: Indexes a unique constraint owns are numbered from here, after the property indexes' own ids.
OWNED_INDEX_IDS = 1 << 31
#: Search indexes (search_indexes rows) are numbered from here, between the two.
SEARCH_INDEX_IDS = 1 << 30

#: The outputs of db.indexes and db.constraints, in SHOW's column order (see ast.SHOW_COLUMNS).
INDEX_OUTPUTS = (
    ("id", "INTEGER"),
    ("name", "STRING"),
    ("state", "STRING"),
    ("populationPercent", "FLOAT"),
    ("type", "STRING"),
    ("entityType", "STRING"),
    ("labelsOrTypes", "LIST"),
    ("properties", "LIST"),
    ("indexProvider", "STRING"),
    ("owningConstraint", "STRING?"),
    ("lastRead", "STRING?"),
    ("readCount", "INTEGER?"),
    ("trackedSince", "STRING?"),
    ("options", "MAP"),
    ("failureMessage", "STRING"),
    ("createStatement", "STRING"),
)
CONSTRAINT_OUTPUTS = (
    ("id", "INTEGER"),
    ("name", "STRING"),
    ("type", "STRING"),
    ("entityType", "STRING"),
    ("labelsOrTypes", "LIST"),
    ("properties", "LIST"),
    ("ownedIndex", "STRING?"),
    ("propertyType", "STRING?"),
    ("options", "MAP?"),
    ("createStatement", "STRING"),
)


def _name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def index_rows(store: Any) -> Iterable[dict]:
    """Every index, by name: those CREATE INDEX made, and those unique constraints own."""
    rows = []
    options = {"indexProvider": "range-1.0", "indexConfig": {}}
    for identity, name, label, keys in store.property_indexes():
        on = ", ".join(f"n.{_name(key)}" for key in keys)
        rows.append(
            {
                "id": identity,
                "name": name,
                **_RANGE,
                "entityType": "NODE",
                "labelsOrTypes": [label],
                "properties": list(keys),
                "options": options,
                "failureMessage": "",
                "createStatement": f"CREATE RANGE INDEX {_name(name)} FOR (n:{_name(label)}) ON ({on})",
            }
        )
    for constraint in store.constraints():
        if constraint.unique:
            variable = "n" if constraint.entity_type == "NODE" else "r"
            pattern = f"(n:{_name(constraint.label)})" if variable == "n" else f"()-[r:{_name(constraint.label)}]-()"
            on = ", ".join(f"{variable}.{_name(key)}" for key in constraint.properties)
            rows.append(
                {
                    "id": OWNED_INDEX_IDS + constraint.id,
                    "name": constraint.name,
                    **_RANGE,
                    "entityType": constraint.entity_type,
                    "labelsOrTypes": [constraint.label],
                    "properties": list(constraint.properties),
                    "owningConstraint": constraint.name,
                    "options": options,
                    "failureMessage": "",
                    "createStatement": f"CREATE RANGE INDEX {_name(constraint.name)} FOR {pattern} ON ({on})",
                }
            )
    rows.extend(_search_index_row(index) for index in store.search_indexes())
    return sorted(rows, key=lambda row: row["name"])


def _vector_options(index: Any) -> dict[str, Any]:
    """A vector index's OPTIONS as Neo4j shows them: the similarity in capitals, provider vector-1.0."""
    config = dict(index.options["indexConfig"])
    config[VECTOR_SIMILARITY_KEY] = str(config[VECTOR_SIMILARITY_KEY]).upper()
    return {"indexProvider": search.PROVIDERS[0], "indexConfig": config}


def _fulltext_statement(index: Any) -> str:
    """The CREATE FULLTEXT INDEX statement that makes an index like this one."""
    node = index.entity_type == "NODE"
    variable = "n" if node else "r"
    kinds = "|".join(_name(label) for label in index.labels)
    pattern = f"(n:{kinds})" if node else f"()-[r:{kinds}]-()"
    on = ", ".join(f"{variable}.{_name(key)}" for key in index.properties)
    written = ", ".join(
        f"`{key}`: {value!r}".replace("True", "true").replace("False", "false")
        for key, value in search.index_config(index)["indexConfig"].items()
    )
    options = f"OPTIONS {{indexConfig: {{{written}}}}}"
    return f"CREATE FULLTEXT INDEX {_name(index.name)} FOR {pattern} ON EACH [{on}] {options}"


#: What SHOW INDEXES gives of a search index of each kind: its OPTIONS, and the statement that makes it.
_SEARCH_OPTIONS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "FULLTEXT": search.index_config,
    "VECTOR": _vector_options,
}
_SEARCH_STATEMENTS: dict[str, Callable[[Any], str]] = {"FULLTEXT": _fulltext_statement, "VECTOR": search.describe}


def _search_index_row(index: Any) -> dict:
    options = _SEARCH_OPTIONS[index.kind](index)
    return {
        "id": SEARCH_INDEX_IDS + index.id,
        "name": index.name,
        "state": "ONLINE",
        "populationPercent": 100.0,
        "type": index.kind,
        "entityType": index.entity_type,
        "labelsOrTypes": list(index.labels),
        "properties": list(index.properties),
        "indexProvider": options["indexProvider"],
        "options": options,
        "failureMessage": "",
        "createStatement": _SEARCH_STATEMENTS[index.kind](index),
    }


def constraint_rows(store: Any) -> Iterable[dict]:
    """Every constraint, by name."""
    return [
        {
            "id": constraint.id,
            "name": constraint.name,
            "type": constraint.type,
            "entityType": constraint.entity_type,
            "labelsOrTypes": [constraint.label],
            "properties": list(constraint.properties),
            "ownedIndex": constraint.name if constraint.unique else None,
            "propertyType": constraint.property_type,
            "options": {"indexProvider": "range-1.0", "indexConfig": {}} if constraint.unique else None,
            "createStatement": constraint.describe(),
        }
        for constraint in store.constraints()
    ]
