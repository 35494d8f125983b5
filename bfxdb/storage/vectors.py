"""Vector indexes: their tables of float32 vectors, the triggers that keep them in step, and reading them back.

Each index (a row of ``search_indexes`` of kind VECTOR) has three tables, named by its id:
``vectors_<id>`` holds one little-endian float32 BLOB per covered entity, keyed by its row key
(the substrate's node number, the relationship's identity), ``vectors_<id>_pending`` the keys
of entities written since, and ``vectors_<id>_changes`` the keys each recent fold changed, under
the generation it made, so a search holding the vectors of an older generation patches the rows
that changed instead of reading them all again. The property stays in the entity's metadata as JSON, where every
reader of the file finds it; the BLOBs are a compact copy for search.

SQLite's SQL cannot turn JSON numbers into float32 bytes, so the triggers, pure SQL that runs
for every writer (bfxdb, the sqlite3 shell, any client), check the written value and record the
key as pending; ``fold`` turns pending keys into BLOBs, in the committing write transaction of
bfxdb (the store calls it before COMMIT), and a search reads pending keys from the metadata
itself, so a search never sees a stale vector whoever wrote. A value that is not a list of the
index's dimensions in numbers (not all zero, for cosine) makes the trigger abort the statement.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import sys
from array import array
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson

from ..errors import InvalidInput
from ..identity import format_id, to_unsigned
from .quoting import json_path_literal, quote_identifier
from .searchindexes import (
    SearchIndex,
    delete_search_index,
    insert_search_index,
    load_search_indexes,
    missing_objects,
)

#: The similarity functions an index may rank by, as Neo4j names them.
SIMILARITIES = ("cosine", "euclidean")
#: The most dimensions an index may have (Neo4j's limit).
MAX_DIMENSIONS = 4096
#: The keys of the options map an index stores, as Neo4j's indexConfig names them.
DIMENSIONS_KEY = "vector.dimensions"
SIMILARITY_KEY = "vector.similarity_function"
#: What opens the RAISE message of a vector index's trigger; the rest is the index as JSON.
MESSAGE_PREFIX = "bfxdb vector index "

#: The most keys an index's change log keeps (whole folds, the newest first), trimmed to it every
#: TRIM_EVERY folds; a fold of more than LOGGED_FOLD keys is not logged. A search that would need
#: a fold the log lacks reads every vector again.
CHANGES_KEPT = 10_000
TRIM_EVERY = 16
LOGGED_FOLD = 1_000

#: The one-row-per-index table of generations: a search caches what it read under its index's
#: generation, which every fold changes. Made with the first vector index.
_GENERATIONS = (
    "CREATE TABLE IF NOT EXISTS vector_generations ("
    "index_id INTEGER PRIMARY KEY REFERENCES search_indexes(id) ON DELETE CASCADE, "
    "generation INTEGER NOT NULL)"
)


def dimensions(index: SearchIndex) -> int:
    """The number of dimensions of an index's vectors."""
    return int(index.options["indexConfig"][DIMENSIONS_KEY])


def similarity(index: SearchIndex) -> str:
    """The similarity function an index ranks by: cosine or euclidean."""
    return str(index.options["indexConfig"][SIMILARITY_KEY])


def table_names(index: SearchIndex) -> tuple[str, str]:
    """The quoted names of an index's table of vectors and of its table of pending keys."""
    return quote_identifier(f"vectors_{index.id}"), quote_identifier(f"vectors_{index.id}_pending")


def _changes_table(index: SearchIndex) -> str:
    """The quoted name of an index's change log: (generation, key) of each key a recent fold changed."""
    return quote_identifier(f"vectors_{index.id}_changes")


def _trigger_names(index: SearchIndex) -> list[str]:
    return [quote_identifier(f"vectors_{index.id}_{suffix}") for suffix in ("added", "removed", "updated")]


def _name_id(connection: sqlite3.Connection, name: str) -> int:
    connection.execute("INSERT OR IGNORE INTO names (name) VALUES (?)", (name,))
    found: int = connection.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()[0]
    return found


def _bad_value(index: SearchIndex, metadata: str) -> str:
    """SQL: the metadata has the index's property, not null, and it is not a vector the index can hold."""
    path = json_path_literal(index.properties[0])
    wrong = [
        "t <> 'array'",
        f"json_array_length(v) <> {dimensions(index)}",
        "EXISTS (SELECT 1 FROM json_each(v) WHERE type NOT IN ('integer', 'real'))",
    ]
    if similarity(index) == "cosine":
        wrong.append("NOT EXISTS (SELECT 1 FROM json_each(v) WHERE value <> 0)")
    # the property is read out once; the tests parse only its own small text
    return (
        f"SELECT 1 FROM (SELECT json_type({metadata}, {path}) AS t, json_extract({metadata}, {path}) AS v) "
        f"WHERE t IS NOT NULL AND t <> 'null' AND ({' OR '.join(wrong)})"
    )


