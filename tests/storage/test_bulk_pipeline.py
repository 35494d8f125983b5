"""bulk_load preparing each batch while the store sends the one before: the same rows, errors and threads as before."""

from __future__ import annotations

import threading

import pytest

import bfxdb
import bfxdb.database
import bfxdb.storage.postgres


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7 items, prepared 3 at a time, the store calling beside after every 2 rows it sends."""
    monkeypatch.setattr(bfxdb.database, "BULK_BATCH", 7)
    monkeypatch.setattr(bfxdb.database, "PREPARE_STEP", 3)
    monkeypatch.setattr(bfxdb.storage.postgres, "BESIDE_ROWS", 2)


def substrates(count: int, threads: set[int] | None = None):
    for number in range(1, count + 1):
        if threads is not None:
            threads.add(threading.get_ident())
        yield {"identity": number, "labels": ["Even" if number % 2 == 0 else "Odd", "N"], "metadata": {"n": number}}


def relationships(count: int, nodes: int):
    for number in range(count):
        source, target = number % nodes + 1, (number * 7) % nodes + 1
        yield {"source": source, "target": target, "rel_type": "R", "metadata": {"k": number}}


@pytest.mark.usefixtures("small_batches")
def test_every_row_lands_as_given_across_many_small_batches(backend_target, monkeypatch):
    threads: set[int] = set()
    steps = []
    step = bfxdb.database._Prepared.step
    monkeypatch.setattr(bfxdb.database._Prepared, "step", lambda self: steps.append(step(self)))
    with bfxdb.connect(backend_target) as db:
        counts = db.bulk_load(substrates(50, threads), relationships(100, 50))
        assert counts == {"substrates": 50, "relationships": 100}
        nodes = db.query("MATCH (n) RETURN id(n) AS i, labels(n) AS l, n.n AS n ORDER BY i").rows
        links = db.query("MATCH (a)-[r:R]->(b) RETURN r.k, id(a), id(b) ORDER BY r.k").rows
    # the items are taken in the caller's thread, as a generator over a sqlite3 cursor needs
    assert threads == {threading.get_ident()}
    assert [(i, sorted(labels), n) for i, labels, n in nodes] == [
        (i, sorted(["Even" if i % 2 == 0 else "Odd", "N"]), i) for i in range(1, 51)
    ]
    assert links == [(k, k % 50 + 1, (k * 7) % 50 + 1) for k in range(100)]
    # PostgreSQL's store prepares the next batch while it sends one; SQLite's works in this process
    assert bool(steps) == backend_target.startswith("postgresql")


@pytest.mark.usefixtures("small_batches")
def test_a_bad_item_in_a_later_batch_leaves_nothing_written(backend_target):
    def broken():
        yield from substrates(20)
        yield {"identity": 21, "labels": [42]}

    with bfxdb.connect(backend_target) as db:
        with pytest.raises(bfxdb.InvalidInput):
            db.bulk_load(broken())
        with pytest.raises(bfxdb.InvalidInput):
            db.bulk_load(substrates(30), [*relationships(20, 30), {"source": 1, "target": 2}])
        assert (db.count_substrates(), db.count_relationships()) == (0, 0)


@pytest.mark.usefixtures("small_batches")
def test_a_repeated_identity_in_a_later_batch_is_named_and_nothing_is_written(backend_target):
    with bfxdb.connect(backend_target) as db:
        with pytest.raises(bfxdb.Conflict, match="0x0000000000000005"):
            db.bulk_load([*substrates(20), {"identity": 5}])
        assert db.count_substrates() == 0
        db.bulk_load(substrates(3))
        with pytest.raises(bfxdb.NotFound):
            db.bulk_load((), [*relationships(10, 3), {"source": 1, "target": 99, "rel_type": "R"}])
        assert (db.count_substrates(), db.count_relationships()) == (3, 0)
