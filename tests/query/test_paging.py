"""SKIP and LIMIT in SQL, and reads answered by one statement: the same rows as the unpushed path."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb
from bfxdb.query import prepare
from bfxdb.query.operators import DirectReturn, OrderedLimit

from .test_compiler import NODE_COLUMNS
from .test_postgres_dialect import NODE as POSTGRES_NODE


def first_op(query: str):
    return prepare(query).plan.pipelines[0].ops[0]


@pytest.fixture
def people():
    """30 Person nodes (pid, name, age) and 10 Robot nodes, each Person KNOWS the next."""
    with bfxdb.connect() as db:
        db.query("UNWIND range(0, 29) AS i CREATE (:Person {pid: 'p' + toString(i), name: 'n' + toString(i), age: i})")
        db.query("UNWIND range(0, 9) AS i CREATE (:Robot {pid: 'r' + toString(i)})")
        db.query("MATCH (a:Person), (b:Person) WHERE b.age = a.age + 1 CREATE (a)-[:KNOWS]->(b)")
        db.query("CREATE INDEX FOR (n:Person) ON (n.pid)")
        yield db


class Statements:
    """Records what a store is asked to run: each SQL statement, and whether each run had a transaction."""

    def __init__(self, monkeypatch, store):
        self.sql: list[str] = []
        self.transactional: list[bool] = []
        execute, fetch_all, run_bounded = store.execute, store.fetch_all, store.run_bounded

        def recording_execute(sql, params=()):
            self.sql.append(sql)
            return execute(sql, params)

        def recording_fetch_all(sql, params=()):
            self.sql.append(sql)
            return fetch_all(sql, params)

        def recording_run_bounded(*args, transactional=True):
            self.transactional.append(transactional)
            return run_bounded(*args, transactional=transactional)

        monkeypatch.setattr(store, "execute", recording_execute)
        monkeypatch.setattr(store, "fetch_all", recording_fetch_all)
        monkeypatch.setattr(store, "run_bounded", recording_run_bounded)


# ---------------------------------------------------------------- the SQL


_PARAMETERS = (" LIMIT :pl OFFSET :po", " LIMIT NULLIF(%(pl)s, -1) OFFSET %(po)s")


@pytest.mark.parametrize(
    ("page", "on_sqlite", "on_postgres"),
    [
        ("SKIP 2 LIMIT 5", " LIMIT 5 OFFSET 2", " LIMIT 5 OFFSET 2"),
        ("LIMIT 5", " LIMIT 5 OFFSET 0", " LIMIT 5 OFFSET 0"),
        ("SKIP 2", " LIMIT -1 OFFSET 2", " OFFSET 2"),
        ("SKIP 20 LIMIT 5", " LIMIT 5 OFFSET 20", " LIMIT 5 OFFSET 20"),
        ("SKIP 20", " LIMIT -1 OFFSET 20", " OFFSET 20"),
        ("LIMIT 0", " LIMIT 0 OFFSET 0", " LIMIT 0 OFFSET 0"),
        ("SKIP $s LIMIT 5", *_PARAMETERS),
        ("LIMIT $n", *_PARAMETERS),
        ("SKIP 2 LIMIT $n", *_PARAMETERS),
        ("LIMIT 2 + 3", *_PARAMETERS),
    ],
)
def test_skip_and_limit_of_a_plain_return_go_into_sql_as_limit_and_offset(page, on_sqlite, on_postgres):
    # integers the query writes are written into the SQL; anything else is bound as parameters
    op = first_op(f"MATCH (n) RETURN n {page}")
    assert isinstance(op, DirectReturn)
    assert op.explain_sql() == f"SELECT {NODE_COLUMNS.format(a='n1')} FROM substrates AS n1{on_sqlite}"
    assert op.explain_sql("postgresql") == f"SELECT {POSTGRES_NODE.format(a='n1')} FROM substrates AS n1{on_postgres}"


@pytest.mark.parametrize("page", ["SKIP 2 LIMIT 3", "SKIP $s LIMIT $l", "SKIP 2 LIMIT $l", "LIMIT 0", "SKIP 9"])
def test_a_page_answers_alike_from_literals_and_from_parameters(people, page):
    query = f"MATCH (n:Person) RETURN n.name {page}"
    parameters = {"s": 2, "l": 3}
    assert people.query(query, parameters).rows == people.query(
        f"MATCH (n:Person) WITH n, 0 AS z RETURN n.name {page}", parameters
    ).rows


def test_a_page_of_one_label_skips_over_the_label_index_and_selects_only_the_metadata_column():
    op = first_op("MATCH (n:Person) RETURN n.name, id(n), n.age SKIP $skip LIMIT $limit")
    assert isinstance(op, DirectReturn)
    assert op.explain_sql() == (
        "SELECT n1.metadata, n1.identity FROM (SELECT node, label FROM substrate_labels WHERE label = :c3 "
        "LIMIT :pl OFFSET :po) AS l2 JOIN substrates AS n1 ON n1.node = l2.node"
    )


def test_a_short_page_of_one_label_reads_on_from_its_label_and_keeps_its_rows():
    op = first_op("MATCH (n:Person) RETURN n.name SKIP 20000 LIMIT 5")
    assert op.explain_sql() == (
        "SELECT n1.metadata FROM (SELECT node, label FROM substrate_labels WHERE label >= :c3 ORDER BY label, node "
        "LIMIT 5 OFFSET 20000) AS l2 JOIN substrates AS n1 ON n1.node = l2.node WHERE l2.label = :c3"
    )
    # past SHORT_PAGE rows, or without a LIMIT, the page could read on through the whole index
    assert "label = :c3 LIMIT 1001 OFFSET 2)" in first_op("MATCH (n:Person) RETURN n SKIP 2 LIMIT 1001").explain_sql()
    assert "label = :c3 LIMIT -1 OFFSET 2)" in first_op("MATCH (n:Person) RETURN n SKIP 2").explain_sql()


@pytest.mark.parametrize(
    "query",
    ["EXPLAIN MATCH (n:Person) RETURN n.name SKIP 3 LIMIT 2", "EXPLAIN MATCH (n:Person) RETURN n.name SKIP 3"],
)
def test_the_label_page_is_read_from_the_covering_label_index(people, query):
    plan = people.query(query).plan
    assert "SEARCH substrate_labels USING COVERING INDEX substrate_labels_by_label (label" in plan
    assert "USE TEMP B-TREE" not in plan  # the index gives the order


@pytest.mark.parametrize("label", ["A", "B", "C", "Missing"])
def test_a_page_of_one_label_is_exact_at_every_edge_of_its_entries(label):
    # A's entries come before B's and C's in the label index, C's after: a short page reads on
    # past its label's end into the next label's entries, and must keep none of them.
    counts = {"A": 3, "B": 7, "C": 4}
    with bfxdb.connect() as db:
        for name, count in counts.items():
            db.query(f"UNWIND range(1, {count}) AS i CREATE (:{name} {{i: i}})")
        for skip in range(0, 10):
            for limit in (0, 1, 2, 3, 5, 8, 1001):
                for page in (f"SKIP {skip} LIMIT {limit}", "SKIP $s LIMIT $l"):
                    query = f"MATCH (n:{label}) RETURN n.i {page}"
                    rows = db.query(query, {"s": skip, "l": limit}).rows
                    everything = [i for (i,) in db.query(f"MATCH (n:{label}) RETURN n.i").rows]
                    assert [i for (i,) in rows] == everything[skip : skip + limit], (query, skip, limit)


def test_a_label_page_with_a_property_test_keeps_the_limit_at_the_end():
    sql = first_op("MATCH (n:Person) WHERE n.age > 3 RETURN n.name SKIP 2 LIMIT 5").explain_sql()
    assert sql.endswith("LIMIT 5 OFFSET 2")
    assert "(SELECT node FROM substrate_labels" not in sql


def test_an_ordered_return_of_properties_selects_only_the_metadata_column():
    op = first_op("MATCH (n:Person) RETURN n.name, n.pid ORDER BY n.pid SKIP 1 LIMIT 3")
    assert isinstance(op, OrderedLimit)
    assert op.select == "n1.metadata"
    assert op.match.plan.render_ordered((), "n", "pid", op.select).startswith("SELECT n1.metadata, EXISTS (SELECT 1 ")


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3",
        "MATCH (n:Person) RETURN n.pid AS p, id(n) ORDER BY p LIMIT 3",
    ],
)
def test_an_ordered_return_of_the_ordered_property_alone_reads_the_order_value(query):
    op = first_op(query)
    assert isinstance(op, OrderedLimit)
    assert "n1.metadata" not in (op.select or "")
    sql = op.match.plan.render_ordered((), "n", "pid", op.select)
    assert sql.startswith("""SELECT json_extract(n1.metadata, '$."pid"')""")
    assert sql.count("ORDER BY json_extract(n1.metadata, '$.\"pid\"')") == 1


_AWKWARD = ["plain", "with \"quotes\"", "back\\slash", "caf\u00e9", "\U0001f98b", "", "tab\there", "[not a list", "{x"]


@pytest.mark.parametrize("container", [None, ["a", 1], {"k": "v"}])
def test_the_order_value_gives_the_strings_the_metadata_holds(container):
    """Escapes, non-ASCII and text that looks like JSON come back as stored; a list or map among the
    values still sends the query down the general path."""
    with bfxdb.connect() as db:
        for text in _AWKWARD:
            db.create_substrate(labels=["S"], metadata={"k": text, "other": 1})
        db.create_substrate(labels=["S"], metadata={"k": 7})
        if container is not None:
            db.create_substrate(labels=["S"], metadata={"k": container})
        for skip, limit in ((0, 1), (0, 3), (2, 4), (0, len(_AWKWARD) + 2)):
            parameters = {"s": skip, "l": limit}
            pushed = db.query("MATCH (n:S) RETURN n.k ORDER BY n.k SKIP $s LIMIT $l", parameters).rows
            reference = db.query(
                "MATCH (n:S) WITH n, 0 AS z RETURN n.k ORDER BY n.k SKIP $s LIMIT $l", parameters
            ).rows
            assert pushed == reference


def test_a_return_without_skip_or_limit_has_no_page():
    assert not first_op("MATCH (n:Person) RETURN n.name").explain_sql().endswith("OFFSET :po")


# ---------------------------------------------------------------- one statement, no transaction


@pytest.mark.parametrize(
    ("query", "parameters"),
    [
        ("MATCH (n) RETURN n LIMIT 5", {}),
        ("MATCH (n:Person {pid: $p}) RETURN n.name", {"p": "p3"}),
        ("MATCH (n:Person) RETURN n.name SKIP $skip LIMIT 5", {"skip": 20}),
        (
            "MATCH (a:Person {pid: $p})-[:KNOWS]->()-[:KNOWS]->(c:Person) WHERE c.age > $x RETURN c.pid",
            {"p": "p3", "x": 1},
        ),
        ("MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3", {}),
        ("MATCH (n:Person) RETURN n, n.age ORDER BY n.pid SKIP 2 LIMIT 3", {}),
        ("MATCH (n:Person) RETURN n.age, n.pid AS p ORDER BY p SKIP 2 LIMIT 3", {}),
        ("MATCH (n:Person) RETURN toUpper(n.pid) AS p ORDER BY n.pid LIMIT 3", {}),
    ],
)
def test_small_reads_run_as_one_statement_without_a_transaction(people, monkeypatch, query, parameters):
    expected = people.query(query, parameters).rows
    statements = Statements(monkeypatch, people.store)
    assert people.query(query, parameters).rows == expected
    assert len(statements.sql) == 1
    assert statements.transactional == [False]


def test_an_ordered_read_that_needs_the_store_again_is_run_again_in_a_transaction(people, monkeypatch):
    query = "MATCH (n:Person) RETURN n.pid, size([(n)-[:KNOWS]->(m) | m]) AS out ORDER BY n.pid LIMIT 3"
    statements = Statements(monkeypatch, people.store)
    rows = people.query(query).rows
    assert statements.transactional == [False, True]
    reference = people.query("MATCH (n:Person) WITH n, 0 AS z RETURN n.pid, size([(n)-[:KNOWS]->(m) | m]) AS out "
                             "ORDER BY n.pid LIMIT 3").rows
    assert rows == reference == [("p0", 1), ("p1", 1), ("p10", 1)]


def test_a_read_with_a_check_in_python_pages_in_python(people, monkeypatch):
    # a list never equals in SQL: the filter runs in Python, so OFFSET would skip unfiltered rows
    people.query("MATCH (n:Person) WHERE n.age < 4 SET n.tags = ['x']")
    statements = Statements(monkeypatch, people.store)
    rows = people.query("MATCH (n:Person {tags: $t}) RETURN n.age SKIP 1 LIMIT 2", {"t": ["x"]}).rows
    assert not any("OFFSET" in sql for sql in statements.sql)
    assert len(rows) == 2 and {age for (age,) in rows} <= {0, 1, 2, 3}


@pytest.mark.parametrize(("clause", "value"), [("SKIP", -1), ("LIMIT", -2), ("SKIP", 1.5), ("LIMIT", "3")])
def test_a_bad_skip_or_limit_fails_as_on_the_general_path(people, clause, value):
    with pytest.raises(bfxdb.QueryError) as pushed:
        people.query(f"MATCH (n:Person) RETURN n.name {clause} $x", {"x": value})
    with pytest.raises(bfxdb.QueryError) as general:
        people.query(f"MATCH (n:Person) WITH n, 0 AS z RETURN n.name {clause} $x", {"x": value})
    assert (type(pushed.value), str(pushed.value)) == (type(general.value), str(general.value))


# ---------------------------------------------------------------- the same rows as the unpushed path


def test_skip_edge_cases_give_the_rows_of_the_unpushed_path(people):
    everyone = Counter(people.query("MATCH (n:Person) WITH n, 0 AS z RETURN n.name").rows)
    for skip, limit, size in [(0, 5, 5), (28, 5, 2), (30, 5, 0), (1000, 5, 0), (0, 0, 0), (5, None, 25)]:
        page = "" if limit is None else f" LIMIT {limit}"
        rows = people.query(f"MATCH (n:Person) RETURN n.name SKIP $skip{page}", {"skip": skip}).rows
        assert len(rows) == size
        assert not Counter(rows) - everyone


def test_pages_of_a_pushed_skip_cover_every_row_once(people):
    pages = [people.query("MATCH (n:Person) RETURN n.pid SKIP $s LIMIT 7", {"s": s}).rows for s in range(0, 35, 7)]
    assert sorted(row for page in pages for row in page) == sorted(
        people.query("MATCH (n:Person) WITH n, 0 AS z RETURN n.pid").rows
    )


def test_skip_with_order_by_gives_the_rows_of_the_unpushed_path(people):
    for skip in (0, 3, 29, 30, 40):
        pushed = people.query("MATCH (n:Person) RETURN n.pid, n.age ORDER BY n.pid SKIP $s LIMIT 4", {"s": skip}).rows
        reference = people.query(
            "MATCH (n:Person) WITH n, 0 AS z RETURN n.pid, n.age ORDER BY n.pid SKIP $s LIMIT 4", {"s": skip}
        ).rows
        assert pushed == reference


def test_skip_with_a_where_that_cannot_be_pushed_gives_the_rows_of_the_unpushed_path(people):
    query = "MATCH (n:Person) WHERE toUpper(n.name) STARTS WITH 'N1' RETURN n.name SKIP 2 LIMIT 3"
    assert not isinstance(first_op(query), DirectReturn)
    rows = people.query(query).rows
    everyone = Counter(people.query("MATCH (n:Person) WHERE toUpper(n.name) STARTS WITH 'N1' RETURN n.name").rows)
    assert len(rows) == 3 and not Counter(rows) - everyone


_VALUES = st.one_of(st.sampled_from(["a", "b", ""]), st.integers(-2, 2), st.booleans(), st.none(),
                    st.lists(st.sampled_from(["a", 1]), max_size=2))
small_graphs = st.integers(min_value=0, max_value=7).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.sampled_from(["A", "B"]), _VALUES), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))), max_size=8 if n else 0),
    )
)
_QUERIES = [
    "MATCH (n:A) RETURN n.p {page}",
    "MATCH (n) RETURN n, id(n), n.p {page}",
    "MATCH (n:A {p: $v}) RETURN n.p {page}",
    "MATCH (a)-[r:K]->(b) RETURN a.p, r, b.p {page}",
    "MATCH (a)-[:K]->()-[:K]->(c:A) WHERE c.p = $v RETURN c.p {page}",
    "MATCH (a:A)-[:K*1..2]->(c) RETURN c.p {page}",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=small_graphs, query=st.sampled_from(_QUERIES), value=_VALUES, skip=st.integers(0, 9),
       limit=st.one_of(st.none(), st.integers(0, 4)))
def test_a_pushed_page_is_a_page_of_the_unpushed_rows(graph, query, value, skip, limit):
    nodes, edges = graph
    with bfxdb.connect() as db:
        ids = [db.create_substrate(labels=[label], metadata={"p": p}).identity for label, p in nodes]
        for source, target in edges:
            db.create_relationship(ids[source], ids[target], "K")
        page = f"SKIP $skip{'' if limit is None else ' LIMIT $limit'}"
        pushed = query.replace("{page}", page)
        assert isinstance(first_op(pushed), DirectReturn)
        parameters = {"v": value, "skip": skip, "limit": limit}
        got = db.query(pushed, parameters).rows
        # the reference: WITH * keeps the match out of SQL's reach, so SKIP and LIMIT run in Python
        everything = db.query(query.replace(" RETURN", " WITH * RETURN").replace("{page}", ""), parameters).rows
        expected = max(0, len(everything) - skip) if limit is None else min(limit, max(0, len(everything) - skip))
        assert len(got) == expected
        assert not Counter(map(repr, got)) - Counter(map(repr, everything))