def _refusal(index: SearchIndex, metadata: str, when: str = "") -> str:
    """A trigger statement aborting the write when the metadata's vector is not one the index can hold.

    :param when: SQL ending in AND that must hold too, for a trigger that fires on entities leaving the index.
    """
    payload = json.dumps(_payload(index))
    # DDL takes no parameters; doubling the quotes keeps any name inside the literal
    message = "'" + (MESSAGE_PREFIX + payload).replace("'", "''") + "'"
    return f"SELECT RAISE(ABORT, {message}) WHERE {when}EXISTS ({_bad_value(index, metadata)});"


def _triggers(index: SearchIndex, name_id: int) -> list[str]:
    """The three triggers of an index: an entity comes under it, leaves it, or has its metadata changed."""
    added, removed, updated = _trigger_names(index)
    _, pending = table_names(index)
    path = json_path_literal(index.properties[0])
    changed = f"json_extract(OLD.metadata, {path}) IS NOT json_extract(NEW.metadata, {path})"
    if index.entity_type == "NODE":
        labelled = f"EXISTS (SELECT 1 FROM substrate_labels WHERE node = NEW.node AND label = {name_id})"
        row = "(SELECT metadata FROM substrates WHERE node = NEW.node)"
        return [
            f"CREATE TRIGGER {added} AFTER INSERT ON substrate_labels WHEN NEW.label = {name_id} BEGIN "
            f"{_refusal(index, row)} INSERT OR IGNORE INTO {pending} (key) VALUES (NEW.node); END",
            f"CREATE TRIGGER {removed} AFTER DELETE ON substrate_labels WHEN OLD.label = {name_id} BEGIN "
            f"INSERT OR IGNORE INTO {pending} (key) VALUES (OLD.node); END",
            f"CREATE TRIGGER {updated} AFTER UPDATE OF metadata ON substrates WHEN {labelled} AND {changed} BEGIN "
            f"{_refusal(index, 'NEW.metadata')} INSERT OR IGNORE INTO {pending} (key) VALUES (NEW.node); END",
        ]
    return [
        f"CREATE TRIGGER {added} AFTER INSERT ON relationships WHEN NEW.rel_type = {name_id} BEGIN "
        f"{_refusal(index, 'NEW.metadata')} INSERT OR IGNORE INTO {pending} (key) VALUES (NEW.identity); END",
        f"CREATE TRIGGER {removed} AFTER DELETE ON relationships WHEN OLD.rel_type = {name_id} BEGIN "
        f"INSERT OR IGNORE INTO {pending} (key) VALUES (OLD.identity); END",
        f"CREATE TRIGGER {updated} AFTER UPDATE OF metadata, rel_type ON relationships "
        f"WHEN (NEW.rel_type = {name_id} AND ({changed} OR OLD.rel_type <> {name_id})) "
        f"OR (OLD.rel_type = {name_id} AND NEW.rel_type <> {name_id}) BEGIN "
        f"{_refusal(index, 'NEW.metadata', f'NEW.rel_type = {name_id} AND ')} "
        f"INSERT OR IGNORE INTO {pending} (key) VALUES (NEW.identity); END",
    ]


def _covered(index: SearchIndex, name_id: int) -> str:
    """SQL: a SELECT of (key, metadata) of every entity the index covers."""
    if index.entity_type == "NODE":
        return (
            "SELECT s.node AS key, s.metadata AS metadata "
            "FROM substrate_labels AS l JOIN substrates AS s ON s.node = l.node "
            f"WHERE l.label = {name_id}"
        )
    return f"SELECT identity AS key, metadata FROM relationships WHERE rel_type = {name_id}"


def create(connection: sqlite3.Connection, index: SearchIndex) -> SearchIndex:
    """Record a vector index, make its tables and triggers and fill it from the stored data, in the caller's
    transaction.

    :returns: the index with its id.
    :raises InvalidInput: naming the first covered entity whose property is not a vector the index can hold.
    """
    json_path_literal(index.properties[0])
    stored = insert_search_index(connection, index)
    _build(connection, stored)
    return stored


