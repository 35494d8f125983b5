"""A full disk (a 1 MB tmpfs) under every import path: an error that says so, and in the file what was reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bfxdb.web import create_app
from click.testing import CliRunner

import bfxdb
from bfxdb.cli import main

from .conftest import assert_sound, big_rows, write_ndjson

FULL = "the disk holding the database is full"
NDJSON = {"Content-Type": "application/x-ndjson"}
ROWS = 400  # about 1.2 MB: more than the disk holds


def _cypher_script(path: Path, count: int) -> Path:
    """Plain Cypher CREATE statements (not the dump form): they run as queries, whose cache spills to disk."""
    pad = "y" * 3000
    path.write_text("".join(f"CREATE (:Big {{i: {index}, pad: '{pad}'}});\n" for index in range(count)))
    return path


@pytest.mark.parametrize("skip_bad", [False, True])
def test_a_disk_filling_mid_transaction_leaves_nothing_and_says_why(small_disk, tmp_path, skip_bad):
    # the statements' pages spill to the WAL before the commit, so the disk fills inside a statement,
    # which makes SQLite roll back the whole transaction: nothing may be loaded after it
    script = _cypher_script(tmp_path / "big.cypher", 1200)
    database = small_disk / "g.db"
    result = CliRunner().invoke(main, ["import", str(database), str(script), *(["--skip-bad"] if skip_bad else [])])
    assert_sound(database, set())
    assert result.exit_code == 1
    assert FULL in result.stderr
    assert "nothing was imported" in result.stderr
    assert "skipped" not in result.stderr, "a full disk is no bad row"


def test_a_full_disk_at_the_commit_of_an_import_leaves_nothing(small_disk, tmp_path):
    source = write_ndjson(tmp_path / "big.ndjson", big_rows(ROWS))
    database = small_disk / "g.db"
    result = CliRunner().invoke(main, ["import", str(database), str(source), "--batch-size", "50"])
    assert result.exit_code == 1
    assert FULL in result.stderr and "nothing was imported" in result.stderr
    assert "imported 0" not in result.stderr
    assert_sound(database, set())


def test_batches_committed_before_the_disk_filled_are_named_exactly(small_disk, tmp_path):
    source = write_ndjson(tmp_path / "big.ndjson", big_rows(ROWS))
    database = small_disk / "g.db"
    result = CliRunner().invoke(main, ["import", str(database), str(source), "--batch-size", "50", "--commit-batches"])
    assert result.exit_code == 1
    assert FULL in result.stderr
    committed = r"(\d+) batch(?:es)? of up to 50 rows committed \((\d+) substrates.*through (\S+):(\d+);"
    said = re.search(committed, result.stderr)
    assert said, result.stderr
    batches, substrates, where, line = int(said[1]), int(said[2]), said[3], int(said[4])
    assert where == str(source)
    assert 0 < batches < ROWS // 50
    assert substrates == line == batches * 50
    assert_sound(database, set(range(1, line + 1)))


def test_bulk_load_on_a_full_disk_raises_storage_full_and_writes_nothing(small_disk):
    items = [{"identity": r["identity"], "labels": r["labels"], "metadata": r["metadata"]} for r in big_rows(ROWS)]
    database = small_disk / "g.db"
    with bfxdb.connect(database) as db:
        with pytest.raises(bfxdb.StorageFull) as raised:
            db.bulk_load(items)
        assert raised.value.http_status == 507
        assert db.count_substrates() == 0
    assert_sound(database, set())


def test_http_atomic_import_on_a_full_disk_answers_507_and_writes_nothing(small_disk):
    body = "".join(json.dumps(record) + "\n" for record in big_rows(ROWS)).encode()
    database = small_disk / "g.db"
    with bfxdb.connect(database) as db:
        response = (
            create_app(db).test_client().post("/api/v1/import?atomic=true&batch_size=50", data=body, headers=NDJSON)
        )
    assert response.status_code == 507, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["code"] == "storage_full" and FULL in answer["detail"]
    assert "nothing was imported" in answer["detail"]
    assert (answer["batches_committed"], answer["substrates"], answer["lines_committed"]) == (0, 0, 0)
    assert_sound(database, set())


def test_http_batched_import_on_a_full_disk_answers_507_with_the_batches_committed(small_disk):
    body = "".join(json.dumps(record) + "\n" for record in big_rows(ROWS)).encode()
    database = small_disk / "g.db"
    with bfxdb.connect(database) as db:
        response = create_app(db).test_client().post("/api/v1/import?batch_size=50", data=body, headers=NDJSON)
    assert response.status_code == 507, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["code"] == "storage_full"
    batches, line = answer["batches_committed"], answer["lines_committed"]
    assert 0 < batches < ROWS // 50
    assert answer["substrates"] == line == batches * 50
    assert f"{batches} batch(es) committed" in answer["detail"]
    assert_sound(database, set(range(1, line + 1)))
