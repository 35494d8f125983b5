"""Benchmark `bfxdb serve` against a bare Flask + waitress app serving one SQLite row, at 32 connections.

Run: python -m benchmarks.http [--duration 10] [--rounds 3] [--connections 32] [--threads 4] [--no-pin]

It builds a graph in a temporary file, starts `python -m bfxdb.web` and the bare app on free loopback
ports, and drives both with the same load generator (wrk when installed, else a Python client):
GET one substrate, invoke the seed's multiply, and a 2-hop POST /query. Rounds alternate the servers
so a noisy neighbour hurts both alike; each figure is the median over the rounds. With two CPUs or
more, both servers run on CPU 0 (bfxdb through its own `--cpus 0`) and the load generator on the
others, so the two never fight for a core; `--no-pin` lets the scheduler place everything. The
targets are GET substrate >= 0.8x the bare app's req/s and p99 <= 25 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
SUBSTRATES = 20_000
FANOUT = 3
SAMPLE_IDS = 1000
TWO_HOPS = "MATCH (a)-[:LINK]->(b)-[:LINK]->(c) WHERE id(a) = $id RETURN c.i AS i LIMIT 20"
_ADDRESS = re.compile(r"(http://127\.0\.0\.1:\d+)")


def build_graph(path: Path, substrates: int = SUBSTRATES) -> tuple[list[int], int]:
    """Fill a database with ``substrates`` nodes, FANOUT random LINKs each, and the multiply substrate.

    :returns: (a sample of node identities, the multiply substrate's identity).
    """
    import bfxdb

    rng = random.Random(7)
    ids = list(range(1, substrates + 1))
    with bfxdb.connect(path) as db:
        db.bulk_load(
            ({"identity": i, "labels": ["Node"], "metadata": {"i": i, "name": f"node {i}"}} for i in ids),
            ({"source": i, "target": rng.choice(ids), "rel_type": "LINK"} for i in ids for _ in range(FANOUT)),
        )
        multiply = db.create_substrate("lambda", MULTIPLY, metadata={"name": "multiply"}).identity
    return rng.sample(ids, SAMPLE_IDS), multiply


def bare_app(path: str):
    """Build the reference: Flask returning one substrates row as JSON, one sqlite3 connection per thread."""
    from flask import Flask, jsonify

    app = Flask(__name__)
    local = threading.local()

    @app.get("/row/<int:identity>")
    def row(identity: int):
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = sqlite3.connect(path, check_same_thread=False)
        found = connection.execute(
            "SELECT identity, metadata, created_at FROM substrates WHERE identity = ?", (identity,)
        ).fetchone()
        return jsonify({"identity": found[0], "metadata": json.loads(found[1]), "created_at": found[2]})

    return app


def serve_bare(path: str, threads: int, cpus: str | None, tuned: bool) -> None:
    """Serve the bare app under waitress on a free loopback port and print its address.

    :param tuned: add the waitress tuning `bfxdb serve` uses, for a like-for-like reference.
    """
    from bfxdb.web.serve import create_tuned_server, pin_to_cpus
    from waitress import create_server

    if cpus is not None:
        pin_to_cpus(cpus)
    make = create_tuned_server if tuned else create_server
    server = make(bare_app(path), host="127.0.0.1", port=0, threads=threads)
    print(f"Serving on http://127.0.0.1:{server.effective_port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    server.run()


@contextmanager
def started(command: list[str]):
    """Start a server process and yield its base URL once it prints one."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in process.stdout:
            match = _ADDRESS.search(line)
            if match:
                break
        else:
            raise SystemExit("a server did not start: " + " ".join(command))
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk_script(folder: Path, name: str, requests: list[tuple[str, str, str | None]]) -> Path:
    """Write a wrk Lua script that sends the given (method, path, body) requests in random order."""
    entries = ",\n".join(
        "{{{}, {}, {}}}".format(json.dumps(method), json.dumps(path), json.dumps(body) if body is not None else "nil")
        for method, path, body in requests
    )
    script = folder / f"{name.replace(' ', '_')}.lua"
    script.write_text(
        f"local requests = {{\n{entries}\n}}\n"
        "math.randomseed(7)\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n"
        "  local r = requests[math.random(#requests)]\n"
        "  return wrk.format(r[1], r[2], headers, r[3])\n"
        "end\n"
    )
    return script


def run_wrk(base: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    """Drive one scenario with wrk, a thread per CPU it may use, and parse throughput, percentiles, errors."""
    threads = len(os.sched_getaffinity(0))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = {
        q: _millis(value, unit)
        for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, flags=re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": percentiles["50"],
        "p99": percentiles["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


def _millis(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_python(base: str, requests: list[tuple[str, str, str | None]], connections: int, duration: int) -> dict:
    """Drive one scenario with keep-alive http.client connections, one thread each (when wrk is absent)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            method, path, body = rng.choice(requests)
            started_at = time.perf_counter()
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started_at)
            failed += response.status >= 300
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors[0],
    }


def scenarios(sample: list[int], multiply: int) -> list[tuple[str, str, list[tuple[str, str, str | None]]]]:
    """The (name, server, requests) to measure: the bare references first, then bfxdb."""
    invoke = json.dumps({"parameters": {"x": 5, "y": 7}})
    rows = [("GET", f"/row/{i}", None) for i in sample]
    return [
        ("GET substrate", "bare", rows),
        ("GET substrate", "tuned", rows),
        ("GET substrate", "bfxdb", [("GET", f"/api/v1/substrates/0x{i:016X}", None) for i in sample]),
        ("invoke", "bfxdb", [("POST", f"/api/v1/substrates/0x{multiply:016X}/invoke", invoke)]),
        (
            "2-hop query",
            "bfxdb",
            [
                ("POST", "/api/v1/query", json.dumps({"query": TWO_HOPS, "parameters": {"id": i}, "read_only": True}))
                for i in sample
            ],
        ),
    ]


def main() -> None:
    """Parse options, build the graph, run every scenario and print the figures beside the reference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="runs of every scenario; medians are reported")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads, the same for both servers")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk exists")
    parser.add_argument("--no-pin", action="store_true", help="do not give the servers and the load their own CPUs")
    parser.add_argument("--cpus", help=argparse.SUPPRESS)
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare", metavar="PATH", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare:
        serve_bare(options.bare, options.threads, options.cpus, options.tuned)
        return

    cpus = sorted(os.sched_getaffinity(0))
    pinned = len(cpus) >= 2 and not options.no_pin
    server_cpus = ["--cpus", str(cpus[0])] if pinned else []
    if pinned:
        # The load generator (this process, and wrk as its child) keeps to the other CPUs.
        os.sched_setaffinity(0, cpus[1:])

    use_wrk = shutil.which("wrk") is not None and not options.python_client
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "bench.db"
        print(f"building {SUBSTRATES} substrates with {FANOUT} relationships each ...", flush=True)
        sample, multiply = build_graph(path)
        bare = [sys.executable, "-m", "benchmarks.http", "--bare", str(path), "--threads", str(options.threads)]
        commands = {
            "bfxdb": [sys.executable, "-m", "bfxdb.web", str(path), "--port", "0", "--threads", str(options.threads)]
            + server_cpus,
            "bare": bare + server_cpus,
            "tuned": bare + server_cpus + ["--tuned"],
        }
        print(
            f"load: {'wrk' if use_wrk else 'Python http.client'}, {options.connections} connections, "
            f"{options.duration} s per scenario after a 2 s warm-up, {options.threads} waitress threads, "
            f"{len(cpus)} CPUs, "
            + (f"servers on CPU {cpus[0]}, load on CPU {','.join(map(str, cpus[1:]))}" if pinned else "unpinned"),
            flush=True,
        )
        samples: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_number in range(1, options.rounds + 1):
            for name, server, requests in scenarios(sample, multiply):
                with started(commands[server]) as base:
                    if use_wrk:
                        script = wrk_script(folder, f"{name} {server}", requests)
                        run_wrk(base, script, options.connections, 2)
                        figures = run_wrk(base, script, options.connections, options.duration)
                    else:
                        run_python(base, requests, options.connections, 2)
                        figures = run_python(base, requests, options.connections, options.duration)
                print(
                    f"round {round_number}: {name:14} {server:6} {figures['rps']:8.0f} req/s   "
                    f"p50 {figures['p50']:7.2f} ms   p99 {figures['p99']:7.2f} ms   non-2xx {figures['errors']}",
                    flush=True,
                )
                samples.setdefault((name, server), []).append(figures)
        results = {
            key: {field: statistics.median(run[field] for run in runs) for field in ("rps", "p50", "p99")}
            for key, runs in samples.items()
        }
        print(f"\nmedians of {options.rounds} rounds:")
        for (name, server), figures in results.items():
            print(
                f"{name:14} {server:6} {figures['rps']:8.0f} req/s   p50 {figures['p50']:7.2f} ms   "
                f"p99 {figures['p99']:7.2f} ms"
            )
        bfx = results["GET substrate", "bfxdb"]
        print()
        for server, described in (("tuned", "with the same waitress tuning"), ("bare", "with waitress defaults")):
            ratio = bfx["rps"] / results["GET substrate", server]["rps"]
            print(
                f"GET substrate: bfxdb {bfx['rps']:.0f} req/s vs bare Flask+waitress {described} "
                f"{results['GET substrate', server]['rps']:.0f} req/s = {ratio:.2f}x "
                f"(target >= 0.80x: {'met' if ratio >= 0.8 else 'NOT met'})"
            )
        print(f"GET substrate p99: {bfx['p99']:.2f} ms (target <= 25 ms: {'met' if bfx['p99'] <= 25 else 'NOT met'})")


if __name__ == "__main__":
    main()
