"""The cost-aware plan: fresh SQLite statistics, row estimates, seeds chosen on them, cached plans following them."""

from __future__ import annotations

import pytest

import bfxdb
from bfxdb.formats import import_files
from bfxdb.query import BUILTINS, prepare
from bfxdb.query.estimates import DEFAULT_SELECTIVITY, NodeShape
from bfxdb.storage import PLANNER_MIN_ROWS, STALE_FRACTION

WALK = "MATCH (a:{left})-[:R*1..2]->(b:{right}) RETURN count(*) AS n"


def stat1(db) -> dict[tuple[str, str | None], str]:
    """sqlite_stat1 as {(table, index): stat}."""
    return {(table, index): stat for table, index, stat in db.store.execute("SELECT tbl, idx, stat FROM sqlite_stat1")}


def nodes(count: int, label: str, start: int = 1, **metadata) -> list[dict]:
    return [
        {"identity": start + n, "labels": [label], "metadata": {**metadata, "i": n, "k": n % 10, "u": f"u{n}"}}
        for n in range(count)
    ]


def chain(first: int, count: int) -> list[dict]:
    return [{"source": first + n, "target": first + n + 1, "rel_type": "R"} for n in range(count - 1)]


def seed_lines(db, query: str) -> list[str]:
    return [line.strip() for line in db.query("EXPLAIN " + query).plan.split("\n") if line.strip().startswith("Seed:")]


@pytest.fixture
def lopsided():
    """1,000 :Many nodes in a chain, 3 :Few nodes; property indexes on k (10 values) and u (unique)."""
    with bfxdb.connect() as db:
        db.bulk_load(nodes(1000, "Many") + nodes(3, "Few", start=5000), chain(1, 1000) + chain(5000, 3))
        db.query("CREATE INDEX FOR (n:Many) ON (n.k)")
        db.query("CREATE INDEX FOR (n:Many) ON (n.u)")
        yield db


# ---------------------------------------------------------------- statistics stay current


FLOOR = str(PLANNER_MIN_ROWS)
#: What ANALYZE writes for substrates alone: its identity index (giving the table's rows too), one row per identity.
SUBSTRATES_ONLY = {("substrates", "substrates_identity"): f"{FLOOR} 1"}


def test_a_bulk_load_into_an_empty_database_analyses_the_substrates_only():
    with bfxdb.connect() as db:
        db.bulk_load(nodes(300, "P"), chain(1, 300))
        stats = stat1(db)
    # statistics on labels and relationships would lead SQLite away from the traversal indexes, and
    # a true size below SQLite's own assumption to Bloom filters over the whole table
    assert stats == SUBSTRATES_ONLY


def test_a_bulk_load_analyses_again_once_the_table_grew_by_the_stale_fraction():
    with bfxdb.connect() as db:
        db.query("CREATE INDEX FOR (n:P) ON (n.k)")
        db.bulk_load(nodes(1000, "P"))  # k takes 10 values
        assert stat1(db)[("substrates", "property_k")] == f"{FLOOR} 100"
        small = int(1000 * STALE_FRACTION) - 1
        same = [{"identity": 10_000 + n, "labels": ["P"], "metadata": {"k": "same"}} for n in range(small + 1)]
        db.bulk_load(same[:small])
        assert stat1(db)[("substrates", "property_k")] == f"{FLOOR} 100"  # 499 rows on 1,000: not yet stale
        db.bulk_load(same[small:])  # the rows since the last ANALYZE now reach half of those before them
        assert stat1(db)[("substrates", "property_k")] == f"{FLOOR} 137"  # 1,500 rows, 11 values, rounded up


