"""The explorer's routes without a browser: the page, its assets, its security headers, the missing-asset page."""

from __future__ import annotations

from bfxdb.web.routes import explorer


def test_the_page_and_its_assets_are_served_with_a_strict_policy(api):
    page = api.get("/explorer")
    assert page.status_code == 200 and page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    text = page.get_data(as_text=True)
    assert 'id="graph"' in text and "<script>" not in text and "http" not in text
    for name in ("explorer.js", "explorer.css", "vis-network.min.js", "vis-network.css"):
        asset = api.get(f"/explorer/static/{name}")
        assert asset.status_code == 200 and asset.get_data(), name
        assert asset.headers["Content-Security-Policy"] == policy


def test_only_known_assets_are_served(api):
    assert api.get("/explorer/static/index.html").status_code == 404
    assert api.get("/explorer/static/..%2fserve.py").status_code == 404
    assert api.get("/explorer/static/utils.js").status_code == 404


def test_without_vis_network_the_page_says_what_to_install(api, monkeypatch):
    monkeypatch.setattr(explorer, "vis_folder", lambda: None)
    page = api.get("/explorer")
    assert page.status_code == 200
    assert "pip install 'bfxdb[explorer]'" in page.get_data(as_text=True)
    assert api.get("/explorer/static/vis-network.min.js").status_code == 404
    # the explorer's own files never depend on the graph library
    assert api.get("/explorer/static/explorer.js").status_code == 200


def test_the_explorer_needs_no_key_to_load_but_the_api_does(make_api):
    api = make_api(API_KEYS=["secret"])
    assert api.get("/explorer").status_code == 200
    assert api.get("/explorer/static/explorer.js").status_code == 200
    assert api.post("/api/v1/query", json={"query": "RETURN 1"}).status_code == 401
