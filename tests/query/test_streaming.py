"""Streaming execution: LIMIT stops the work upstream, aggregates keep bounded state, top-k, Database.stream."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bfxdb

NODES = 20_000


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory):
    """A file of 20,000 nodes in a ring: each node has one relationship to the next."""
    path = tmp_path_factory.mktemp("streaming") / "big.db"
    with bfxdb.connect(path) as database:
        database.bulk_load(
            ({"identity": index + 1, "labels": ["N"], "metadata": {"i": index}} for index in range(NODES)),
            (
                {"identity": index + 1, "source": index + 1, "target": (index + 1) % NODES + 1, "rel_type": "NEXT"}
                for index in range(NODES)
            ),
        )
    return path


def rows_read_from_sql(database: bfxdb.Database, monkeypatch, text: str) -> tuple[bfxdb.Result, int]:
    """Run a query, counting the rows its SQL cursors handed to Python."""
    store = database.store
    execute = store.execute
    read = 0

    def counting(sql, params=()):
        nonlocal read
        for row in execute(sql, params):
            read += 1
            yield row

    fetch_all = store.fetch_all

    def counting_all(sql, params=()):
        nonlocal read
        rows = fetch_all(sql, params)
        read += len(rows)
        return rows

    monkeypatch.setattr(store, "execute", counting)
    monkeypatch.setattr(store, "fetch_all", counting_all)
    result = database.query(text)
    monkeypatch.undo()
    return result, read


@pytest.mark.parametrize(
    "text, expected",
    [
        ("MATCH (n) RETURN n LIMIT 5", 5),
        ("MATCH (n:N) RETURN n.i AS i SKIP 2 LIMIT 3", 3),
        ("MATCH (a)-->()-->(c) RETURN c LIMIT 3", 3),
        ("MATCH (n) WITH n LIMIT 4 MATCH (n)-->(m) RETURN m", 4),
        ("MATCH (n) RETURN DISTINCT n.i % 3 AS k LIMIT 3", 3),
    ],
)
def test_limit_stops_reading_rows_from_sql(big_graph, monkeypatch, text, expected):
    with bfxdb.connect(big_graph) as database:
        result, read = rows_read_from_sql(database, monkeypatch, text)
    assert len(result.rows) == expected
    # a handful of rows, not a pass over the 20,000 nodes
    assert read <= 20


def test_a_pattern_predicate_stops_at_its_first_match(big_graph, monkeypatch):
    with bfxdb.connect(big_graph) as database:
        result, read = rows_read_from_sql(database, monkeypatch, "MATCH (n) WHERE exists((n)-->()) RETURN n.i LIMIT 2")
    assert len(result.rows) == 2 and read <= 10


def test_count_over_two_unwinds_keeps_constant_memory():
    # count(b) reads every row (a bare count(*) would count the lists without making rows)
    text = "UNWIND range(1, 1000) AS a UNWIND range(1, 1000) AS b RETURN count(b) AS rows"
    with bfxdb.connect() as database:
        database.query("EXPLAIN " + text)  # build the parser and the plan outside the measurement
        tracemalloc.start()
        try:
            result = database.query(text)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert result.rows == [(1_000_000,)]
    # a million rows held at once would take hundreds of megabytes
    assert peak < 10_000_000


def test_aggregates_without_grouping_keys_still_answer_for_no_rows(db):
    assert db.query("UNWIND [] AS x RETURN count(*) AS n, sum(x) AS s, collect(x) AS c").rows == [(0, 0, [])]
    assert db.query("UNWIND [1, null, 3] AS x RETURN count(*), count(x), sum(x), max(x)").rows == [(3, 2, 4, 3)]
    text = "UNWIND range(1, 300) AS a UNWIND range(1, 300) AS b RETURN count(*), count(DISTINCT b), sum(a)"
    assert db.query(text).rows == [(90_000, 300, 300 * 45_150)]


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.integers(min_value=0, max_value=4), max_size=40),
    skip=st.integers(min_value=0, max_value=5),
    limit=st.integers(min_value=0, max_value=45),
    descending=st.booleans(),
)
def test_order_by_with_limit_equals_the_full_sort_cut_short(keys, skip, limit, descending):
    rows = [{"k": key, "i": index} for index, key in enumerate(keys)]
    direction = "DESC" if descending else "ASC"
    base = f"UNWIND $rows AS r RETURN r.k AS k, r.i AS i ORDER BY k {direction}"
    with bfxdb.connect() as database:
        full = database.query(base, {"rows": rows}).rows
        cut = database.query(base + " SKIP $skip LIMIT $limit", {"rows": rows, "skip": skip, "limit": limit}).rows
    assert cut == full[skip : skip + limit]
    # ties keep their input order, as a stable sort does
    assert full == sorted(((row["k"], row["i"]) for row in rows), key=lambda row: -row[0] if descending else row[0])


def test_writes_run_to_the_end_whatever_is_pulled(db):
    assert db.query("UNWIND range(1, 3) AS x CREATE (n:W) RETURN n LIMIT 0").stats["nodes_created"] == 3
    assert db.query("MATCH (n:W) CREATE (:W) RETURN count(*) AS c").rows == [(3,)]
    assert db.query("MATCH (n:W) RETURN count(n)").scalar() == 6


# ---------------------------------------------------------------- Database.stream


def test_stream_yields_rows_as_pulled_and_counts_them(big_graph, monkeypatch):
    with bfxdb.connect(big_graph) as database:
        with database.stream("MATCH (n:N) RETURN n.i AS i") as stream:
            rows = stream.tuples()
            first = [next(rows) for _ in range(3)]
            assert stream.row_count == 3 and stream.columns == ["i"]
            assert len(first) == 3 and all(isinstance(row[0], int) for row in first)
            assert sum(1 for _ in rows) == NODES - 3
        assert stream.row_count == NODES


def test_a_half_read_stream_blocks_no_writer_and_keeps_its_snapshot(big_graph):
    with bfxdb.connect(big_graph) as reader, bfxdb.connect(big_graph, timeout=0.5) as writer:
        with reader.stream("MATCH (n:N) RETURN n") as stream:
            rows = stream.tuples()
            next(rows)
            started = time.monotonic()
            writer.query("CREATE (:N {i: -1})")
            assert time.monotonic() - started < 0.5
            assert 1 + sum(1 for _ in rows) == NODES
        assert writer.query("MATCH (n:N {i: -1}) DELETE n").stats["nodes_deleted"] == 1


def test_closing_a_stream_ends_its_transaction(file_db, db_path):
    file_db.query("UNWIND range(1, 10) AS x CREATE (:T {x: x})")
    stream = file_db.stream("MATCH (n:T) RETURN n.x")
    next(stream.tuples())
    stream.close()
    # were the read transaction still open, this write would nest in it and stay uncommitted
    file_db.query("CREATE (:T {x: 11})")
    with bfxdb.connect(db_path) as other:
        assert other.query("MATCH (n:T) RETURN count(*)").scalar() == 11


def test_a_streams_time_limit_counts_while_rows_are_pulled(file_db):
    stream = file_db.stream("UNWIND range(1, 100000) AS x RETURN x", timeout=0.3)
    rows = stream.tuples()
    assert next(rows) == (1,)
    time.sleep(0.4)
    with pytest.raises(bfxdb.QueryTimeout):
        for _ in rows:
            pass
    # the limit was the stream's own: the next query runs under the database's
    assert file_db.query("RETURN 1").scalar() == 1


def test_a_writing_stream_has_committed_before_its_first_row(file_db, db_path):
    with file_db.stream("UNWIND range(1, 3) AS x CREATE (n:S {x: x}) RETURN n.x AS x") as stream:
        assert stream.stats["nodes_created"] == 3
        with bfxdb.connect(db_path) as other:
            assert other.query("MATCH (n:S) RETURN count(*)").scalar() == 3
        assert [row["x"] for row in stream] == [1, 2, 3]


def test_stream_errors_come_with_the_pull_that_meets_them(db):
    with pytest.raises(bfxdb.QuerySyntaxError):
        db.stream("RETURN")
    stream = db.stream("UNWIND [1, 0] AS x RETURN 1 / x AS y")
    rows = stream.tuples()
    assert next(rows) == (1,)
    with pytest.raises(bfxdb.QueryArgumentError):
        next(rows)
    with pytest.raises(bfxdb.ReadOnlyError):
        db.stream("CREATE ()", read_only=True)


def test_writes_made_while_a_stream_is_open_outlive_its_early_close(file_db, db_path):
    file_db.query("UNWIND range(1, 5) AS x CREATE (:R {x: x})")
    with file_db.stream("MATCH (n:R) RETURN n.x AS x") as stream:
        for row in stream:
            file_db.query("CREATE (:Copy {x: $x})", {"x": row["x"]})
            if stream.row_count == 2:
                break
    with bfxdb.connect(db_path) as other:
        assert other.query("MATCH (n:Copy) RETURN count(*)").scalar() == 2


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (n:N) RETURN n",
        "MATCH (n:N) RETURN id(n) AS i",
        "MATCH (n:N) RETURN count(n) AS c",
        "MATCH (n:N)-->(m) WHERE n.i < 50 RETURN n.i AS i, m ORDER BY i",
        "MATCH (n:N) WHERE n.i < 5 RETURN n.i AS i UNION MATCH (n:N) WHERE n.i < 8 RETURN n.i AS i",
    ],
)
def test_a_stream_gives_the_rows_query_gives(big_graph, text):
    with bfxdb.connect(big_graph) as database:
        with database.stream(text) as stream:
            streamed = list(stream.tuples())
        assert streamed == database.query(text).rows
