"""Vector indexes: exact top-k against brute force after every kind of write, by every write path, and their errors."""

from __future__ import annotations

import importlib
import json
import math
import sqlite3

import numpy as np
import pytest

import bfxdb
from bfxdb.formats import import_files
from bfxdb.search import vectors as search_vectors

DIMS = 8
COSINE = f"OPTIONS {{indexConfig: {{`vector.dimensions`: {DIMS}, `vector.similarity_function`: 'cosine'}}}}"
EUCLIDEAN = f"OPTIONS {{indexConfig: {{`vector.dimensions`: {DIMS}, `vector.similarity_function`: 'euclidean'}}}}"
QUERY = "CALL db.index.vector.queryNodes($name, $k, $q) YIELD node, score RETURN id(node) AS id, score"


def _vectors(count: int, seed: int) -> list[list[float]]:
    return np.random.default_rng(seed).normal(size=(count, DIMS)).round(6).tolist()


def _index(db, name="docs", options=COSINE, label="Doc"):
    db.query(f"CREATE VECTOR INDEX {name} FOR (n:{label}) ON n.e {options}")


def _brute_force(db, query, k, similarity="cosine", label="Doc"):
    """The top k by Neo4j's score, computed in float64 over every node's stored list read back by Cypher."""
    rows = db.query(f"MATCH (n:{label}) WHERE n.e IS NOT NULL RETURN id(n), n.e").rows
    q = np.asarray(query, dtype=np.float32).astype(np.float64)
    scored = []
    for identity, values in rows:
        v = np.asarray(values, dtype=np.float32).astype(np.float64)
        if similarity == "cosine":
            score = (1 + v @ q / (np.linalg.norm(v) * np.linalg.norm(q))) / 2
        else:
            score = 1 / (1 + float((v - q) @ (v - q)))
        scored.append((-score, identity))
    return [(identity, -negative) for negative, identity in sorted(scored)[:k]]


def _search(db, query, k, name="docs"):
    return [tuple(row) for row in db.query(QUERY, {"name": name, "k": k, "q": query}).rows]


def _assert_exact(db, query, k, similarity="cosine", name="docs", label="Doc"):
    found = _search(db, query, k, name)
    expected = _brute_force(db, query, k, similarity, label)
    assert [identity for identity, _ in found] == [identity for identity, _ in expected]
    for (_, score), (_, wanted) in zip(found, expected):
        assert score == pytest.approx(wanted, rel=1e-5, abs=1e-6)
    return found


def _same(found, expected):
    """The same entities in the same order, with scores equal but for float32 rounding (BLAS sums in blocks)."""
    return [identity for identity, _ in found] == [identity for identity, _ in expected] and all(
        score == pytest.approx(other, rel=1e-6) for (_, score), (_, other) in zip(found, expected)
    )


@pytest.fixture
def docs(db):
    db.query("UNWIND $rows AS row CREATE (:Doc {e: row, i: 0})", {"rows": _vectors(300, 1)})
    _index(db)
    return db


# ---------------------------------------------------------------- exact top-k


@pytest.mark.parametrize("similarity", ["cosine", "euclidean"])
def test_top_k_is_the_brute_force_answer(db, similarity):
    db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(400, 2)})
    _index(db, options=COSINE if similarity == "cosine" else EUCLIDEAN)
    for seed, k in ((10, 1), (11, 10), (12, 57), (13, 400), (14, 1000)):
        found = _assert_exact(db, _vectors(1, seed)[0], k, similarity)
        assert len(found) == min(k, 400)


def test_scores_are_neo4js(db):
    db.query("CREATE (:Doc:Other {e: [1, 0, 0, 0, 0, 0, 0, 0]})")
    _index(db)
    _index(db, "near", EUCLIDEAN, "Other")
    query = [0, 1, 0, 0, 0, 0, 0, 0]
    # orthogonal: cos 0, score (1 + 0) / 2; distance squared 2, score 1 / (1 + 2)
    assert _search(db, query, 1)[0][1] == pytest.approx(0.5)
    assert _search(db, query, 1, "near")[0][1] == pytest.approx(1 / 3)
    assert _search(db, [-1, 0, 0, 0, 0, 0, 0, 0], 1)[0][1] == pytest.approx(0.0)


