"""HTTP guards: API keys (read-write, read-only), rate limits, CORS, and serve's refusal to listen openly."""

from __future__ import annotations

import pytest
from bfxdb.web.security import KeyRing, parse_rate
from bfxdb.web.serve import is_loopback, serve
from bfxdb.web.settings import ENVIRONMENT
from click.testing import CliRunner

from ..conftest import MULTIPLY
from .helpers import API, assert_error

KEYS = {"API_KEYS": ["rw-key"], "READ_ONLY_KEYS": ["ro-key"]}
RW = {"Authorization": "Bearer rw-key"}
RO = {"X-API-Key": "ro-key"}


def test_without_configured_keys_everything_is_open(api):
    assert api.post(f"{API}/substrates", json={}).status_code == 201


def test_a_key_is_required_once_keys_are_configured(make_api):
    api = make_api(**KEYS)
    response = api.get(f"{API}/substrates")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(api.get(f"{API}/substrates", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert_error(api.get(f"{API}/metrics", headers={"X-API-Key": "rw-key "}), 401, "unauthorized")


@pytest.mark.parametrize("headers", [RW, {"X-API-Key": "rw-key"}, {"Authorization": "bearer rw-key"}])
def test_read_write_key_in_either_header_may_write(make_api, headers):
    api = make_api(**KEYS)
    assert api.post(f"{API}/substrates", json={}, headers=headers).status_code == 201
    assert api.get(f"{API}/metrics", headers=headers).status_code == 200


def test_read_only_key_reads_invokes_and_divides_but_never_writes(make_api):
    api = make_api(**KEYS)
    fn = api.post(f"{API}/substrates", json={"expression_code": MULTIPLY}, headers=RW).get_json()["substrate_id"]
    assert api.get(f"{API}/substrates/{fn}", headers=RO).status_code == 200
    invoked = api.post(f"{API}/substrates/{fn}/invoke", json={"parameters": {"x": 2, "y": 3}}, headers=RO)
    assert invoked.get_json()["result"] == 6
    assert api.post(f"{API}/substrates/{fn}/divide", headers=RO).status_code == 200
    assert_error(api.post(f"{API}/substrates/{fn}/divide", json={"materialize": True}, headers=RO), 403, "forbidden")
    assert_error(api.post(f"{API}/substrates", json={}, headers=RO), 403, "forbidden")
    assert_error(api.patch(f"{API}/substrates/{fn}", json={"metadata": {}}, headers=RO), 403, "forbidden")
    assert_error(api.delete(f"{API}/substrates/{fn}", headers=RO), 403, "forbidden")
    assert_error(api.post(f"{API}/import", data=b"", headers=RO), 403, "forbidden")
    assert api.get(f"{API}/substrates/{fn}", headers=RW).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/docs", "/redoc", "/openapi.json"])
def test_health_and_docs_stay_open_without_a_key(make_api, path):
    assert make_api(**KEYS).get(f"{API}{path}").status_code == 200


def test_key_ring_compares_every_key():
    ring = KeyRing(["a", "b"], ["c"])
    assert (ring.lookup("a"), ring.lookup("b"), ring.lookup("c"), ring.lookup("d")) == (True, True, False, None)
    assert not KeyRing().enabled and not KeyRing([""]).enabled


def test_rate_limit_answers_429_with_retry_after_per_client(make_api):
    api = make_api(RATE_LIMIT="3/min", **KEYS)
    for _ in range(3):
        assert api.get(f"{API}/substrates", headers=RW).status_code == 200
    response = api.get(f"{API}/substrates", headers=RW)
    body = assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
    # Another key has its own bucket, and /health is never limited.
    assert api.get(f"{API}/substrates", headers=RO).status_code == 200
    assert api.get(f"{API}/health").status_code == 200


def test_rate_limit_also_counts_requests_without_a_valid_key(make_api):
    api = make_api(RATE_LIMIT="2/hour", **KEYS)
    for _ in range(2):
        assert_error(api.get(f"{API}/substrates", headers={"X-API-Key": "guess"}), 401)
    assert_error(api.get(f"{API}/substrates", headers={"X-API-Key": "guess"}), 429, "rate_limited")


@pytest.mark.parametrize("text, capacity, refill", [("100/s", 100, 100), ("600/min", 600, 10), ("7", 7, 7)])
def test_rate_text_forms(text, capacity, refill):
    limiter = parse_rate(text)
    assert (limiter.capacity, limiter.refill) == (capacity, refill)


@pytest.mark.parametrize("text", ["fast", "10/fortnight", "-1/s", "/s"])
def test_bad_rate_text_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_cors_is_off_by_default(api):
    response = api.get(f"{API}/health", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_listed_origins_only(make_api):
    api = make_api(CORS_ORIGINS=["https://app.example"], **KEYS)
    allowed = api.get(f"{API}/health", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = api.get(f"{API}/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_preflight_needs_no_key(make_api):
    api = make_api(CORS_ORIGINS=["https://app.example"], **KEYS)
    response = api.options(
        f"{API}/substrates",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_cors_wildcard_never_sends_credentials(make_api):
    api = make_api(CORS_ORIGINS="*")
    response = api.get(f"{API}/health", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    with pytest.raises(ValueError, match="credentials"):
        make_api(CORS_ORIGINS=["*"], CORS_ALLOW_CREDENTIALS=True)


def test_cors_credentials_for_listed_origins_on_request(make_api):
    api = make_api(CORS_ORIGINS=["https://app.example"], CORS_ALLOW_CREDENTIALS=True)
    response = api.get(f"{API}/health", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("::", False),
                                            ("192.168.1.10", False), ("no-such-host.invalid", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("args, env", [(["--host", "0.0.0.0"], {}), ([], {"BFXDB_HOST": "0.0.0.0"})])
def test_serve_refuses_to_listen_beyond_loopback_without_a_key(tmp_path, args, env):
    result = CliRunner().invoke(serve, [str(tmp_path / "x.db"), *args], env=env)
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without an API key" in result.output
    assert not (tmp_path / "x.db").exists()


def test_serve_refuses_contradictory_settings(tmp_path):
    result = CliRunner().invoke(serve, [str(tmp_path / "x.db"), "--cors-origin", "*", "--cors-credentials"])
    assert result.exit_code == 2 and "credentials" in result.output
    result = CliRunner().invoke(serve, [str(tmp_path / "x.db")], env={"BFXDB_RATE_LIMIT": "lots"})
    assert result.exit_code == 2 and "rate limit" in result.output


def test_every_serve_setting_has_its_documented_environment_variable():
    params = {param.name: param for param in serve.params}
    assert set(params) == set(ENVIRONMENT)
    for name, variable in ENVIRONMENT.items():
        assert params[name].envvar == variable
    help_text = CliRunner().invoke(serve, ["--help"]).output
    for name, variable in ENVIRONMENT.items():
        if name != "path":
            assert variable in help_text