def _build(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Make an index's tables and triggers, change its generation and fold every covered entity's vector.

    :raises InvalidInput: naming the first covered entity whose property is not a vector the index can hold.
    """
    vectors, pending = table_names(index)
    name_id = _name_id(connection, index.labels[0])
    connection.execute(f"CREATE TABLE {vectors} (key INTEGER PRIMARY KEY, vector BLOB NOT NULL)")
    connection.execute(f"CREATE TABLE {pending} (key INTEGER PRIMARY KEY)")
    _make_changes_table(connection, index)
    connection.execute(_GENERATIONS)
    # a random start: an index made after another was dropped may get its id, never its generation; a
    # rebuild changes it even when nothing is folded, so no search keeps what it cached
    connection.execute(
        "INSERT OR IGNORE INTO vector_generations (index_id, generation) VALUES (?, ?)",
        (index.id, secrets.randbits(62)),
    )
    connection.execute("UPDATE vector_generations SET generation = generation + 1 WHERE index_id = ?", (index.id,))
    bad = connection.execute(
        f"SELECT c.key FROM ({_covered(index, name_id)}) AS c "
        f"WHERE EXISTS ({_bad_value(index, 'c.metadata')}) LIMIT 1"
    ).fetchone()
    if bad is not None:
        raise InvalidInput(
            f"cannot create vector index `{index.name}`: {_entity(connection, index, bad[0])} has "
            f"{_requirement(_payload(index))}"
        )
    connection.execute(f"INSERT INTO {pending} (key) SELECT key FROM ({_covered(index, name_id)}) AS c")
    for statement in _triggers(index, name_id):
        connection.execute(statement)
    fold(connection, index)


def _make_changes_table(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Make an index's change log unless it has one: an index made before the log existed gets it at its next fold."""
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {_changes_table(index)} (generation INTEGER NOT NULL, key INTEGER NOT NULL, "
        "PRIMARY KEY (generation, key)) WITHOUT ROWID"
    )


def _drop_objects(connection: sqlite3.Connection, index: SearchIndex) -> None:
    for trigger in _trigger_names(index):
        connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in (*table_names(index), _changes_table(index)):
        connection.execute(f"DROP TABLE IF EXISTS {table}")


def drop(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Drop a vector index: its catalogue row, triggers and tables, in the caller's transaction."""
    _drop_objects(connection, index)
    connection.execute("DELETE FROM vector_generations WHERE index_id = ?", (index.id,))
    delete_search_index(connection, index.name)


def load(connection: sqlite3.Connection) -> list[SearchIndex]:
    """Every vector index of the file, by name."""
    return load_search_indexes(connection, "VECTOR")


def generation(connection: sqlite3.Connection, index: SearchIndex) -> int:
    """The generation of an index's table of vectors as the caller's transaction sees it; each fold changes it."""
    row = connection.execute("SELECT generation FROM vector_generations WHERE index_id = ?", (index.id,)).fetchone()
    return 0 if row is None else int(row[0])


def _pending_values(connection: sqlite3.Connection, index: SearchIndex) -> list[tuple[int, int, str | None]]:
    """(key, signed identity, the property's JSON text or None when the entity has no vector there) per pending key."""
    _, pending = table_names(index)
    path = json_path_literal(index.properties[0])
    if index.entity_type == "NODE":
        source = (
            "LEFT JOIN substrates AS s ON s.node = p.key AND EXISTS (SELECT 1 FROM substrate_labels AS l "
            "WHERE l.node = p.key AND l.label = (SELECT id FROM names WHERE name = ?))"
        )
    else:
        source = (
            "LEFT JOIN relationships AS s ON s.identity = p.key "
            "AND s.rel_type = (SELECT id FROM names WHERE name = ?)"
        )
    rows = connection.execute(
        f"SELECT p.key, coalesce(s.identity, p.key), "
        f"CASE json_type(s.metadata, {path}) WHEN 'array' THEN json_extract(s.metadata, {path}) END "
        f"FROM {pending} AS p {source} ORDER BY p.key",
        (index.labels[0],),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def encode(values: list[float]) -> bytes:
    """A vector as the BLOB an index stores: little-endian float32."""
    packed = array("f", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def fold(connection: sqlite3.Connection, index: SearchIndex) -> int:
    """Turn an index's pending keys into BLOBs (or remove them), in the caller's write transaction.

    :returns: how many keys were pending.
    """
    vectors, pending = table_names(index)
    rows = _pending_values(connection, index)
    if not rows:
        return 0
    gone = [(key,) for key, _, text in rows if text is None]
    kept = [(key, encode(orjson.loads(text))) for key, _, text in rows if text is not None]
    connection.executemany(f"DELETE FROM {vectors} WHERE key = ?", gone)
    connection.executemany(f"INSERT OR REPLACE INTO {vectors} (key, vector) VALUES (?, ?)", kept)
    connection.execute(f"DELETE FROM {pending}")
    connection.execute("UPDATE vector_generations SET generation = generation + 1 WHERE index_id = ?", (index.id,))
    _log(connection, index, [key for key, _, _ in rows])
    return len(rows)


def _log(connection: sqlite3.Connection, index: SearchIndex, keys: list[int]) -> None:
    """Record the keys a fold changed under the generation it made, and now and then drop the folds past
    CHANGES_KEPT keys (the trim scans that many rows, so not at every commit).

    A fold of more than LOGGED_FOLD keys is not recorded: a search finds the gap and reads everything.
    An index made before the log existed gets its table here, at its first fold since: the searches
    of generations before that find no log of them and read everything.
    """
    changes = _changes_table(index)
    now = generation(connection, index)
    _make_changes_table(connection, index)
    if len(keys) <= LOGGED_FOLD:
        connection.executemany(f"INSERT INTO {changes} (generation, key) VALUES (?, ?)", [(now, k) for k in keys])
    if now % TRIM_EVERY:
        return
    # whole folds only: a search must find every key of a generation it patches over, or none
    connection.execute(
        f"DELETE FROM {changes} WHERE generation < coalesce((SELECT generation FROM {changes} "
        f"ORDER BY generation DESC LIMIT 1 OFFSET ?), -9223372036854775808)",
        (CHANGES_KEPT,),
    )


def changed_since(connection: sqlite3.Connection, index: SearchIndex, since: int) -> list[int] | None:
    """The keys whose vectors changed between generation ``since`` and the one the caller's transaction sees.

    :returns: None when the log does not cover every generation in between (it was trimmed, a fold
        was too big to log, the index was rebuilt, or it predates the log and only a version of bfxdb
        before the log folded it since): the caller reads everything.
    """
    now = generation(connection, index)
    if now < since:
        return None
    try:
        rows = connection.execute(
            f"SELECT generation, key FROM {_changes_table(index)} WHERE generation > ? AND generation <= ?",
            (since, now),
        ).fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        return None
    # every fold in between logged at least one key under its own generation
    if len({row[0] for row in rows}) != now - since:
        return None
    return sorted({row[1] for row in rows})


def read(
    connection: sqlite3.Connection, index: SearchIndex, only: list[int] | None = None
) -> tuple[list[int], list[int], bytes]:
    """Every folded vector of an index (or those of the keys ``only``): the keys in order, the entities'
    unsigned identities, their BLOBs joined."""
    vectors, _ = table_names(index)
    if index.entity_type == "NODE":
        sql = f"SELECT v.key, s.identity, v.vector FROM {vectors} AS v JOIN substrates AS s ON s.node = v.key"
    else:
        sql = f"SELECT v.key, v.key, v.vector FROM {vectors} AS v"
    parameters: tuple[str, ...] = ()
    if only is not None:
        sql += " WHERE v.key IN (SELECT value FROM json_each(?))"
        parameters = (json.dumps(only),)
    keys: list[int] = []
    identities: list[int] = []
    blobs: list[bytes] = []
    for key, identity, blob in connection.execute(sql + " ORDER BY 1", parameters):
        keys.append(key)
        identities.append(to_unsigned(identity))
        blobs.append(blob)
    return keys, identities, b"".join(blobs)


def count(connection: sqlite3.Connection, index: SearchIndex) -> int:
    """How many folded vectors an index holds."""
    vectors, _ = table_names(index)
    found: int = connection.execute(f"SELECT count(*) FROM {vectors}").fetchone()[0]
    return found


def pending(connection: sqlite3.Connection, index: SearchIndex) -> list[tuple[int, int, list[float] | None]]:
    """Each pending key of an index as (key, unsigned identity, its vector now or None), read from the metadata."""
    return [
        (key, to_unsigned(identity), None if text is None else orjson.loads(text))
        for key, identity, text in _pending_values(connection, index)
    ]


def held(connection: sqlite3.Connection, index: SearchIndex) -> int | None:
    """How many entities an index holds a vector of, its pending keys as their metadata has them now.

    :returns: None when the file lacks either of the index's tables.
    """
    names = [name.strip('"') for name in table_names(index)]
    present = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)", names
    ).fetchone()[0]
    if present < 2:
        return None
    vectors, pending = table_names(index)
    folded: int = connection.execute(
        f"SELECT count(*) FROM {vectors} WHERE key NOT IN (SELECT key FROM {pending})"
    ).fetchone()[0]
    return folded + sum(text is not None for _, _, text in _pending_values(connection, index))


def problems(connection: sqlite3.Connection, index: SearchIndex) -> list[str]:
    """Say how an index's folded vectors are out of step with its entities' metadata, or which objects it lacks.

    Pending keys are left out: a search reads them from the metadata, and the next fold mends them.
    Only a write past the triggers (to ``vectors_<id>`` itself, say) can make the rest differ.

    :returns: one line per problem; none when the index is right.
    """
    wanted = {name.strip('"'): "table" for name in table_names(index)}
    wanted.update({name.strip('"'): "trigger" for name in _trigger_names(index)})
    missing = missing_objects(connection, wanted)
    if missing:
        return [f"vector index `{index.name}` lacks its {', '.join(missing)}"]
    vectors, pending = table_names(index)
    path = json_path_literal(index.properties[0])
    covered = _covered(index, _name_id_or_none(connection, index.labels[0]))
    stored = (
        f"SELECT c.key, json_extract(c.metadata, {path}), v.vector FROM ({covered}) AS c "
        f"LEFT JOIN {vectors} AS v ON v.key = c.key "
        f"WHERE json_type(c.metadata, {path}) = 'array' AND c.key NOT IN (SELECT key FROM {pending})"
    )
    wrong = sum(blob != encode(orjson.loads(text)) for _, text, blob in connection.execute(stored))
    extra: int = connection.execute(
        f"SELECT count(*) FROM {vectors} WHERE key NOT IN (SELECT key FROM {pending}) AND key NOT IN "
        f"(SELECT c.key FROM ({covered}) AS c WHERE json_type(c.metadata, {path}) = 'array')"
    ).fetchone()[0]
    if wrong or extra:
        return [
            f"vector index `{index.name}` is out of step with the data it covers: "
            f"{wrong:,} covered entities with a missing or wrong vector, "
            f"{extra:,} vectors of entities it does not cover"
        ]
    return []


def rebuild(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Make an index's tables and triggers again and refold every vector from the metadata: ``check --repair``.

    :raises InvalidInput: naming a covered entity whose property (written past the triggers) the index cannot hold.
    """
    _drop_objects(connection, index)
    _build(connection, index)


def _name_id_or_none(connection: sqlite3.Connection, name: str) -> int:
    """The id of a label or type for a read-only check: -1, which no row has, when the file never interned it."""
    row = connection.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()
    return -1 if row is None else int(row[0])


# ---------------------------------------------------------------- the error of a refused write


def _payload(index: SearchIndex) -> dict[str, Any]:
    return {
        "name": index.name,
        "entity_type": index.entity_type,
        "label": index.labels[0],
        "property": index.properties[0],
        "dimensions": dimensions(index),
        "similarity": similarity(index),
    }


def _requirement(payload: Mapping[str, Any]) -> str:
    zero = ", not all zero" if payload["similarity"] == "cosine" else ""
    return (
        f"`{payload['property']}` that is not a list of {payload['dimensions']} numbers{zero}, as vector index "
        f"`{payload['name']}` ({payload['similarity']}) requires"
    )


def _entity(connection: sqlite3.Connection, index: SearchIndex, key: int) -> str:
    if index.entity_type == "NODE":
        identity = connection.execute("SELECT identity FROM substrates WHERE node = ?", (key,)).fetchone()[0]
        return f"substrate {format_id(to_unsigned(identity))}"
    return f"relationship {format_id(to_unsigned(key))}"


def refusal(error: sqlite3.Error, entity: str | None = None) -> InvalidInput | None:
    """The bfxdb error for a vector index trigger's abort, naming ``entity`` if given; None for any other error."""
    text = str(error)
    if not isinstance(error, sqlite3.IntegrityError) or not text.startswith(MESSAGE_PREFIX):
        return None
    payload = json.loads(text[len(MESSAGE_PREFIX) :])
    who = entity or ("a node" if payload["entity_type"] == "NODE" else "a relationship")
    label = f"label `{payload['label']}`" if payload["entity_type"] == "NODE" else f"type `{payload['label']}`"
    return InvalidInput(
        f"{who} of {label} has {_requirement(payload)}; nothing was written",
        index=payload["name"],
        entity=entity,
    )


def with_config(index: SearchIndex, size: int, function: str) -> SearchIndex:
    """The index with Neo4j's options map: ``{indexConfig: {vector.dimensions: size, vector.similarity_function}}``."""
    return replace(index, options={"indexConfig": {DIMENSIONS_KEY: size, SIMILARITY_KEY: function}})
