"""The algorithms as CALL algo.* procedures: rows, the write procedures, options, limits and the missing extra."""

from __future__ import annotations

import importlib
import random

import pytest

import bfxdb
from bfxdb.algorithms import catalogue, library
from bfxdb.algorithms.runner import ESTIMATED

pytest.importorskip("igraph")


@pytest.fixture
def graph():
    with bfxdb.connect() as db:
        db.query(
            "CREATE (a:Page {name: 'a'})-[:LINKS {w: 2}]->(b:Page {name: 'b'})-[:LINKS {w: 1}]->(c:Page {name: 'c'}),"
            " (c)-[:LINKS {w: 5}]->(a), (a)-[:CITES]->(d:Paper {name: 'd'})"
        )
        yield db


def test_pagerank_yields_every_node_and_its_score_summing_to_one(graph):
    rows = graph.query(
        "CALL algo.pageRank({dampingFactor: 0.85, maxIterations: 20, tolerance: 1e-7, weightProperty: null}) "
        "YIELD node, score RETURN node.name AS name, score ORDER BY name"
    ).rows
    assert [name for name, _ in rows] == ["a", "b", "c", "d"]
    assert sum(score for _, score in rows) == pytest.approx(1.0)
    assert graph.algorithms.pagerank() == {
        node.identity: score
        for node, score in graph.query("CALL algo.pageRank({}) YIELD node, score RETURN node, score").rows
    }


def test_a_projection_by_labels_and_types_leaves_the_rest_out(graph):
    rows = graph.query(
        "CALL algo.wcc({nodeLabels: ['Page'], relationshipTypes: ['LINKS']}) YIELD node, componentId "
        "RETURN node.name ORDER BY node.name"
    ).rows
    assert rows == [("a",), ("b",), ("c",)]


def test_dijkstra_yields_the_path_with_its_weighted_distances(graph):
    rows = graph.query(
        "MATCH (a {name: 'a'}), (c {name: 'c'}) "
        "CALL algo.shortestPath.dijkstra({sourceNode: a, targetNode: c, weightProperty: 'w'}) YIELD node, distance "
        "RETURN node.name, distance"
    ).rows
    assert rows == [("a", 0.0), ("b", 2.0), ("c", 3.0)]


def test_write_procedure_stores_the_result_as_a_property_in_the_query_transaction(graph):
    written = graph.query("CALL algo.pageRank.write({write: 'rank'}) YIELD nodePropertiesWritten").rows
    assert written == [(4,)]
    stored = dict(graph.query("MATCH (n) RETURN n.name, n.rank").rows)
    by_name = dict(graph.query("CALL algo.pageRank({}) YIELD node, score RETURN node.name, score").rows)
    assert stored == by_name  # every digit survives the trip through JSON


def test_write_from_python_commits_and_counts(graph):
    result = graph.algorithms.wcc(write="component", relationship_types=["LINKS"])
    assert result.written == 4 and result.column == "componentId"
    assert graph.query("MATCH (n) RETURN count(DISTINCT n.component)").rows == [(2,)]


def test_a_failed_write_query_writes_nothing(graph):
    with pytest.raises(bfxdb.QueryError):
        graph.query("CALL algo.degree.write({write: 'd'}) YIELD nodePropertiesWritten RETURN 1 / 0")
    assert graph.query("MATCH (n) WHERE n.d IS NOT NULL RETURN count(n)").rows == [(0,)]


def test_write_procedures_are_writes_refused_read_only(graph):
    with pytest.raises(bfxdb.ReadOnlyError):
        graph.query("CALL algo.pageRank.write({write: 'rank'}) YIELD nodePropertiesWritten", read_only=True)
    with pytest.raises(bfxdb.InvalidInput, match=r"algo.pageRank.write"):
        graph.query("CALL algo.pageRank({write: 'rank'}) YIELD node RETURN node")
    with pytest.raises(bfxdb.InvalidInput, match="needs write"):
        graph.query("CALL algo.pageRank.write({}) YIELD nodePropertiesWritten")
    assert graph.query("CALL algo.pageRank({}) YIELD node RETURN count(node)", read_only=True).rows == [(4,)]


