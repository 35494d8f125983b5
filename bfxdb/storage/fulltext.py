"""Full-text indexes in SQLite FTS5: each index's table, source view and triggers, its rebuild, check and search.

An index is an FTS5 table with *external content*: it keeps the words and their positions, not a
copy of the text, which stays in the metadata of substrates and relationships. Its content is a
view, ``fulltext_N_source``, giving one row per covered entity (a node with one of the index's
labels, a relationship of one of its types, with at least one indexed property set): the
entity's number as the row id (a node's ``node``, a relationship's ``identity``) and one column per
property. Triggers on ``substrates``, ``substrate_labels`` and ``relationships`` keep the table in
step inside the writing transaction, whoever writes: Cypher, the Python API, bulk loads, imports,
HTTP and the sqlite3 shell alike. FTS5 removes a row of an external-content table only when told
the values it indexed, which the triggers read from ``OLD`` (or from the unchanged metadata, when
a label goes); a row is removed only if the table holds it (its ``_docsize`` row), so the order in
which SQLite runs the triggers of one delete does not matter. ``rebuild`` fills the table again
from the view; ``problems`` indexes the view afresh in a temporary table and compares the words.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from ..errors import InvalidInput
from .quoting import json_path_literal, quote_identifier
from .searchindexes import (
    SearchIndex,
    delete_search_index,
    insert_search_index,
    load_search_indexes,
    missing_objects,
)

#: The analyzers a full-text index may name (``fulltext.analyzer``), with the FTS5 tokenizer of each
#: and what listAvailableAnalyzers says of it. Neo4j's default is standard-no-stop-words.
ANALYZERS: Mapping[str, tuple[str, str]] = {
    "standard-no-stop-words": (
        "unicode61 remove_diacritics 2",
        "Words of letters and digits (Unicode), lower-cased, accents removed; no stop words.",
    ),
    "standard": (
        "unicode61 remove_diacritics 2",
        "The same as standard-no-stop-words: bfxdb removes no stop words.",
    ),
    "english": (
        "porter unicode61 remove_diacritics 2",
        "standard-no-stop-words plus the Porter stemmer: 'runs' and 'running' match 'run'.",
    ),
    "simple": (
        "unicode61 remove_diacritics 0",
        "Words of letters and digits (Unicode), lower-cased, accents kept.",
    ),
}
DEFAULT_ANALYZER = "standard-no-stop-words"
#: The provider SHOW INDEXES names for a full-text index.
PROVIDER = "fts5-1.0"

#: Where each entity type keeps its rows: the table, and the column of the number FTS5 keys a row by.
_ENTITIES = {"NODE": ("substrates", "node"), "RELATIONSHIP": ("relationships", "identity")}


def table_name(index: SearchIndex) -> str:
    """The FTS5 table of an index: named by its catalogue id, so any index name is safe."""
    return f"fulltext_{index.id}"


def _value(metadata: str, key: str) -> str:
    """SQL: the text one property gives the index: its value when that is a string, else nothing.

    Strings only, as Neo4j's full-text indexes: the strings of a list would need json_each, which
    FTS5 cannot read through when it rebuilds from the view (SQLite 3.40 answers "SQL logic error").
    """
    path = json_path_literal(key)
    return f"CASE json_type({metadata}, {path}) WHEN 'text' THEN json_extract({metadata}, {path}) END"


def _values(index: SearchIndex, metadata: str) -> str:
    return ", ".join(_value(metadata, key) for key in index.properties)


def _columns(index: SearchIndex) -> str:
    return ", ".join(f"c{position}" for position in range(len(index.properties)))


def _name_ids(connection: sqlite3.Connection, names: tuple[str, ...]) -> str:
    """Intern the labels or types of an index and give their ids as an SQL list, ``(3, 5)``."""
    connection.executemany("INSERT OR IGNORE INTO names (name) VALUES (?)", [(name,) for name in names])
    ids = [connection.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()[0] for name in names]
    return "(" + ", ".join(str(int(name_id)) for name_id in ids) + ")"


def _ddl(connection: sqlite3.Connection, index: SearchIndex) -> list[str]:
    """The statements that make an index's view, FTS5 table and triggers (the table empty)."""
    table = table_name(index)
    fts, source = quote_identifier(table), quote_identifier(table + "_source")
    docsize = quote_identifier(table + "_docsize")
    tokenizer = ANALYZERS[index.options.get("analyzer", DEFAULT_ANALYZER)][0]
    ids = _name_ids(connection, index.labels)
    columns = _columns(index)
    named = ", ".join(f"v{position} AS c{position}" for position in range(len(index.properties)))
    raw = ", ".join(f"{_value('e.metadata', key)} AS v{n}" for n, key in enumerate(index.properties))
    entities, key = _ENTITIES[index.entity_type]
    if index.entity_type == "NODE":
        covered = f"EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = e.node AND l.label IN {ids})"
    else:
        covered = f"e.rel_type IN {ids}"
    any_value = "coalesce(" + ", ".join(f"v{n}" for n in range(len(index.properties))) + ", NULL)"
    statements = [
        f"CREATE VIEW {source} AS SELECT node, {named} FROM "
        f"(SELECT e.{key} AS node, {raw} FROM {entities} AS e WHERE {covered}) WHERE {any_value} IS NOT NULL",
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='{table}_source', "
        f"content_rowid='node', tokenize='{tokenizer}')",
    ]

    def present(number: str) -> str:
        return f"EXISTS (SELECT 1 FROM {docsize} WHERE id = {number})"

    def add(number: str, unless_present: bool = False) -> str:
        guard = f" AND NOT {present(number)}" if unless_present else ""
        return (
            f"INSERT INTO {fts} (rowid, {columns}) SELECT node, {columns} FROM {source} WHERE node = {number}{guard};"
        )

    def remove(number: str, metadata: str) -> str:
        return (
            f"INSERT INTO {fts} ({fts}, rowid, {columns}) SELECT 'delete', {number}, {_values(index, metadata)} "
            f"WHERE {present(number)};"
        )

    def remove_current(number: str) -> str:
        # a label went: the metadata is unchanged, so it gives the values indexed
        return (
            f"INSERT INTO {fts} ({fts}, rowid, {columns}) SELECT 'delete', s.node, {_values(index, 's.metadata')} "
            f"FROM substrates AS s WHERE s.node = {number} AND {present(number)} "
            f"AND NOT EXISTS (SELECT 1 FROM {source} WHERE node = {number});"
        )

    changed = " OR ".join(
        [f"OLD.{key} IS NOT NEW.{key}"]
        + [f"{_value('OLD.metadata', name)} IS NOT {_value('NEW.metadata', name)}" for name in index.properties]
    )
    trigger = table + "_"
    if index.entity_type == "NODE":
        probe = f"EXISTS (SELECT 1 FROM substrate_labels WHERE node = NEW.node AND label IN {ids})"
        statements += [
            f"CREATE TRIGGER {quote_identifier(trigger + 'node_insert')} AFTER INSERT ON substrates "
            f"WHEN {probe} BEGIN {add('NEW.node')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'node_update')} AFTER UPDATE OF node, metadata ON substrates "
            f"WHEN ({present('OLD.node')} OR {probe}) AND ({changed}) "
            f"BEGIN {remove('OLD.node', 'OLD.metadata')} {add('NEW.node')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'node_delete')} AFTER DELETE ON substrates "
            f"WHEN {present('OLD.node')} BEGIN {remove('OLD.node', 'OLD.metadata')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'label_insert')} AFTER INSERT ON substrate_labels "
            f"WHEN NEW.label IN {ids} BEGIN {add('NEW.node', unless_present=True)} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'label_delete')} AFTER DELETE ON substrate_labels "
            f"WHEN OLD.label IN {ids} BEGIN {remove_current('OLD.node')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'label_update')} AFTER UPDATE ON substrate_labels "
            f"WHEN OLD.label IN {ids} OR NEW.label IN {ids} "
            f"BEGIN {remove_current('OLD.node')} {add('NEW.node', unless_present=True)} END",
        ]
    else:
        statements += [
            f"CREATE TRIGGER {quote_identifier(trigger + 'rel_insert')} AFTER INSERT ON relationships "
            f"WHEN NEW.rel_type IN {ids} BEGIN {add('NEW.identity')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'rel_update')} "
            "AFTER UPDATE OF identity, rel_type, metadata ON relationships "
            f"WHEN ({present('OLD.identity')} OR NEW.rel_type IN {ids}) AND (OLD.rel_type IS NOT NEW.rel_type OR "
            f"{changed}) BEGIN {remove('OLD.identity', 'OLD.metadata')} {add('NEW.identity')} END",
            f"CREATE TRIGGER {quote_identifier(trigger + 'rel_delete')} AFTER DELETE ON relationships "
            f"WHEN {present('OLD.identity')} BEGIN {remove('OLD.identity', 'OLD.metadata')} END",
        ]
    return statements


