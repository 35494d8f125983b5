"""Results, graphs and databases handed to networkx and pandas, and a clear error when they are not installed."""

from __future__ import annotations

import pytest

from bfxdb.interop import graph_to_networkx, result_to_networkx, result_to_pandas


@pytest.fixture
def people(db):
    alice = db.create_substrate(labels=["Person"], metadata={"name": "Alice"}, identity=1)
    bob = db.create_substrate(labels=["Person"], metadata={"name": "Bob"}, identity=2)
    db.create_substrate("lambda", "lambda x: x", identity=3)
    db.create_relationship(alice.identity, bob.identity, "KNOWS", {"since": 2020})
    db.create_relationship(bob.identity, alice.identity, "KNOWS", {}, bidirectional=True)
    return db


def test_database_to_networkx_keeps_every_node_and_edge(people):
    pytest.importorskip("networkx")
    graph = people.to_networkx()
    assert graph.number_of_nodes() == 3 and graph.number_of_edges() == 2
    assert graph.nodes["0x0000000000000001"] == {"labels": ["Person"], "properties": {"name": "Alice"}}
    assert graph.nodes["0x0000000000000003"]["expression_code"] == "lambda x: x"
    [(key, data)] = graph.get_edge_data("0x0000000000000001", "0x0000000000000002").items()
    assert key.startswith("0x") and data == {"type": "KNOWS", "properties": {"since": 2020}, "bidirectional": False}


def test_result_to_networkx_gathers_nodes_relationships_and_paths(people):
    pytest.importorskip("networkx")
    result = people.query("MATCH p = (a {name: 'Alice'})-[:KNOWS]->(b) RETURN p")
    graph = result_to_networkx(result)
    assert set(graph.nodes) == {"0x0000000000000001", "0x0000000000000002"}
    assert graph.number_of_edges() == 1
    only_edges = result_to_networkx(people.query("MATCH ()-[r:KNOWS]->() RETURN collect(r) AS rs"))
    assert only_edges.number_of_edges() == 2 and only_edges.number_of_nodes() == 2


def test_result_to_pandas_has_one_column_per_result_column(people):
    pytest.importorskip("pandas")
    frame = result_to_pandas(people.query("MATCH (n:Person) RETURN n.name AS name, n ORDER BY name"))
    assert list(frame.columns) == ["name", "n"]
    assert frame["name"].tolist() == ["Alice", "Bob"]
    assert frame["n"][0].substrate_id == "0x0000000000000001"


def test_missing_optional_dependency_names_the_extra(people, monkeypatch):
    def refuse(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr("bfxdb.interop.importlib.import_module", refuse)
    with pytest.raises(ImportError, match=r"bfxdb\[pandas\]"):
        result_to_pandas(people.query("RETURN 1"))
    with pytest.raises(ImportError, match=r"bfxdb\[networkx\]"):
        people.to_networkx()


def test_graph_to_networkx_adds_missing_end_nodes_without_attributes(people):
    pytest.importorskip("networkx")
    [knows, _] = people.find_relationships()
    graph = graph_to_networkx([people.get_substrate(1)], [knows])
    assert set(graph.nodes) == {"0x0000000000000001", "0x0000000000000002"}
    assert graph.nodes["0x0000000000000002"] == {}