def test_top_k_stays_exact_after_updates_deletes_and_label_changes(docs):
    query = _vectors(1, 20)[0]
    _assert_exact(docs, query, 10)
    fresh = _vectors(60, 21)
    docs.query("MATCH (n:Doc) WITH n LIMIT 60 WITH collect(n) AS ns UNWIND range(0, 59) AS i "
               "WITH ns[i] AS n, $fresh[i] AS e SET n.e = e", {"fresh": fresh})
    _assert_exact(docs, query, 10)
    # the nodes nearest the query leave, one way each
    nearest = [identity for identity, _ in _search(docs, query, 4)]
    docs.query("MATCH (n) WHERE id(n) = $id DETACH DELETE n", {"id": nearest[0]})
    docs.query("MATCH (n) WHERE id(n) = $id REMOVE n:Doc", {"id": nearest[1]})
    docs.query("MATCH (n) WHERE id(n) = $id REMOVE n.e", {"id": nearest[2]})
    docs.query("MATCH (n) WHERE id(n) = $id SET n = {i: 1}", {"id": nearest[3]})
    found = _assert_exact(docs, query, 10)
    assert not set(nearest) & {identity for identity, _ in found}
    # a node of another label joins; one that had left comes back
    docs.query("CREATE (n:Other {e: $q}) SET n:Doc", {"q": query})
    docs.query("MATCH (n) WHERE id(n) = $id SET n:Doc", {"id": nearest[1]})
    found = _assert_exact(docs, query, 10)
    assert found[0][1] == pytest.approx(1.0)
    assert nearest[1] in {identity for identity, _ in found}


def test_a_node_with_other_properties_changed_keeps_its_vector(docs):
    query = _vectors(1, 22)[0]
    before = _search(docs, query, 5)
    docs.query("MATCH (n:Doc) SET n.i = n.i + 1")
    assert _search(docs, query, 5) == before


def test_a_write_inside_a_transaction_is_searched_before_it_commits(docs):
    query = _vectors(1, 23)[0]
    with docs.transaction():
        docs.query("CREATE (:Doc {e: $q, i: 9})", {"q": query})
        assert _search(docs, query, 1)[0][1] == pytest.approx(1.0)
        _assert_exact(docs, query, 10)


def test_a_rolled_back_transaction_leaves_the_index_as_it_was(docs):
    query = _vectors(1, 24)[0]
    before = _search(docs, query, 10)
    with pytest.raises(LookupError), docs.transaction():
        docs.query("CREATE (:Doc {e: $q})", {"q": query})
        docs.query("MATCH (n:Doc) WITH n LIMIT 50 DETACH DELETE n")
        raise LookupError("undo")
    assert _search(docs, query, 10) == before


# ---------------------------------------------------------------- every write path


def test_the_python_api_bulk_load_and_import_are_indexed(docs, tmp_path):
    query = _vectors(1, 30)[0]
    made = docs.create_substrate(metadata={"e": query}, labels=["Doc"])
    assert _search(docs, query, 1) == [(made.identity, pytest.approx(1.0))]
    docs.update_substrate(made.identity, labels=["Other"])
    _assert_exact(docs, query, 10)
    assert made.identity not in {identity for identity, _ in _search(docs, query, 300)}
    docs.bulk_load([{"metadata": {"e": row}, "labels": ["Doc"]} for row in _vectors(50, 31)])
    _assert_exact(docs, query, 20)
    lines = [{"type": "substrate", "labels": ["Doc"], "metadata": {"e": row}} for row in _vectors(20, 32)]
    path = tmp_path / "docs.ndjson"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert import_files(docs, [path]).substrates == 20
    _assert_exact(docs, query, 20)
    assert len(_search(docs, query, 1000)) == 300 + 50 + 20


def test_the_http_api_is_indexed(file_db):
    from bfxdb.web import create_app

    api, api_db = create_app(file_db, {}).test_client(), file_db
    _index(api_db)
    query = _vectors(1, 33)[0]
    made = api.post("/api/v1/substrates", json={"labels": ["Doc"], "metadata": {"e": query}})
    assert made.status_code == 201
    identity = made.get_json()["substrate_id"]
    assert _search(api_db, query, 1)[0][0] == int(identity, 16)
    changed = api.patch(f"/api/v1/substrates/{identity}", json={"metadata": {"e": [1] * DIMS}})
    assert changed.status_code == 200
    assert _search(api_db, query, 1)[0][1] == pytest.approx(_brute_force(api_db, query, 1)[0][1])
    refused = api.patch(f"/api/v1/substrates/{identity}", json={"metadata": {"e": [1, 2]}})
    assert refused.status_code == 400
    assert "not a list of 8 numbers" in refused.get_json()["detail"]
    assert api.delete(f"/api/v1/substrates/{identity}").status_code == 204
    assert _search(api_db, query, 5) == []


