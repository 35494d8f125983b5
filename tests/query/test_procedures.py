"""CALL: the built-in procedures, procedures registered from Python, and every way a call can go wrong."""

from __future__ import annotations

import itertools

import pytest
from bfxdb.web import create_app

import bfxdb


@pytest.fixture
def db():
    database = bfxdb.connect(":memory:")
    database.query("CREATE (:Person {name: 'Ada', born: 1815})-[:KNOWS {since: 1833}]->(:Person:Author {name: 'Mary'})")
    database.query("CREATE (:City {name: 'London'})")
    yield database
    database.close()


def test_builtin_procedures_list_labels_types_and_keys(db):
    assert db.query("CALL db.labels()").rows == [("Author",), ("City",), ("Person",)]
    assert db.query("CALL db.labels").columns == ["label"]
    assert db.query("CALL db.relationshipTypes()").rows == [("KNOWS",)]
    assert db.query("CALL db.propertyKeys() YIELD propertyKey RETURN collect(propertyKey) AS keys").rows == [
        (["born", "name", "since"],)
    ]
    names = [row[0] for row in db.query("CALL dbms.procedures()").rows]
    assert [name for name in names if not name.startswith(("algo.", "db.index."))] == [
        "db.constraints", "db.indexes", "db.labels", "db.propertyKeys", "db.relationshipTypes",
        "db.schema.nodeTypeProperties", "db.schema.relTypeProperties", "db.schema.visualization", "dbms.components",
        "dbms.procedures",
    ]
    assert {"algo.pageRank", "algo.pageRank.write", "algo.leiden", "algo.bfs"} <= set(names)


def test_in_query_call_runs_once_per_row_and_filters_with_where(db):
    result = db.query(
        "MATCH (p:Person) CALL db.labels() YIELD label AS l WHERE l <> 'City' "
        "RETURN p.name AS name, l ORDER BY name, l"
    )
    assert result.rows == [("Ada", "Author"), ("Ada", "Person"), ("Mary", "Author"), ("Mary", "Person")]


def test_a_registered_procedure_takes_arguments_and_gives_rows_as_mappings_or_sequences(db):
    db.register_procedure(
        "text.split",
        lambda text, separator: ({"part": part, "index": i} for i, part in enumerate(text.split(separator))),
        inputs=[("text", "STRING"), ("separator", "STRING")],
        outputs=[("index", "INTEGER"), ("part", "STRING")],
    )
    db.register_procedure("math.pairs", lambda n: [(i, i * i) for i in range(n)],
                          inputs=[("n", "INTEGER")], outputs=[("i", "INTEGER"), ("square", "INTEGER")])
    assert db.query("CALL text.split('a,b', ',')").rows == [(0, "a"), (1, "b")]
    assert db.query("CALL text.split($t, $s) YIELD part RETURN part", {"t": "x-y-z", "s": "-"}).rows == [
        ("x",), ("y",), ("z",)
    ]
    # Standalone and without parentheses, the arguments are the parameters of the same names.
    assert db.query("CALL text.split", {"text": "p q", "separator": " "}).rows == [(0, "p"), (1, "q")]
    assert db.query("UNWIND [1, 3] AS n CALL math.pairs(n) YIELD square RETURN sum(square) AS s").rows == [(5,)]


def test_procedures_receive_and_return_entities(db):
    def friends(person):
        return [[friend] for friend in db.find_substrates(label="Person") if friend.identity != person.identity]

    db.register_procedure("social.others", friends, inputs=[("person", "NODE")], outputs=[("other", "NODE")])
    result = db.query("MATCH (p {name: 'Ada'}) CALL social.others(p) YIELD other RETURN other.name AS name")
    assert result.rows == [("Mary",)]


def test_null_arguments_follow_the_declared_types(db):
    db.register_procedure("echo.maybe", lambda x: [[x]], inputs=[("x", "INTEGER?")], outputs=[("x", "INTEGER?")])
    db.register_procedure("echo.strict", lambda x: [[x]], inputs=[("x", "INTEGER")], outputs=[("x", "INTEGER")])
    assert db.query("CALL echo.maybe(null)").rows == [(None,)]
    with pytest.raises(bfxdb.QueryTypeError) as caught:
        db.query("CALL echo.strict($x)", {"x": None})
    assert caught.value.detail_code == "InvalidArgumentType"
    with pytest.raises(bfxdb.QueryTypeError):
        db.query("CALL echo.strict($x)", {"x": "seven"})