#: The triggers every index of an entity type has, by suffix.
_TRIGGERS = {
    "NODE": ("node_insert", "node_update", "node_delete", "label_insert", "label_delete", "label_update"),
    "RELATIONSHIP": ("rel_insert", "rel_update", "rel_delete"),
}


def check_index(index: SearchIndex) -> None:
    """Refuse an index bfxdb cannot build: an unknown analyzer, a property key that cannot be SQL text.

    :raises InvalidInput: naming what is wrong.
    """
    analyzer = index.options.get("analyzer", DEFAULT_ANALYZER)
    if analyzer not in ANALYZERS:
        raise InvalidInput(f"unknown full-text analyzer {analyzer!r}; use one of {', '.join(sorted(ANALYZERS))}")
    for key in index.properties:
        try:
            json_path_literal(key)
        except InvalidInput:
            raise InvalidInput(
                f"property {key!r} cannot be in a full-text index: use letters, digits and underscores"
            ) from None


def create(connection: sqlite3.Connection, index: SearchIndex) -> SearchIndex:
    """Record a full-text index, make its table, view and triggers, and fill it, in the caller's transaction.

    :returns: the index with its catalogue id.
    :raises InvalidInput: for an index check_index refuses.
    """
    check_index(index)
    stored = insert_search_index(connection, index)
    _build(connection, stored)
    return stored


