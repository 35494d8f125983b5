"""The one error shape: bfxdb errors, Flask's own 404/405/413, and unexpected failures without stack traces."""

from __future__ import annotations

import pytest

import bfxdb

from .helpers import API, assert_error, create


def test_unknown_route_is_404_in_the_error_shape(api):
    body = assert_error(api.get(f"{API}/no/such/route"), 404, "not_found")
    assert "/api/v1/no/such/route" in body["detail"]


def test_wrong_method_is_405_with_allow_header(api):
    response = api.put(f"{API}/substrates")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_body_over_the_limit_is_413_naming_the_limit_and_its_setting(make_api):
    api = make_api(MAX_CONTENT_LENGTH=1000)
    response = api.post(f"{API}/substrates", json={"metadata": {"x": "a" * 2000}})
    body = assert_error(response, 413, "payload_too_large")
    assert "its limit of 1,000 bytes" in body["detail"]
    assert "--max-body-bytes (BFXDB_MAX_BODY_BYTES" in body["detail"]
    assert body["limit_bytes"] == 1000


def test_the_site_root_redirects_to_the_explorer(api):
    response = api.get("/")
    assert response.status_code == 302
    # relative, so that a proxy serving the API under a path prefix keeps its prefix
    assert response.headers["Location"] == "explorer"
    followed = api.get("/", follow_redirects=True)
    assert followed.status_code == 200 and followed.request.path == "/explorer"


def test_unexpected_failure_is_500_without_internals(api, api_db, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("secret internal detail")

    monkeypatch.setattr(api_db, "get_substrate", explode)
    response = api.get(f"{API}/substrates/0x1")
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert body == {"detail": "internal server error", "code": "internal_error"}


@pytest.mark.parametrize(
    "error, status",
    [
        (bfxdb.InvalidInput("bad"), 400),
        (bfxdb.NotFound("gone"), 404),
        (bfxdb.Conflict("twice"), 409),
        (bfxdb.ReadOnlyError("no writes"), 403),
        (bfxdb.StorageError("disk"), 503),
        (bfxdb.QueryTimeout("slow"), 504),
        (bfxdb.QuerySyntaxError("oops", line=1, column=7, context="RETURN\n      ^"), 400),
    ],
)
def test_every_bfxdb_error_maps_to_its_http_status_and_code(api, api_db, monkeypatch, error, status):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(api_db, "get_substrate", fail)
    body = assert_error(api.get(f"{API}/substrates/0x1"), status, error.code)
    assert body["detail"] == error.message
    if isinstance(error, bfxdb.QuerySyntaxError):
        assert (body["line"], body["column"], body["category"]) == (1, 7, "SyntaxError")


def test_storage_errors_do_not_leak_as_500(api, api_db):
    create(api)
    api_db.close()
    assert_error(api.get(f"{API}/substrates"), 503, "storage_error")


@pytest.mark.parametrize("depth", [150, 5000, 100_000])
@pytest.mark.parametrize("route", ["/substrates", "/query", "/import"])
def test_deeply_nested_json_is_400_not_a_crash(api, route, depth):
    nested = "[" * depth + "]" * depth
    body = {
        "/substrates": f'{{"metadata": {{"a": {nested}}}}}',
        "/query": f'{{"query": "RETURN $x", "parameters": {{"x": {nested}}}}}',
        "/import": f'{{"type": "substrate", "metadata": {{"a": {nested}}}}}\n',
    }[route]
    response = api.post(f"{API}{route}", data=body)
    if route == "/import":
        assert response.get_json()["errors"][0]["code"] == "invalid_json"
    else:
        assert "deeper than" in assert_error(response, 400, "invalid_json")["detail"]
