"""Count the instructions each small everyday query and its raw twin execute under valgrind: noise-free figures.

Run: python -m benchmarks.instructions [--nodes N] [--calls C] [--query NAME]

On a shared machine the clock of a 20 µs query swings by 2x between runs of the same code;
the number of instructions it executes does not. This builds benchmarks.hotpath's graph in a
temporary folder, then runs each query of hotpath's SMALL table in a child process under
``valgrind --tool=cachegrind`` twice, once with 100 calls and once with 100 + C, and reports
the difference divided by C: instructions per call, with start-up, imports and the first
(planning) call cancelled out. The same for the raw twin on the plain raw schema. The child's
hash seed is fixed, so two runs of the same code agree to a few instructions in a thousand.

Instructions are not time: SQLite's page reads wait on memory more than Python's bytecode
does, so a ratio of instructions overstates the ratio of times a little. Use it to compare two
versions of bfxdb (run it on each), and the clock (benchmarks.hotpath) for the time itself.
Needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .everyday import build_graph, load_bfxdb, load_raw
from .hotpath import SMALL

#: calls made before the counted ones: the plan is cached and the caches are warm after these
WARM_CALLS = 100

#: What the child runs: the query (or its twin) a given number of times, nothing else.
CHILD = """
import json, sqlite3, sys
side, path, text, parameters, calls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])
if side == "raw":
    connection = sqlite3.connect(path)
    values = tuple(parameters)
    for _ in range(calls):
        connection.execute(text, values).fetchall()
else:
    import bfxdb
    db = bfxdb.connect(path)
    for _ in range(calls):
        db.query(text, parameters).rows
"""


def instructions(side: str, path: Path, text: str, parameters: object, calls: int) -> int:
    """The instructions a child process executes running ``text`` ``calls`` times, start-up included."""
    completed = subprocess.run(
        [
            "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
            sys.executable, "-c", CHILD, side, str(path), text, json.dumps(parameters), str(calls),
        ],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", completed.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{completed.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_call(side: str, path: Path, text: str, parameters: object, calls: int) -> float:
    """Instructions per call of one query, the warm-up and the process's own start cancelled out."""
    base = instructions(side, path, text, parameters, WARM_CALLS)
    return (instructions(side, path, text, parameters, WARM_CALLS + calls) - base) / calls


def main() -> None:
    """Build the graph, count each small query beside its raw twin and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--query", choices=sorted(SMALL), action="append", help="only this query (repeatable)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    people, edges = build_graph(args.nodes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_bfxdb(folder / "bfx.db", people, edges)
        load_raw(folder / "raw.db", people, edges)
        print(f"\nsmall queries, {args.nodes:,} nodes: instructions per call under valgrind ({args.calls:,} calls)")
        print("| query | db.query | raw twin | query/raw |")
        print("|---|---|---|---|")
        for name in args.query or list(SMALL):
            cypher, parameters, sql, values = SMALL[name]
            bfx = per_call("bfxdb", folder / "bfx.db", cypher, parameters, args.calls)
            raw = per_call("raw", folder / "raw.db", sql, list(values), args.calls)
            print(f"| {name} | {bfx:,.0f} | {raw:,.0f} | {bfx / raw:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
