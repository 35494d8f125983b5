"""Time the explorer in headless Chromium: navigation to data-status="done" for 100, 1,000 and 10,000 nodes.

``python -m benchmarks.explorer [--rounds 5]``. One database holds three disjoint random graphs
(labels G100, G1000, G10000: each node but the first LINKs to a random earlier one); each round
opens ``/explorer?query=MATCH (a:GN)-[r]->(b) RETURN a, r, b`` for every size in turn (interleaved)
and times it from navigation until the graph element says done. Beside it: the same query over
HTTP alone (the server's share), and vis-network by itself drawing N nodes with no cap, from a
local page (physics off, and the explorer's animated layout up to its first frame).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bfxdb.web.routes.explorer import vis_folder

import bfxdb
from tests.web.chromium import Browser
from tests.web.helpers import live_server

SIZES = (100, 1_000, 10_000)
QUERY = "MATCH (a:G{n})-[r]->(b) RETURN a, r, b"
# vis-network alone: N nodes in a random tree, drawn once; the page sets data-status when drawn.
LIBRARY_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="graph" style="position:absolute;inset:0"></div><script src="{script}"></script><script>
const asked = new URLSearchParams(location.search), n = +asked.get('n'), physics = asked.get('physics') === 'on';
const started = performance.now(), nodes = [], edges = [];
for (let i = 0; i < n; i++) {{
  nodes.push({{id: i, label: 'n' + i}});
  if (i) edges.push({{from: i, to: Math.floor(Math.random() * i)}});
}}
const data = {{nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges)}};
const net = new vis.Network(document.getElementById('graph'), data,
  {{layout: {{improvedLayout: false}}, physics: physics ? {{solver: 'barnesHut', stabilization: false}} : false}});
net.once('afterDrawing', () => {{ const g = document.getElementById('graph');
  g.dataset.ms = performance.now() - started; g.dataset.status = 'done'; net.setOptions({{physics: false}}); }});
</script></body></html>"""


def build(path: Path) -> None:
    rng = random.Random(7)
    with bfxdb.connect(path) as db:
        first = 1
        for n in SIZES:
            ids = range(first, first + n)
            db.bulk_load(
                ({"identity": i, "labels": [f"G{n}"], "metadata": {"name": f"node {i}"}} for i in ids),
                ({"source": i, "target": rng.randrange(first, i), "rel_type": "LINK"} for i in ids[1:]),
            )
            first += n


def page_seconds(browser: Browser, url: str, n: int) -> float:
    started = time.perf_counter()
    browser.goto(f"{url}/explorer?query={urllib.parse.quote(QUERY.format(n=n))}")
    drawn = browser.wait_drawn(timeout=300)
    elapsed = time.perf_counter() - started
    assert drawn["status"] == "done", drawn
    assert int(drawn["renderedNodes"]) == min(n, 1000), drawn
    return elapsed


def http_seconds(url: str, n: int) -> float:
    body = json.dumps({"query": QUERY.format(n=n)}).encode()
    request = urllib.request.Request(f"{url}/api/v1/query", body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def library_ms(browser: Browser, page: Path, n: int, physics: str) -> float:
    browser.goto(f"{page.as_uri()}?n={n}&physics={physics}")
    return float(browser.wait_drawn(timeout=600)["ms"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    folder = vis_folder()
    if folder is None:
        sys.exit("vis-network is not installed: pip install 'bfxdb[explorer]'")
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.db"
        build(path)
        page = Path(tmp) / "library.html"
        page.write_text(LIBRARY_PAGE.format(script=(folder / "vis-network.min.js").as_uri()))
        with live_server(path) as server, Browser() as browser:
            page_seconds(browser, server.url, 100)  # warm the browser cache and the server once
            for _ in range(args.rounds):
                for n in SIZES:
                    samples.setdefault(f"explorer, {n:,} nodes: navigation to done (s)", []).append(
                        page_seconds(browser, server.url, n)
                    )
                    alone = http_seconds(server.url, n)
                    samples.setdefault(f"the query over HTTP alone, {n:,} nodes (s)", []).append(alone)
            for n in SIZES:
                for physics in ("off", "on"):
                    samples[f"vis-network alone, {n:,} nodes, physics {physics}: first draw (s)"] = [
                        library_ms(browser, page, n, physics) / 1000 for _ in range(max(1, args.rounds // 2))
                    ]
            server.stop()
    size = (folder / "vis-network.min.js").stat().st_size + (folder / "vis-network.css").stat().st_size
    print(f"vis-network {folder.name}: {size:,} bytes (min.js + css); median of {args.rounds} interleaved rounds")
    for what, values in samples.items():
        print(f"{what:<70} {statistics.median(values):8.2f}")


if __name__ == "__main__":
    main()
