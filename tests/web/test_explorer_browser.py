"""The explorer in headless Chromium against a live server, name resolution closed to all but loopback."""

from __future__ import annotations

import json
import urllib.parse

import pytest

import bfxdb

from .chromium import CHROMIUM, Browser, BrowserError
from .helpers import http, live_server

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install -y chromium) - the explorer is not checked in a browser",
)
SCRIPT = "<script>document.title='owned'</script><img src=x onerror=alert(1)>"
BULK = 1200


def build_graph(path) -> None:
    """Ann KNOWS Bob, both WORK_AT Acme, a node whose name is markup, a lambda, BULK loose nodes, an index
    and a constraint."""
    db = bfxdb.connect(path)
    try:
        db.query(
            "CREATE (a:Person {name: 'Ann', age: 41})-[:KNOWS {since: 2019}]->(b:Person:Dev {name: 'Bob'}),"
            " (a)-[:WORKS_AT]->(c:Company {name: 'Acme'}), (b)-[:WORKS_AT]->(c),"
            " (x:Person {name: $script})-[:KNOWS]->(a)",
            {"script": SCRIPT},
        )
        db.create_substrate(
            expression_type="lambda",
            expression_code='lambda **kw: kw.get("x", 0) * kw.get("y", 0)',
            metadata={"name": "multiply"},
            labels=["Function"],
        )
        db.query("UNWIND range(1, $n) AS i CREATE (:Bulk {i: i})", {"n": BULK})
        db.query("CREATE INDEX person_name FOR (n:Person) ON (n.name)")
        db.query("CREATE CONSTRAINT company_name FOR (c:Company) REQUIRE c.name IS UNIQUE")
    finally:
        db.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer") / "graph.db"
    build_graph(path)
    with live_server(path, "--query-timeout", "5") as live:
        yield live
        live.stop()


@pytest.fixture(scope="module")
def browser():
    with Browser() as chromium:
        yield chromium


def open_query(browser: Browser, server, query: str) -> dict:
    """Load /explorer?query=... and return the graph's data-* attributes once it is drawn."""
    browser.goto(f"{server.url}/explorer?query={urllib.parse.quote(query)}")
    return browser.wait_drawn()


def text(browser: Browser, element_id: str) -> str:
    return browser.evaluate(f"document.getElementById({json.dumps(element_id)}).textContent")


def node_point(browser: Browser, name: str) -> list[float]:
    """Where, in the viewport, the node with this name property is drawn."""
    return browser.evaluate(
        "(() => { const net = window.bfxdbExplorer.network;"
        f" const id = net.body.data.nodes.get().find(n => n.label === {json.dumps(name)}).id;"
        " const p = net.canvasToDOM(net.getPositions([id])[id]);"
        " const box = document.getElementById('graph').getBoundingClientRect();"
        " return [box.x + p.x, box.y + p.y]; })()"
    )


def settle(browser: Browser) -> None:
    """Let the layout run (10 s at most), turn it off, and set the nodes on a grid, so a click lands on one node.

    On a busy machine the layout may stop with two nodes on top of each other; the grid makes
    where each node is, and so what a click hits, the same on every run.
    """
    try:
        browser.wait_for("document.getElementById('graph').dataset.settled === 'true'", timeout=10)
    except BrowserError:
        pass  # still moving: the grid below places the nodes anyway
    browser.evaluate(
        # physics off, not just stopped: a stopped simulation may still take a step after the move
        "(() => { const net = window.bfxdbExplorer.network; net.setOptions({physics: false});"
        " net.body.data.nodes.getIds().forEach((id, i) => net.moveNode(id, (i % 5) * 160, Math.floor(i / 5) * 160));"
        " net.fit({animation: false}); net.redraw(); })()"
    )


def open_panel(browser: Browser, caption: str) -> None:
    """Click the node drawn with this caption, as a mouse would, and wait for its details panel."""
    settle(browser)
    browser.click(*node_point(browser, caption))
    browser.wait_for("document.getElementById('details-id').textContent && !document.getElementById('details').hidden")