def test_unknown_and_malformed_options_are_refused_by_name(graph):
    with pytest.raises(bfxdb.InvalidInput, match="no option dampingFacter"):
        graph.query("CALL algo.pageRank({dampingFacter: 0.5}) YIELD node")
    with pytest.raises(bfxdb.InvalidInput, match="dampingFactor must be"):
        graph.algorithms.pagerank(damping_factor=2)
    with pytest.raises(bfxdb.InvalidInput, match="direction"):
        graph.algorithms.wcc(direction="SIDEWAYS")
    with pytest.raises(bfxdb.InvalidInput, match="not in the projected graph"):
        graph.algorithms.bfs(source_node=12345)
    with pytest.raises(bfxdb.InvalidInput, match="write must name a property"):
        graph.algorithms.degree(write="")
    with pytest.raises(AttributeError, match="no algorithm"):
        graph.algorithms.pagerankk()


def test_negative_weights_are_refused_for_shortest_paths(graph):
    graph.query("MATCH ()-[r:LINKS {w: 5}]->() SET r.w = -5")
    a = graph.query("MATCH (a {name: 'a'}) RETURN a").rows[0][0]
    with pytest.raises(bfxdb.InvalidInput, match="zero or more"):
        graph.algorithms.all_shortest_paths(source_node=a, weight_property="w")


def test_the_snapshot_is_held_to_the_memory_budget(graph):
    with pytest.raises(bfxdb.QueryLimitExceeded, match="memory budget"):
        graph.algorithms.pagerank(memory=100)
    with pytest.raises(bfxdb.QueryLimitExceeded, match="memory budget"):
        graph.query("CALL algo.wcc({}) YIELD node", memory=100)


def test_the_snapshot_is_held_to_the_time_limit(graph):
    graph.bulk_load([{"labels": ["Many"]} for _ in range(20_000)])
    with pytest.raises(bfxdb.QueryTimeout, match="time limit"):
        graph.algorithms.pagerank(timeout=1e-6)
    with pytest.raises(bfxdb.QueryTimeout):
        graph.query("CALL algo.wcc({}) YIELD node RETURN count(node)", timeout=1e-3)


def test_a_missing_extra_is_named(graph, monkeypatch):
    real = importlib.import_module

    def without_igraph(name, *args):
        if name == "igraph":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(library.importlib, "import_module", without_igraph)
    with pytest.raises(bfxdb.ExtraMissing, match=r"pip install 'bfxdb\[algorithms\]'"):
        graph.algorithms.pagerank()
    with pytest.raises(bfxdb.ExtraMissing, match="algorithms"):
        graph.query("CALL algo.pageRank({}) YIELD node")


def test_to_pandas_gives_identity_and_value_columns(graph):
    pytest.importorskip("pandas")
    frame = graph.algorithms.degree().to_pandas()
    assert list(frame.columns) == ["identity", "score"] and len(frame) == 4


def test_a_computation_clearly_too_slow_for_the_time_left_is_refused_before_it_begins(monkeypatch):
    rng = random.Random(3)
    started = []
    real = catalogue.build

    def build(*args, **kwargs):
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalogue, "build", build)
    with bfxdb.connect() as db:
        db.bulk_load(
            [{"identity": i} for i in range(1, 5001)],
            [{"source": rng.randrange(1, 5001), "target": rng.randrange(1, 5001), "rel_type": "R"}
             for _ in range(10_000)],
        )
        # exact betweenness visits the graph once from each of its 5,000 nodes: 0.75 s at the least
        with pytest.raises(bfxdb.QueryTimeout, match="algo.betweenness on 5,000 nodes .* refused before") as raised:
            db.algorithms.betweenness(timeout=0.5)
        assert raised.value.detail_code == ESTIMATED and raised.value.details["least"] > 0.5
        with pytest.raises(bfxdb.QueryTimeout, match="refused before it began") as raised:
            db.query("CALL algo.betweenness({}) YIELD node RETURN count(node)", timeout=0.5)
        assert raised.value.detail_code == ESTIMATED
        assert started == []
        # from 5 sampled sources it is well within the limit
        assert len(db.algorithms.betweenness(sampling_size=5, timeout=0.5)) == 5000
        assert len(started) == 1
