"""End-to-end behaviour of Cypher queries through ``Database.query``."""

from __future__ import annotations

import pytest

import bfxdb
from bfxdb.errors import (
    ConstraintViolation,
    EntityNotFound,
    ParameterMissing,
    QuerySyntaxError,
    QueryTimeout,
    QueryTypeError,
)
from bfxdb.model import Path, Relationship, Substrate
from bfxdb.query import Result, prepare


def test_create_then_match_returns_model_objects(db):
    created = db.query(
        "CREATE (a:Person {name: 'Ada'})-[r:KNOWS {since: 1843}]->(b:Person {name: 'Bob'}) RETURN a, r, b"
    )
    a, r, b = created.rows[0]
    assert isinstance(a, Substrate) and isinstance(r, Relationship)
    assert (r.source, r.target, r.rel_type, r.metadata) == (a.identity, b.identity, "KNOWS", {"since": 1843})
    found = db.query("MATCH (x:Person)-[k:KNOWS]->(y) RETURN x.name AS from, k.since, y.name")
    assert found.columns == ["from", "k.since", "y.name"]
    assert found.rows == [("Ada", 1843, "Bob")]
    assert db.get_substrate(a.identity).metadata == {"name": "Ada"}


def test_result_conveniences(db):
    result = db.query("UNWIND [1, 2] AS x RETURN x, x * 10 AS y")
    assert isinstance(result, Result)
    assert len(result) == 2
    assert result.to_dicts() == [{"x": 1, "y": 10}, {"x": 2, "y": 20}]
    assert db.query("RETURN 42 AS answer").scalar() == 42
    assert db.query("RETURN 1 AS a, 2 AS b").single() == {"a": 1, "b": 2}


def test_stats_count_writes(db):
    stats = db.query("CREATE (:A {x: 1, y: null})-[:T]->(:B:C)").stats
    assert stats == {
        "nodes_created": 2,
        "nodes_deleted": 0,
        "relationships_created": 1,
        "relationships_deleted": 0,
        "properties_set": 1,
        "labels_added": 3,
        "labels_removed": 0,
    }
    stats = db.query("MATCH (n:A) SET n.x = 2, n:D REMOVE n:A").stats
    assert (stats["properties_set"], stats["labels_added"], stats["labels_removed"]) == (1, 1, 1)
    stats = db.query("MATCH (n) DETACH DELETE n").stats
    assert (stats["nodes_deleted"], stats["relationships_deleted"]) == (2, 1)


def test_id_is_the_unsigned_identity_the_api_uses(db):
    node = db.create_substrate(metadata={"k": "v"}, identity=2**64 - 1)
    assert db.query("MATCH (n) WHERE id(n) = $id RETURN n", {"id": node.identity}).scalar() == node
    assert db.query("MATCH (n) RETURN id(n), substrate_id(n)").rows == [(2**64 - 1, "0xFFFFFFFFFFFFFFFF")]
    assert db.query("MATCH (n) WHERE id(n) = 'x' RETURN n").rows == []


def test_missing_parameter(db):
    with pytest.raises(ParameterMissing):
        db.query("RETURN $nope")


def test_explain_returns_the_plan_with_its_sql_and_runs_nothing(db):
    result = db.query("EXPLAIN CREATE (n) RETURN n")
    assert result.rows == [] and "Create" in result.plan
    assert db.count_substrates() == 0
    plan = db.query("EXPLAIN MATCH (a)-[:T]->(b) RETURN b").plan
    assert "SELECT" in plan and "relationships AS" in plan


def test_plain_delete_of_a_connected_node_fails_and_rolls_back(db):
    db.query("CREATE (:A)-[:T]->(:B)")
    with pytest.raises(ConstraintViolation) as caught:
        db.query("MATCH (a:A) DELETE a")
    assert caught.value.detail_code == "DeleteConnectedNode"
    assert db.count_substrates() == 2
    db.query("MATCH (a:A)-[r]->() DELETE r, a")
    assert db.count_substrates() == 1 and db.count_relationships() == 0


