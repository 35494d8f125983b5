"""Make the README's explorer screenshots (1280x800 PNGs in docs/) from a small demo graph.

Run from the repository root, with Chromium and ``bfxdb[explorer]`` installed:
``python docs/screenshots.py``. It writes docs/explorer-graph.png, docs/explorer-table.png and
docs/explorer-node.png, overwriting them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import bfxdb  # noqa: E402
from tests.web.chromium import Browser  # noqa: E402
from tests.web.helpers import live_server  # noqa: E402

DEMO = """
CREATE (ann:Person {name: 'Ann', role: 'engineer', since: 2019}),
       (bob:Person:Manager {name: 'Bob', role: 'manager', since: 2015}),
       (cai:Person {name: 'Cai', role: 'analyst', since: 2021}),
       (dee:Person {name: 'Dee', role: 'engineer', since: 2018}),
       (eli:Person {name: 'Eli', role: 'designer', since: 2022}),
       (fay:Person:Manager {name: 'Fay', role: 'director', since: 2012}),
       (gus:Person {name: 'Gus', role: 'engineer', since: 2020}),
       (acme:Company {name: 'Acme', founded: 1999}),
       (globex:Company {name: 'Globex', founded: 2008}),
       (oslo:City {name: 'Oslo'}), (lima:City {name: 'Lima'}), (kyiv:City {name: 'Kyiv'}),
       (ann)-[:KNOWS {since: 2020}]->(bob), (bob)-[:KNOWS]->(cai), (cai)-[:KNOWS]->(ann),
       (dee)-[:KNOWS]->(ann), (eli)-[:KNOWS]->(dee), (fay)-[:KNOWS]->(bob), (gus)-[:KNOWS]->(fay),
       (bob)-[:MANAGES]->(ann), (bob)-[:MANAGES]->(dee), (fay)-[:MANAGES]->(gus), (fay)-[:MANAGES]->(eli),
       (ann)-[:WORKS_AT]->(acme), (bob)-[:WORKS_AT]->(acme), (dee)-[:WORKS_AT]->(acme), (cai)-[:WORKS_AT]->(globex),
       (eli)-[:WORKS_AT]->(globex), (fay)-[:WORKS_AT]->(globex), (gus)-[:WORKS_AT]->(globex),
       (acme)-[:BASED_IN]->(oslo), (globex)-[:BASED_IN]->(lima), (cai)-[:LIVES_IN]->(kyiv), (ann)-[:LIVES_IN]->(oslo)
"""
QUERY = "MATCH p = (a)-[r]->(b)\nRETURN p"


def build(path: Path) -> None:
    db = bfxdb.connect(path)
    try:
        db.query(DEMO)
        db.create_substrate(
            expression_type="lambda",
            expression_code='lambda **kw: kw.get("x", 0) * kw.get("y", 0)',
            metadata={"name": "multiply", "description": "x times y"},
            labels=["Function"],
        )
    finally:
        db.close()


def settled(browser: Browser, seconds: float = 20) -> None:
    """Let the layout come to rest (or stop it after ``seconds``) and fit it in view."""
    try:
        browser.wait_for("document.getElementById('graph').dataset.settled === 'true'", seconds)
    except AssertionError:
        browser.evaluate("window.bfxdbExplorer.network.stopSimulation()")
    browser.evaluate("window.bfxdbExplorer.network.fit(); 0")
    time.sleep(0.5)


def main() -> None:
    out = REPO / "docs"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        build(path)
        with live_server(path) as server, Browser(1280, 800) as browser:
            browser.goto(f"{server.url}/explorer?query={urllib.parse.quote(QUERY)}")
            drawn = browser.wait_drawn()
            assert drawn["status"] == "done", drawn
            browser.wait_for("document.getElementById('schema-labels').children.length > 0")
            settled(browser)
            browser.screenshot(out / "explorer-graph.png")

            point = browser.evaluate(
                "(() => { const net = window.bfxdbExplorer.network;"
                f" const id = net.body.data.nodes.get().find(n => n.label === {json.dumps('Bob')}).id;"
                " const p = net.canvasToDOM(net.getPositions([id])[id]);"
                " const box = document.getElementById('graph').getBoundingClientRect();"
                " return [box.x + p.x, box.y + p.y]; })()"
            )
            browser.click(*point)
            browser.wait_for("!document.getElementById('details').hidden")
            time.sleep(0.3)
            browser.screenshot(out / "explorer-node.png")

            table = "MATCH (p:Person)-[r:WORKS_AT]->(c) RETURN p.name AS name, p, r, c ORDER BY name"
            browser.goto(f"{server.url}/explorer?query={urllib.parse.quote(table)}")
            browser.wait_drawn()
            browser.click_element("#tabs button[data-view=table]")
            time.sleep(0.3)
            browser.screenshot(out / "explorer-table.png")
            server.stop()
    for name in ("explorer-graph.png", "explorer-node.png", "explorer-table.png"):
        print(f"docs/{name}: {(out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