def test_a_query_in_the_url_runs_on_load_offline_and_within_the_policy(browser, server):
    drawn = open_query(browser, server, "MATCH (n)-[r]->(m) RETURN n, r, m")
    assert drawn["status"] == "done", drawn
    assert (drawn["renderedNodes"], drawn["renderedRelationships"]) == ("4", "4")
    assert browser.csp_violations() == []
    # every request went to the server itself: no CDN, no font host
    assert browser.requests and all(url.startswith(server.url + "/") for url in browser.requests), browser.requests
    assert browser.exceptions == []
    assert "4 rows" in text(browser, "summary")


def test_a_query_typed_in_the_editor_runs_with_ctrl_enter(browser, server):
    browser.goto(f"{server.url}/explorer")
    browser.wait_for("document.getElementById('schema-labels').children.length > 0")
    browser.click_element("#editor")
    browser.type_text("MATCH (n:Person)\nWHERE n.name = $who\nRETURN n")
    browser.click_element("#params")
    browser.evaluate("document.getElementById('params').select()")
    browser.type_text('{"who": "Bob"}')
    browser.press_enter(ctrl=True)
    drawn = browser.wait_drawn()
    assert (drawn["status"], drawn["renderedNodes"], drawn["renderedRelationships"]) == ("done", "1", "0")
    # the history keeps it, newest first
    assert browser.evaluate("JSON.parse(localStorage.getItem('bfxdb.explorer.history'))[0]").startswith(
        "MATCH (n:Person)\nWHERE"
    )


def test_clicking_a_node_shows_its_properties_and_markup_stays_text(browser, server):
    open_query(browser, server, "MATCH (n:Person) RETURN n")
    open_panel(browser, "Ann")
    assert text(browser, "details-title") == "Node"
    assert text(browser, "details-labels") == "Person"
    assert text(browser, "details-id").startswith("0x")
    assert "age41" in text(browser, "details-properties") and "nameAnn" in text(browser, "details-properties")

    # a stored <script> and an <img onerror> are shown as the text they are, and never run
    caption = browser.evaluate(
        "window.bfxdbExplorer.network.body.data.nodes.get().map(n => n.label).find(l => l.startsWith('<script'))"
    )
    browser.click_element("#details-close")  # the open panel may lie over the next node
    browser.click(*node_point(browser, caption))
    browser.wait_for(f"document.getElementById('details-properties').textContent.includes({json.dumps(SCRIPT)})")
    assert browser.evaluate("document.querySelectorAll('#details script, #details img').length") == 0
    assert browser.evaluate("document.title") == "bfxdb explorer"
    assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    assert browser.csp_violations() == []


def test_double_click_expands_neighbours_and_remove_takes_a_node_out(browser, server):
    drawn = open_query(browser, server, "MATCH (c:Company) RETURN c")
    assert drawn["renderedNodes"] == "1"
    settle(browser)
    browser.click(*node_point(browser, "Acme"), count=2)
    browser.wait_for("document.getElementById('graph').dataset.renderedNodes === '3'")
    assert browser.evaluate("document.getElementById('graph').dataset.renderedRelationships") == "2"
    open_panel(browser, "Bob")
    browser.click_element("#remove")
    after = browser.evaluate("Object.assign({}, document.getElementById('graph').dataset)")
    assert (after["status"], after["renderedNodes"], after["renderedRelationships"]) == ("done", "2", "1")
    assert "Bob" not in browser.evaluate("window.bfxdbExplorer.network.body.data.nodes.get().map(n => n.label)")


def test_expand_by_type_and_direction_from_the_panel(browser, server):
    open_query(browser, server, "MATCH (n:Person {name: 'Ann'}) RETURN n")
    open_panel(browser, "Ann")
    browser.wait_for("document.getElementById('expand-type').options.length > 1")
    browser.evaluate(
        "document.getElementById('expand-direction').value = 'out';"
        "document.getElementById('expand-type').value = 'KNOWS'"
    )
    browser.click_element("#expand button")
    # Ann KNOWS Bob (outgoing); the markup node KNOWS Ann (incoming) stays out
    browser.wait_for("document.getElementById('graph').dataset.renderedNodes === '2'")
    assert browser.evaluate("window.bfxdbExplorer.network.body.data.nodes.get().map(n => n.label).sort()") == [
        "Ann",
        "Bob",
    ]