def test_an_import_of_files_leaves_current_statistics(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(":ID,name,:LABEL\n" + "".join(f"{i},n{i},Person\n" for i in range(1, 51)))
    with bfxdb.connect() as db:
        import_files(db, [people])
        assert stat1(db) == SUBSTRATES_ONLY


def test_create_index_analyses_the_new_index(lopsided):
    stats = stat1(lopsided)
    assert stats[("substrates", "property_k")] == f"{FLOOR} 101"  # SQLite rounds up: 1,003 rows over 10 values
    assert stats[("substrates", "property_u")] == f"{FLOOR} 1"


def test_create_index_analyses_an_index_made_after_the_load():
    with bfxdb.connect() as db:
        db.query("UNWIND range(1, 40) AS i CREATE (:P {k: i % 4})")  # no bulk load: no ANALYZE yet
        db.query("CREATE INDEX FOR (n:P) ON (n.k)")
        assert stat1(db)[("substrates", "property_k")] == f"{FLOOR} 10"


# ---------------------------------------------------------------- estimates


class FakeStatistics:
    """Statistics with fixed figures."""

    def nodes(self) -> float:
        return 1000.0

    def relationships(self) -> float:
        return 3000.0

    def label(self, label: str) -> float:
        return {"Few": 4.0, "Many": 500.0}.get(label, 0.0)

    def rows_per_value(self, key: str) -> float | None:
        return {"pid": 1.0, "age": 50.0}.get(key)


@pytest.mark.parametrize(
    ("shape", "rows"),
    [
        (NodeShape(bound=True, labels=("Many",)), 1.0),
        (NodeShape(), 1000.0),
        (NodeShape(labels=("Many",)), 500.0),
        (NodeShape(labels=("Many", "Few")), 4.0),
        (NodeShape(labels=("Many",), filters=(("age", "="),)), 500.0 * 50 / 1000),
        (NodeShape(labels=("Many",), filters=(("name", "="),)), 500.0 * DEFAULT_SELECTIVITY["="]),
        (NodeShape(labels=("Many",), filters=(("age", ">"),)), 500.0 * DEFAULT_SELECTIVITY[">"]),
        (NodeShape(filters=(("pid", "="),)), 1.0),
        (NodeShape(labels=("Many",), filters=(("pid", "="),)), 1.0),  # never below one row of a non-empty label
        (NodeShape(labels=("Nobody",), filters=(("pid", "="),)), 0.0),
        (NodeShape(across=NodeShape(labels=("Few",))), 4.0 * 3),
    ],
)
def test_a_node_shape_estimates_its_rows(shape, rows):
    assert shape.rows(FakeStatistics()) == pytest.approx(rows)


def test_statistics_are_kept_until_a_write():
    with bfxdb.connect() as db:
        db.bulk_load(nodes(20, "P"))
        first = db.store.statistics()
        assert first.label("P") == 20
        assert db.store.statistics() is first
        db.query("CREATE (:P)")
        second = db.store.statistics()
        assert second is not first and second.label("P") == 21


def test_an_indexed_equality_reads_rows_per_value_from_sqlite_stat1(lopsided):
    statistics = lopsided.store.statistics()
    assert statistics.rows_per_value("k") == 101.0
    assert statistics.rows_per_value("u") == 1.0
    assert statistics.rows_per_value("i") is None


# ---------------------------------------------------------------- the seed follows the estimates


def test_a_walk_seeds_from_the_rarer_label_on_the_right(lopsided):
    # both ends have a label: ranks tie, and only the counts make the right end the seed
    assert seed_lines(lopsided, WALK.format(left="Many", right="Few")) == [
        "Seed: walk v2 seeded from b, the pattern's right end, by its label"
    ]


def test_a_walk_seeds_from_the_rarer_label_on_the_left(lopsided):
    assert seed_lines(lopsided, WALK.format(left="Few", right="Many")) == [
        "Seed: walk v2 seeded from a, the pattern's left end, by its label"
    ]


def test_a_walk_seeds_from_the_more_selective_index_on_the_right(lopsided):
    query = "MATCH (a:Many {k: 1})-[:R*1..2]->(b:Many {u: 'u5'}) RETURN count(*) AS n"
    assert seed_lines(lopsided, query) == [
        "Seed: walk v2 seeded from b, the pattern's right end, by its property filters"
    ]
    assert lopsided.query(query).scalar() == 0


def test_a_walk_seeds_from_the_more_selective_index_on_the_left(lopsided):
    query = "MATCH (a:Many {u: 'u5'})-[:R*1..2]->(b:Many {k: 7}) RETURN count(*) AS n"
    assert seed_lines(lopsided, query) == [
        "Seed: walk v2 seeded from a, the pattern's left end, by its property filters"
    ]
    assert lopsided.query(query).scalar() == 1  # u5 is i = 5, two hops from i = 7


def test_a_walk_seeds_from_an_unindexed_filter_over_a_common_label(lopsided):
    # one end filters on i, which no index holds (0.1 of 1,000 rows), the other is a label of 3 rows
    query = "MATCH (a:Many {i: 5})-[:R*1..2]->(b:Few) RETURN count(*) AS n"
    assert seed_lines(lopsided, query) == ["Seed: walk v2 seeded from b, the pattern's right end, by its label"]


def test_without_statistics_the_fixed_ranks_decide(lopsided):
    unstored = prepare(WALK.format(left="Many", right="Few") + " // no store")
    assert "FROM substrate_labels AS s WHERE s.label = :c" in unstored.plan_text
    assert "e.source = v" in unstored.plan_text  # walked forwards from a, the left end


def test_explain_shows_each_estimate_beside_the_seed(lopsided):
    plan = lopsided.query("EXPLAIN " + WALK.format(left="Many", right="Few")).plan
    lines = [line.strip() for line in plan.split("\n")]
    assert "Estimate: a: :Many: ~1,000 rows" in lines
    assert "Estimate: b: :Few: ~3 rows" in lines
    assert "Estimate: walk v2 from its right end: ~3 rows; from its left end: ~1,000 rows" in lines


# ---------------------------------------------------------------- cached plans follow the statistics


def test_one_query_text_gets_the_seed_each_database_needs():
    # the plan cache is shared by every database of the process: a choice made on one must not serve the other
    text = WALK.format(left="A", right="B")
    with bfxdb.connect() as many_b, bfxdb.connect() as many_a:
        many_b.bulk_load(nodes(5, "A") + nodes(200, "B", start=100))
        many_a.bulk_load(nodes(200, "A") + nodes(5, "B", start=1000))
        assert seed_lines(many_b, text) == ["Seed: walk v2 seeded from a, the pattern's left end, by its label"]
        assert seed_lines(many_a, text) == ["Seed: walk v2 seeded from b, the pattern's right end, by its label"]


def test_a_cached_plan_is_planned_again_once_its_choice_is_off_by_an_order_of_magnitude():
    text = WALK.format(left="A", right="B") + " // replan"
    with bfxdb.connect() as db:
        db.bulk_load(nodes(10, "A") + nodes(30, "B", start=100))
        first = prepare(text, BUILTINS, None, db.store)
        assert len(first.choices) == 1
        assert "seeded from a" in first.plan.pipelines[0].ops[0].match.plan.seeds[0]
        db.bulk_load(nodes(200, "A", start=1000))  # 210 against 30: off by less than ten
        assert prepare(text, BUILTINS, None, db.store) is first
        db.bulk_load(nodes(200, "A", start=2000))  # 410 against 30: off by more than ten
        again = prepare(text, BUILTINS, None, db.store)
        assert again is not first
        assert "seeded from b" in again.plan.pipelines[0].ops[0].match.plan.seeds[0]


def test_explain_estimates_are_current_after_writes():
    with bfxdb.connect() as db:
        db.bulk_load(nodes(5, "A"))
        query = "EXPLAIN MATCH (a:A)-[:R*1..2]->(b) RETURN count(*) AS n"
        assert "  Estimate: a: :A: ~5 rows" in db.query(query).plan.split("\n")
        db.query("CREATE (:A)")
        assert "  Estimate: a: :A: ~6 rows" in db.query(query).plan.split("\n")
