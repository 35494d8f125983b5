"""PROFILE runs the query as usual and reports each operator's rows and time; other queries pay nothing for it."""

from __future__ import annotations

import pytest
from bfxdb.web import create_app
from click.testing import CliRunner

import bfxdb
from bfxdb.cli import main


@pytest.fixture
def graph():
    """12 :P nodes with k = 0..11, each R to the next; 4 :Q nodes."""
    with bfxdb.connect() as db:
        db.query("UNWIND range(0, 11) AS k CREATE (:P {k: k})")
        db.query("MATCH (a:P), (b:P) WHERE b.k = a.k + 1 CREATE (a)-[:R]->(b)")
        db.query("UNWIND range(1, 4) AS k CREATE (:Q {k: k})")
        yield db


def operators(result) -> list[tuple[str, int]]:
    return [(entry["operator"], entry["rows"]) for entry in result.profile]


def test_profile_returns_the_rows_of_the_query(graph):
    query = "MATCH (a:P)-[:R]->(b) WHERE b.k > 3 RETURN a.k AS k ORDER BY k"
    assert graph.query("PROFILE " + query).rows == graph.query(query).rows


def test_profile_counts_the_rows_each_operator_produced(graph):
    result = graph.query("PROFILE MATCH (a:P)-[:R]->(b) WHERE b.k % 2 = 0 WITH a.k % 3 AS g, count(*) AS c RETURN g, c")
    matched = graph.query("MATCH (a:P)-[:R]->(b) WHERE b.k % 2 = 0 RETURN count(*)").scalar()
    assert matched == 5  # b.k in 2, 4, ..., 10 (0 has no incoming R)
    assert operators(result) == [
        ("Match -> a, b", 5),
        ("With g, c (aggregate count)", 3),
        ("Return g, c", 3),
    ]
    assert all(entry["time_ms"] >= 0 for entry in result.profile)


def test_profile_splits_a_direct_return_into_its_match_and_its_return(graph):
    result = graph.query("PROFILE MATCH (n:Q) RETURN n")
    assert len(result.rows) == 4
    assert operators(result) == [("Match -> n", 4), ("Return n", 4)]


def test_profile_measures_each_part_of_a_union(graph):
    result = graph.query("PROFILE MATCH (n:P) RETURN n.k AS k UNION ALL MATCH (n:Q) RETURN n.k AS k")
    assert len(result.rows) == 16
    assert [(entry["part"], entry["rows"]) for entry in result.profile] == [(0, 12), (0, 12), (1, 4), (1, 4)]


def test_profile_runs_writes_and_counts_their_rows(graph):
    result = graph.query("PROFILE MATCH (n:Q) WHERE n.k > 2 SET n.seen = true RETURN count(*) AS c")
    assert result.rows == [(2,)]
    assert result.stats["properties_set"] == 2
    assert operators(result)[:2] == [("Match -> n", 2), ("Set (1 items)", 2)]
    assert graph.query("MATCH (n:Q {seen: true}) RETURN count(*)").scalar() == 2


def test_profile_text_leads_the_plan_and_shows_rows_and_time(graph):
    plan = graph.query("PROFILE MATCH (n:Q) RETURN n.k AS k").plan
    lines = plan.split("\n")
    assert lines[0].startswith("Profile (rows produced;")
    assert lines[1].startswith("  Match -> n: 4 rows, ") and lines[1].endswith(" ms")
    assert "SQLite plan of DirectReturn k" in lines  # the EXPLAIN text follows
    assert "  Estimate: n: :Q: ~4 rows" in lines


def test_profile_through_a_stream_runs_the_query_and_keeps_the_profile(graph):
    with graph.stream("PROFILE MATCH (n:Q) RETURN n.k AS k") as stream:
        assert sorted(row["k"] for row in stream) == [1, 2, 3, 4]
        assert stream.plan.startswith("Profile")


def test_a_query_without_profile_has_no_profile(graph):
    result = graph.query("MATCH (n:Q) RETURN n.k AS k")
    assert result.profile is None
    assert graph.query("EXPLAIN MATCH (n:Q) RETURN n").profile is None


def test_profile_over_http_adds_the_measures_to_the_answer(tmp_path):
    with bfxdb.connect(tmp_path / "api.db") as db:
        db.query("UNWIND range(1, 3) AS k CREATE (:Q {k: k})")
        client = create_app(db, {}).test_client()
        body = client.post("/api/v1/query", json={"query": "PROFILE MATCH (n:Q) RETURN n.k AS k"}).get_json()
        plain = client.post("/api/v1/query", json={"query": "MATCH (n:Q) RETURN n.k AS k"}).get_json()
    assert sorted(body["rows"]) == [[1], [2], [3]]
    assert [(entry["operator"], entry["rows"]) for entry in body["profile"]] == [("Match -> n", 3), ("Return k", 3)]
    assert "profile" not in plain


def test_profile_on_the_command_line_writes_the_measured_plan_to_stderr(tmp_path):
    path = tmp_path / "cli.db"
    with bfxdb.connect(path) as db:
        db.query("UNWIND range(1, 3) AS k CREATE (:Q {k: k})")
    result = CliRunner().invoke(main, ["query", str(path), "PROFILE MATCH (n:Q) RETURN n.k AS k", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "Profile" not in result.stdout
    assert "  Match -> n: 3 rows, " in result.stderr


def test_a_result_says_whether_its_query_only_explained(graph):
    assert graph.query("EXPLAIN MATCH (n:Q) RETURN n").explained
    assert not graph.query("PROFILE MATCH (n:Q) RETURN n").explained
    assert not graph.query("// EXPLAIN\nMATCH (n:Q) RETURN n").explained
    with graph.stream("/* a */ explain MATCH (n:Q) RETURN n") as stream:
        assert stream.explained and list(stream) == []
    with graph.stream("MATCH (n:Q) RETURN n") as stream:
        assert not stream.explained
