"""Benchmark `bfxdb serve --workers N` at 1, 2 and 4 workers against the single process, on a 100k-node graph.

Run: python -m benchmarks.workers [--substrates 100000] [--duration 8] [--rounds 3] [--connections 32]
     [--workers 1,2,4] [--python-client]

It builds a graph in a temporary file (FANOUT random LINKs per node), then for each scenario (GET
one substrate; a parameterised 2-hop POST /query) starts `python -m bfxdb.web --workers N` and
drives it with wrk (one thread, event-driven C, so the client takes little of the CPUs it shares
with the server) or, without wrk, Python http.client threads. Rounds interleave every worker count,
so a noisy neighbour hurts all alike; each figure is the median over the rounds. Besides req/s and
p50/p99 latency it reports the CPU time the client and the server (all its processes) took per
request, how the server's CPU time split over its workers, and the load average before and after.
"1 pinned" is the single process on one CPU (`--cpus 0`), the setting benchmarks/http.py found best
for one process. Nothing is pinned otherwise: the client and the workers share every CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .http import FANOUT, build_graph, run_python, started, wrk_script

TWO_HOPS = "MATCH (a)-[:LINK]->(b)-[:LINK]->(c) WHERE id(a) = $id RETURN count(c) AS reached"
TICK = os.sysconf("SC_CLK_TCK")


def scenarios(sample: list[int]) -> dict[str, list[tuple[str, str, str | None]]]:
    """The requests of each scenario: (method, path, body), drawn at random by the client."""
    return {
        "GET substrate": [("GET", f"/api/v1/substrates/0x{i:016X}", None) for i in sample],
        "2-hop query": [
            ("POST", "/api/v1/query", json.dumps({"query": TWO_HOPS, "parameters": {"id": i}, "read_only": True}))
            for i in sample
        ],
    }


def process_tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of a process and each of its children, by pid, from /proc."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(child) for child in children]
    seconds = {}
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields 14 and 15 of stat (utime, stime), counted after the ")" that ends the command name.
        seconds[each] = (int(fields[11]) + int(fields[12])) / TICK
    return seconds


def run_wrk_lean(base: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    """Drive one scenario with a one-thread wrk; also return the CPU seconds wrk used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    percentiles = {
        q: float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, flags=re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": percentiles["50"],
        "p99": percentiles["99"],
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "client_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


def run_python_measured(base: str, requests: list, connections: int, duration: int) -> dict:
    """Drive one scenario with benchmarks.http's Python client; also return the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    figures = run_python(base, requests, connections, duration)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return figures | {"client_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


def server_pid(base: str) -> int:
    """The pid of the process listening at ``base``: /metrics names the worker, whose parent is the server."""
    import urllib.request

    with urllib.request.urlopen(base + "/api/v1/metrics", timeout=30) as response:
        worker = json.load(response)["pid"]
    parent = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])
    # With one worker the serve process answers itself; its parent is this benchmark.
    return worker if parent == os.getpid() else parent


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    """Parse options, build the graph, run every scenario at every worker count and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substrates", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario, after a 2 s warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of everything; medians are reported")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads in each worker")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to compare, e.g. 1,2,4")
    parser.add_argument("--no-pinned", action="store_true", help="leave out the single process pinned to CPU 0")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk exists")
    options = parser.parse_args()

    use_wrk = shutil.which("wrk") is not None and not options.python_client
    counts = [int(part) for part in options.workers.split(",")]
    cpus = sorted(os.sched_getaffinity(0))
    contenders = {f"{count} worker{'s' if count > 1 else ''}": ["--workers", str(count)] for count in counts}
    if not options.no_pinned and 1 in counts:
        contenders["1 pinned"] = ["--workers", "1", "--cpus", str(cpus[0])]
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        path = folder_path / "bench.db"
        print(f"building {options.substrates:,} substrates with {FANOUT} relationships each ...", flush=True)
        started_at = time.monotonic()
        sample, _ = build_graph(path, options.substrates)
        print(f"built in {time.monotonic() - started_at:.1f} s; load average {loadavg()}", flush=True)
        print(
            f"load: {'wrk -t1' if use_wrk else 'Python http.client threads'}, {options.connections} keep-alive "
            f"connections, {options.duration} s per run after a 2 s warm-up, {options.threads} waitress threads "
            f"per worker, {len(cpus)} CPUs shared by the client and the server",
            flush=True,
        )
        samples: dict[tuple[str, str], list[dict]] = {}
        loads: list[str] = []
        for round_number in range(1, options.rounds + 1):
            loads.append(loadavg())
            for name, requests in scenarios(sample).items():
                script = wrk_script(folder_path, name, requests)
                for contender, arguments in contenders.items():
                    command = [sys.executable, "-m", "bfxdb.web", str(path), "--port", "0",
                               "--threads", str(options.threads), *arguments]
                    with started(command) as base:
                        pid = server_pid(base)
                        if use_wrk:
                            run_wrk_lean(base, script, options.connections, 2)
                        else:
                            run_python(base, requests, options.connections, 2)
                        cpu_before = process_tree_cpu(pid)
                        if use_wrk:
                            figures = run_wrk_lean(base, script, options.connections, options.duration)
                        else:
                            figures = run_python_measured(base, requests, options.connections, options.duration)
                        cpu_after = process_tree_cpu(pid)
                    used = {each: cpu_after[each] - cpu_before.get(each, 0.0) for each in cpu_after}
                    total = options.duration * figures["rps"]
                    figures["server_us"] = sum(used.values()) / total * 1e6
                    figures["client_us"] = figures["client_cpu"] / total * 1e6
                    figures["server_cores"] = sum(used.values()) / options.duration
                    figures["client_cores"] = figures["client_cpu"] / options.duration
                    shares = sorted((seconds for each, seconds in used.items() if each != pid or len(used) == 1),
                                    reverse=True)
                    figures["split"] = "/".join(f"{seconds / sum(shares) * 100:.0f}" for seconds in shares) or "-"
                    samples.setdefault((name, contender), []).append(figures)
                    print(
                        f"round {round_number}: {name:13} {contender:9} {figures['rps']:7.0f} req/s  "
                        f"p50 {figures['p50']:6.2f} ms  p99 {figures['p99']:7.2f} ms  "
                        f"server {figures['server_us']:5.0f} us/req ({figures['server_cores']:.2f} cores, "
                        f"workers {figures['split']}%)  client {figures['client_us']:4.0f} us/req "
                        f"({figures['client_cores']:.2f} cores)  non-2xx {figures['errors']} "
                        f"{figures.get('socket_errors', '')}",
                        flush=True,
                    )
        loads.append(loadavg())
        fields = ("rps", "p50", "p99", "server_us", "client_us", "server_cores", "client_cores")
        results = {
            key: {field: statistics.median(run[field] for run in runs) for field in fields}
            for key, runs in samples.items()
        }
        baseline = next(iter(contenders))
        print(f"\nmedians of {options.rounds} interleaved rounds; load average at each round's start and the end: "
              + "; ".join(loads))
        print(f"| scenario | server | req/s | vs {baseline} | p50 ms | p99 ms | server CPU us/req | server cores "
              "| client CPU us/req | client cores |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (name, contender), figures in results.items():
            single = results[name, baseline]["rps"]
            print(
                f"| {name} | {contender} | {figures['rps']:,.0f} | {figures['rps'] / single:.2f}x | "
                f"{figures['p50']:.2f} | {figures['p99']:.2f} | {figures['server_us']:.0f} | "
                f"{figures['server_cores']:.2f} | {figures['client_us']:.0f} | {figures['client_cores']:.2f} |"
            )


if __name__ == "__main__":
    main()