def test_a_substrate_with_an_expression_can_be_invoked_from_its_panel(browser, server):
    open_query(browser, server, "MATCH (f:Function) RETURN f")
    open_panel(browser, "multiply")
    assert not browser.evaluate("document.getElementById('details-expression').hidden")
    assert text(browser, "details-expression-type") == "lambda"
    assert 'kw.get("x", 0)' in text(browser, "details-expression-code")
    browser.evaluate("document.getElementById('invoke-params').value = '{\"x\": 5, \"y\": 7}'")
    browser.click_element("#invoke button")
    assert browser.wait_for("document.getElementById('invoke-result').textContent").startswith("35  (")


def test_the_schema_sidebar_counts_and_runs_a_sample_query(browser, server):
    browser.goto(f"{server.url}/explorer")
    browser.wait_for("document.getElementById('schema-keys').children.length > 0")
    chips = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#schema-labels li, #schema-types li')]"
        ".map(li => [li.firstChild.textContent, li.querySelector('.count').textContent]))"
    )
    assert chips == {
        "Bulk": f"{BULK:,}",
        "Company": "1",
        "Dev": "1",
        "Function": "1",
        "Person": "3",
        "KNOWS": "2",
        "WORKS_AT": "2",
    }
    keys = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#schema-keys li')]"
        ".map(li => [li.firstChild.textContent, li.querySelector('.count').textContent]))"
    )
    assert keys == {"age": "1", "i": f"{BULK:,}", "name": "5", "since": "1"}
    browser.wait_for("document.querySelectorAll('#schema-indexes li').length > 0")
    listed = browser.evaluate("[...document.querySelectorAll('#schema-indexes li')].map(li => li.textContent)")
    assert "person_name: RANGE :Person(name)" in listed
    assert "company_name: UNIQUENESS :Company(name)" in listed
    browser.click_element("#schema-labels li:nth-child(2)")  # Company
    drawn = browser.wait_drawn()
    assert drawn["renderedNodes"] == "1"
    assert browser.evaluate("document.getElementById('editor').value") == "MATCH (n:`Company`) RETURN n LIMIT 25"


def test_the_search_box_finds_nodes_by_label_and_property(browser, server):
    browser.goto(f"{server.url}/explorer")
    browser.wait_for("document.getElementById('search-label').options.length > 1")
    browser.evaluate(
        "document.getElementById('search-label').value = 'Bulk';"
        "document.getElementById('search-key').value = 'i';"
        "document.getElementById('search-value').value = '7'"
    )
    browser.click_element("#search button")
    drawn = browser.wait_drawn()
    assert drawn["renderedNodes"] == "1"
    assert browser.evaluate("window.bfxdbExplorer.network.body.data.nodes.get()[0].label") == "Bulk"


def test_an_error_shows_line_column_and_caret(browser, server):
    drawn = open_query(browser, server, "MATCH (n)\nRETRN n")
    assert drawn["status"] == "error" and "line 2, column 1" in drawn["error"]
    assert text(browser, "error-context") == "RETRN n\n^"
    assert not browser.evaluate("document.getElementById('error').hidden")


def test_the_table_view_is_compact_and_sortable(browser, server):
    open_query(browser, server, "MATCH (n:Person)-[r:KNOWS]->(m) RETURN m.name AS name, r, m")
    browser.click_element("#tabs button[data-view=table]")
    rows = browser.evaluate("[...document.querySelectorAll('#table tbody tr')].map(r => r.textContent)")
    assert len(rows) == 2
    assert any("[:KNOWS {since: 2019}]" in row and '(:Dev:Person {name: "Bob"})' in row for row in rows), rows
    browser.click_element("#table th")
    first = browser.evaluate("document.querySelector('#table tbody td').textContent")
    browser.click_element("#table th")
    assert browser.evaluate("document.querySelector('#table tbody td').textContent") != first
    assert {first, browser.evaluate("document.querySelector('#table tbody td').textContent")} == {"Ann", "Bob"}


def test_explain_and_profile_show_the_plan_as_a_tree(browser, server):
    open_query(browser, server, "PROFILE MATCH (a:Person)-[:KNOWS]->(b) RETURN b")
    browser.click_element("#tabs button[data-view=plan]")
    assert browser.evaluate("document.querySelectorAll('#plan li').length") > 2
    assert browser.evaluate("document.querySelectorAll('#plan li li').length") > 0
    assert browser.evaluate("document.querySelectorAll('#profile tr').length") > 1
    open_query(browser, server, "EXPLAIN MATCH (n) RETURN n")
    assert browser.evaluate("!document.getElementById('view-plan').hidden")
    assert browser.evaluate("document.querySelectorAll('#plan li').length") > 0


