"""Full-text indexes end to end: results against a naive scan, every write path, rollback, check, SHOW and DROP."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb import FulltextQueryError, QueryArgumentError, QuerySyntaxError
from bfxdb.cli import main
from bfxdb.formats import import_files
from bfxdb.search import MAX_HITS
from bfxdb.storage import BULK_DEFER_ROWS

DOCS = "CREATE FULLTEXT INDEX docs FOR (n:Doc) ON EACH [n.title, n.body]"
WORDS = ("apple", "apply", "banana", "band", "cherry", "data", "database", "graph")
QUERY_NODES = "CALL db.index.fulltext.queryNodes($index, $text) YIELD node, score RETURN node.title AS title, score"


def titles(db: bfxdb.Database, text: str, index: str = "docs") -> list[str]:
    return [row[0] for row in db.query(QUERY_NODES, {"index": index, "text": text}).rows]


def assert_in_step(db: bfxdb.Database) -> None:
    report = bfxdb.check(db)
    assert "search index out of step" not in report.problems, report.examples


# ---------------------------------------------------------------- against a naive scan


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def _found(term: tuple, doc: dict) -> bool:
    kind, text, field, prefix = term
    wanted = _words(text)
    for key in [field] if field else ["title", "body"]:
        have = _words(doc.get(key)) if isinstance(doc.get(key), str) else []
        for start in range(len(have) - len(wanted) + 1):
            window = have[start : start + len(wanted)]
            if window[:-1] == wanted[:-1] and (
                window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
            ):
                return True
    return False


def _matches(query: tuple, doc: dict) -> bool:
    """Lucene's meaning of a boolean group: its required clauses all, else one optional one; no forbidden one."""
    if query[0] != "group":
        return _found(query, doc)
    results = {"+": [], "": [], "-": []}
    for occur, clause in query[1]:
        results[occur].append(_matches(clause, doc))
    if results["+"]:
        core = all(results["+"])
    else:
        core = any(results[""])
    return core and not any(results["-"])


def _render(query: tuple) -> str:
    if query[0] != "group":
        kind, text, field, prefix = query
        written = f'"{text}"' if kind == "phrase" else text + ("*" if prefix else "")
        return (f"{field}:" if field else "") + written
    return "(" + " ".join(occur + _render(clause) for occur, clause in query[1]) + ")"


