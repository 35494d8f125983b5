"""A bad row in batch 37: with --commit-batches the 36 batches before it stay, and are named; without, nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bfxdb.cli import main

from .conftest import assert_sound

BATCH = 10
BAD_LINE = 36 * BATCH + 4  # the fourth line of batch 37


def _source(tmp_path):
    lines = [json.dumps({"type": "substrate", "identity": index}) for index in range(1, 50 * BATCH + 1)]
    lines[BAD_LINE - 1] = '{"type": "substrate", "identity": "not an id"}'
    path = tmp_path / "rows.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_row_in_batch_37_keeps_exactly_the_36_batches_before_it(tmp_path):
    source, database = _source(tmp_path), tmp_path / "g.db"
    result = CliRunner().invoke(
        main, ["import", str(database), str(source), "--batch-size", str(BATCH), "--commit-batches", "-q"]
    )
    assert result.exit_code == 1
    assert f"{source}:{BAD_LINE}:" in result.stderr
    assert f"36 batches of up to {BATCH} rows committed ({36 * BATCH} substrates" in result.stderr
    assert f"through {source}:{36 * BATCH}; nothing after it was imported" in result.stderr
    assert_sound(database, set(range(1, 36 * BATCH + 1)))


def test_without_commit_batches_a_bad_row_in_batch_37_leaves_nothing(tmp_path):
    source, database = _source(tmp_path), tmp_path / "g.db"
    result = CliRunner().invoke(main, ["import", str(database), str(source), "--batch-size", str(BATCH), "-q"])
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert_sound(database, set())


def test_commit_batches_names_the_batches_of_a_whole_import(tmp_path):
    source, database = _source(tmp_path), tmp_path / "g.db"
    result = CliRunner().invoke(
        main, ["import", str(database), str(source), "--batch-size", str(BATCH), "--commit-batches", "--skip-bad"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"imported {50 * BATCH - 1} substrates, 0 relationships from 1 file" in result.stderr
    assert "in 50 batches; skipped 1 bad row" in result.stderr
    assert_sound(database, set(range(1, 50 * BATCH + 1)) - {BAD_LINE})
