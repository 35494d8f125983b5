"""The PostgreSQL backend's own behaviour: its schema, what it refuses, its errors, and many writers at once."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading

import pytest

import bfxdb
from bfxdb.storage import SCHEMA_VERSION

psycopg = pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")

#: How many processes write at once in the many-writers tests, and what each writes.
WRITERS = 4
PER_WRITER = 150


def _raw(url: str):
    """A plain psycopg connection to the test schema, as psql would see it."""
    base, _, schema = url.rpartition("schema=")
    connection = psycopg.connect(base.rstrip("?&"), autocommit=True)
    connection.execute(f'SET search_path TO "{schema}"')
    return connection


def test_the_schema_lives_in_its_own_postgresql_schema_with_a_version_table(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        assert db.schema_version() == SCHEMA_VERSION
    schema = postgres_url.rpartition("schema=")[2]
    with _raw(postgres_url) as raw:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
        tables = {row[0] for row in raw.execute(sql, (schema,))}
        assert {"substrates", "relationships", "substrate_labels", "names", "schema_version"} <= tables
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_opening_again_keeps_the_data_and_a_second_schema_is_another_database(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        made = db.create_substrate(metadata={"kept": True})
    with bfxdb.connect(postgres_url) as db:
        assert db.get_substrate(made.identity).metadata == {"kept": True}
    other = postgres_url + "_other"
    try:
        with bfxdb.connect(other) as db:
            assert db.count_substrates() == 0
    finally:
        with _raw(postgres_url) as raw:
            raw.execute(f'DROP SCHEMA IF EXISTS "{other.rpartition("schema=")[2]}" CASCADE')


def test_readable_views_show_hex_ids_labels_and_times(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        a = db.create_substrate(identity=2**64 - 1, labels=["B", "A"], metadata={"n": 1})
        b = db.create_substrate(identity=5)
        rel = db.create_relationship(a.identity, b.identity, "KNOWS")
    with _raw(postgres_url) as raw:
        row = raw.execute("SELECT substrate_id, labels, metadata, created_at FROM substrates_readable "
                          "WHERE substrate_id = '0xFFFFFFFFFFFFFFFF'").fetchone()
        assert row[:3] == ("0xFFFFFFFFFFFFFFFF", ["A", "B"], {"n": 1})
        assert row[3].isoformat(timespec="microseconds").startswith(a.created_at[:26])
        assert raw.execute("SELECT relationship_id, rel_type, source_id, target_id FROM relationships_readable"
                           ).fetchall() == [(bfxdb.format_id(rel.identity), "KNOWS", "0xFFFFFFFFFFFFFFFF",
                                             "0x0000000000000005")]


def test_a_delete_in_psql_takes_the_substrates_relationships_with_it(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        a, b = db.create_substrate(), db.create_substrate()
        db.create_relationship(a.identity, b.identity, "T")
        with _raw(postgres_url) as raw:
            raw.execute("DELETE FROM substrates")
        assert db.count_relationships() == 0


def test_cypher_runs_on_the_server(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(labels=["P"])
        assert db.query("MATCH (n) RETURN count(n)").rows == [(1,)]
        assert db.query("RETURN 1 AS one").rows == [(1,)]
        assert [row["n"].labels for row in db.stream("MATCH (n) RETURN n")] == [("P",)]


#: Every algorithm with the options its result depends on; each is run on both backends.
ALGORITHM_CALLS = (
    ("pagerank", {}), ("pagerank", {"weight_property": "w", "relationship_types": ["A"]}),
    ("personalized_pagerank", {"source_nodes": [1]}), ("wcc", {}), ("scc", {}),
    ("wcc", {"node_labels": ["P"]}), ("kcore", {}), ("triangle_count", {}), ("local_clustering_coefficient", {}),
    ("betweenness", {}), ("closeness", {}), ("degree", {"weight_property": "w"}),
    ("dijkstra", {"source_node": 1, "target_node": 6, "weight_property": "w"}),
    ("astar", {"source_node": 1, "target_node": 6, "weight_property": "w", "heuristic_property": "h"}),
    ("all_shortest_paths", {"source_node": 2}), ("bfs", {"source_node": 1, "max_depth": 2}),
)


def _algorithm_graph(db) -> None:
    # node numbers with a gap (7 deleted) and a projection by label take the mapped paths too
    db.bulk_load(
        [{"identity": n, "labels": ["P"] if n % 3 else ["Q"], "metadata": {"h": 0.5 * n}} for n in range(1, 9)],
        [{"source": s, "target": t, "rel_type": "A" if (s + t) % 2 else "B", "metadata": {"w": 1.5 + s}}
         for s, t in ((1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4), (2, 6), (8, 1), (8, 8))],
    )
    db.delete_substrate(7)


def test_graph_algorithms_give_the_same_answers_on_both_backends(postgres_url):
    pytest.importorskip("igraph")
    with bfxdb.connect(postgres_url) as on_postgres, bfxdb.connect(":memory:") as on_sqlite:
        for db in (on_postgres, on_sqlite):
            _algorithm_graph(db)
        for name, options in ALGORITHM_CALLS:
            theirs = dict(getattr(on_sqlite.algorithms, name)(**options))
            ours = dict(getattr(on_postgres.algorithms, name)(**options))
            assert ours.keys() == theirs.keys(), name
            for node, value in theirs.items():
                assert ours[node] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, node)
        written = on_postgres.algorithms.pagerank(write="rank").written
        assert written == 7
        scores = dict(on_postgres.algorithms.pagerank())
        stored = {row[0]: row[1] for row in on_postgres.query("MATCH (n) RETURN id(n), n.rank").rows}
        assert stored == scores, "written back as the same floats"
        assert on_postgres.query("CALL algo.wcc({}) YIELD node RETURN count(node)").rows == [(7,)]


def test_a_schema_holding_other_tables_is_refused_and_left_alone(postgres_url):
    schema = postgres_url.rpartition("schema=")[2]
    with _raw(postgres_url) as raw:
        raw.execute(f'CREATE SCHEMA "{schema}"')
        raw.execute(f'CREATE TABLE "{schema}".invoices (id int)')
    with pytest.raises(bfxdb.ForeignDatabase, match="invoices"):
        bfxdb.connect(postgres_url)
    with _raw(postgres_url) as raw:
        assert raw.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                           (schema,)).fetchone() == (1,)


def test_a_missing_schema_is_not_made_read_only_or_without_create(postgres_url):
    for options in ({"read_only": True}, {"create": False}):
        with pytest.raises(bfxdb.StorageError, match="no bfxdb schema"):
            bfxdb.connect(postgres_url, **options)


def test_read_only_refuses_writes_from_the_api_and_from_sql(postgres_url):
    bfxdb.connect(postgres_url).close()
    with bfxdb.connect(postgres_url, read_only=True) as db:
        with pytest.raises(bfxdb.ReadOnlyError):
            db.create_substrate()
        # the session is read-only too (default_transaction_read_only), not only the API
        with pytest.raises(bfxdb.ReadOnlyError):
            db.store.execute("INSERT INTO names (name) VALUES ('x')")


def test_floats_written_with_an_exponent_stay_floats(postgres_url):
    metadata = {"big": 1e16, "huge": 1.5e300, "tiny": 5e-324, "small": -2.5e-7, "text": "1e5", "list": [1e20, 3]}
    with bfxdb.connect(postgres_url) as db:
        made = db.create_substrate(identity=3, metadata=metadata)
        db.bulk_load([{"identity": 7, "metadata": metadata}])
        for identity in (made.identity, 7):
            loaded = db.get_substrate(identity).metadata
            assert loaded == metadata
            assert [type(value) for value in loaded["list"]] == [float, int] and type(loaded["big"]) is float
        assert [s.identity for s in db.find_substrates(metadata={"big": 1e16})] == sorted([made.identity, 7])


def test_metadata_equality_tells_integers_from_floats(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        one = db.create_substrate(metadata={"v": 1})
        db.create_substrate(metadata={"v": 1.0})
        db.create_substrate(metadata={"v": True})
        assert [s.identity for s in db.find_substrates(metadata={"v": 1})] == [one.identity]


def test_a_generated_relationship_identity_comes_after_one_given(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        a, b = db.create_substrate(), db.create_substrate()
        db.bulk_load(relationships=[{"identity": 1000, "source": a.identity, "target": b.identity, "rel_type": "T"}])
        assert db.create_relationship(a.identity, b.identity, "T").identity == 1001


def test_a_row_locked_past_the_timeout_is_database_busy(postgres_url):
    with bfxdb.connect(postgres_url) as holder, bfxdb.connect(postgres_url, timeout=0.3) as waiter:
        made = holder.create_substrate()
        with holder.transaction():
            holder.update_substrate(made.identity, metadata={"by": "holder"})
            with pytest.raises(bfxdb.DatabaseBusy, match="nothing was written"):
                waiter.update_substrate(made.identity, metadata={"by": "waiter"})
        assert waiter.get_substrate(made.identity).metadata == {"by": "holder"}


def test_a_failed_write_inside_a_transaction_undoes_only_itself(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        first = db.create_substrate(identity=1)
        with db.transaction():
            with pytest.raises(bfxdb.Conflict):
                db.create_substrate(identity=1)
            db.create_substrate(identity=2)
        assert {s.identity for s in db.find_substrates()} == {first.identity, 2}


def test_threads_each_have_their_own_transactions(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        errors: list[BaseException] = []

        def write(start: int) -> None:
            try:
                for i in range(start, start + 50):
                    with db.transaction():
                        db.create_substrate(identity=i)
            except BaseException as error:  # noqa: BLE001 - reported by the assert below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(1 + 100 * n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors and db.count_substrates() == 150


def _writer(url: str, number: int, start) -> None:
    """One writer process: creates its substrates one by one, each linked to a shared hub, then bulk-loads more."""
    with bfxdb.connect(url) as db:
        start.wait()
        hub = db.get_substrate(1)
        for i in range(PER_WRITER):
            made = db.create_substrate(labels=["W"], metadata={"writer": number, "i": i})
            db.create_relationship(made.identity, hub.identity, "TO_HUB", {"writer": number})
        base = 10_000 * (number + 1)
        db.bulk_load(
            [{"identity": base + i, "labels": ["B"], "metadata": {"writer": number}} for i in range(PER_WRITER)],
            [{"source": base + i, "target": 1, "rel_type": "LOADED"} for i in range(PER_WRITER)],
        )


def test_several_processes_write_at_once_without_losing_or_repeating_rows(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(identity=1, labels=["Hub"])
        context = multiprocessing.get_context("spawn")
        start = context.Event()
        workers = [context.Process(target=_writer, args=(postgres_url, n, start)) for n in range(WRITERS)]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(120)
        assert [worker.exitcode for worker in workers] == [0] * WRITERS
        assert db.count_substrates() == 1 + 2 * WRITERS * PER_WRITER
        assert db.count_relationships() == 2 * WRITERS * PER_WRITER
        per_writer = {}
        for substrate in db.find_substrates(label="W"):
            per_writer.setdefault(substrate.metadata["writer"], set()).add(substrate.metadata["i"])
        assert per_writer == {n: set(range(PER_WRITER)) for n in range(WRITERS)}
        incoming = db.incoming(1)
        assert len(incoming) == len({rel.identity for rel in incoming}) == 2 * WRITERS * PER_WRITER
        nodes = [row[0] for row in db.store.execute("SELECT node FROM substrates")]
        assert len(nodes) == len(set(nodes))


def test_stats_property_keys_check_and_a_snapshot_scan(postgres_url):
    from bfxdb import maintenance

    with bfxdb.connect(postgres_url) as db:
        a = db.create_substrate(labels=["P"], metadata={"name": "a"})
        b = db.create_substrate("constant", "42", metadata={"age": 3})
        db.create_relationship(a.identity, b.identity, "KNOWS", {"since": 2020})
        stats = maintenance.graph_stats(db)
        assert (stats.substrates, stats.relationships, stats.labels, stats.unlabelled) == (2, 1, {"P": 1}, 1)
        assert stats.rel_types == {"KNOWS": 1} and stats.expressions == {"constant": 1} and stats.file_bytes > 0
        assert maintenance.property_keys(db) == {"substrates": ["age", "name"], "relationships": ["since"]}
        assert maintenance.check(db).ok
        with db.snapshot():
            # identity order is the stored signed order, as in SQLite, so the same as find_substrates'
            assert [s.identity for s in db.iter_substrates()] == [s.identity for s in db.find_substrates()]
            assert {s.identity for s in db.iter_substrates()} == {a.identity, b.identity}
            assert [r.rel_type for r in db.iter_relationships()] == ["KNOWS"]
        # a relationship whose target is gone: only a delete with the cascade trigger off leaves one
        signed = b.identity - 2**64 if b.identity >= 2**63 else b.identity
        with _raw(postgres_url) as raw:
            raw.execute("ALTER TABLE substrates DISABLE TRIGGER substrates_cascade")
            raw.execute("DELETE FROM substrates WHERE identity = %s", (signed,))
        report = maintenance.check(db)
        assert report.problems == {"orphan relationships": 1}


def test_a_thread_may_begin_with_a_bulk_insert_of_the_store(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        failed: list[BaseException] = []

        def load() -> None:
            try:
                db.store.bulk_insert([(5, None, None, "{}", 0)], [(5, "L")], [(None, 5, 5, "SELF", "{}", 0, 0)])
            except BaseException as error:  # noqa: BLE001 - reported by the assert below
                failed.append(error)

        thread = threading.Thread(target=load)
        thread.start()
        thread.join()
        assert not failed
        assert db.get_substrate(5).labels == ("L",) and [r.rel_type for r in db.outgoing(5)] == ["SELF"]


def test_search_indexes_are_refused_naming_the_feature(postgres_url):
    from bfxdb.storage import SearchIndex

    with bfxdb.connect(postgres_url) as db:
        assert db.store.search_indexes() == [] and not db.store.drop_search_index("none")
        index = SearchIndex(name="i", kind="FULLTEXT", entity_type="NODE", labels=("P",), properties=("name",))
        with pytest.raises(bfxdb.NotSupported, match="full-text and vector indexes") as caught:
            db.store.create_fulltext_index(index)
        assert caught.value.details == {"feature": "search indexes"}


def _deadlock(postgres_url: str, write) -> list:
    """Run ``write`` (which deletes substrate 1) while another session locks its relationship, then the substrate.

    delete_substrate locks the substrate, then its relationships; the other session takes them the
    other way round. The delete waits first, so the server tells it of the cycle and rolls it back.
    Returns what ``write`` returned or raised.
    """
    import psycopg

    url, schema = postgres_url.split("?schema=")
    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(identity=1)
        db.create_substrate(identity=2)
        db.bulk_load(relationships=[{"identity": 9, "source": 1, "target": 2, "rel_type": "R"}])
    outcome: list = []
    # the poll has a connection of its own: a transaction sees pg_stat_activity as it was when it began
    with bfxdb.connect(postgres_url) as writer, psycopg.connect(url) as other, \
            psycopg.connect(url, autocommit=True) as poll:
        other.execute(f'UPDATE "{schema}".relationships SET metadata = \'{{"by": "other"}}\' WHERE identity = 9')

        def run() -> None:
            try:
                outcome.append(write(writer))
            except bfxdb.BfxError as error:
                outcome.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        for _ in range(600):  # up to a minute for the delete to wait on the relationship's lock
            if poll.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone():
                break
            threading.Event().wait(0.1)
        else:
            raise AssertionError("the delete never waited on the other session's lock")
        other.execute(f'UPDATE "{schema}".substrates SET metadata = \'{{"by": "other"}}\' WHERE identity = 1')
        other.commit()
        thread.join(60)
    return outcome


def test_a_call_a_deadlock_undid_is_run_again(postgres_url):
    assert _deadlock(postgres_url, lambda db: db.delete_substrate(1)) == [1]
    with bfxdb.connect(postgres_url) as db:
        assert db.count_substrates() == 1 and db.count_relationships() == 0


def test_inside_a_transaction_a_deadlock_is_database_busy_and_the_block_is_undone(postgres_url):
    def block(db):
        with db.transaction():
            db.create_substrate(identity=3)
            return db.delete_substrate(1)

    outcome = _deadlock(postgres_url, block)
    assert len(outcome) == 1 and isinstance(outcome[0], bfxdb.DatabaseBusy), outcome
    with bfxdb.connect(postgres_url) as db:
        assert db.count_substrates() == 2 and db.count_relationships() == 1


def test_the_planners_counts_are_kept_a_second_or_until_this_thread_writes(postgres_url, monkeypatch):
    from bfxdb.storage import postgres

    with bfxdb.connect(postgres_url) as db:
        db.create_substrate(labels=["P"])
        first = db.store.statistics()
        assert db.store.statistics() is first
        assert db.query("MATCH (n:P) RETURN count(n)").rows == [(1,)]
        assert db.store.statistics() is first, "a read keeps them"
        monkeypatch.setattr(postgres, "STATISTICS_SECONDS", 0.0)
        db.create_substrate(labels=["P"])
        second = db.store.statistics()
        assert second is not first, "a write of this thread ends them"
        assert second.label("P") == 2
        assert db.store.statistics() is not second, "past STATISTICS_SECONDS they are counted again"


@contextlib.contextmanager
def _statements_sent(db):
    """The text of every statement the store's connection executes inside the block, in order.

    Each passes through a cursor's execute, the connection's own execute included.
    """
    sent: list[str] = []
    cursor_class = type(db.store._connection().cursor())
    original = cursor_class.execute

    def recording(self, query, params=None, **options):
        sent.append(str(query))
        return original(self, query, params, **options)

    cursor_class.execute = recording
    try:
        yield sent
    finally:
        cursor_class.execute = original


def test_a_read_of_one_statement_is_one_round_trip_and_its_limit_stays_with_it(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        db.query("CREATE (:P {name: 'a'})")
        db.query("MATCH (n:P) RETURN n.name", timeout=0.3)  # planned and its names read: cached from here
        with _statements_sent(db) as sent:
            assert db.query("MATCH (n:P) RETURN n.name", timeout=0.4).rows == [("a",)]
            assert sent == ["SET statement_timeout = 400", sent[1]] and sent[1].startswith("SELECT"), sent
            sent.clear()
            assert db.query("MATCH (n:P) RETURN n.name", timeout=0.4).rows == [("a",)]
            assert len(sent) == 1, "the same limit is not set again"
        # what follows is not bound by the read's limit: the session has its default back
        db.store.execute("SELECT pg_sleep(0.5)").fetchall()
        assert db.store.execute("SHOW statement_timeout").fetchone() == ("0",)


def test_a_label_made_in_a_transaction_that_rolls_back_is_made_again(postgres_url):
    with bfxdb.connect(postgres_url) as db:
        with pytest.raises(RuntimeError), db.transaction():
            db.create_substrate(identity=1, labels=["Gone"])
            raise RuntimeError("undo")
        with db.transaction():
            db.create_substrate(identity=2, labels=["Gone"])
        assert db.get_substrate(2).labels == ("Gone",)
        assert db.query("MATCH (n:Gone) RETURN count(n)").rows == [(1,)]
        with db.transaction():
            # a query undone inside a transaction that commits undoes the label it made
            with pytest.raises(bfxdb.BfxError):
                db.query("CREATE (:Undone) WITH 1 AS one RETURN 1 / 0")
            db.create_substrate(identity=5)
        db.create_substrate(identity=6, labels=["Undone"])
        assert db.get_substrate(6).labels == ("Undone",)
        assert db.query("MATCH (n:Undone) RETURN count(n)").rows == [(1,)]
        with db.transaction():
            db.create_substrate(identity=3, labels=["Kept"])
        with _statements_sent(db) as sent:
            db.create_substrate(identity=4, labels=["Kept"])
        assert not [sql for sql in sent if "names" in sql], "a committed name costs no round trip"
        assert db.get_substrate(4).labels == ("Kept",)


def _vacuumed(db, table: str) -> bool:
    (last,) = db.store.execute(
        "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s",
        (db.store.schema, table),
    ).fetchone()
    return bool(last)


def test_a_big_bulk_load_is_vacuumed_after_it_commits_and_analysed_inside_a_transaction(postgres_url):
    nodes = [{"identity": index + 1, "labels": ["P"], "metadata": {"i": index}} for index in range(12_000)]
    with bfxdb.connect(postgres_url) as db:
        with db.transaction():
            db.bulk_load(nodes[:11_000])  # VACUUM cannot run in a transaction: ANALYZE only
        assert not _vacuumed(db, "substrates")
        db.bulk_load(nodes[11_000:])
        assert not _vacuumed(db, "substrates"), "1,000 rows since the last refresh: no statistics refresh"
        db.bulk_load([{"identity": 100_000 + index, "labels": ["Q"]} for index in range(10_000)])
        assert _vacuumed(db, "substrates") and _vacuumed(db, "substrate_labels")
        assert db.query("MATCH (n:P) RETURN count(n)").rows == [(12_000,)]