_fields = st.sampled_from([None, None, "title", "body"])
_terms = st.builds(
    lambda word, field, cut: ("term", word[:cut] if cut else word, field, bool(cut)),
    st.sampled_from(WORDS),
    _fields,
    st.sampled_from([0, 0, 2, 3, 4]),
)
_phrases = st.builds(
    lambda first, second, field: ("phrase", f"{first} {second}", field, False),
    st.sampled_from(WORDS),
    st.sampled_from(WORDS),
    _fields,
)
_queries = st.recursive(
    _terms | _phrases,
    lambda inner: st.builds(
        lambda clauses: ("group", clauses),
        st.lists(st.tuples(st.sampled_from(["+", "", "-"]), inner), min_size=1, max_size=4),
    ),
    max_leaves=8,
)
_text = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
_docs = st.lists(
    st.fixed_dictionaries(
        {"labels": st.sampled_from([["Doc"], ["Doc", "Page"], ["Page"]]), "title": _text, "body": _text | st.none()}
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(docs=_docs, query=_queries)
def test_query_nodes_finds_what_a_naive_scan_of_the_words_finds(docs, query):
    with bfxdb.connect() as db:
        db.query(DOCS)
        for number, doc in enumerate(docs):
            metadata = {"title": f"{number} {doc['title']}", "number": number}
            if doc["body"] is not None:
                metadata["body"] = doc["body"]
            db.create_substrate(labels=doc["labels"], metadata=metadata)
        text = _render(("group", [("", query)]))
        rows = db.query(
            "CALL db.index.fulltext.queryNodes('docs', $text) YIELD node, score RETURN node.number, score",
            {"text": text},
        ).rows
        expected = {
            number
            for number, doc in enumerate(docs)
            if "Doc" in doc["labels"] and _matches(query, {"title": f"{number} {doc['title']}", "body": doc["body"]})
        }
        assert {number for number, _ in rows} == expected, text
        scores = [score for _, score in rows]
        assert scores == sorted(scores, reverse=True)
        assert all(score > 0 for score in scores)


# ---------------------------------------------------------------- Cypher, options, analyzers


def test_query_nodes_orders_by_bm25_best_first_and_pages_with_skip_and_limit(db):
    db.query(DOCS)
    db.query(
        "UNWIND $docs AS d CREATE (:Doc {title: d})",
        {"docs": ["graph", "graph graph graph database", "a graph among many other words here", "nothing"]},
    )
    ranked = titles(db, "graph")
    # more of the word ranks higher, a longer text lower
    assert ranked == ["graph graph graph database", "graph", "a graph among many other words here"]
    paged = db.query(
        "CALL db.index.fulltext.queryNodes('docs', 'graph', {skip: 1, limit: 1}) YIELD node RETURN node.title"
    ).rows
    assert paged == [("graph",)]


def test_a_field_searches_one_property(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 'apple', body: 'banana'}), (:Doc {title: 'banana', body: 'apple'})")
    assert titles(db, "title:apple") == ["apple"]
    assert titles(db, "body:apple") == ["banana"]


def test_the_english_analyzer_stems_and_the_simple_one_keeps_accents(db):
    db.query(
        "CREATE FULLTEXT INDEX english FOR (n:Doc) ON EACH [n.title] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'english'}}"
    )
    db.query(
        "CREATE FULLTEXT INDEX plain FOR (n:Doc) ON EACH [n.title] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'simple'}}"
    )
    db.query("CREATE FULLTEXT INDEX standard FOR (n:Doc) ON EACH [n.title]")
    db.query("CREATE (:Doc {title: 'Running dogs'}), (:Doc {title: 'café'})")
    assert titles(db, "run", "english") == ["Running dogs"]
    assert titles(db, "run", "standard") == []
    assert titles(db, "cafe", "standard") == ["café"]
    assert titles(db, "cafe", "plain") == []
    assert titles(db, "café", "plain") == ["café"]


def test_list_available_analyzers_names_each_with_no_stop_words(db):
    rows = db.query("CALL db.index.fulltext.listAvailableAnalyzers() YIELD analyzer, stopwords").rows
    assert [name for name, _ in rows] == ["english", "simple", "standard", "standard-no-stop-words"]
    assert all(stopwords == [] for _, stopwords in rows)


def test_only_string_values_are_indexed(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 1234}), (:Doc {title: ['apple']}), (:Doc {title: 'apple 1234'})")
    assert titles(db, "1234") == ["apple 1234"]
    assert titles(db, "apple") == ["apple 1234"]


def test_relationship_indexes_cover_their_types(db):
    db.query("CREATE FULLTEXT INDEX said FOR ()-[r:SAID|WROTE]-() ON EACH [r.text]")
    db.query(
        "CREATE (a)-[:SAID {text: 'hello there'}]->(b), (a)-[:WROTE {text: 'hello again'}]->(b), "
        "(a)-[:OTHER {text: 'hello'}]->(b)"
    )
    rows = db.query(
        "CALL db.index.fulltext.queryRelationships('said', 'hello') YIELD relationship, score "
        "RETURN type(relationship) ORDER BY type(relationship)"
    ).rows
    assert rows == [("SAID",), ("WROTE",)]
    db.query("MATCH ()-[r:SAID]->() SET r.text = 'bye'")
    db.query("MATCH ()-[r:WROTE]->() DELETE r")
    found = db.query(
        "CALL db.index.fulltext.queryRelationships('said', 'hello OR bye') YIELD relationship RETURN relationship.text"
    )
    assert found.rows == [("bye",)]
    assert_in_step(db)


