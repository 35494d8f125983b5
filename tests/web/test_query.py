"""POST /query: Cypher over HTTP with parameters, entity objects, read-only runs, errors and time limits."""

from __future__ import annotations

import json

import pytest
from bfxdb.web import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb

from ..conftest import MULTIPLY
from .helpers import API, assert_error, create, relate


def run(api, query: str, status: int = 200, **fields):
    response = api.post(f"{API}/query", json={"query": query, **fields})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_query_returns_columns_rows_and_stats(api):
    create(api, expression_code=MULTIPLY, metadata={"name": "multiply"})
    body = run(api, "MATCH (s) WHERE s.name = $name RETURN s.name AS name, s", parameters={"name": "multiply"})
    assert body["columns"] == ["name", "s"]
    [[name, node]] = body["rows"]
    assert name == "multiply"
    assert node["substrate_id"] == bfxdb.format_id(bfxdb.fingerprint("lambda", MULTIPLY))
    assert node["metadata"] == {"name": "multiply"} and node["expression_code"] == MULTIPLY
    assert isinstance(body["stats"], dict)


def test_query_writes_commit_and_are_counted(api, api_db):
    body = run(api, "CREATE (n:Person {name: $name}) RETURN n", parameters={"name": "Ann"})
    assert body["stats"]["nodes_created"] == 1
    assert body["rows"][0][0]["labels"] == ["Person"]
    assert api_db.count_substrates() == 1


def test_relationships_and_paths_are_objects(api):
    a, b = create(api)["substrate_id"], create(api)["substrate_id"]
    made = relate(api, a, b, "KNOWS", metadata={"since": 2020})
    [[path, relationship]] = run(api, "MATCH p = (x)-[r:KNOWS]->(y) RETURN p, r")["rows"]
    assert relationship == made
    assert [n["substrate_id"] for n in path["nodes"]] == [a, b]
    assert path["relationships"] == [made]


def test_non_finite_floats_are_strings(api):
    [[nan, inf, ninf]] = run(api, "RETURN 0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0")["rows"]
    assert (nan, inf, ninf) == ("NaN", "Infinity", "-Infinity")


def test_read_only_query_refuses_writes(api, api_db):
    assert_error(api.post(f"{API}/query", json={"query": "CREATE (n)", "read_only": True}), 403, "read_only")
    assert api_db.count_substrates() == 0


def test_read_only_key_runs_reads_but_not_writes(make_api, api_db):
    api = make_api(API_KEYS=["rw"], READ_ONLY_KEYS=["ro"])
    headers = {"X-API-Key": "ro"}
    ok = api.post(f"{API}/query", json={"query": "MATCH (n) RETURN count(n) AS c"}, headers=headers)
    assert ok.get_json()["rows"] == [[0]]
    refused = api.post(f"{API}/query", json={"query": "CREATE (n) RETURN n"}, headers=headers)
    assert_error(refused, 403, "read_only")
    assert api_db.count_substrates() == 0


def test_syntax_error_is_400_with_line_column_and_context(api):
    body = assert_error(api.post(f"{API}/query", json={"query": "MATCH (n)\nRETURN n +"}), 400, "query_syntax")
    assert body["line"] == 2 and body["column"] >= 1
    assert "^" in body["context"]
    assert body["category"] == "SyntaxError"


def test_missing_parameter_is_400(api):
    assert_error(api.post(f"{API}/query", json={"query": "RETURN $nothing"}), 400, "parameter_missing")


def test_query_over_its_time_limit_is_504(api):
    response = api.post(
        f"{API}/query",
        # sum reads every row (a bare count(*) would count the lists without making rows)
        json={"query": "UNWIND range(1, 1000) AS x UNWIND range(1, 1000) AS y RETURN sum(y)", "timeout_ms": 20},
    )
    assert_error(response, 504, "query_timeout")


def test_the_server_caps_the_clients_time_limit(api_db):
    app = create_app(api_db, {"QUERY_TIMEOUT": 2.0})
    from bfxdb.web.routes.query import query_timeout

    with app.app_context():
        assert query_timeout(None) == 2.0
        assert query_timeout(500) == 0.5
        assert query_timeout(60_000) == 2.0


@pytest.mark.parametrize(
    "payload",
    [{}, {"query": ""}, {"query": 1}, {"query": "RETURN 1", "timeout_ms": 0}, {"query": "RETURN 1", "parameters": []},
     {"query": "RETURN 1", "read_only": "yes"}, {"query": "RETURN 1", "extra": True}],
)
def test_query_body_violations_are_422(api, payload):
    assert_error(api.post(f"{API}/query", json=payload), 422, "validation_error")


