"""Peak memory and wall time of queries that build too much, each in a fresh process, beside an empty query.

    python -m benchmarks.limits                      # this checkout
    python -m benchmarks.limits --source /tmp/base   # another checkout (its bfxdb/ on the path)

Each case runs in its own subprocess, so ``resource.getrusage`` reports that query's peak RSS
alone; the reference is the same process running ``RETURN 1`` (import, connect, parser). A
child is capped at ``--cap`` GiB of address space so that a runaway query fails with
MemoryError instead of taking the shared machine down.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = {
    "two 5,000-row UNWINDs, count(*)": "UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b RETURN count(*) AS n",
    "self-doubling list through reduce": "RETURN size(reduce(acc = [1], i IN range(1, 40) | acc + acc)) AS n",
    "self-nesting list through reduce": "RETURN reduce(acc = [1], i IN range(1, 40) | [acc, acc]) AS n",
    "a 600 kB query text (a 300,000-item list)": "RETURN size([" + ",".join(["1"] * 300_000) + "]) AS n",
}

_CHILD = """
import json, resource, sys, time
if sys.argv[4]:
    # an editable install finds bfxdb before sys.path does: drop its finder to measure the other checkout
    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
    sys.path.insert(0, sys.argv[4])
limit = float(sys.argv[2]) * (1 << 30)
resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
import bfxdb
db = bfxdb.connect(":memory:")
db.query("RETURN 1")
query = sys.stdin.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    result = db.query(query, timeout=float(sys.argv[3]))
    outcome = "rows: " + repr(result.rows)[:40]
except bfxdb.BfxError as error:
    outcome = type(error).__name__
except MemoryError:
    outcome = "MemoryError at the cap"
wall = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "wall": wall, "before": before, "after": after, "from": bfxdb.__file__}))
"""


def measure(query: str, source: str | None, timeout: float, cap: float) -> dict:
    """Run one query in a fresh interpreter and return its outcome, wall seconds and peak RSS (KiB)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "-", str(cap), str(timeout), source or ""],
        input=query,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        died = f"process died ({done.returncode}): {done.stderr.strip()[-80:]}"
        return {"outcome": died, "wall": 0.0, "before": 0, "after": 0}
    return json.loads(lines[-1])


def main() -> None:
    """Print one row per case: outcome, wall time, peak RSS and its growth over the empty query."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="a checkout whose bfxdb/ to measure instead of the installed one")
    parser.add_argument("--timeout", type=float, default=2.0, help="each query's time limit, seconds")
    parser.add_argument("--cap", type=float, default=8.0, help="address-space cap of a child, GiB")
    options = parser.parse_args()
    print(f"bfxdb from {options.source or 'this checkout'}; time limit {options.timeout:g} s")
    print(f"{'case':42} {'outcome':26} {'wall s':>7} {'peak RSS MiB':>13} {'+MiB':>7}")
    modules = set()
    for name, query in CASES.items():
        figures = measure(query, options.source, options.timeout, options.cap)
        growth = (figures["after"] - figures["before"]) / 1024
        modules.add(figures.get("from", "?"))
        print(
            f"{name:42} {figures['outcome'][:26]:26} {figures['wall']:7.2f} "
            f"{figures['after'] / 1024:13.0f} {growth:7.0f}"
        )
    print("measured:", ", ".join(sorted(modules)))


if __name__ == "__main__":
    main()