def test_the_options_argument_may_be_left_out_but_no_other(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 'x'})")
    assert titles(db, "x") == ["x"]
    assert db.query("CALL db.index.fulltext.queryNodes('docs', 'x', null) YIELD node RETURN node.title").rows == [
        ("x",)
    ]
    with pytest.raises(QuerySyntaxError, match="takes 2 to 3 argument"):
        db.query("CALL db.index.fulltext.queryNodes('docs') YIELD node RETURN node")


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        ("queryNodes('nope', 'x')", QueryArgumentError, "no full-text index named 'nope'"),
        ("queryRelationships('docs', 'x')", QueryArgumentError, "query it with queryNodes"),
        ("queryNodes('docs', 'x', {limit: -1})", QueryArgumentError, "at least 0"),
        ("queryNodes('docs', 'x', {limit: 'all'})", QueryArgumentError, "integer"),
        (f"queryNodes('docs', 'x', {{limit: {MAX_HITS + 1}}})", QueryArgumentError, "at most"),
        ("queryNodes('docs', 'x', {analyzer: 'english'})", QueryArgumentError, "unknown full-text query option"),
        ("queryNodes('docs', 'x AND')", FulltextQueryError, "missing after an operator"),
        ("queryNodes('docs', 'colour:red')", FulltextQueryError, "no property 'colour'"),
    ],
)
def test_bad_calls_are_clear_400_class_errors(db, call, error, says):
    db.query(DOCS)
    with pytest.raises(error, match=says) as raised:
        db.query(f"CALL db.index.fulltext.{call}")
    assert raised.value.http_status == 400


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("{indexConfig: {`fulltext.analyzer`: 'klingon'}}", "unknown full-text analyzer"),
        ("{indexConfig: {`vector.dimensions`: 3}}", "unknown full-text indexConfig"),
        ("{indexProvider: 'range-1.0'}", "provider"),
        ("{colour: 1}", "unknown full-text index option"),
        ("{indexConfig: {`fulltext.eventually_consistent`: 'yes'}}", "boolean"),
    ],
)
def test_bad_index_options_are_refused(db, options, says):
    with pytest.raises(QueryArgumentError, match=says):
        db.query(f"CREATE FULLTEXT INDEX bad FOR (n:Doc) ON EACH [n.title] OPTIONS {options}")
    assert db.query("SHOW FULLTEXT INDEXES").rows == []


def test_a_property_key_that_cannot_be_sql_text_is_refused(db):
    with pytest.raises(bfxdb.InvalidInput, match="letters, digits and underscores"):
        db.query("CREATE FULLTEXT INDEX bad FOR (n:Doc) ON EACH [n.`a'b`]")


# ---------------------------------------------------------------- every write path


def test_cypher_writes_keep_the_index_in_step(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 'apple'}), (:Page {title: 'banana'})")
    assert titles(db, "apple OR banana") == ["apple"]
    db.query("MATCH (n:Page) SET n:Doc")
    assert sorted(titles(db, "apple OR banana")) == ["apple", "banana"]
    db.query("MATCH (n {title: 'apple'}) SET n.title = 'cherry'")
    assert titles(db, "apple") == [] and titles(db, "cherry") == ["cherry"]
    db.query("MATCH (n {title: 'banana'}) REMOVE n:Doc")
    assert titles(db, "banana") == []
    db.query("MATCH (n {title: 'cherry'}) SET n.body = 'data'")
    db.query("MATCH (n {title: 'cherry'}) REMOVE n.title")
    assert titles(db, "cherry") == [] and len(titles(db, "data")) == 1
    db.query("MATCH (n) DETACH DELETE n")
    assert titles(db, "data") == []
    assert_in_step(db)


def test_the_python_api_keeps_the_index_in_step(db):
    db.query(DOCS)
    made = db.create_substrate(labels=["Doc"], metadata={"title": "apple"})
    other = db.create_substrate(labels=["Page"], metadata={"title": "banana"})
    assert titles(db, "apple OR banana") == ["apple"]
    db.update_substrate(made.identity, metadata={"title": "cherry"})
    db.update_substrate(other.identity, labels=["Doc", "Page"])
    assert sorted(titles(db, "apple OR banana OR cherry")) == ["banana", "cherry"]
    db.delete_substrate(made.identity)
    assert titles(db, "cherry") == []
    assert_in_step(db)


def test_bulk_load_and_import_keep_the_index_in_step(db, tmp_path):
    db.query(DOCS)
    db.bulk_load([{"labels": ["Doc"], "metadata": {"title": f"bulk {number}"}} for number in range(50)])
    assert len(titles(db, "bulk")) == 50
    lines = [{"type": "substrate", "identity": 7, "labels": ["Doc"], "metadata": {"title": "imported apple"}}]
    source = tmp_path / "g.ndjson"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    import_files(db, [source])
    assert titles(db, "apple") == ["imported apple"]
    assert_in_step(db)


