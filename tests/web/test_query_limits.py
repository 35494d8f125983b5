"""POST /query past a limit: the memory budget (422), the time limit (504), SQL too complex (400), odd keys."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from .helpers import API, assert_error

DOUBLING = "RETURN size(reduce(acc = [1], i IN range(1, 40) | acc + acc)) AS n"
NESTING = "RETURN reduce(acc = [1], i IN range(1, 40) | [acc, acc]) AS n"


@pytest.mark.parametrize("query", [DOUBLING, NESTING])
def test_self_doubling_lists_stop_fast_with_the_error_shape(api, api_db, query):
    tracemalloc.start()
    try:
        started = time.monotonic()
        response = api.post(f"{API}/query", json={"query": query, "timeout_ms": 2000})
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = assert_error(response, 422, "query_limit")
    assert body["category"] == "LimitExceeded"
    assert "memory budget of 512 MiB" in body["detail"] or "over the limit of 10,000,000" in body["detail"]
    assert elapsed < 5 and peak < 1 << 30
    assert len(response.get_data()) < 1000
    # the process stays healthy: the next query answers
    assert api.post(f"{API}/query", json={"query": "RETURN 1 AS one"}).get_json()["rows"] == [[1]]


def test_the_server_budget_is_a_setting_in_mib(make_api):
    small = make_api(QUERY_MEMORY=1)
    response = small.post(f"{API}/query", json={"query": "RETURN size(range(1, 100000)) AS n"})
    assert "memory budget of 1 MiB" in assert_error(response, 422, "query_limit")["detail"]
    roomy = make_api(QUERY_MEMORY=64)
    assert roomy.post(f"{API}/query", json={"query": "RETURN size(range(1, 100000)) AS n"}).status_code == 200


def test_nothing_is_written_past_the_budget(make_api, api_db):
    small = make_api(QUERY_MEMORY=1)
    query = "CREATE (:Doomed) WITH 1 AS one RETURN size(range(1, 100000)) AS n"
    assert_error(small.post(f"{API}/query", json={"query": query}), 422, "query_limit")
    assert api_db.count_substrates() == 0


def test_python_side_work_is_a_504_within_the_limit(api):
    started = time.monotonic()
    response = api.post(
        f"{API}/query", json={"query": "RETURN size([x IN range(1, 5000000) | x + 1]) AS n", "timeout_ms": 300}
    )
    assert_error(response, 504, "query_timeout")
    assert time.monotonic() - started < 2


def test_sql_too_complex_to_plan_is_a_400_with_the_reason(api):
    api.post(f"{API}/query", json={"query": "CREATE (:P)"})
    query = "MATCH p = (n)" + "-->()" * 70 + " RETURN count(*) AS c"
    body = assert_error(api.post(f"{API}/query", json={"query": query}), 400, "query_too_complex")
    assert "at most 64 tables in a join" in body["reason"] and "WITH" in body["detail"]


@pytest.mark.parametrize("key", ['a"b', "a\x00b", "a\\b", "a\x01b"])
def test_a_metadata_filter_on_an_odd_key_finds_its_substrate(api, key):
    name = "`" + key + "`"
    api.post(f"{API}/query", json={"query": f"CREATE (:K {{{name}: 1}})"})
    response = api.post(f"{API}/query", json={"query": f"MATCH (n) WHERE n.{name} = 1 RETURN count(n) AS c"})
    assert response.get_json()["rows"] == [[1]]