def test_writes_made_in_the_sqlite3_shell_are_searched_and_folded_by_the_next_write(file_db, db_path):
    file_db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(100, 40)})
    _index(file_db)
    query = _vectors(1, 41)[0]
    _assert_exact(file_db, query, 10)
    shell = sqlite3.connect(db_path)
    with shell:
        near = [[x + 0.01 * i for x in query] for i in range(30)]
        shell.executemany(
            "UPDATE substrates SET metadata = json_set(metadata, '$.e', json(?)) WHERE node = ?",
            [(json.dumps(vector), node) for node, vector in enumerate(near, start=1)],
        )
        shell.execute("DELETE FROM substrates WHERE node IN (SELECT node FROM substrates ORDER BY node DESC LIMIT 20)")
        shell.execute("DELETE FROM substrate_labels WHERE node = (SELECT max(node) FROM substrates)")
    pending = shell.execute("SELECT count(*) FROM vectors_1_pending").fetchone()[0]
    assert pending == 30 + 20 + 1
    found = _assert_exact(file_db, query, 40)
    assert found[0][1] == pytest.approx(1.0)
    assert {_node(file_db, identity) for identity, _ in found[:30]} == set(range(1, 31))
    with bfxdb.connect(db_path, read_only=True) as reader:
        assert _same(_search(reader, query, 40), found)
    file_db.query("CREATE (:Unrelated)")
    assert shell.execute("SELECT count(*) FROM vectors_1_pending").fetchone()[0] == 0
    assert shell.execute("SELECT count(*) FROM vectors_1").fetchone()[0] == 100 - 20 - 1
    assert _same(_search(file_db, query, 40), found)
    shell.close()


def test_the_sqlite3_shell_cannot_store_a_vector_the_index_cannot_hold(file_db, db_path):
    _index(file_db)
    file_db.query("CREATE (:Doc {e: $e})", {"e": [1] * DIMS})
    shell = sqlite3.connect(db_path)
    for value in ("[1, 2]", '["a", 1, 1, 1, 1, 1, 1, 1]', '"text"', "[0, 0, 0, 0, 0, 0, 0, 0]"):
        with pytest.raises(sqlite3.IntegrityError, match="bfxdb vector index"):
            shell.execute("UPDATE substrates SET metadata = json_set(metadata, '$.e', json(?))", (value,))
    shell.rollback()
    shell.close()
    assert file_db.query("MATCH (n:Doc) RETURN n.e").rows == [([1] * DIMS,)]


def test_another_connections_commit_is_searched_at_once(file_db, db_path):
    _index(file_db)
    query = _vectors(1, 42)[0]
    assert _search(file_db, query, 1) == []
    with bfxdb.connect(db_path) as other:
        other.query("CREATE (:Doc {e: $q})", {"q": query})
    assert _search(file_db, query, 1)[0][1] == pytest.approx(1.0)


def test_relationship_indexes_follow_their_type(db):
    db.query("CREATE (:A)")
    db.query("MATCH (a:A) UNWIND $rows AS row CREATE (a)-[:SIMILAR {e: row}]->(a)", {"rows": _vectors(80, 50)})
    db.query("MATCH (a:A) UNWIND $rows AS row CREATE (a)-[:OTHER {e: row}]->(a)", {"rows": _vectors(20, 51)})
    db.query(f"CREATE VECTOR INDEX rels FOR ()-[r:SIMILAR]-() ON (r.e) {EUCLIDEAN}")
    query = _vectors(1, 52)[0]

    def expected(k):
        rows = db.query("MATCH ()-[r:SIMILAR]->() RETURN id(r), r.e").rows
        scored = sorted(
            (-1 / (1 + float(np.sum((np.float32(v) - np.float32(query)) ** 2))), identity) for identity, v in rows
        )
        return [identity for _, identity in scored[:k]]

    text = "CALL db.index.vector.queryRelationships('rels', $k, $q) YIELD relationship AS r RETURN id(r), type(r)"
    found = db.query(text, {"k": 10, "q": query}).rows
    assert [identity for identity, _ in found] == expected(10)
    assert {kind for _, kind in found} == {"SIMILAR"}
    db.query("MATCH ()-[r:SIMILAR]->() WITH r LIMIT 30 DELETE r")
    db.query("MATCH ()-[r:SIMILAR]->() WITH r LIMIT 10 SET r.e = $q", {"q": query})
    found = db.query(text, {"k": 15, "q": query}).rows
    assert [identity for identity, _ in found] == expected(15)


