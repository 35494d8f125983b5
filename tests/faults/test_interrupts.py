"""A Ctrl-C that lands right after a batch's COMMIT: the batch is still counted, then the import stops."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest

import bfxdb


class _CtrlCAfterCommit:
    """A database whose second commit is followed at once by a SIGINT to this process."""

    def __init__(self, db: bfxdb.Database) -> None:
        self.db = db
        self.commits = 0

    @contextmanager
    def transaction(self):
        with self.db.transaction():
            yield self
        self.commits += 1
        if self.commits == 2:
            os.kill(os.getpid(), signal.SIGINT)

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_a_ctrl_c_just_after_a_commit_still_counts_that_batch(tmp_path):
    source = tmp_path / "rows.ndjson"
    source.write_text("".join(f'{{"type": "substrate", "identity": {n}}}\n' for n in range(1, 51)))
    options = bfxdb.ImportOptions(batch_size=10, commit_batches=True)
    report = bfxdb.ImportReport()
    with bfxdb.connect(tmp_path / "g.db") as db:
        with pytest.raises(KeyboardInterrupt):
            bfxdb.import_sources(_CtrlCAfterCommit(db), bfxdb.plan_sources([source]), options, report=report)
        assert db.count_substrates() == 20
    assert (report.batches, report.substrates, report.committed_through) == (2, 20, f"{source}:20")
