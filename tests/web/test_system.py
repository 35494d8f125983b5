"""HTTP system and documentation routes: /health, /metrics, /openapi.json, /docs and /redoc."""

from __future__ import annotations

import re

import pytest
from bfxdb.web.openapi import build_document

import bfxdb

from ..conftest import MULTIPLY
from .helpers import API, assert_error, create


def test_health_reports_status_timestamp_and_version(api):
    response = api.get(f"{API}/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == bfxdb.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", body["timestamp"])


def test_health_is_503_when_the_database_is_gone(tmp_path):
    from bfxdb.web import create_app

    database = bfxdb.connect(tmp_path / "gone.db")
    client = create_app(database).test_client()
    database.close()
    response = client.get(f"{API}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["code"] == "storage_error" and body["detail"]


def test_metrics_has_the_seed_fields_and_request_counts(api):
    create(api, expression_code=MULTIPLY)
    api.get(f"{API}/substrates/0x1")
    body = api.get(f"{API}/metrics").get_json()
    assert body["total_substrates"] == 1
    assert body["total_relationships"] == 0
    assert body["uptime_seconds"] >= 0
    assert body["version"] == bfxdb.__version__
    assert body["database_size_bytes"] > 0
    counts = {(r["method"], r["route"], r["status"]): r["count"] for r in body["requests"]}
    assert counts[("POST", f"{API}/substrates", 201)] == 1
    assert counts[("GET", f"{API}/substrates/<substrate_id>", 404)] == 1
    latency = body["latency_ms"][f"{API}/substrates"]
    assert latency["count"] == 1 and 0 <= latency["p50"] <= latency["p90"] <= latency["p99"]


@pytest.mark.parametrize(
    "query, headers",
    [("?format=prometheus", {}), ("", {"Accept": "text/plain;version=0.0.4;q=0.4,*/*;q=0.1"})],
)
def test_metrics_in_prometheus_text(api, query, headers):
    api.get(f"{API}/health")
    response = api.get(f"{API}/metrics{query}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert f'bfxdb_info{{version="{bfxdb.__version__}"}} 1' in text
    assert "bfxdb_substrates 0" in text
    assert f'bfxdb_http_requests_total{{method="GET",route="{API}/health",status="200"}} 1' in text
    assert 'quantile="0.99"' in text
    # Every sample line is `name{labels} value` or `name value`.
    for line in text.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r'[a-z_]+(\{[^}]*\})? [0-9.e+-]+', line), line


def test_metrics_format_must_be_known(api):
    assert_error(api.get(f"{API}/metrics?format=xml"), 422, "validation_error")


@pytest.mark.parametrize("path", [f"{API}/openapi.json", "/openapi.json"])
def test_openapi_document_is_served(api, path):
    response = api.get(path)
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    assert document["info"]["version"] == bfxdb.__version__


def test_openapi_document_describes_every_route_the_app_serves(api):
    from bfxdb.web import create_app

    document = build_document()
    app = create_app(":memory:")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "/static/" in rule.rule or rule.rule.endswith(".js"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_openapi_document_is_valid_openapi_3():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(build_document())


def test_every_operation_documents_its_errors_with_the_error_schema():
    document = build_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            # a success, or for the site root its redirect to the docs
            assert any(code[0] in "23" for code in operation["responses"]), (path, method)
            for code, response in operation["responses"].items():
                if code[0] in "45" and "/health" not in path:
                    assert response == {"$ref": f"#/components/responses/E{code}"}, (path, method, code)


@pytest.mark.parametrize(
    "page, asset", [("docs", "docs/static/swagger-ui-bundle.js"), ("redoc", "redoc/static/redoc.standalone.js")]
)
def test_docs_pages_and_their_assets_come_from_installed_packages(api, page, asset):
    html = api.get(f"{API}/{page}")
    assert html.status_code == 200 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert asset in text
    assert "http://" not in text and "https://" not in text, "the page must not load anything from the internet"
    script = api.get(f"{API}/{asset}")
    assert script.status_code == 200
    assert len(script.data) > 100_000
    script.close()


def test_unknown_docs_assets_are_404(api):
    assert_error(api.get(f"{API}/docs/static/../../app.py"), 404)
    assert_error(api.get(f"{API}/docs/static/index.html"), 404)


def test_every_operation_that_may_write_documents_the_full_disk():
    writing = [
        (path, method, operation["responses"])
        for path, item in build_document()["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and "403" in operation["responses"]
    ]
    assert ("/api/v1/substrates", "post") in {(path, method) for path, method, _ in writing}
    assert all("507" in responses for _, _, responses in writing)
