"""PageRank by power iteration against igraph's exact PRPACK solve, its error bound, and the weights it refuses."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.algorithms import Projection, take_snapshot
from bfxdb.algorithms.library import build, weights
from bfxdb.algorithms.pagerank import FINEST, MOST_DAMPING, TOLERANCE, pagerank, sweeps_needed

from .test_algorithms import EXAMPLES, close, graphs, load

pytest.importorskip("igraph")


def snapshot_of(db: bfxdb.Database, projection: Projection):
    return db.store.run_bounded(False, None, lambda check: take_snapshot(db.store, projection, check, None))


@EXAMPLES
@given(
    graphs(),
    st.sampled_from(["NATURAL", "REVERSE", "UNDIRECTED"]),
    st.sampled_from([None, "w"]),
    st.sampled_from([0.0, 0.3, 0.85, MOST_DAMPING]),
    st.data(),
)
def test_power_iteration_is_prpack_within_its_error_bound(graph, direction, weight, damping, data):
    n, edges = graph
    # weights from 0 (a relationship the walk never takes) to 9, a reset list that may repeat a node
    edges = [(s, t, kind, w % 10) for s, t, kind, w in edges]
    resets = data.draw(st.lists(st.integers(0, n - 1), max_size=4))
    with load(n, edges) as db:
        snapshot = snapshot_of(db, Projection(direction=direction, weight=weight))
    directed = direction != "UNDIRECTED"
    graph = build(snapshot, directed)
    if resets:
        exact = graph.personalized_pagerank(damping=damping, weights=weights(graph), reset_vertices=resets)
    else:
        exact = graph.pagerank(damping=damping, weights=weights(graph))
    for tolerance in (TOLERANCE, 1e-4, FINEST):
        ours = pagerank(snapshot, directed, damping, resets, tolerance=tolerance)
        assert sum(abs(mine - theirs) for mine, theirs in zip(ours, exact, strict=True)) <= 2 * tolerance


def test_the_relationships_are_read_sorted_by_the_end_a_walk_arrives_at():
    edges = [(5, 1, "A", 1), (1, 4, "A", 1), (3, 2, "B", 1), (2, 5, "A", 1), (4, 3, "A", 1), (1, 2, "A", 1)]
    with load(5, edges) as db:
        natural = snapshot_of(db, Projection())
        reverse = snapshot_of(db, Projection(direction="REVERSE", types=("A",)))
    assert list(natural.targets) == sorted(natural.targets)
    assert list(reverse.targets) == sorted(reverse.targets)
    pairs = {(s - 1, t - 1) for s, t, _, _ in edges}
    assert set(zip(natural.sources.tolist(), natural.targets.tolist())) == pairs
    assert set(zip(reverse.targets.tolist(), reverse.sources.tolist())) == {
        (s - 1, t - 1) for s, t, kind, _ in edges if kind == "A"
    }


def test_the_sorted_read_uses_an_index_not_a_sort():
    with load(3, [(1, 2, "A", 1)]) as db:
        seen: list[str] = []
        connection = db.store._connection()
        connection.set_trace_callback(seen.append)
        for direction in ("NATURAL", "REVERSE"):
            snapshot_of(db, Projection(direction=direction, labels=("Odd",), types=("A",)))
        connection.set_trace_callback(None)
        reads = [sql for sql in seen if "FROM relationships AS r" in sql]
        plans = [" / ".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)) for sql in reads]
    assert len(plans) == 2
    assert "COVERING INDEX relationships_in" in plans[0] and "COVERING INDEX relationships_out" in plans[1]
    assert not any("TEMP B-TREE" in plan for plan in plans)


@EXAMPLES
@given(graphs())
def test_a_damping_past_power_iterations_range_is_solved_by_prpack(graph):
    n, edges = graph
    with load(n, edges) as db:
        high = db.algorithms.pagerank(damping_factor=0.95)
        snapshot = snapshot_of(db, Projection())
    exact = build(snapshot, True).pagerank(damping=0.95)
    close(high, dict(zip(snapshot.identities, exact)), 1e-12)


@pytest.mark.parametrize("damping", [0.1, 0.5, 0.85, MOST_DAMPING])
@pytest.mark.parametrize("tolerance", [TOLERANCE, FINEST])
def test_the_sweep_bound_shrinks_a_distance_of_two_below_the_stopping_step(damping, tolerance):
    sweeps = sweeps_needed(damping, tolerance)
    assert 2 * damping ** (sweeps - 1) <= tolerance * (1 - damping) / damping
    assert sweeps_needed(0.0, tolerance) == 1


@pytest.mark.parametrize("bad", [-1, -0.5])
def test_a_negative_weight_is_refused(bad):
    with bfxdb.connect() as db:
        db.query("CREATE (:N)-[:R {w: 1}]->(:N)-[:R {w: $bad}]->(:N)", {"bad": bad})
        for damping in (0.85, 0.95):
            with pytest.raises(bfxdb.InvalidInput, match="PageRank needs weights of zero or more"):
                db.algorithms.pagerank(weight_property="w", damping_factor=damping)
        assert len(db.algorithms.pagerank()) == 3


def test_power_iteration_checks_the_time_limit_after_each_sweep():
    with load(6, [(1, 2, "A", 1), (2, 3, "A", 1), (3, 1, "A", 1), (4, 5, "A", 1)]) as db:
        snapshot = snapshot_of(db, Projection())
    calls = []

    def check():
        calls.append(len(calls))
        if len(calls) == 3:
            raise bfxdb.QueryTimeout("past the time limit")

    with pytest.raises(bfxdb.QueryTimeout):
        pagerank(snapshot, True, 0.85, [], check)
    assert len(calls) == 3


def test_the_tolerance_option_bounds_the_distance_from_the_exact_scores():
    rng = random.Random(5)
    edges = [(rng.randint(1, 300), rng.randint(1, 300), "A", 1) for _ in range(900)]
    with load(300, edges) as db:
        snapshot = snapshot_of(db, Projection())
        loose = db.algorithms.pagerank(tolerance=1e-2)
        fine = db.algorithms.pagerank(tolerance=0)
    exact = dict(zip(snapshot.identities, build(snapshot, True).pagerank(damping=0.85)))
    assert sum(abs(loose[node] - score) for node, score in exact.items()) <= 1e-2
    # a tolerance of 0 is taken as the finest one
    assert sum(abs(fine[node] - score) for node, score in exact.items()) <= 2 * FINEST
    assert loose != fine
