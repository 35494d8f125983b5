"""`python -m bfxdb` and `python -m bfxdb.cli` are the `bfxdb` command: same output, same exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bfxdb.query import tablecache

#: The console script pip installed beside this interpreter.
CONSOLE_SCRIPT = str(Path(sys.executable).with_name("bfxdb"))
ENTRY_POINTS = {
    "console script": [CONSOLE_SCRIPT],
    "python -m bfxdb": [sys.executable, "-m", "bfxdb"],
    "python -m bfxdb.cli": [sys.executable, "-m", "bfxdb.cli"],
}
#: The time a query took, which the command prints beside its row count and which differs run to run.
ELAPSED = re.compile(r"\([0-9.]+ ms\)")
#: Arguments (DATABASE stands for a database file) and the exit code the `bfxdb` command gives them.
CASES = [
    (["--version"], 0),
    (["query", "DATABASE", "RETURN 1 AS one", "--format", "json"], 0),
    (["query", "DATABASE", "RETURN (("], 1),
    (["query", "no-such-file.db", "RETURN 1"], 2),
    (["no-such-command"], 2),
]


def _run(command: list[str], arguments: list[str], database: Path, cache: Path) -> tuple[int, str, str]:
    environment = {**os.environ, tablecache.CACHE_DIR_VARIABLE: str(cache)}
    arguments = [str(database) if argument == "DATABASE" else argument for argument in arguments]
    done = subprocess.run(
        [*command, *arguments], env=environment, cwd=database.parent, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, ELAPSED.sub("(elapsed)", done.stderr)


@pytest.mark.skipif(not Path(CONSOLE_SCRIPT).exists(), reason="the bfxdb console script is not installed here")
@pytest.mark.parametrize(("arguments", "exit_code"), CASES, ids=[" ".join(case[0]) for case in CASES])
def test_python_m_bfxdb_and_python_m_bfxdb_cli_behave_as_the_bfxdb_command(arguments, exit_code, file_db, tmp_path):
    file_db.close()
    outcomes = {
        name: _run(command, arguments, Path(file_db.path), tmp_path) for name, command in ENTRY_POINTS.items()
    }
    assert outcomes["console script"][0] == exit_code, outcomes["console script"]
    assert outcomes["python -m bfxdb"] == outcomes["console script"]
    assert outcomes["python -m bfxdb.cli"] == outcomes["console script"]
