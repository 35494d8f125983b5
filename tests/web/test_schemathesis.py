"""Property tests of a live server against its own OpenAPI document: no 5xx, every response as documented."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (a test dependency)")

from bfxdb.web.openapi import build_document  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import live_server  # noqa: E402

#: Examples per operation and generation mode: enough to shake out 5xx and schema drift, fast enough for CI.
EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# POST /import takes NDJSON text; schemathesis sends generated strings as they are.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation in positive mode, and in negative mode those that take any input."""
    cases = []
    for path, item in build_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            cases.append((path, method.upper(), GenerationMode.POSITIVE))
            if "parameters" in item or "parameters" in operation or "requestBody" in operation:
                cases.append((path, method.upper(), GenerationMode.NEGATIVE))
    return sorted(cases)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A live `bfxdb serve` and its OpenAPI document as schemathesis loads it."""
    folder = tmp_path_factory.mktemp("schemathesis")
    with live_server(folder / "graph.db", "--threads", "4") as server:
        yield server, schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        server.stop()


@pytest.mark.parametrize("path, method, mode", _cases())
def test_operation_answers_as_documented(live, path, method, mode):
    server, schema = live
    operation = schema[path][method]

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=30)

    check()
