"""`bfxdb copy`: a whole graph between SQLite files and PostgreSQL schemas, every row kept, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main


def _rows(target: str) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Every substrate and relationship of a database as plain tuples (metadata as sorted items), and its indexes."""
    with bfxdb.connect(target, read_only=True) as db:
        substrates = [
            (s.identity, tuple(sorted(s.labels)), _plain(s.metadata), s.expression_type, s.expression_code,
             s.created_at)
            for s in db.iter_substrates()
        ]
        relationships = [
            (r.identity, r.source, r.target, r.rel_type, _plain(r.metadata), r.bidirectional, r.created_at)
            for r in db.iter_relationships()
        ]
        indexes = [tuple(row[1:]) for row in db.store.property_indexes()]
    return substrates, relationships, indexes


def _plain(metadata) -> tuple:
    """Metadata with its value types, so that 1 and 1.0 differ (they compare equal in Python)."""
    return tuple(sorted((key, repr(value)) for key, value in metadata.items()))


def _graph(path: Path) -> str:
    """A graph with what a copy must keep: high-bit ids, labels, odd values, expressions, relationship ids."""
    with bfxdb.connect(path) as db:
        db.bulk_load(
            [
                {"identity": 2**63 + 5, "labels": ["Person", "Admin"],
                 "metadata": {"name": "Alice", "big": 2**62, "f": 1e16, "tiny": 1e-7, "n": [1, 2.5, None], "t": True}},
                {"identity": 1, "metadata": {"nested": {"a": [{"b": "ü"}]}, "one": 1.0}},
                {"identity": 2, "expression_type": "lambda", "expression_code": "lambda **kw: kw['x'] + 1"},
                *({"identity": 100 + i, "labels": ["Bulk"], "metadata": {"i": i}} for i in range(250)),
            ],
            [
                {"identity": 2**63 + 9, "source": 2**63 + 5, "target": 1, "rel_type": "KNOWS",
                 "metadata": {"since": 2020}, "bidirectional": True},
                {"identity": 3, "source": 1, "target": 2, "rel_type": "RUNS"},
                *({"identity": 1000 + i, "source": 100 + i, "target": 100 + (i + 1) % 250, "rel_type": "NEXT"}
                  for i in range(250)),
            ],
        )
        db.query("CREATE INDEX person_name FOR (n:Person) ON (n.name)")
    return str(path)


@pytest.fixture
def source(tmp_path: Path) -> str:
    return _graph(tmp_path / "source.db")


def _copy(runner, *arguments: str):
    return runner.invoke(main, ["copy", "--batch-size", "64", *arguments])


def test_sqlite_to_sqlite_keeps_every_row(runner, source, tmp_path):
    copied = str(tmp_path / "copy.db")
    result = _copy(runner, source, copied)
    assert result.exit_code == 0, result.output
    assert "copied 253 substrates, 252 relationships and 1 property indexes" in result.output
    assert _rows(copied) == _rows(source)
    with bfxdb.connect(copied) as db:
        assert db.invoke(2, {"x": 41}) == 42


def test_sqlite_to_postgresql_and_back_keeps_every_row(runner, source, postgres_url, tmp_path):
    result = _copy(runner, source, postgres_url)
    assert result.exit_code == 0, result.output
    assert _rows(postgres_url) == _rows(source)
    back = str(tmp_path / "back.db")
    result = _copy(runner, postgres_url, back)
    assert result.exit_code == 0, result.output
    assert _rows(back) == _rows(source)


def test_a_copied_graph_takes_new_writes_after_its_ids(runner, source, postgres_url):
    assert _copy(runner, source, postgres_url).exit_code == 0
    with bfxdb.connect(postgres_url) as db:
        new = db.create_relationship(1, 2, "LATER")
        assert new.identity not in {r.identity for r in db.iter_relationships() if r.rel_type != "LATER"}


def test_a_destination_with_data_is_refused_and_left_alone(runner, source, tmp_path):
    other = tmp_path / "other.db"
    with bfxdb.connect(other) as db:
        db.create_substrate(identity=77)
    before = _rows(str(other))
    result = _copy(runner, source, str(other))
    assert result.exit_code == 1 and "is not empty" in result.output and "--into-nonempty" in result.output
    assert _rows(str(other)) == before


def test_into_nonempty_adds_the_graph_and_a_shared_identity_writes_nothing(runner, source, tmp_path):
    other = tmp_path / "other.db"
    with bfxdb.connect(other) as db:
        db.create_substrate(identity=77)
    assert _copy(runner, "--into-nonempty", source, str(other)).exit_code == 0
    assert len(_rows(str(other))[0]) == 254
    clash = tmp_path / "clash.db"
    with bfxdb.connect(clash) as db:
        db.create_substrate(identity=100 + 249)  # in the last batch of substrates: earlier batches were written
    before = _rows(str(clash))
    result = _copy(runner, "--into-nonempty", source, str(clash))
    assert result.exit_code == 1 and "0x000000000000015D" in result.output and "Traceback" not in result.output
    assert _rows(str(clash)) == before


def test_a_failed_copy_into_a_new_file_leaves_no_file(runner, tmp_path):
    source = tmp_path / "constrained.db"
    with bfxdb.connect(source) as db:
        db.create_substrate(labels=["A"], metadata={"k": 1})
        db.query("CREATE CONSTRAINT a_key FOR (n:A) REQUIRE n.k IS UNIQUE")
    target = tmp_path / "new.db"
    result = _copy(runner, str(source), str(target))
    assert result.exit_code == 1 and "constraints" in result.output and "Traceback" not in result.output
    assert not target.exists()


def test_a_file_onto_itself_is_a_usage_error(runner, source):
    result = _copy(runner, source, source)
    assert result.exit_code == 2 and "same file" in result.output


def test_a_missing_source_file_is_a_usage_error(runner, tmp_path):
    result = _copy(runner, str(tmp_path / "missing.db"), str(tmp_path / "copy.db"))
    assert result.exit_code == 2 and not (tmp_path / "copy.db").exists()