# ---------------------------------------------------------------- write-time errors


@pytest.mark.parametrize(
    "value",
    [[1, 2, 3], [1] * (DIMS + 1), ["a"] * DIMS, [True] * DIMS, "text", 7, [0] * DIMS],
)
def test_a_vector_the_index_cannot_hold_is_refused_and_nothing_written(docs, value):
    count = docs.query("MATCH (n) RETURN count(n)").scalar()
    with pytest.raises(bfxdb.InvalidInput, match=f"`e` that is not a list of {DIMS} numbers"):
        docs.query("UNWIND [1, 2] AS i CREATE (:Doc {e: CASE i WHEN 2 THEN $bad ELSE $good END})",
                   {"bad": value, "good": [1] * DIMS})
    with pytest.raises(bfxdb.InvalidInput, match="substrate 0x"):
        docs.query("MATCH (n:Doc) WITH n LIMIT 1 SET n.e = $bad", {"bad": value})
    with pytest.raises(bfxdb.InvalidInput):
        docs.bulk_load([{"metadata": {"e": e}, "labels": ["Doc"]} for e in ([1] * DIMS, value)])
    assert docs.query("MATCH (n) RETURN count(n)").scalar() == count
    # outside the index the same value is an ordinary property
    docs.query("CREATE (:Other {e: $bad})", {"bad": value})


def test_euclidean_takes_a_zero_vector(db):
    _index(db, options=EUCLIDEAN)
    db.query("CREATE (:Doc {e: $zero})", {"zero": [0] * DIMS})
    assert _search(db, [1] + [0] * (DIMS - 1), 1)[0][1] == pytest.approx(0.5)


def test_an_index_over_data_it_cannot_hold_is_refused_and_nothing_made(db):
    db.query("CREATE (:Doc {e: [1, 2]})")
    with pytest.raises(bfxdb.InvalidInput, match="cannot create vector index `docs`: substrate 0x"):
        _index(db)
    assert db.query("SHOW INDEXES").rows == []
    tables = db.store.execute("SELECT name FROM sqlite_master WHERE name LIKE 'vector%'").fetchall()
    assert tables == []


@pytest.mark.parametrize(
    "options, words",
    [
        ("", "`vector.dimensions` must be an integer"),
        ("OPTIONS {indexConfig: {`vector.dimensions`: 0}}", "from 1 to 4096"),
        ("OPTIONS {indexConfig: {`vector.dimensions`: 5000}}", "from 1 to 4096"),
        ("OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'dot'}}", "cosine, euclidean"),
        ("OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.quantization.enabled`: true}}", "no setting"),
        ("OPTIONS {indexConfig: {`vector.dimensions`: 3}, indexProvider: 'hnsw'}", "indexProvider"),
        ("OPTIONS {size: 3}", "no option size"),
    ],
)
def test_malformed_options_are_refused(db, options, words):
    with pytest.raises(bfxdb.InvalidInput, match=words):
        db.query(f"CREATE VECTOR INDEX docs FOR (n:Doc) ON n.e {options}")


def test_options_must_be_constants(db):
    with pytest.raises(bfxdb.QuerySyntaxError, match="OPTIONS must be a map of constants"):
        db.query("CREATE VECTOR INDEX docs FOR (n:Doc) ON n.e OPTIONS {indexConfig: {`vector.dimensions`: $d}}")


# ---------------------------------------------------------------- SHOW, DROP, names


