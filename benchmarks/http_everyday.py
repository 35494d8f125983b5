"""Benchmark POST /query for small everyday queries beside GET one substrate, on the same `bfxdb serve`.

Run: python -m benchmarks.http_everyday [--duration 5] [--rounds 3] [--connections 32] [--threads 4]
     [--code PATH]

It builds benchmarks.http's graph (20,000 Node substrates {i, name}, 3 LINKs each) with an
index on Node.name, starts `python -m bfxdb.web` on it (the bfxdb found at ``--code``, a source
checkout, when given: for before/after figures from one command line) and drives each scenario
with wrk (else a Python client) for the given seconds, rounds interleaved. The reference is GET
/substrates/{id} on the same server: one row read and encoded, what a point query also does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import bfxdb

from .http import TWO_HOPS, build_graph, run_python, run_wrk, started, wrk_script


def scenarios(sample: list[int]) -> list[tuple[str, list[tuple[str, str, str | None]]]]:
    """The (name, requests) to measure: GET substrate first (the reference), then the queries."""

    def query(text: str, parameters: list[dict]) -> list[tuple[str, str, str | None]]:
        return [
            ("POST", "/api/v1/query", json.dumps({"query": text, "parameters": p, "read_only": True}))
            for p in parameters
        ]

    return [
        ("GET substrate", [("GET", f"/api/v1/substrates/0x{i:016X}", None) for i in sample]),
        ("MATCH (n) RETURN n LIMIT 5", query("MATCH (n) RETURN n LIMIT 5", [{}])),
        ("point lookup on an index", query(
            "MATCH (n:Node {name: $name}) RETURN n.i", [{"name": f"node {i}"} for i in sample]
        )),
        ("ORDER BY indexed LIMIT 3", query("MATCH (n:Node) RETURN n.name ORDER BY n.name LIMIT 3", [{}])),
        ("2-hop query", query(TWO_HOPS, [{"id": i} for i in sample])),
    ]


def main() -> None:
    """Parse options, build the graph, run every scenario and print medians beside GET substrate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="waitress threads")
    parser.add_argument("--code", help="serve the bfxdb of this source checkout (default: the installed one)")
    options = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus = ["--cpus", str(cpus[0])] if len(cpus) >= 2 else []
    if server_cpus:
        os.sched_setaffinity(0, cpus[1:])
    if options.code:
        # the server is a child process: it finds bfxdb where PYTHONPATH says first
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [options.code, os.environ.get("PYTHONPATH")]))
    use_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        path = folder / "bench.db"
        sample, _ = build_graph(path)
        with bfxdb.connect(path) as db:
            db.query("CREATE INDEX FOR (n:Node) ON (n.name)")
        command = [sys.executable, "-m", "bfxdb.web", str(path), "--port", "0", "--threads", str(options.threads)]
        samples: dict[str, list[dict[str, float]]] = {}
        with started(command + server_cpus) as base:
            for round_number in range(1, options.rounds + 1):
                for name, requests in scenarios(sample):
                    if use_wrk:
                        script = wrk_script(folder, name.replace("(", "").replace(")", ""), requests)
                        run_wrk(base, script, options.connections, 1)
                        figures = run_wrk(base, script, options.connections, options.duration)
                    else:
                        run_python(base, requests, options.connections, 1)
                        figures = run_python(base, requests, options.connections, options.duration)
                    print(f"round {round_number}: {name:28} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.2f} ms"
                          f"  p99 {figures['p99']:6.2f} ms  non-2xx {figures['errors']}", flush=True)
                    samples.setdefault(name, []).append(figures)
    medians = {name: {k: statistics.median(run[k] for run in runs) for k in ("rps", "p50", "p99")}
               for name, runs in samples.items()}
    reference = medians["GET substrate"]["rps"]
    print(f"\nmedians of {options.rounds} rounds, {options.connections} connections, {options.threads} threads"
          f"{', bfxdb from ' + options.code if options.code else ''}:")
    print("| request | req/s | p50 ms | p99 ms | req/s vs GET substrate |\n|---|---|---|---|---|")
    for name, figures in medians.items():
        print(f"| {name} | {figures['rps']:,.0f} | {figures['p50']:.2f} | {figures['p99']:.2f} | "
              f"{figures['rps'] / reference:.2f}x |")


if __name__ == "__main__":
    main()
