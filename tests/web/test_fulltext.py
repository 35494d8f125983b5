"""Full-text search over HTTP: substrates posted are found at once, and bad query text is a 400."""

from __future__ import annotations

from .helpers import API, assert_error

SEARCH = "CALL db.index.fulltext.queryNodes('docs', $text) YIELD node RETURN node.title AS title"


def test_a_substrate_posted_over_http_is_found_and_bad_query_text_is_a_400(api, api_db):
    api_db.query("CREATE FULLTEXT INDEX docs FOR (n:Doc) ON EACH [n.title]")
    body = {"labels": ["Doc"], "metadata": {"title": "graph databases"}}
    assert api.post(f"{API}/substrates", json=body).status_code == 201
    found = api.post(f"{API}/query", json={"query": SEARCH, "parameters": {"text": "graph"}})
    assert found.status_code == 200 and found.get_json()["rows"] == [["graph databases"]]
    refused = assert_error(
        api.post(f"{API}/query", json={"query": SEARCH, "parameters": {"text": "graph~2"}}), 400, "fulltext_query"
    )
    assert "fuzzy" in refused["detail"]