def test_a_large_bulk_load_fills_the_index_once_and_brings_its_triggers_back(db):
    db.query(DOCS)
    db.query("CREATE FULLTEXT INDEX links FOR ()-[r:LINKS]-() ON EACH [r.text]")
    count = BULK_DEFER_ROWS
    db.bulk_load(
        [
            {"identity": number + 1, "labels": ["Doc"], "metadata": {"title": f"doc w{number}"}}
            for number in range(count)
        ],
        [{"source": 1, "target": 2, "rel_type": "LINKS", "metadata": {"text": f"link w{n}"}} for n in range(count)],
    )
    assert len(db.query("CALL db.index.fulltext.queryNodes('docs', 'doc', {limit: 100000}) YIELD node").rows) == count
    assert titles(db, "w77") == ["doc w77"]
    links = db.query(
        "CALL db.index.fulltext.queryRelationships('links', 'w77') YIELD relationship RETURN relationship.text"
    )
    assert links.rows == [("link w77",)]
    db.query("MATCH (n:Doc {title: 'doc w77'}) SET n.title = 'apple'")
    assert titles(db, "apple") == ["apple"] and titles(db, "w77") == []
    assert_in_step(db)


def test_a_large_bulk_load_that_fails_leaves_the_index_and_its_triggers(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 'apple'})")
    rows = [
        {"identity": number + 1, "labels": ["Doc"], "metadata": {"title": "banana"}}
        for number in range(BULK_DEFER_ROWS)
    ]
    with pytest.raises(bfxdb.Conflict):
        db.bulk_load(rows + [rows[0]])
    assert titles(db, "apple OR banana") == ["apple"]
    db.query("MATCH (n:Doc) SET n.title = 'cherry'")
    assert titles(db, "cherry") == ["cherry"]
    assert_in_step(db)


def test_writes_made_in_the_sqlite3_shell_keep_the_index_in_step(file_db, db_path):
    file_db.query(DOCS)
    file_db.query("CREATE FULLTEXT INDEX links FOR ()-[r:LINKS]-() ON EACH [r.text]")
    file_db.query("CREATE (:Doc {title: 'apple'}), (:Doc {title: 'banana'})-[:LINKS {text: 'data'}]->(:Page)")
    # as a person would in the sqlite3 shell: foreign keys off, SQLite's default
    raw = sqlite3.connect(db_path)
    raw.execute(
        "UPDATE substrates SET metadata = json_set(metadata, '$.title', 'cherry') WHERE metadata ->> 'title' = 'apple'"
    )
    raw.execute("DELETE FROM substrates WHERE metadata ->> 'title' = 'banana'")
    raw.execute("""UPDATE substrates SET metadata = '{"title": "graph"}' WHERE metadata = '{}'""")
    raw.execute(
        "INSERT INTO substrate_labels (node, label) SELECT node, (SELECT id FROM names WHERE name = 'Doc') "
        "FROM substrates WHERE metadata ->> 'title' = 'graph'"
    )
    raw.commit()
    raw.close()
    assert sorted(titles(file_db, "apple OR banana OR cherry OR graph")) == ["cherry", "graph"]
    found = file_db.query("CALL db.index.fulltext.queryRelationships('links', 'data') YIELD relationship RETURN 1")
    assert found.rows == []
    assert_in_step(file_db)


def test_a_rollback_leaves_the_index_as_it_was(db):
    db.query(DOCS)
    db.query("CREATE (:Doc {title: 'apple'})")
    with pytest.raises(ZeroDivisionError), db.transaction():
        db.create_substrate(labels=["Doc"], metadata={"title": "banana"})
        db.query("MATCH (n:Doc {title: 'apple'}) SET n.title = 'cherry'")
        assert sorted(titles(db, "banana OR cherry")) == ["banana", "cherry"]
        1 / 0  # noqa: B018 - the error that rolls the block back
    assert titles(db, "apple OR banana OR cherry") == ["apple"]
    with pytest.raises(bfxdb.QueryError):
        db.query("CREATE (:Doc {title: 'banana'}) WITH 1 AS one RETURN 1 / 0")
    assert titles(db, "banana") == []
    assert_in_step(db)


def test_an_index_made_over_stored_data_indexes_it(db):
    db.query("CREATE (:Doc {title: 'apple'}), (:Doc {body: 'apple pie'}), (:Doc {other: 'apple'})")
    db.query(DOCS)
    found = db.query("CALL db.index.fulltext.queryNodes('docs', 'apple') YIELD node RETURN node.title, node.body")
    assert sorted(found.rows, key=str) == [("apple", None), (None, "apple pie")]


# ---------------------------------------------------------------- check and --repair


def _break_index(db_path) -> None:
    """Change a title past the index, as a file damaged some other way would have it."""
    raw = sqlite3.connect(db_path)
    name = raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fulltext%node_update'").fetchone()[0]
    raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE substrates SET metadata = json_set(metadata, '$.title', 'cherry')")
    raw.commit()
    raw.close()


