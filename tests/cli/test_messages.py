"""Messages that must not mislead: Ctrl-C is an interrupt (exit 130), EXPLAIN shows its plan, a
piped script's error names its statement and line."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main

from ..conftest import REPO

#: Queries that run for minutes unless stopped: one inside SQLite (where an interrupt used to
#: read as a time limit), one in Python's evaluator, and one that writes.
LONG_QUERIES = {
    "sqlite": "MATCH (a:N), (b:N), (c:N) RETURN count(*)",
    "python": "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b WITH a WHERE a < 0 RETURN count(*)",
    "write": "MATCH (a:N), (b:N), (c:N) CREATE (:Made)",
}


@pytest.fixture
def crowd(db_path: Path) -> Path:
    with bfxdb.connect(db_path) as db:
        db.bulk_load([{"labels": ["N"], "metadata": {"v": i}} for i in range(1500)])
    return db_path


def interrupt(arguments: list[str], database: Path, stdin: Path | None = None) -> subprocess.CompletedProcess:
    """Run `bfxdb ARGUMENTS` in a process, send it SIGINT once it has the database open, and collect its output."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with open(stdin or os.devnull, encoding="utf-8") as source:
        process = subprocess.Popen(
            [sys.executable, "-m", "bfxdb", *arguments], env=env, text=True,
            stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        wait_until_open(process.pid, database)
        time.sleep(1)  # well into the query, past parsing and planning
        assert process.poll() is None, "the query ended before it could be interrupted"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def wait_until_open(pid: int, database: Path, timeout: float = 30) -> None:
    """Wait until process `pid` holds `database` open (it has started up); on a system without /proc, a while."""
    descriptors = Path(f"/proc/{pid}/fd")
    if not descriptors.parent.exists():
        time.sleep(3)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(os.path.realpath(fd) == str(database.resolve()) for fd in descriptors.iterdir()):
                return
        except OSError:  # a descriptor closed while being read
            pass
        time.sleep(0.05)
    raise AssertionError(f"bfxdb did not open {database} within {timeout} s")


@pytest.mark.parametrize("kind", sorted(LONG_QUERIES))
def test_ctrl_c_during_a_query_says_interrupted_and_exits_130(crowd, kind):
    done = interrupt(["query", str(crowd), LONG_QUERIES[kind], "--timeout", "600"], crowd)
    assert done.returncode == 130, done.stderr
    assert "interrupted (Ctrl-C); nothing was written" in done.stderr
    assert "time limit" not in done.stderr and "Traceback" not in done.stderr
    with bfxdb.connect(crowd) as db:
        assert db.query("MATCH (m:Made) RETURN count(*)").rows == [(0,)]


def test_ctrl_c_during_a_piped_shell_script_names_the_statement_and_exits_130(crowd, tmp_path):
    script = tmp_path / "script.cypher"
    script.write_text(f"RETURN 1;\n{LONG_QUERIES['sqlite']};\nRETURN 2;\n", encoding="utf-8")
    done = interrupt(["shell", str(crowd)], crowd, stdin=script)
    assert done.returncode == 130, done.stderr
    assert "Error: statement 2 (line 2: MATCH (a:N)" in done.stderr
    assert "interrupted (Ctrl-C)" in done.stderr and "time limit" not in done.stderr


def test_a_real_time_limit_still_says_time_limit(runner, crowd):
    result = runner.invoke(main, ["query", str(crowd), LONG_QUERIES["sqlite"], "--timeout", "0.3"])
    assert result.exit_code == 1
    assert "time limit" in result.stderr and "interrupted" not in result.stderr


def test_explain_through_query_prints_the_plan_not_an_empty_table(runner, crowd):
    result = runner.invoke(main, ["query", str(crowd), "// why\n explain MATCH (n:N) RETURN n.v"])
    assert result.exit_code == 0, result.output
    assert "SQL: SELECT" in result.stdout and "┌" not in result.stdout
    as_json = runner.invoke(main, ["query", str(crowd), "EXPLAIN MATCH (n:N) RETURN n.v", "-f", "json"])
    assert "SQL: SELECT" in json.loads(as_json.stdout)["plan"]


def test_a_query_that_only_mentions_explain_runs(runner, crowd):
    result = runner.invoke(main, ["query", str(crowd), "RETURN 'EXPLAIN' AS explained", "-f", "csv"])
    assert result.stdout.splitlines() == ["explained", "EXPLAIN"]


def test_explain_in_the_shell_prints_the_plan(runner, crowd):
    result = runner.invoke(main, ["shell", str(crowd)], input="EXPLAIN MATCH (n:N) RETURN n.v;\n")
    assert result.exit_code == 0, result.output
    assert "SQL: SELECT" in result.stdout and "┌" not in result.stdout


def test_a_piped_script_error_names_the_statement_number_and_its_first_line(runner, db_path):
    script = "CREATE (:T);\n\n// the next one fails\n:param x=1\nRETURN 1; RETURN\n  nope(1);\nRETURN 3;\n"
    result = runner.invoke(main, ["shell", str(db_path)], input=script)
    assert result.exit_code == 1
    assert "Error: statement 3 (line 5: RETURN): Unknown function 'nope'" in result.stderr
    assert result.stdout.count("│") and "3 │" not in result.stdout


def test_an_unfinished_last_statement_is_named_too(runner, db_path):
    result = runner.invoke(main, ["shell", str(db_path)], input="RETURN 1;\n\nRETURN 1 +\n")
    assert result.exit_code == 1
    assert "Error: statement 2 (line 3: RETURN 1 +):" in result.stderr


def test_ctrl_c_in_an_interactive_shell_stops_the_statement_and_the_session_goes_on(db, monkeypatch):
    from bfxdb.cli.shell import Shell

    from .test_shell import Keyboard

    real_query = db.query

    def pressed_inside_sqlite(text, *args, **kwargs):
        if "slow" not in text:
            return real_query(text, *args, **kwargs)
        # SQLite's progress handler swallows the KeyboardInterrupt and the statement fails as a timeout.
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise bfxdb.QueryTimeout("the query ran past its time limit of 60 s") from None
        raise AssertionError("SIGINT raised no KeyboardInterrupt")

    monkeypatch.setattr(db, "query", pressed_inside_sqlite)
    out, err = io.StringIO(), io.StringIO()
    status = Shell(db, interactive=True, output_format="csv", out=out, err=err).run(
        Keyboard("RETURN 'slow';", "RETURN 2 AS two;")
    )
    assert status == 0
    assert "Error: interrupted (Ctrl-C); nothing was written" in err.getvalue()
    assert "time limit" not in err.getvalue()
    assert out.getvalue().splitlines() == ["two", "2"]
