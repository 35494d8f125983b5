"""A projection that only counts rows counts an UNWIND's lists without building its rows: the same answers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb.query import prepare
from bfxdb.query.operators import CountedUnwind, UnwindOp


def ops(query: str) -> list:
    return list(prepare(query).plan.pipelines[0].ops)


def test_an_unwind_feeding_count_star_is_counted():
    assert [type(op) for op in ops("UNWIND range(1, $n) AS x UNWIND range(1, $n) AS y RETURN count(*)")] == [
        UnwindOp,
        CountedUnwind,
    ]


@pytest.mark.parametrize(
    "query",
    [
        "UNWIND $l AS x RETURN count(x)",  # count(x) skips nulls: it must see the rows
        "UNWIND $l AS x RETURN x, count(*)",  # a grouping key
        "UNWIND $l AS x RETURN count(*), sum(1)",
        "UNWIND $l AS x WITH x RETURN count(*)",
    ],
)
def test_a_projection_that_reads_the_rows_is_not_counted(query):
    assert not any(isinstance(op, CountedUnwind) for op in ops(query))


def test_explain_says_the_rows_are_counted(db):
    plan = db.query("EXPLAIN UNWIND [1, 2] AS x RETURN count(*)").plan
    assert "Unwind -> x\n  Counted: the rows are counted, not built\nReturn count(*)" in plan


_ITEMS = st.one_of(st.none(), st.integers(0, 3), st.lists(st.one_of(st.none(), st.integers(0, 3)), max_size=4))

# (counted, reference): the reference puts a WITH between the UNWIND and the count, so every row is built
_PAIRS = [
    ("UNWIND $l AS x RETURN count(*)", "UNWIND $l AS x WITH x RETURN count(*)"),
    ("UNWIND $l AS x UNWIND x AS y RETURN count(*)", "UNWIND $l AS x UNWIND x AS y WITH y RETURN count(*)"),
    (
        "UNWIND $l AS x UNWIND x AS y RETURN count(*) AS a, count(*) + 1 AS b",
        "UNWIND $l AS x UNWIND x AS y WITH y RETURN count(*) AS a, count(*) + 1 AS b",
    ),
    (
        "UNWIND $l AS x UNWIND x AS y WITH count(*) AS c WHERE c > 2 RETURN c",
        "UNWIND $l AS x UNWIND x AS y WITH y WITH count(*) AS c WHERE c > 2 RETURN c",
    ),
    (
        "UNWIND $l AS x RETURN count(*) AS c ORDER BY c SKIP $s LIMIT 1",
        "UNWIND $l AS x WITH x RETURN count(*) AS c ORDER BY c SKIP $s LIMIT 1",
    ),
    ("MATCH (n) UNWIND $l AS x RETURN count(*)", "MATCH (n) UNWIND $l AS x WITH x RETURN count(*)"),
    ("UNWIND $l AS x UNWIND $l AS y RETURN count(*)", "UNWIND $l AS x UNWIND $l AS y WITH y RETURN count(*)"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=st.sampled_from(_PAIRS), items=st.one_of(_ITEMS, st.lists(_ITEMS, max_size=5)),
       nodes=st.integers(0, 2), skip=st.integers(0, 1))
def test_a_counted_unwind_gives_the_count_of_its_rows(pair, items, nodes, skip):
    counted, reference = pair
    assert any(isinstance(op, CountedUnwind) for op in ops(counted))
    with bfxdb.connect() as db:
        for _ in range(nodes):
            db.create_substrate()
        parameters = {"l": items, "s": skip}
        try:
            want = db.query(reference, parameters).rows
        except bfxdb.QueryError as error:
            with pytest.raises(type(error)):
                db.query(counted, parameters)
            return
        assert db.query(counted, parameters).rows == want


def test_a_counted_unwind_stops_at_the_time_limit(db):
    with pytest.raises(bfxdb.QueryTimeout):
        db.query("UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y RETURN count(*)", timeout=0.3)


def test_a_counted_unwind_keeps_the_memory_budget(db):
    with pytest.raises(bfxdb.QueryLimitExceeded):
        db.query("UNWIND [1, 2] AS x UNWIND range(1, 1000000) AS y RETURN count(*)", memory=1 << 20)
