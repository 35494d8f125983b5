"""Benchmark start-up: a whole `bfxdb query` process against `sqlite-utils query`, and the first query after import.

Run: python -m benchmarks.startup [--substrates N] [--rounds R]

Every figure is a fresh process. Both tools run from bytecode, as installed packages do: the
processes share a private bytecode cache (PYTHONPYCACHEPREFIX), filled by a warm-up run, so an
editable install or PYTHONDONTWRITEBYTECODE does not make bfxdb compile its sources on every
start while sqlite-utils uses the bytecode pip compiled. The parser's tables live in a private
cache directory (BFXDB_CACHE_DIR), stored by the warm-up run as a user's first query stores them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bfxdb

from .common import interleaved_medians, print_table

#: The environment variable naming where the parser's tables are stored (see bfxdb.warm_up).
TABLES_VARIABLE = "BFXDB_CACHE_DIR"
QUERY = "MATCH (n:P) RETURN count(n)"
#: What bfxdb runs for QUERY (EXPLAIN shows it), written by hand for sqlite-utils.
SQL = "SELECT count(*) FROM substrate_labels WHERE label = (SELECT id FROM names WHERE name = 'P')"
FIRST_QUERY = """
import sys, time
import bfxdb
db = bfxdb.connect(sys.argv[1])
started = time.perf_counter()
db.query(sys.argv[2])
print(time.perf_counter() - started)
"""


def build(path: Path, substrates: int) -> None:
    """Write a graph of ``substrates`` substrates labelled P, each with one metadata key."""
    with bfxdb.connect(path) as db:
        db.bulk_load(substrates=({"identity": i + 1, "labels": ["P"], "metadata": {"n": i}} for i in range(substrates)))


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def _wall_ms(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def _first_query_ms(path: Path, environment: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_QUERY, str(path), QUERY], env=environment, check=True, capture_output=True,
        text=True,
    )
    return float(done.stdout) * 1000


def measure_startup(substrates: int = 100_000, rounds: int = 11) -> dict:
    """Time the contenders in alternating rounds in fresh processes and return each one's median, in ms.

    :param substrates: size of the graph file both tools read.
    :param rounds: how many alternating rounds to run.
    :returns: dict with ``processes`` (whole-process ms by contender), ``first_query`` (ms of
        the first db.query after import, tables stored) and ``first_query_building`` (ms, with
        an empty cache directory each time, so the tables are built as on a machine's first run).
    """
    bfxdb_command, sqlite_utils = _tool("bfxdb"), _tool("sqlite-utils")
    if bfxdb_command is None or sqlite_utils is None:
        raise SystemExit("needs the bfxdb and sqlite-utils commands: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "graph.db"
        build(path, substrates)
        environment = {
            key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
        }
        environment["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        environment[TABLES_VARIABLE] = str(Path(folder) / "tables")
        commands = {
            "bfxdb query": [bfxdb_command, "query", str(path), QUERY],
            "sqlite-utils query": [sqlite_utils, "query", str(path), SQL],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        for command in commands.values():
            _wall_ms(command, environment)
        _first_query_ms(path, environment)
        empty = iter(range(rounds + 1))

        def building() -> float:
            fresh = {**environment, TABLES_VARIABLE: str(Path(folder) / f"empty-{next(empty)}")}
            return _first_query_ms(path, fresh)

        contenders = {
            name: (lambda command=command: _wall_ms(command, environment)) for name, command in commands.items()
        }
        contenders["first query"] = lambda: _first_query_ms(path, environment)
        contenders["first query, tables built"] = building
        medians = interleaved_medians(contenders, rounds)
    return {
        "processes": {name: medians[name] for name in commands},
        "first_query": medians["first query"],
        "first_query_building": medians["first query, tables built"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substrates", type=int, default=100_000, help="substrates in the graph file")
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds; the median is reported")
    options = parser.parse_args()
    figures = measure_startup(options.substrates, options.rounds)
    processes = figures["processes"]
    reference = processes["sqlite-utils query"]
    print_table(
        f"start-up, {options.substrates:,} substrates (ms, median of {options.rounds} interleaved rounds; "
        "targets: bfxdb query <= 1.5x sqlite-utils query, first query after import <= 50 ms)",
        [
            (f"`bfxdb query` {QUERY!r}", f"{processes['bfxdb query']:.0f}", f"{reference:.0f}",
             f"{processes['bfxdb query'] / reference:.2f}x"),
            ("`python -c pass` (the interpreter alone)", f"{processes['python -c pass']:.0f}", f"{reference:.0f}",
             f"{processes['python -c pass'] / reference:.2f}x"),
            ("first db.query after import, tables stored", f"{figures['first_query']:.1f}", "50", ""),
            ("first db.query after import, tables built", f"{figures['first_query_building']:.1f}", "50", ""),
        ],
    )
    print(f"\nload average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