def test_show_indexes_lists_a_vector_index_as_neo4j_does(docs):
    row = docs.query("SHOW VECTOR INDEXES YIELD name, type, entityType, labelsOrTypes, properties, "
                     "indexProvider, options, createStatement").rows
    assert row == [(
        "docs", "VECTOR", "NODE", ["Doc"], ["e"], "vector-1.0",
        {"indexProvider": "vector-1.0",
         "indexConfig": {"vector.dimensions": DIMS, "vector.similarity_function": "COSINE"}},
        f"CREATE VECTOR INDEX `docs` FOR (n:`Doc`) ON (n.`e`) OPTIONS {{indexConfig: {{`vector.dimensions`: {DIMS}, "
        "`vector.similarity_function`: 'cosine'}, indexProvider: 'vector-1.0'}",
    )]
    assert docs.query("SHOW RANGE INDEXES").rows == []


def test_drop_index_drops_the_tables_and_triggers(docs):
    docs.query("DROP INDEX docs")
    assert docs.query("SHOW INDEXES").rows == []
    left = docs.store.execute("SELECT name FROM sqlite_master WHERE name LIKE 'vectors%'").fetchall()
    assert left == []
    docs.query("CREATE (:Doc {e: [1, 2]})")
    with pytest.raises(bfxdb.QueryArgumentError, match="no vector index named `docs`"):
        _search(docs, [1] * DIMS, 1)
    with pytest.raises(bfxdb.QueryArgumentError, match="no index named"):
        docs.query("DROP INDEX docs")


def test_an_index_made_again_after_a_drop_is_searched_afresh(docs):
    query = _vectors(1, 60)[0]
    _search(docs, query, 5)
    docs.query("DROP INDEX docs")
    docs.query("MATCH (n:Doc) WITH n LIMIT 100 DETACH DELETE n")
    _index(docs)
    _assert_exact(docs, query, 10)
    assert len(_search(docs, query, 1000)) == 200


def test_names_and_if_not_exists(db):
    _index(db)
    with pytest.raises(bfxdb.QueryArgumentError, match="an index named `docs` exists already"):
        _index(db, options=EUCLIDEAN, label="Other")
    with pytest.raises(bfxdb.QueryArgumentError, match="vector index `docs` covers the same label and key"):
        _index(db, "again")
    db.query(f"CREATE VECTOR INDEX docs IF NOT EXISTS FOR (n:Other) ON n.e {COSINE}")
    db.query(f"CREATE VECTOR INDEX IF NOT EXISTS FOR (n:Doc) ON n.e {COSINE}")
    db.query("CREATE INDEX people FOR (n:Person) ON (n.name)")
    with pytest.raises(bfxdb.QueryArgumentError, match="`people` exists already"):
        _index(db, "people", label="Person")
    db.query(f"CREATE VECTOR INDEX FOR ()-[r:T]-() ON r.e {COSINE}")
    names = [row[0] for row in db.query("SHOW VECTOR INDEXES YIELD name, entityType").rows]
    assert names[0] == "docs" and names[1].startswith("index_") and len(names) == 2


def test_making_an_index_past_the_time_limit_is_a_timeout_and_makes_nothing(db):
    db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(3000, 3)})
    text = f"CREATE VECTOR INDEX docs FOR (n:Doc) ON n.e {COSINE}"
    db.query(text)
    db.query("DROP INDEX docs")
    with pytest.raises(bfxdb.QueryTimeout):
        db.query(text, timeout=1e-6)  # planned already: the limit runs out while the index is made
    assert db.query("SHOW INDEXES").rows == []


def test_the_create_node_index_procedure_makes_the_same_index(db):
    db.query("CALL db.index.vector.createNodeIndex('docs', 'Doc', 'e', $d, 'euclidean')", {"d": DIMS})
    options = db.query("SHOW INDEXES YIELD options").scalar()
    assert options["indexConfig"] == {"vector.dimensions": DIMS, "vector.similarity_function": "EUCLIDEAN"}
    with pytest.raises(bfxdb.ReadOnlyError):
        db.query("CALL db.index.vector.createNodeIndex('x', 'Doc', 'f', 3, 'cosine')", read_only=True)


# ---------------------------------------------------------------- query errors and limits