def _graph_strategy():
    edges = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from(["A", "B"])), max_size=12)
    return st.tuples(edges, st.integers(0, 5), st.integers(1, 4), st.sampled_from(["out", "in", "both"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_graph_strategy())
def test_neighbours_agree_with_a_cypher_variable_length_match(tmp_path_factory, case):
    edges, start, depth, direction = case
    with bfxdb.connect(tmp_path_factory.mktemp("nb") / "g.db") as db:
        ids = [db.create_substrate(identity=n + 1).identity for n in range(6)]
        for source, target, rel_type in edges:
            db.create_relationship(ids[source], ids[target], rel_type)
        client = create_app(db).test_client()
        body = client.get(
            f"{API}/substrates/{bfxdb.format_id(ids[start])}/neighbours?depth={depth}&direction={direction}&limit=1000"
        ).get_json()
        arrow = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}[direction]
        expected = db.query(
            f"MATCH p = (s){arrow[0]}[*1..{depth}]{arrow[1]}(n) WHERE id(s) = $id AND id(n) <> $id "
            "RETURN id(n) AS n, min(length(p)) AS d ORDER BY d, n",
            {"id": ids[start]},
        ).rows
        got = [(bfxdb.parse_id(n["substrate"]["substrate_id"]), n["distance"]) for n in body["neighbours"]]
        assert got == [tuple(row) for row in expected]


def test_a_large_result_streams_as_one_json_document_with_its_row_count(api):
    response = api.post(f"{API}/query", json={"query": "UNWIND range(1, 1000) AS x RETURN x, x * 2 AS y"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    # streamed: no length up front (waitress sends it chunked)
    assert "Content-Length" not in response.headers
    body = json.loads(response.get_data(as_text=True))
    assert body["columns"] == ["x", "y"]
    assert body["rows"] == [[x, 2 * x] for x in range(1, 1001)]
    assert body["row_count"] == 1000 and body["stats"]["nodes_created"] == 0
    assert "error" not in body


def test_ndjson_gives_a_head_line_one_array_per_row_and_a_trailer(api):
    response = api.post(
        f"{API}/query",
        json={"query": "UNWIND range(1, 600) AS x CREATE (n {x: x}) RETURN n.x AS x"},
        headers={"Accept": "application/x-ndjson"},
    )
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines[0] == {"columns": ["x"]}
    assert lines[1:-1] == [[x] for x in range(1, 601)]
    assert lines[-1]["row_count"] == 600 and lines[-1]["stats"]["nodes_created"] == 600
    assert "error" not in lines[-1]


def test_an_error_after_the_first_row_ends_the_json_document_with_the_error(api):
    # row 300 divides by zero: the first row has gone out by then, so the status stays 200
    response = api.post(f"{API}/query", json={"query": "UNWIND range(1, 600) AS x RETURN 10 / (300 - x) AS y"})
    assert response.status_code == 200
    body = json.loads(response.get_data(as_text=True))
    assert len(body["rows"]) == body["row_count"] == 299
    assert body["error"]["detail_code"] == "DivisionByZero" and body["error"]["code"] == "query_argument"


def test_an_error_after_the_first_row_ends_the_ndjson_stream_with_the_error(api):
    response = api.post(
        f"{API}/query",
        json={"query": "UNWIND range(1, 2000) AS x RETURN 1000 / (1000 - x) AS y"},
        headers={"Accept": "application/x-ndjson"},
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines[:2] == [{"columns": ["y"]}, [1]]
    assert len(lines) == 1 + 999 + 1
    assert lines[-1]["row_count"] == 999 and lines[-1]["error"]["detail_code"] == "DivisionByZero"


@pytest.mark.parametrize("failing_row", [1, 5])
def test_an_error_before_the_response_starts_keeps_its_status_and_shape(api, failing_row):
    text = f"UNWIND range(1, 10) AS x RETURN 1 / (x - {failing_row}) AS y"
    body = assert_error(api.post(f"{API}/query", json={"query": text}), 400, "query_argument")
    assert body["detail_code"] == "DivisionByZero"


def test_a_small_answer_goes_in_one_body_with_its_length(api):
    response = api.post(f"{API}/query", json={"query": "UNWIND range(1, 10) AS x RETURN x"})
    assert response.content_length == len(response.get_data())
    assert response.get_json()["row_count"] == 10


def test_explain_answers_with_the_plan_text(api):
    create(api, labels=["N"])
    body = run(api, "/* why */ EXPLAIN MATCH (n:N) RETURN n")
    assert body["rows"] == [] and "SQL: SELECT" in body["plan"]
    lines = api.post(f"{API}/query", json={"query": "explain MATCH (n:N) RETURN n"},
                     headers={"Accept": "application/x-ndjson"}).get_data(as_text=True).splitlines()
    assert "SQL: SELECT" in json.loads(lines[-1])["plan"]
    assert "plan" not in run(api, "MATCH (n:N) RETURN 'EXPLAIN' AS n")
    profiled = run(api, "PROFILE MATCH (n:N) RETURN n")
    assert len(profiled["rows"]) == 1 and profiled["plan"].startswith("Profile")


def test_http_refuses_load_csv_unless_an_import_dir_is_set(tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "people.csv").write_text("name\nAnn\n")
    query = {"query": "LOAD CSV WITH HEADERS FROM 'file:///people.csv' AS row RETURN row.name AS name"}
    refused = create_app(str(tmp_path / "a.db")).test_client().post("/api/v1/query", json=query)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "csv_file_refused"
    allowed = create_app(str(tmp_path / "b.db"), {"IMPORT_DIR": str(folder)}).test_client()
    answer = allowed.post("/api/v1/query", json=query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["rows"] == [["Ann"]]