def _build(connection: sqlite3.Connection, index: SearchIndex) -> None:
    for statement in _ddl(connection, index):
        connection.execute(statement)
    fill(connection, index)


def fill(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Index every entity the index covers again, from its view: for a new index, a repair or a bulk load."""
    fts = quote_identifier(table_name(index))
    connection.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def _drop_objects(connection: sqlite3.Connection, index: SearchIndex) -> None:
    table = table_name(index)
    for suffix in _TRIGGERS[index.entity_type]:
        connection.execute(f"DROP TRIGGER IF EXISTS {quote_identifier(table + '_' + suffix)}")
    connection.execute(f"DROP TABLE IF EXISTS {quote_identifier(table)}")
    connection.execute(f"DROP VIEW IF EXISTS {quote_identifier(table + '_source')}")


def suspend(connection: sqlite3.Connection, entity_type: str) -> list[SearchIndex]:
    """Drop the triggers of the full-text indexes over one entity type, for a bulk load to ``rebuild`` after.

    Indexing row by row from triggers made a load of 10k documents about 11 times slower than the
    load alone; one fill from the view after the rows, about 3 times (benchmarks/fulltext.py).
    The triggers come back with the rebuild, or with the rollback of the transaction.

    :returns: the indexes whose triggers went.
    """
    suspended = [index for index in load_search_indexes(connection, "FULLTEXT") if index.entity_type == entity_type]
    for index in suspended:
        for suffix in _TRIGGERS[index.entity_type]:
            connection.execute(f"DROP TRIGGER IF EXISTS {quote_identifier(table_name(index) + '_' + suffix)}")
    return suspended


def drop(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Drop a full-text index: its catalogue row, triggers, view and table, in the caller's transaction."""
    _drop_objects(connection, index)
    delete_search_index(connection, index.name)


def rebuild(connection: sqlite3.Connection, index: SearchIndex) -> None:
    """Make an index's table, view and triggers again and fill the table: what ``check --repair`` does."""
    _drop_objects(connection, index)
    _build(connection, index)


def held(connection: sqlite3.Connection, index: SearchIndex) -> int | None:
    """How many entities an index holds (its FTS5 table's documents); None when the file lacks the table."""
    docsize = table_name(index) + "_docsize"
    present = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    if connection.execute(present, (docsize,)).fetchone() is None:
        return None
    found: int = connection.execute(f"SELECT count(*) FROM {quote_identifier(docsize)}").fetchone()[0]
    return found


def problems(connection: sqlite3.Connection, index: SearchIndex) -> list[str]:
    """Say how an index is out of step with the data it covers: missing objects, or words FTS5 finds wrong.

    :returns: one line per problem; none when the index is right.
    """
    table = table_name(index)
    wanted = {table: "table", table + "_source": "view"}
    wanted.update({f"{table}_{suffix}": "trigger" for suffix in _TRIGGERS[index.entity_type]})
    missing = missing_objects(connection, wanted)
    if missing:
        return [f"full-text index `{index.name}` lacks its {', '.join(missing)}"]
    # Index the view's rows afresh in a temporary table (the file itself is never written, so a
    # read-only check can run it) and compare the two indexes' words, entity by entity.
    tokenizer = ANALYZERS[index.options.get("analyzer", DEFAULT_ANALYZER)][0]
    columns = _columns(index)
    source = quote_identifier(table + "_source")
    docsize = quote_identifier(table + "_docsize")
    statements = [
        f"CREATE VIRTUAL TABLE temp.{_FRESH} USING fts5({columns}, tokenize='{tokenizer}')",
        f"INSERT INTO temp.{_FRESH} (rowid, {columns}) SELECT node, {columns} FROM main.{source}",
        f"CREATE VIRTUAL TABLE temp.{_FRESH}_words USING fts5vocab(temp, {_FRESH}, 'instance')",
        f"CREATE VIRTUAL TABLE temp.{_FRESH}_held USING fts5vocab(main, {quote_identifier(table)}, 'instance')",
    ]
    try:
        for statement in statements:
            connection.execute(statement)
        differs = connection.execute(
            f"SELECT 1 FROM (SELECT * FROM temp.{_FRESH}_words EXCEPT SELECT * FROM temp.{_FRESH}_held "
            f"UNION ALL SELECT * FROM temp.{_FRESH}_held EXCEPT SELECT * FROM temp.{_FRESH}_words) "
            f"UNION ALL SELECT 1 FROM (SELECT id FROM main.{docsize} EXCEPT SELECT rowid FROM temp.{_FRESH}) "
            f"UNION ALL SELECT 1 FROM (SELECT rowid FROM temp.{_FRESH} EXCEPT SELECT id FROM main.{docsize}) LIMIT 1"
        ).fetchone()
    finally:
        for suffix in ("_held", "_words", ""):
            connection.execute(f"DROP TABLE IF EXISTS temp.{_FRESH}{suffix}")
    if differs:
        return [f"full-text index `{index.name}` is out of step with the data it covers"]
    return []


#: The temporary tables a check indexes afresh into.
_FRESH = "bfxdb_fulltext_check"


def search(
    connection: sqlite3.Connection, index: SearchIndex, match: str, skip: int, limit: int
) -> list[tuple[int, float]]:
    """Run an FTS5 MATCH expression on an index: (signed identity, score) by score, best first.

    :param match: FTS5 query syntax over the columns ``c0``, ``c1``, ... (the search room's translation
        of the user's query; never the user's text itself).
    :returns: at most ``limit`` hits after the first ``skip``; the score is FTS5's bm25 negated, so higher
        is better; hits of equal score in the order FTS5 ranks them.
    """
    fts = quote_identifier(table_name(index))
    # ORDER BY rank inside the subquery is FTS5's own sort (it ranks without handing every match to
    # SQLite's sorter), so only the page of hits is joined: 3x faster for a word found 3,000 times
    hits = f"SELECT rowid, -bm25({fts}) AS score FROM {fts} WHERE {fts} MATCH ? ORDER BY rank LIMIT ? OFFSET ?"
    if index.entity_type == "NODE":
        sql = (
            f"SELECT s.identity, h.score FROM ({hits}) AS h JOIN substrates AS s ON s.node = h.rowid "
            "ORDER BY h.score DESC, h.rowid"
        )
    else:
        sql = f"SELECT rowid, score FROM ({hits}) ORDER BY score DESC, rowid"
    return connection.execute(sql, (match, limit, skip)).fetchall()