def test_check_reports_an_index_out_of_step_and_repair_rebuilds_it(runner, db_path):
    with bfxdb.connect(db_path) as db:
        db.query(DOCS)
        db.query("CREATE (:Doc {title: 'apple'})")
    _break_index(db_path)
    result = runner.invoke(main, ["check", str(db_path)])
    assert result.exit_code == 1
    assert "search index out of step" in result.stderr and "`docs`" in result.stderr
    repaired = runner.invoke(main, ["check", "--repair", str(db_path)])
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt search index docs" in repaired.stdout
    with bfxdb.connect(db_path) as db:
        assert titles(db, "cherry") == ["cherry"] and titles(db, "apple") == []
        db.query("MATCH (n:Doc) SET n.title = 'data'")
        assert titles(db, "data") == ["data"]
        assert_in_step(db)


def test_check_finds_words_the_index_holds_wrongly(file_db, db_path):
    file_db.query(DOCS)
    file_db.query("CREATE (:Doc {title: 'apple'})")
    raw = sqlite3.connect(db_path)
    table = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'").fetchone()[0]
    raw.execute(f"INSERT INTO \"{table}\" (\"{table}\", rowid, c0, c1) VALUES ('delete', 1, 'apple', NULL)")
    raw.commit()
    raw.close()
    assert bfxdb.check(file_db).problems.get("search index out of step") == 1
    assert bfxdb.repair(file_db) == ["docs"]
    assert_in_step(file_db)
    assert bfxdb.repair(file_db) == []


# ---------------------------------------------------------------- SHOW, DROP, names


def test_show_indexes_lists_a_fulltext_index_with_neo4j_columns(db):
    db.query(
        "CREATE FULLTEXT INDEX docs FOR (n:Doc|Page) ON EACH [n.title, n.body] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'english'}}"
    )
    row = db.query(
        "SHOW FULLTEXT INDEXES YIELD name, type, entityType, labelsOrTypes, properties, indexProvider, options, "
        "createStatement"
    ).rows
    assert row[0][:6] == ("docs", "FULLTEXT", "NODE", ["Doc", "Page"], ["title", "body"], "fts5-1.0")
    assert row[0][6]["indexConfig"]["fulltext.analyzer"] == "english"
    assert row[0][7].startswith("CREATE FULLTEXT INDEX `docs` FOR (n:`Doc`|`Page`) ON EACH [n.`title`, n.`body`]")
    assert db.query("SHOW RANGE INDEXES").rows == []


def test_drop_index_drops_the_table_view_and_triggers(db):
    db.query(DOCS)
    db.query("DROP INDEX docs")
    left = db.store.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fulltext%'").fetchall()
    assert left == [] and db.query("SHOW INDEXES").rows == []
    db.query("DROP INDEX docs IF EXISTS")
    with pytest.raises(QueryArgumentError, match="no index named"):
        db.query("DROP INDEX docs")
    db.query("CREATE (:Doc {title: 'apple'})")
    db.query(DOCS)
    assert titles(db, "apple") == ["apple"]


def test_index_names_are_unique_across_kinds(db):
    db.query(DOCS)
    db.query("CREATE INDEX people FOR (n:Person) ON (n.name)")
    db.query("CREATE CONSTRAINT unique_name FOR (n:Person) REQUIRE n.id IS UNIQUE")
    for statement in (
        "CREATE FULLTEXT INDEX people FOR (n:Doc) ON EACH [n.title]",
        "CREATE FULLTEXT INDEX unique_name FOR (n:Doc) ON EACH [n.title]",
        "CREATE INDEX docs FOR (n:Doc) ON (n.title)",
        "CREATE CONSTRAINT docs FOR (n:Doc) REQUIRE n.title IS UNIQUE",
        DOCS,
    ):
        with pytest.raises(QueryArgumentError, match="has that name"):
            db.query(statement)
    db.query("CREATE FULLTEXT INDEX docs IF NOT EXISTS FOR (n:Other) ON EACH [n.x]")
    assert [row[0] for row in db.query("SHOW FULLTEXT INDEXES YIELD labelsOrTypes").rows] == [["Doc"]]


def test_an_unnamed_index_gets_a_name_from_what_it_covers(db):
    db.query("CREATE FULLTEXT INDEX FOR (n:Doc) ON EACH [n.title]")
    (name,) = db.query("SHOW FULLTEXT INDEXES YIELD name").rows[0]
    assert re.fullmatch(r"fulltext_[0-9a-f]{8}", name)
