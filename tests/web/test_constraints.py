"""Schema constraints over HTTP: a write they refuse is a 409 naming the constraint, on every route."""

from __future__ import annotations

from .helpers import API, assert_error

UNIQUE_NAME = "CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE"


def test_http_answers_409_naming_the_constraint(api, api_db):
    api_db.query(UNIQUE_NAME)
    body = {"labels": ["Person"], "metadata": {"name": "Ann"}}
    assert api.post(f"{API}/substrates", json=body).status_code == 201
    refused = assert_error(api.post(f"{API}/substrates", json=body), 409, "schema_constraint_violation")
    assert "constraint `person_name`" in refused["detail"]
    query = api.post(f"{API}/query", json={"query": "CREATE (:Person {name: 'Ann'})"})
    assert_error(query, 409, "schema_constraint_violation")
    assert api_db.count_substrates() == 1