def test_reading_a_deleted_node_is_an_error(db):
    db.query("CREATE ({num: 1})")
    with pytest.raises(EntityNotFound):
        db.query("MATCH (n) DELETE n RETURN n.num")


def test_optional_match_extends_with_nulls(db):
    db.query("CREATE (:A {name: 'a'}), (:A {name: 'b'})-[:T]->(:B)")
    rows = db.query("MATCH (a:A) OPTIONAL MATCH (a)-[:T]->(b) RETURN a.name, b IS NULL ORDER BY a.name").rows
    assert rows == [("a", True), ("b", False)]


def test_aggregation_with_grouping_keys_and_ordering(db):
    db.query("UNWIND [['x', 1], ['x', 2], ['y', 5]] AS pair CREATE (:R {k: pair[0], v: pair[1]})")
    rows = db.query(
        "MATCH (r:R) RETURN r.k AS k, count(*) AS n, sum(r.v) AS total, collect(r.v) AS vs ORDER BY total DESC"
    ).rows
    assert [(k, n, total, sorted(vs)) for k, n, total, vs in rows] == [("y", 1, 5, [5]), ("x", 2, 3, [1, 2])]


def test_variable_length_paths_and_path_functions(db):
    db.query("CREATE (a:S {i: 0})-[:N]->({i: 1})-[:N]->({i: 2})-[:N]->({i: 3})")
    rows = db.query("MATCH p = (:S)-[*2..3]->(x) RETURN length(p), x.i, [n IN nodes(p) | n.i] ORDER BY x.i").rows
    assert rows == [(2, 2, [0, 1, 2]), (3, 3, [0, 1, 2, 3])]
    path = db.query("MATCH p = (:S)-[:N]->() RETURN p").scalar()
    assert isinstance(path, Path) and len(path) == 1
    reachable = db.query("MATCH (s:S) MATCH (s)-[*1..2]->(b) RETURN count(DISTINCT b)").scalar()
    assert reachable == 2


def test_undirected_variable_length_walks_do_not_reuse_a_relationship(db):
    db.query("CREATE (a:A)-[:T]->(b:B)")
    assert db.query("MATCH (a:A)-[*1..3]-(x) RETURN count(*)").scalar() == 1


def test_merge_matches_or_creates_the_whole_pattern(db):
    merge = "MERGE (a:City {name: 'Oslo'}) ON CREATE SET a.new = true ON MATCH SET a.new = false RETURN a.new"
    first = db.query(merge)
    second = db.query(merge)
    assert (first.scalar(), second.scalar()) == (True, False)
    assert db.query("MATCH (c:City) RETURN count(c)").scalar() == 1


def test_set_map_and_remove(db):
    db.query("CREATE (:P {a: 1, b: 2})")
    db.query("MATCH (p:P) SET p += {b: null, c: 3}")
    assert db.query("MATCH (p:P) RETURN properties(p)").scalar() == {"a": 1, "c": 3}
    db.query("MATCH (p:P) SET p = {z: 'only'} REMOVE p:P SET p:Q")
    assert db.query("MATCH (q:Q) RETURN q.z, labels(q)").rows == [("only", ["Q"])]


def test_union_removes_duplicates_and_union_all_keeps_them(db):
    assert sorted(db.query("RETURN 1 AS x UNION RETURN 1 AS x UNION RETURN 2 AS x").rows) == [(1,), (2,)]
    assert db.query("RETURN 1 AS x UNION ALL RETURN 1 AS x").rows == [(1,), (1,)]


def test_runtime_type_errors_carry_tck_detail_codes(db):
    with pytest.raises(QueryTypeError) as caught:
        db.query("WITH {a: 1} AS m, 0 AS i RETURN m[i]")
    assert caught.value.detail_code == "MapElementAccessByNonString"
    with pytest.raises(QuerySyntaxError) as caught:
        db.query("UNWIND [1, 2] AS x RETURN x SKIP $s", {"s": -1})
    assert caught.value.detail_code == "NegativeIntegerArgument"