@pytest.mark.parametrize(
    ("query", "error", "detail"),
    [
        ("CALL no.such()", bfxdb.ProcedureNotFound, "ProcedureNotFound"),
        ("CALL echo.one(1, 2)", bfxdb.QuerySyntaxError, "InvalidNumberOfArguments"),
        ("CALL echo.one('text')", bfxdb.QuerySyntaxError, "InvalidArgumentType"),
        ("WITH 1 AS x CALL echo.one(2) YIELD x RETURN x", bfxdb.QuerySyntaxError, "VariableAlreadyBound"),
        ("CALL echo.one(1) YIELD nope RETURN nope", bfxdb.QuerySemanticError, "UndefinedVariable"),
        ("MATCH (n) CALL echo.one(1) RETURN n", bfxdb.QuerySemanticError, "UnexpectedSyntax"),
        ("CALL echo.one(1) YIELD * RETURN x", bfxdb.QuerySyntaxError, "UnexpectedSyntax"),
        ("MATCH (n) WHERE EXISTS { CALL echo.one(1) YIELD x } RETURN n", bfxdb.QueryError, None),
    ],
)
def test_bad_calls_are_refused_before_anything_runs(db, query, error, detail):
    calls = []
    db.register_procedure("echo.one", lambda x: calls.append(x) or [[x]], inputs=[("x", "INTEGER")],
                          outputs=[("x", "INTEGER")])
    with pytest.raises(error) as caught:
        db.query(query)
    if detail is not None:
        assert caught.value.detail_code == detail
    assert calls == []


@pytest.mark.parametrize(
    ("function", "detail"),
    [
        (lambda: 1 / 0, "ProcedureCallFailed"),
        (lambda: [{"x": 1, "extra": 2}], "ProcedureBadRow"),
        (lambda: [(1, 2)], "ProcedureBadRow"),
        (lambda: ["text"], "ProcedureBadRow"),
        (lambda: [[object()]], None),
    ],
)
def test_a_failing_procedure_fails_the_query_and_writes_nothing(db, function, detail):
    db.register_procedure("broken", function, outputs=[("x", "ANY")])
    before = len(db.find_substrates())
    with pytest.raises(bfxdb.QueryError) as caught:
        db.query("CREATE (:Temp) WITH 1 AS one CALL broken() YIELD x RETURN x")
    if detail is not None:
        assert isinstance(caught.value, bfxdb.ProcedureFailed) and caught.value.detail_code == detail
    assert len(db.find_substrates()) == before


def test_an_endless_procedure_is_stopped_by_the_query_time_limit(db):
    db.register_procedure("forever", lambda: ([i] for i in itertools.count()), outputs=[("i", "INTEGER")])
    with pytest.raises(bfxdb.QueryTimeout):
        db.query("CALL forever() YIELD i RETURN count(i) AS n", timeout=0.3)


def test_procedures_belong_to_their_database_and_replacing_one_drops_old_plans(tmp_path):
    with bfxdb.connect(tmp_path / "g.db") as first, bfxdb.connect(tmp_path / "g.db") as second:
        first.register_procedure("v.version", lambda: [[1]], outputs=[("v", "INTEGER")])
        assert first.query("CALL v.version()").rows == [(1,)]
        with pytest.raises(bfxdb.ProcedureNotFound):
            second.query("CALL v.version()")
        first.register_procedure("v.version", lambda: [["two"]], outputs=[("v", "STRING")])
        assert first.query("CALL v.version()").rows == [("two",)]


@pytest.mark.parametrize(
    ("name", "inputs", "outputs"),
    [
        ("bad name", (), ()),
        ("x.", (), ()),
        ("ok", [("a", "INTEGRAL")], ()),
        ("ok", [("a b", "INTEGER")], ()),
        ("ok", (), [("a", "INTEGER"), ("a", "STRING")]),
        ("ok", ["a"], ()),
    ],
)
def test_malformed_definitions_are_refused(db, name, inputs, outputs):
    with pytest.raises(bfxdb.InvalidInput):
        db.register_procedure(name, lambda *args: [], inputs=inputs, outputs=outputs)


def test_call_over_http_and_its_errors(db):
    client = create_app(db).test_client()
    response = client.post("/api/v1/query", json={"query": "CALL db.labels()", "read_only": True})
    assert response.status_code == 200
    assert response.get_json()["columns"] == ["label"]
    missing = client.post("/api/v1/query", json={"query": "CALL no.such()"})
    assert missing.status_code == 400 and missing.get_json()["code"] == "procedure_not_found"


def test_a_builtin_procedure_over_its_time_limit_raises_query_timeout(tmp_path):
    with bfxdb.connect(tmp_path / "keys.db") as db:
        db.bulk_load(({"identity": i, "metadata": {f"k{i % 997}": i, "x": i}} for i in range(1, 40_001)), ())
        with pytest.raises(bfxdb.QueryTimeout):
            db.query("CALL db.propertyKeys() YIELD propertyKey RETURN count(*) AS n", timeout=0.0001)
        assert db.query("CALL db.propertyKeys() YIELD propertyKey RETURN count(*) AS n").rows == [(998,)]
