"""Run one small query N times on a 500-node graph, for counting instructions: the run with N = 0 is the baseline.

Run: valgrind --tool=cachegrind --cache-sim=no python -m benchmarks.instructions N QUERY
(QUERY: point, limit5 or hop). The difference of the instruction counts ("I refs") of
N = 1,000 and N = 0, divided by 1,000, is the instructions per query, which a loaded
machine does not disturb as it disturbs the clock. PYTHONPATH picks the tree under test.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import bfxdb

QUERIES = {
    "point": ("MATCH (n:Person {pid: $p}) RETURN n.name", {"p": "p17"}),
    "limit5": ("MATCH (n) RETURN n LIMIT 5", {}),
    "hop": ("MATCH (a:Person {pid: $p})-[:KNOWS]->(b) RETURN b.pid", {"p": "p3"}),
}


def main() -> None:
    """Build the graph, warm the plan cache, then run the query the given number of times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__)
    parser.add_argument("calls", type=int)
    parser.add_argument("query", choices=sorted(QUERIES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, bfxdb.connect(os.path.join(folder, "g.db")) as db:
        db.query(
            "UNWIND range(1, 500) AS i "
            "CREATE (:Person {pid: 'p' + toString(i), name: 'n' + toString(i), age: i % 90})"
        )
        db.query("CREATE INDEX FOR (n:Person) ON (n.pid)")
        db.query("MATCH (a:Person), (b:Person) WHERE a.age = 3 AND b.age = 4 CREATE (a)-[:KNOWS]->(b)")
        text, parameters = QUERIES[args.query]
        for _ in range(3 + args.calls):
            db.query(text, parameters)


if __name__ == "__main__":
    main()
