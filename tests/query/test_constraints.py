"""Property constraints and SHOW INDEXES / SHOW CONSTRAINTS, end to end and on every write path.

The Cypher behaviour is pinned by the feature files in tests/features/constraints, which the first
test runs; the tests after it cover what a feature file cannot: the Python API, bulk_load, `bfxdb
import`, HTTP, other SQLite clients, the messages, the plan SQLite chooses, and the DDL kept.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import bfxdb
from bfxdb.cli import main
from bfxdb.errors import QueryArgumentError, QuerySyntaxError, SchemaConstraintViolation
from tests.tck.features import load_features
from tests.tck.runner import load_engine, run_scenarios


def _constraint_triggers(db) -> int:
    sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'constraint%'"
    return db.store.execute(sql).fetchone()[0]


FEATURES = Path(__file__).resolve().parents[1] / "features" / "constraints"
UNIQUE_NAME = "CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE"


def test_the_constraint_feature_files_pass():
    scenarios = load_features(FEATURES)
    assert len(scenarios) >= 50
    outcomes = run_scenarios(scenarios, load_engine(), graphs_dir=FEATURES, strict_details=True)
    failed = [f"{o.scenario.key}: {o.reason}" for o in outcomes if o.status != "passed" or o.detail_mismatch]
    assert not failed, "\n".join(failed)


def test_a_violation_names_the_constraint_and_the_entity_written(db):
    db.query(UNIQUE_NAME)
    db.create_substrate(identity=1, labels=["Person"], metadata={"name": "Ann"})
    with pytest.raises(SchemaConstraintViolation) as caught:
        db.create_substrate(identity=2, labels=["Person"], metadata={"name": "Ann"})
    assert caught.value.details == {"constraint": "person_name", "entity": "substrate 0x0000000000000002"}
    assert str(caught.value) == (
        "substrate 0x0000000000000002 has the same `name` as another node with label `Person`: "
        "constraint `person_name` (UNIQUENESS) makes `name` unique among every node with label `Person`"
    )
    assert caught.value.code == "schema_constraint_violation"
    assert db.count_substrates() == 1


def test_the_python_api_update_and_label_paths_are_enforced(db):
    db.query(UNIQUE_NAME)
    db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.age IS :: INTEGER")
    db.create_substrate(identity=1, labels=["Person"], metadata={"name": "Ann"})
    db.create_substrate(identity=2, labels=["Robot"], metadata={"name": "Ann"})
    with pytest.raises(SchemaConstraintViolation, match="substrate 0x0000000000000002 has the same"):
        db.update_substrate(2, labels=["Robot", "Person"])
    with pytest.raises(SchemaConstraintViolation, match="`age` of a type other than INTEGER"):
        db.update_substrate(1, metadata={"name": "Ann", "age": "old"})
    assert db.get_substrate(1).metadata == {"name": "Ann"} and db.get_substrate(2).labels == ("Robot",)


def test_relationships_made_through_the_api_are_enforced(db):
    db.query("CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.amount IS NOT NULL")
    db.create_substrate(identity=1)
    db.create_substrate(identity=2)
    with pytest.raises(SchemaConstraintViolation, match="the new relationship lacks the property `amount`"):
        db.create_relationship(1, 2, "PAID", metadata={})
    db.create_relationship(1, 2, "PAID", metadata={"amount": 3})
    assert db.count_relationships() == 1


def test_bulk_load_is_enforced_and_loads_nothing(db):
    db.query(UNIQUE_NAME)
    people = [{"identity": n, "labels": ["Person"], "metadata": {"name": f"p{n % 5}"}} for n in range(1, 8)]
    with pytest.raises(SchemaConstraintViolation, match="constraint `person_name`"):
        db.bulk_load(people)
    assert db.count_substrates() == 0
    db.bulk_load(people[:5])
    assert db.count_substrates() == 5


def test_bulk_load_of_relationships_is_enforced(db):
    db.query("CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.invoice IS UNIQUE")
    nodes = [{"identity": 1}, {"identity": 2}]
    paid = [{"source": 1, "target": 2, "rel_type": "PAID", "metadata": {"invoice": 7}}] * 2
    with pytest.raises(SchemaConstraintViolation, match="another relationship of type `PAID`"):
        db.bulk_load(nodes, paid)
    assert db.count_substrates() == 0


def test_bfxdb_import_is_enforced(tmp_path):
    database = tmp_path / "g.db"
    with bfxdb.connect(database) as db:
        db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS NOT NULL")
    source = tmp_path / "people.ndjson"
    source.write_text(
        json.dumps({"type": "substrate", "substrate_id": "0x1", "labels": ["Person"], "metadata": {"name": "A"}})
        + "\n"
        + json.dumps({"type": "substrate", "substrate_id": "0x2", "labels": ["Person"], "metadata": {}})
        + "\n"
    )
    result = CliRunner().invoke(main, ["import", str(database), str(source), "-q"])
    assert result.exit_code == 1
    assert "lacks the property `name`" in result.stderr
    with bfxdb.connect(database) as db:
        assert db.count_substrates() == 0


def test_other_sqlite_clients_cannot_skip_a_constraint(file_db, db_path):
    file_db.query(UNIQUE_NAME)
    file_db.query("CREATE (:Person {name: 'Ann'}), (:Person {name: 'Bob'})")
    shell = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="bfxdb constraint"):
        shell.execute("""UPDATE substrates SET metadata = '{"name":"Ann"}' WHERE metadata = '{"name":"Bob"}'""")
    shell.close()


def test_creating_a_constraint_on_breaking_data_names_both_entities(db):
    db.create_substrate(identity=1, labels=["Person"], metadata={"name": "Ann"})
    db.create_substrate(identity=2, labels=["Person"], metadata={"name": "Ann"})
    with pytest.raises(SchemaConstraintViolation) as caught:
        db.query(UNIQUE_NAME)
    assert str(caught.value) == (
        "cannot create constraint `person_name`: substrate 0x0000000000000001 has the same `name` as "
        "substrate 0x0000000000000002"
    )
    assert caught.value.detail_code == "ConstraintCreationFailed"
    assert db.query("SHOW CONSTRAINTS").rows == []
    assert _constraint_triggers(db) == 0


def test_match_on_a_unique_property_searches_the_constraint_index(db):
    # golden: SQLite's own plan of the MATCH seeks the index the constraint owns
    db.query(UNIQUE_NAME)
    db.query("CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.invoice IS UNIQUE")
    plan = db.query("EXPLAIN MATCH (p:Person {name: $name}) RETURN p").plan
    assert "  SEARCH n1 USING INDEX property_name (<expr>=?)" in plan.splitlines()
    plan = db.query("EXPLAIN MATCH ()-[r:PAID {invoice: 'x'}]->() RETURN r").plan
    assert any(
        line.startswith("  SEARCH r") and line.endswith(" USING INDEX relationship_property_invoice (<expr>=?)")
        for line in plan.splitlines()
    ), plan


def test_the_unique_check_probes_the_index_rather_than_scanning(db):
    db.query(UNIQUE_NAME)
    trigger = db.store.execute("SELECT sql FROM sqlite_master WHERE name = 'constraint_1_updated'").fetchone()[0]
    probe = trigger[trigger.index("SELECT o.identity") : trigger.rindex(")")]
    probe = probe.replace("NEW.metadata", ":metadata").replace("NEW.node", ":node")
    steps = [row[3] for row in db.store.execute("EXPLAIN QUERY PLAN " + probe, {"metadata": "{}", "node": 1})]
    assert any(step.startswith("SEARCH o USING INDEX property_name (<expr>=?)") for step in steps), steps


def test_drop_index_keeps_the_expression_index_a_constraint_owns(db):
    db.query("CREATE INDEX names FOR (p:Person) ON (p.name)")
    db.query(UNIQUE_NAME)
    db.query("DROP INDEX names")
    assert db.store.execute("SELECT count(*) FROM sqlite_master WHERE name = 'property_name'").fetchone() == (1,)
    db.query("DROP CONSTRAINT person_name")
    assert db.store.execute("SELECT count(*) FROM sqlite_master WHERE name = 'property_name'").fetchone() == (0,)


def test_drop_constraint_keeps_the_expression_index_a_property_index_uses(db):
    db.query(UNIQUE_NAME)
    db.query("CREATE INDEX names FOR (p:Person) ON (p.name)")
    db.query("DROP CONSTRAINT person_name")
    assert db.store.execute("SELECT count(*) FROM sqlite_master WHERE name = 'property_name'").fetchone() == (1,)
    assert _constraint_triggers(db) == 0


def test_a_constraint_name_may_be_any_text(db):
    db.query("CREATE CONSTRAINT `it's a 'name'` FOR (p:Person) REQUIRE p.name IS UNIQUE")
    db.query("CREATE (:Person {name: 'a'})")
    with pytest.raises(SchemaConstraintViolation, match="constraint `it's a 'name'`"):
        db.query("CREATE (:Person {name: 'a'})")


def test_an_unnamed_constraint_gets_a_name_from_what_it_requires(db):
    db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE")
    first = db.query("SHOW CONSTRAINTS YIELD name").scalar()
    db.query("DROP CONSTRAINT " + first)
    db.query("CREATE CONSTRAINT FOR (x:Person) REQUIRE x.name IS UNIQUE")
    assert db.query("SHOW CONSTRAINTS YIELD name").scalar() == first and first.startswith("constraint_")


def test_neo4j_4_spelling_is_read(db):
    db.query("CREATE CONSTRAINT ON (p:Person) ASSERT p.name IS UNIQUE")
    assert db.query("SHOW CONSTRAINTS YIELD type").scalar() == "UNIQUENESS"


@pytest.mark.parametrize(
    "text",
    [
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE q.name IS UNIQUE",
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS RELATIONSHIP KEY",
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE (p.a, p.b) IS NOT NULL",
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.a IS :: POINTLESS",
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.a IS :: LIST<INTEGER | FLOAT NOT NULL>",
        "SHOW SHINY CONSTRAINTS",
    ],
)
def test_malformed_schema_commands_are_syntax_errors(db, text):
    with pytest.raises(QuerySyntaxError):
        db.query(text)


def test_a_property_key_that_cannot_be_indexed_is_refused(db):
    with pytest.raises(bfxdb.InvalidInput, match="not simple"):
        db.query("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.`a b` IS UNIQUE")


def test_a_constraint_may_not_take_an_index_name(db):
    db.query("CREATE INDEX taken FOR (p:Person) ON (p.city)")
    with pytest.raises(QueryArgumentError, match="an index has that name"):
        db.query("CREATE CONSTRAINT taken FOR (p:Person) REQUIRE p.name IS UNIQUE")


def test_explain_shows_the_constraint_command(db):
    plan = db.query("EXPLAIN CREATE CONSTRAINT c FOR ()-[r:PAID]-() REQUIRE r.amount IS :: INTEGER | FLOAT").plan
    assert plan == "CreateConstraint c FOR ()-[r:PAID]-() REQUIRE r.amount IS :: INTEGER | FLOAT"
    assert db.query("SHOW CONSTRAINTS").rows == []


def test_constraints_survive_reopening(db_path):
    with bfxdb.connect(db_path) as db:
        db.query(UNIQUE_NAME)
        db.query("CREATE (:Person {name: 'Ann'})")
    with bfxdb.connect(db_path) as db:
        with pytest.raises(SchemaConstraintViolation):
            db.query("CREATE (:Person {name: 'Ann'})")
        assert db.query("SHOW CONSTRAINTS YIELD name").scalar() == "person_name"


def test_show_reads_a_read_only_database_and_create_is_refused_there(db_path):
    with bfxdb.connect(db_path) as db:
        db.query(UNIQUE_NAME)
    with bfxdb.connect(db_path, read_only=True) as db:
        assert db.query("SHOW CONSTRAINTS YIELD name").rows == [("person_name",)]
        assert list(db.stream("SHOW INDEXES YIELD name, owningConstraint")) == [
            {"name": "person_name", "owningConstraint": "person_name"}
        ]
        with pytest.raises(bfxdb.ReadOnlyError):
            db.query("DROP CONSTRAINT person_name")


def test_yield_star_gives_every_column_and_plain_show_neo4js_defaults(db):
    db.query(UNIQUE_NAME)
    assert db.query("SHOW CONSTRAINTS YIELD *").columns == [
        "id", "name", "type", "entityType", "labelsOrTypes", "properties", "ownedIndex", "propertyType",
        "options", "createStatement",
    ]  # fmt: skip
    assert db.query("SHOW INDEXES").columns == [
        "id", "name", "state", "populationPercent", "type", "entityType", "labelsOrTypes", "properties",
        "indexProvider", "owningConstraint", "lastRead", "readCount",
    ]  # fmt: skip
    assert db.query("SHOW INDEXES YIELD *").rows[0][-1] == (
        "CREATE RANGE INDEX `person_name` FOR (n:`Person`) ON (n.`name`)"
    )