def test_property_index_is_recorded_used_and_dropped(db):
    db.query("UNWIND range(1, 50) AS i CREATE (:P {code: 'c' + toString(i)})")
    db.query("CREATE INDEX FOR (n:P) ON (n.code)")
    assert db.store.execute("SELECT label, properties FROM property_indexes").fetchall() == [("P", '["code"]')]
    sql = prepare("MATCH (n:P {code: $c}) RETURN n").plan_text.split("SQL: ")[1]
    plan = db.store.execute("EXPLAIN QUERY PLAN " + sql, {"c2": "P", "f0": "c7"}).fetchall()
    assert any("property_code" in str(step) for step in plan)
    assert db.query("MATCH (n:P {code: 'c7'}) RETURN n.code").rows == [("c7",)]
    db.query("DROP INDEX index_P_code")
    assert db.store.execute("SELECT count(*) FROM property_indexes").fetchone() == (0,)


def test_python_loops_stop_at_the_deadline(db):
    with pytest.raises(QueryTimeout):
        # sum reads every row (a bare count(*) would count the lists without making rows)
        db.query("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b RETURN sum(b)", timeout=0.2)


def test_invoke_and_expression_functions(db):
    node = db.create_substrate("lambda", 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)')
    rows = db.query("MATCH (n) RETURN invoke(n, {x: 5, y: 7}), expression(n)").rows
    assert rows == [(35, {"type": "lambda", "code": node.expression_code})]


def test_cypher_expression_type(db):
    node = db.create_substrate("cypher", "$x * $y + size($items)")
    assert db.invoke(node.identity, {"x": 6, "y": 7, "items": [1, 2]}) == 44
    with pytest.raises(bfxdb.ExpressionRejected):
        db.create_substrate("cypher", "n.name")
    with pytest.raises(bfxdb.ExpressionRejected):
        db.create_substrate("cypher", "1 AS value UNION RETURN 2")


def test_prepared_queries_are_cached_by_text():
    assert prepare("MATCH (n) RETURN n") is prepare("MATCH (n) RETURN n")


def test_shortest_paths(db):
    db.query(
        "CREATE (a:S {n: 0})-[:T]->({n: 1})-[:T]->({n: 2})-[:T]->(d:E {n: 3}), "
        "(a)-[:T]->({n: 8})-[:T]->(d), (a)-[:T]->({n: 9})-[:T]->(d)"
    )
    assert db.query("MATCH p = shortestPath((:S)-[*]->(:E)) RETURN length(p)").rows == [(2,)]
    rows = db.query("MATCH p = allShortestPaths((:S)-[*]->(:E)) RETURN [n IN nodes(p) | n.n] AS ns ORDER BY ns").rows
    assert rows == [([0, 8, 3],), ([0, 9, 3],)]
    assert db.query("MATCH (a:S), (b:E) OPTIONAL MATCH p = shortestPath((a)-[*..1]-(b)) RETURN p").rows == [(None,)]


def test_list_valued_property_filters_are_checked_in_python(db):
    db.query("CREATE ({tags: ['a', 'b']})-[:T {w: [1]}]->({tags: ['c']})")
    assert db.query("MATCH ({tags: ['a', 'b']}) RETURN count(*)").scalar() == 1
    assert db.query("MATCH ()-[*1..2 {w: [1]}]->(x) RETURN x.tags").rows == [(["c"],)]
    assert db.query("MATCH (n) WHERE n.tags = ['c'] RETURN count(*)").scalar() == 1
    assert db.query("MATCH ({tags: [1.0]}) RETURN count(*)").scalar() == 0


def test_property_keys_with_quotes_and_backslashes(db):
    db.query('CREATE ({`a"b`: 1, `c.d`: 2, `e\\\\f`: 3})')
    assert db.query('MATCH (n {`a"b`: 1}) RETURN count(*)').scalar() == 1
    assert db.query("MATCH (n {`c.d`: 2}) RETURN count(*)").scalar() == 1
    assert db.query("MATCH (n) WHERE n.`e\\\\f` = 3 RETURN count(*)").scalar() == 1


def test_every_parameter_must_be_supplied_even_if_never_evaluated(db):
    with pytest.raises(ParameterMissing):
        db.query("MATCH (n) WHERE n.x = $absent RETURN n")