@pytest.mark.parametrize(
    "k, query, error, words",
    [
        (0, [1] * DIMS, bfxdb.QueryArgumentError, "from 1 to 10000"),
        (10_001, [1] * DIMS, bfxdb.QueryArgumentError, "from 1 to 10000"),
        (5, [1] * (DIMS - 1), bfxdb.QueryArgumentError, "the query vector has 7"),
        (5, [0] * DIMS, bfxdb.QueryArgumentError, "zero vector"),
        (5, ["a"] * DIMS, bfxdb.QueryTypeError, "lists of numbers"),
    ],
)
def test_bad_searches_are_refused(docs, k, query, error, words):
    with pytest.raises(error, match=words):
        _search(docs, query, k)


def test_a_node_index_is_not_searched_for_relationships(docs):
    with pytest.raises(bfxdb.QueryArgumentError, match="use db.index.vector.queryNodes"):
        docs.query("CALL db.index.vector.queryRelationships('docs', 1, $q) YIELD relationship", {"q": [1] * DIMS})


def test_the_matrix_counts_against_the_memory_budget(docs):
    query = [1] * DIMS
    with pytest.raises(bfxdb.QueryLimitExceeded):
        docs.query(QUERY, {"name": "docs", "k": 1, "q": query}, memory=4096)
    _search(docs, query, 1)  # now cached: the budget still applies
    with pytest.raises(bfxdb.QueryLimitExceeded):
        docs.query(QUERY, {"name": "docs", "k": 1, "q": query}, memory=4096)


def test_search_without_numpy_names_the_extra(docs, monkeypatch):
    real = importlib.import_module

    def without_numpy(name, *args):
        if name == "numpy":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(search_vectors.importlib, "import_module", without_numpy)
    with pytest.raises(bfxdb.ExtraMissing, match=r"pip install 'bfxdb\[vectors\]'"):
        _search(docs, [1] * DIMS, 1)
    # writes need no NumPy
    docs.query("CREATE (:Doc {e: $e})", {"e": [1] * DIMS})


# ---------------------------------------------------------------- storage


def test_vectors_are_stored_as_float32_blobs(docs):
    rows = docs.store.execute("SELECT key, vector FROM vectors_1 ORDER BY key LIMIT 3").fetchall()
    for node, blob in rows:
        assert len(blob) == 4 * DIMS
        stored = docs.query("MATCH (n) WHERE id(n) = $id RETURN n.e",
                            {"id": _identity(docs, node)}).scalar()
        assert np.frombuffer(blob, dtype="<f4").tolist() == np.float32(stored).tolist()


def _node(db, identity):
    signed = identity - (1 << 64) if identity >= 1 << 63 else identity
    return db.store.execute("SELECT node FROM substrates WHERE identity = ?", (signed,)).fetchone()[0]


def _identity(db, node):
    signed = db.store.execute("SELECT identity FROM substrates WHERE node = ?", (node,)).fetchone()[0]
    return signed % (1 << 64)


# ---------------------------------------------------------------- the functions


@pytest.mark.parametrize(
    "a, b, cosine, euclidean",
    [
        ([1, 0], [0, 1], 0.5, 1 / 3),
        ([1, 2, 3], [1, 2, 3], 1.0, 1.0),
        ([1, 2, 3], [-1, -2, -3], 0.0, 1 / (1 + 4 + 16 + 36)),
        ([3, 4], [4, 3], (1 + 24 / 25) / 2, 1 / 3),
        ([0.5, 1.5], [2, -1], (1 + (1 - 1.5) / (math.sqrt(2.5) * math.sqrt(5))) / 2, 1 / (1 + 2.25 + 6.25)),
    ],
)
def test_similarity_functions_against_hand_computation(db, a, b, cosine, euclidean):
    row = db.query("RETURN vector.similarity.cosine($a, $b), vector.similarity.euclidean($a, $b)", {"a": a, "b": b})
    assert row.rows[0] == (pytest.approx(cosine, abs=1e-15), pytest.approx(euclidean, abs=1e-15))


def test_similarity_functions_null_and_errors(db):
    assert db.query("RETURN vector.similarity.cosine(null, [1]), vector.similarity.euclidean([1], null)").rows == [
        (None, None)
    ]
    assert db.query("RETURN vector.similarity.cosine([0, 0], [1, 2])").scalar() is None
    with pytest.raises(bfxdb.QueryArgumentError, match="same dimension"):
        db.query("RETURN vector.similarity.euclidean([1, 2], [1, 2, 3])")
    with pytest.raises(bfxdb.QueryTypeError, match="lists of numbers"):
        db.query("RETURN vector.similarity.cosine([1, 'a'], [1, 2])")
    with pytest.raises(bfxdb.QueryTypeError, match="lists of numbers"):
        db.query("RETURN vector.similarity.cosine([], [])")