def test_a_large_result_draws_a_capped_part_and_says_how_much_was_left_out(browser, server):
    drawn = open_query(browser, server, "MATCH (n:Bulk) RETURN n")
    assert drawn["status"] == "done" and drawn["renderedNodes"] == "1000"
    assert f"{BULK - 1000:,} more were left out" in text(browser, "notice")
    browser.click_element("#tabs button[data-view=table]")
    assert browser.evaluate("document.querySelectorAll('#table tbody tr').length") == 1001  # and a "more" row
    browser.click_element("#table tbody tr:last-child button")
    assert browser.evaluate("document.querySelectorAll('#table tbody tr').length") == BULK
    assert browser.exceptions == []  # none in any page of the module's tests so far


def test_a_running_query_can_be_cancelled(browser, server):
    browser.goto(f"{server.url}/explorer")
    browser.wait_for("document.getElementById('schema-labels').children.length > 0")
    slow = "UNWIND range(1, 9000000) AS i UNWIND range(1, 9000000) AS j RETURN count(*)"
    browser.evaluate(f"document.getElementById('editor').value = {json.dumps(slow)}")
    browser.click_element("#run")
    browser.wait_for("document.getElementById('graph').dataset.status === 'running'")
    browser.click_element("#cancel")
    drawn = browser.wait_drawn(timeout=10)
    assert drawn["status"] == "error" and drawn["error"] == "The query was cancelled."


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer-keys") / "graph.db"
    build_graph(path)
    with live_server(path, "--api-key", "writer-key", "--read-only-key", "reader-key") as live:
        yield live
        live.stop()


def test_a_server_with_keys_makes_the_page_ask_for_one(browser, keyed_server):
    browser.goto(f"{keyed_server.url}/explorer?query={urllib.parse.quote('MATCH (n:Company) RETURN n')}")
    browser.wait_for("document.getElementById('key-dialog').open")
    assert "API key is required" in text(browser, "key-reason")
    browser.click_element("#key-input")
    browser.type_text("reader-key")
    browser.press_enter()
    drawn = browser.wait_drawn()
    assert (drawn["status"], drawn["renderedNodes"]) == ("done", "1")

    # the read-only key may read but not write: the server's own message is shown
    browser.evaluate("window.bfxdbExplorer.run(\"CREATE (:Intruder {name: 'x'})\")")
    drawn = browser.wait_drawn()
    assert drawn["status"] == "error" and "read-only" in drawn["error"], drawn
    assert "read-only" in text(browser, "error-detail")


def test_a_wrong_key_is_asked_for_again(browser, keyed_server):
    browser.goto(f"{keyed_server.url}/api/v1/health")
    browser.evaluate("sessionStorage.clear()")
    browser.goto(f"{keyed_server.url}/explorer?query={urllib.parse.quote('RETURN 1 AS one')}")
    browser.wait_for("document.getElementById('key-dialog').open")
    browser.click_element("#key-input")
    browser.type_text("not-a-key")
    browser.press_enter()
    browser.wait_for("document.getElementById('key-reason').textContent.includes('not valid')")
    browser.click_element("#key-input")
    browser.type_text("writer-key")
    browser.press_enter()
    drawn = browser.wait_drawn()
    assert drawn["status"] == "done" and drawn["renderedNodes"] == "0"
    assert text(browser, "table").replace(" ", "") == "one1"


def test_a_read_only_server_says_so_and_refuses_writes_with_its_message(browser, tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer-read-only") / "graph.db"
    build_graph(path)
    with live_server(path, "--read-only") as read_only:
        drawn = open_query(browser, read_only, "CREATE (:Intruder)")
        browser.wait_for("!document.getElementById('mode').hidden")
        assert text(browser, "mode") == "read-only server"
        status, _, answer = http("POST", f"{read_only.api}/query", {"query": "CREATE (:Intruder)"})
        assert status == 403 and drawn["status"] == "error"
        assert drawn["error"] == answer["detail"] and answer["detail"] in text(browser, "error-detail")
        read_only.stop()
