"""Soak `bfxdb serve` under a steady mixed load: zero 5xx, zero lost acknowledged writes, flat RSS.

Run: python -m benchmarks.soak [--minutes 10] [--processes 2] [--connections 8] [--threads 4]

It builds a small graph in a fresh temporary file, starts `bfxdb serve` on a free loopback port and
drives it from --processes client processes, each with --connections keep-alive connections, for
--minutes: GET substrate, invoke, POST substrates and relationships, read and write POST /query.
Every 10 s it prints the window's req/s, p50 and p99 latency, 5xx count and the server's RSS. At
the end it stops the server, opens the file and checks that every write the server acknowledged
(201, or 200 for a query write) is there. It fails (exit 1) on any 5xx or transport error, any lost
acknowledged write, or RSS growing more than 10% between minute 2 and the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.http import TWO_HOPS, build_graph

WINDOW = 10.0
COLUMNS = ("t (s)", "req/s", "p50 ms", "p99 ms", "4xx", "5xx", "errors", "RSS MB")
WARM_UP_SECONDS = 120
RSS_GROWTH_LIMIT = 0.10
SEED_SUBSTRATES = 2_000
API = "/api/v1"
QUERY_WRITE = "CREATE (n:Soak {worker: $worker, k: $k}) RETURN id(n) AS id"
#: The mix, by weight: (name, weight). Writes are about a third, as an application's would be at most.
MIX = (
    ("GET substrate", 35),
    ("invoke", 15),
    ("query read", 20),
    ("POST substrate", 10),
    ("POST relationship", 10),
    ("query write", 10),
)


class Acknowledged:
    """What one client process was told was written: substrate, relationship and query-node identities."""

    def __init__(self) -> None:
        self.substrates: list[int] = []
        self.relationships: list[int] = []
        self.query_nodes: list[int] = []


def client_process(
    base: str, seed_ids: list[int], multiply: int, connections: int, until: float, started: float, number: int,
    reports: multiprocessing.Queue,
) -> None:
    """Drive the server from ``connections`` threads until ``until``; send each closed window, then the acks."""
    host, port = base.removeprefix("http://").split(":")
    lock = threading.Lock()
    windows: dict[int, dict] = {}
    acknowledged = Acknowledged()

    def record(window: int, seconds: float, status: int) -> None:
        with lock:
            entry = windows.setdefault(window, {"latencies": [], "5xx": 0, "4xx": 0, "errors": 0})
            entry["latencies"].append(seconds)
            if status >= 500:
                entry["5xx"] += 1
            elif status >= 400:
                entry["4xx"] += 1
            elif status < 0:
                entry["errors"] += 1

    def worker(thread: int) -> None:
        rng = random.Random(number * 1000 + thread)
        names, weights = zip(*MIX)
        nodes = [f"0x{i:016X}" for i in seed_ids]
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        count = 0
        while (now := time.monotonic()) < until:
            kind = rng.choices(names, weights)[0]
            count += 1
            if kind == "GET substrate":
                method, path, body = "GET", f"{API}/substrates/{rng.choice(nodes)}", None
            elif kind == "invoke":
                parameters = {"x": rng.randint(0, 99), "y": rng.randint(0, 99)}
                method, path, body = "POST", f"{API}/substrates/0x{multiply:016X}/invoke", {"parameters": parameters}
            elif kind == "query read":
                query = {"query": TWO_HOPS, "parameters": {"id": rng.choice(seed_ids)}, "read_only": True}
                method, path, body = "POST", f"{API}/query", query
            elif kind == "POST substrate":
                metadata = {"worker": number, "thread": thread, "k": count, "note": "soak"}
                method, path, body = "POST", f"{API}/substrates", {"labels": ["Soak"], "metadata": metadata}
            elif kind == "POST relationship":
                pair = {"source_id": rng.choice(nodes), "target_id": rng.choice(nodes)}
                link = {"rel_type": "SOAK", **pair, "metadata": {"k": count}}
                method, path, body = "POST", f"{API}/relationships", link
            else:
                parameters = {"worker": number, "k": count}
                method, path, body = "POST", f"{API}/query", {"query": QUERY_WRITE, "parameters": parameters}
            payload = None if body is None else json.dumps(body)
            headers = {} if body is None else {"Content-Type": "application/json"}
            began = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status, data = -1, b""
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
            record(int((now - started) // WINDOW), time.perf_counter() - began, status)
            if kind == "POST substrate" and status == 201:
                created = json.loads(data)
                acknowledged.substrates.append(created["identity"])
                # later GETs and relationships also use what this client made
                nodes.append(created["substrate_id"])
            elif kind == "POST relationship" and status == 201:
                acknowledged.relationships.append(json.loads(data)["identity"])
            elif kind == "query write" and status == 200:
                acknowledged.query_nodes.append(json.loads(data)["rows"][0][0])
        connection.close()

    def flush(final: bool) -> None:
        current = int((time.monotonic() - started) // WINDOW)
        with lock:
            closed = [window for window in windows if final or window < current]
            for window in sorted(closed):
                reports.put(("window", number, window, windows.pop(window)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(1.0)
        flush(False)
    flush(True)
    reports.put(("done", number, acknowledged.__dict__))


def server_rss(pid: int) -> int:
    """The server's resident memory in bytes."""
    with open(f"/proc/{pid}/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith("VmRSS"))


def start_server(path: Path, threads: int) -> tuple[subprocess.Popen, str]:
    """Start `bfxdb serve` on a free loopback port; returns the process and its base URL."""
    executable = Path(sys.executable).with_name("bfxdb")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "bfxdb.cli"]
    command += ["serve", str(path), "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            base = found.group(0)
            break
    else:
        raise SystemExit("bfxdb serve did not start")
    stream = process.stdout
    # keep draining the server's output so its log never blocks it
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
    return process, base


def verify(path: Path, acknowledged: list[dict]) -> dict[str, tuple[int, int]]:
    """Count, per kind, the acknowledged writes and how many of them the file lacks."""
    import bfxdb

    found: dict[str, tuple[int, int]] = {}
    with bfxdb.connect(path, read_only=True) as db:
        for kind, lookup in (
            ("substrates", db.get_substrate),
            ("query_nodes", db.get_substrate),
            ("relationships", db.get_relationship),
        ):
            identities = [identity for acks in acknowledged for identity in acks[kind]]
            missing = 0
            for identity in identities:
                try:
                    missing += lookup(identity) is None
                except bfxdb.EntityNotFound:
                    missing += 1
            found[kind] = (len(identities), missing)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


def main() -> None:
    """Parse options, run the soak, print the table and the verdicts; exit 1 if a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections per client process")
    parser.add_argument("--threads", type=int, default=4, help="the server's waitress threads")
    options = parser.parse_args()
    seconds = options.minutes * 60

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "soak.db"
        sample, multiply = build_graph(path, SEED_SUBSTRATES)
        server, base = start_server(path, options.threads)
        print(
            f"bfxdb serve at {base} ({options.threads} threads), {options.processes} client processes x "
            f"{options.connections} connections, {options.minutes:g} min, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f} at start",
            flush=True,
        )
        reports: multiprocessing.Queue = multiprocessing.Queue()
        started = time.monotonic()
        until = started + seconds
        clients = [
            multiprocessing.Process(
                target=client_process,
                args=(base, sample, multiply, options.connections, until, started, number, reports),
            )
            for number in range(options.processes)
        ]
        for client in clients:
            client.start()
        rss: dict[int, int] = {}
        windows: dict[int, dict] = {}
        reported: dict[int, int] = {}
        acknowledged: list[dict] = []
        rows: list[tuple] = []
        print("{:>6} {:>7} {:>7} {:>7} {:>5} {:>5} {:>6} {:>7}".format(*COLUMNS))
        next_sample = started + WINDOW
        while len(acknowledged) < len(clients):
            try:
                message = reports.get(timeout=max(0.05, min(1.0, next_sample - time.monotonic())))
            except queue.Empty:
                message = None
            if time.monotonic() >= next_sample and next_sample <= until + 0.5:
                rss[int((next_sample - started) // WINDOW) - 1] = server_rss(server.pid)
                next_sample += WINDOW
            if message is None:
                continue
            if message[0] == "done":
                acknowledged.append(message[2])
                continue
            _, _, window, entry = message
            merged = windows.setdefault(window, {"latencies": [], "5xx": 0, "4xx": 0, "errors": 0})
            merged["latencies"] += entry["latencies"]
            for key in ("5xx", "4xx", "errors"):
                merged[key] += entry[key]
            reported[window] = reported.get(window, 0) + 1
            if reported[window] == len(clients) and window < int(seconds // WINDOW):
                latencies = merged["latencies"]
                row = (
                    (window + 1) * WINDOW, len(latencies) / WINDOW, percentile(latencies, 0.5),
                    percentile(latencies, 0.99), merged["4xx"], merged["5xx"], merged["errors"],
                    rss.get(window, server_rss(server.pid)) / 2**20,
                )
                rows.append(row)
                print("{:6.0f} {:7.0f} {:7.1f} {:7.1f} {:5d} {:5d} {:6d} {:7.1f}".format(*row), flush=True)
        for client in clients:
            client.join()
        load = os.getloadavg()
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        lost = verify(path, acknowledged)

    total_5xx = sum(entry["5xx"] + entry["errors"] for entry in windows.values())
    total = sum(len(entry["latencies"]) for entry in windows.values())
    all_latencies = [latency for entry in windows.values() for latency in entry["latencies"]]
    warm = [row[7] for row in rows if row[0] >= WARM_UP_SECONDS]
    growth = (warm[-1] - warm[0]) / warm[0] if len(warm) >= 2 else float("nan")
    window_p99 = statistics.median(row[3] for row in rows) if rows else float("nan")
    print(
        f"\n{total:,} requests in {seconds:g} s = {total / seconds:.0f} req/s; "
        f"p50 {percentile(all_latencies, 0.5):.1f} ms, p99 {percentile(all_latencies, 0.99):.1f} ms, "
        f"median window p99 {window_p99:.1f} ms"
    )
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    checks = [
        (f"5xx and transport errors: {total_5xx}", total_5xx == 0),
        *(
            (f"acknowledged {kind}: {count:,}, missing from the file: {missing}", missing == 0)
            for kind, (count, missing) in lost.items()
        ),
        (
            f"server RSS from minute {WARM_UP_SECONDS // 60} to the end: {warm[0]:.1f} -> {warm[-1]:.1f} MB "
            f"({growth:+.1%}, limit +{RSS_GROWTH_LIMIT:.0%})"
            if len(warm) >= 2
            else f"server RSS growth after minute {WARM_UP_SECONDS // 60}: not measured, the run is too short",
            growth < RSS_GROWTH_LIMIT if len(warm) >= 2 else True,
        ),
    ]
    for text, passed in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {text}")
    sys.exit(0 if all(passed for _, passed in checks) else 1)


if __name__ == "__main__":
    main()