# ---------------------------------------------------------------- hybrid search


FUSED = """
CALL db.index.vector.queryNodes('first', $k, $q) YIELD node
WITH collect(node) AS one
CALL db.index.vector.queryNodes('second', $k, $q) YIELD node
WITH one, collect(node) AS two
UNWIND one + two AS chunk
WITH DISTINCT chunk, one, two
WITH chunk,
     [i IN range(0, size(one) - 1) WHERE one[i] = chunk] AS a,
     [i IN range(0, size(two) - 1) WHERE two[i] = chunk] AS b
WITH chunk, coalesce(1.0 / (61 + a[0]), 0.0) + coalesce(1.0 / (61 + b[0]), 0.0) AS rrf
ORDER BY rrf DESC, id(chunk) LIMIT 3
MATCH (chunk)-[:MENTIONS]->(entity)
RETURN id(chunk) AS chunk, rrf, collect(entity.name) AS entities
ORDER BY rrf DESC, chunk
"""


def test_two_searches_fuse_by_reciprocal_rank_and_expand_through_relationships(db):
    db.query(
        "UNWIND range(0, 39) AS i CREATE (c:Chunk {e: $e[i], f: $f[i]})-[:MENTIONS]->(:Entity {name: 'e' + i})",
        {"e": _vectors(40, 70), "f": _vectors(40, 71)},
    )
    db.query(f"CREATE VECTOR INDEX first FOR (n:Chunk) ON n.e {COSINE}")
    db.query(f"CREATE VECTOR INDEX second FOR (n:Chunk) ON n.f {COSINE}")
    query = _vectors(1, 72)[0]
    one = [identity for identity, _ in _search(db, query, 10, "first")]
    two = [identity for identity, _ in _search(db, query, 10, "second")]
    fused: dict[int, float] = {}
    for ranking in (one, two):
        for rank, identity in enumerate(ranking, start=1):
            fused[identity] = fused.get(identity, 0.0) + 1 / (60 + rank)
    expected = sorted(fused, key=lambda identity: (-fused[identity], identity))[:3]
    rows = db.query(FUSED, {"k": 10, "q": query}).rows
    assert [chunk for chunk, _, _ in rows] == expected
    assert [rrf for _, rrf, _ in rows] == [pytest.approx(fused[identity]) for identity in expected]
    assert all(len(entities) == 1 and entities[0].startswith("e") for _, _, entities in rows)


# ---------------------------------------------------------------- patching the cached matrix


@pytest.fixture
def reads(monkeypatch):
    """How each search read the folded vectors: None for in full, else the keys it read."""
    calls: list = []
    real = bfxdb.storage.sqlite.SQLiteStore.read_vectors

    def counted(self, index, only=None):
        calls.append(None if only is None else list(only))
        return real(self, index, only)

    monkeypatch.setattr(bfxdb.storage.sqlite.SQLiteStore, "read_vectors", counted)
    return calls


@pytest.mark.parametrize("options, similarity", [(COSINE, "cosine"), (EUCLIDEAN, "euclidean")])
def test_after_each_write_a_search_reads_only_what_changed_and_stays_exact(db, reads, options, similarity):
    db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(300, 50)})
    _index(db, options=options)
    query = _vectors(1, 51)[0]
    _assert_exact(db, query, 10, similarity)
    assert reads == [None]
    nearest = [identity for identity, _ in _search(db, query, 3)]
    writes = [
        ("MATCH (n) WHERE id(n) = $a SET n.e = $v", {"a": nearest[0], "v": _vectors(1, 52)[0]}),
        ("MATCH (n) WHERE id(n) = $a DETACH DELETE n", {"a": nearest[1]}),
        ("CREATE (:Doc {e: $v})", {"v": query}),
        ("MATCH (n) WHERE id(n) = $a REMOVE n:Doc", {"a": nearest[2]}),
        ("MATCH (n) WHERE id(n) = $a SET n:Doc", {"a": nearest[2]}),
        ("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(5, 53)}),
        ("MATCH (n:Doc) WHERE n.e[0] < 0 WITH n LIMIT 3 SET n.e = $v", {"v": _vectors(1, 54)[0]}),
    ]
    for statement, parameters in writes:
        del reads[:]
        db.query(statement, parameters)
        _assert_exact(db, query, 10, similarity)
        patched = _search(db, _vectors(1, 55)[0], 400)
        assert reads and None not in reads, statement
        search_vectors._cache.clear()
        assert _same(patched, _search(db, _vectors(1, 55)[0], 400))
    assert _search(db, query, 1)[0][1] == pytest.approx(1.0)


def test_another_connections_writes_are_patched_in(file_db, db_path, reads):
    file_db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(200, 60)})
    _index(file_db)
    query = _vectors(1, 61)[0]
    _assert_exact(file_db, query, 10)
    with bfxdb.connect(db_path) as other:
        other.query("CREATE (:Doc {e: $q})", {"q": query})
        other.query("MATCH (n:Doc) WITH n LIMIT 2 DETACH DELETE n")
    del reads[:]
    assert _assert_exact(file_db, query, 10)[0][1] == pytest.approx(1.0)
    assert reads and None not in reads


def test_inside_a_transaction_the_patched_matrix_sees_its_writes(docs, reads):
    query = _vectors(1, 62)[0]
    _assert_exact(docs, query, 5)
    docs.query("CREATE (:Doc {e: $q})", {"q": query})
    with docs.transaction():
        _assert_exact(docs, query, 5)
        docs.query("MATCH (n:Doc) WHERE n.e = $q DETACH DELETE n", {"q": query})
        assert _assert_exact(docs, query, 5)[0][1] < 0.99
    assert _assert_exact(docs, query, 5)[0][1] < 0.99


def test_past_the_change_log_a_search_reads_everything_again(docs, reads, monkeypatch):
    from bfxdb.storage import vectors as stored_vectors

    monkeypatch.setattr(stored_vectors, "CHANGES_KEPT", 3)
    monkeypatch.setattr(stored_vectors, "TRIM_EVERY", 1)
    query = _vectors(1, 63)[0]
    _assert_exact(docs, query, 10)
    # five folds of one key each: the log keeps the last three, so a matrix five folds old is past it
    for seed in range(5):
        docs.query("CREATE (:Doc {e: $v})", {"v": _vectors(1, 70 + seed)[0]})
    del reads[:]
    _assert_exact(docs, query, 10)
    assert reads == [None]
    # a fold of more keys than LOGGED_FOLD is not logged at all
    monkeypatch.setattr(stored_vectors, "LOGGED_FOLD", 2)
    docs.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(3, 80)})
    del reads[:]
    _assert_exact(docs, query, 10)
    assert reads == [None]
    # and what the log does hold is patched in
    docs.query("CREATE (:Doc {e: $q})", {"q": query})
    del reads[:]
    assert _assert_exact(docs, query, 10)[0][1] == pytest.approx(1.0)
    assert reads and None not in reads


def test_an_index_made_before_the_change_log_gets_one_at_its_next_fold(file_db, db_path, reads):
    file_db.query("UNWIND $rows AS row CREATE (:Doc {e: row})", {"rows": _vectors(200, 90)})
    _index(file_db)
    # a file of an earlier version: its vector index has no change log
    with sqlite3.connect(db_path) as raw:
        (changes,) = raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'vectors_%_changes'").fetchone()
        raw.execute(f"DROP TABLE {changes}")
    query = _vectors(1, 91)[0]
    _assert_exact(file_db, query, 10)
    file_db.query("CREATE (:Doc {e: $q})", {"q": query})
    with sqlite3.connect(db_path) as raw:
        logged = raw.execute(f"SELECT count(*) FROM {changes}").fetchone()[0]
    assert logged == 1
    # the fold that made the log logged itself, so the matrix read before it is patched, and so on
    for write in ("MATCH (n:Doc) WHERE n.e = $q SET n.e = [x IN $q | -x]", "MATCH (n:Doc) WITH n LIMIT 3 DELETE n"):
        del reads[:]
        _assert_exact(file_db, query, 10)
        assert reads and None not in reads
        file_db.query(write, {"q": query})
    del reads[:]
    assert _assert_exact(file_db, query, 10)[0][1] < 0.99
    assert reads and None not in reads
