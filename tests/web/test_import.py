"""POST /import: NDJSON streamed into batched bulk loads, with counts and the numbers of bad lines."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bfxdb.cli import main

from ..conftest import MULTIPLY
from .helpers import API, assert_error

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(*items) -> bytes:
    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items).encode()


def test_import_substrates_and_relationships(api, api_db):
    body = ndjson(
        {"type": "substrate", "substrate_id": "0xA", "labels": ["Person"], "metadata": {"name": "Ann"}},
        {"type": "substrate", "substrate_id": "0xB", "expression_code": MULTIPLY},
        "",
        {"type": "relationship", "source_id": "0xA", "target_id": "0xB", "rel_type": "USES", "metadata": {"w": 1}},
    )
    response = api.post(f"{API}/import", data=body, headers=NDJSON)
    assert response.status_code == 200
    assert response.get_json() == {"substrates": 2, "relationships": 1, "lines": 4, "error_count": 0, "errors": []}
    assert api_db.get_substrate("0xA").labels == ("Person",)
    assert api_db.invoke("0xB", {"x": 2, "y": 4}) == 8
    [relationship] = api_db.outgoing("0xA")
    assert (relationship.rel_type, relationship.metadata) == ("USES", {"w": 1})


def test_bad_lines_are_skipped_and_reported_by_number(api, api_db):
    body = ndjson(
        {"type": "substrate", "substrate_id": "0x1"},
        "{not json",
        {"type": "substrate", "substrate_id": "0x1"},
        {"type": "node"},
        {"type": "substrate", "expression_code": "lambda: __import__('os')"},
        [1, 2],
        {"type": "relationship", "source_id": "0x1", "target_id": "0x99", "rel_type": "R"},
        {"type": "substrate", "substrate_id": "0x2", "metadata": {"ok": True}},
        {"type": "relationship", "source_id": "0x1", "target_id": "0x2", "rel_type": "R"},
    )
    report = api.post(f"{API}/import", data=body, headers=NDJSON).get_json()
    assert (report["substrates"], report["relationships"], report["lines"]) == (2, 1, 9)
    assert report["error_count"] == 6
    assert [(e["line"], e["code"]) for e in sorted(report["errors"], key=lambda e: e["line"])] == [
        (2, "invalid_json"),
        (3, "conflict"),
        (4, "validation_error"),
        (5, "expression_rejected"),
        (6, "validation_error"),
        (7, "not_found"),
    ]
    assert api_db.count_substrates() == 2 and api_db.count_relationships() == 1


def test_batches_commit_separately_and_relationships_may_share_a_batch(api, api_db):
    lines = [{"type": "substrate", "substrate_id": f"0x{n:X}"} for n in range(1, 11)]
    lines += [
        {"type": "relationship", "source_id": "0x1", "target_id": f"0x{n:X}", "rel_type": "R"} for n in range(2, 11)
    ]
    report = api.post(f"{API}/import?batch_size=3", data=ndjson(*lines), headers=NDJSON).get_json()
    assert (report["substrates"], report["relationships"], report["error_count"]) == (10, 9, 0)


def test_atomic_import_writes_nothing_when_a_line_is_bad(api, api_db):
    body = ndjson(
        {"type": "substrate", "substrate_id": "0x1"},
        {"type": "substrate", "substrate_id": "0x2"},
        {"type": "relationship", "source_id": "0x1", "target_id": "0x3", "rel_type": "R"},
    )
    response = api.post(f"{API}/import?atomic=true&batch_size=1", data=body, headers=NDJSON)
    error = assert_error(response, 400, "import_rejected")
    assert error["error_count"] == 1 and error["errors"][0]["line"] == 3
    assert api_db.count_substrates() == 0


def test_atomic_import_commits_everything_when_all_lines_are_good(api, api_db):
    body = ndjson(*({"type": "substrate"} for _ in range(5)))
    assert api.post(f"{API}/import?atomic=1", data=body, headers=NDJSON).get_json()["substrates"] == 5
    assert api_db.count_substrates() == 5


def test_exported_objects_import_again(api, api_db):
    source = api_db.create_substrate(metadata={"a": 1}, labels=["L"])
    target = api_db.create_substrate()
    relationship = api_db.create_relationship(source.identity, target.identity, "R", bidirectional=True)
    dump = ndjson(
        *({"type": "substrate", **s.to_dict()} for s in (source, target)),
        {"type": "relationship", **relationship.to_dict()},
    )
    api_db.delete_substrate(source.identity)
    api_db.delete_substrate(target.identity)
    report = api.post(f"{API}/import", data=dump, headers=NDJSON).get_json()
    assert report["error_count"] == 0, report
    assert api_db.get_substrate(source.identity).metadata == {"a": 1}
    assert api_db.get_relationship(relationship.identity).bidirectional is True


def test_import_limits(make_api):
    api = make_api(MAX_CONTENT_LENGTH=200, MAX_IMPORT_BYTES=1000)
    long_line = ndjson({"type": "substrate", "metadata": {"x": "a" * 300}}, {"type": "substrate"})
    report = api.post(f"{API}/import", data=long_line, headers=NDJSON).get_json()
    assert report["substrates"] == 1
    [error] = report["errors"]
    assert (error["line"], error["code"]) == (1, "line_too_long")
    assert "JSON body limit of 200 bytes; bfxdb serve --max-body-bytes" in error["detail"]
    too_big = ndjson(*({"type": "substrate"} for _ in range(100)))
    body = assert_error(api.post(f"{API}/import", data=too_big, headers=NDJSON), 413, "payload_too_large")
    assert "its limit of 1,000 bytes" in body["detail"] and "--max-import-bytes" in body["detail"]
    assert body["limit_bytes"] == 1000


def test_import_parameters_are_checked(api):
    assert_error(api.post(f"{API}/import?batch_size=0", data=b""), 422, "validation_error")
    assert_error(api.post(f"{API}/import?atomic=maybe", data=b""), 422, "validation_error")
    assert api.post(f"{API}/import", data=b"").get_json()["lines"] == 0


#: Lines that each face must refuse with the same words (the library's NDJSON parser's).
BAD_LINES = [
    "{not json",
    "[1, 2]",
    {"type": "node"},
    {"type": "substrate", "colour": 1},
    {"type": "substrate", "labels": "Person"},
    {"type": "substrate", "substrate_id": "zz"},
    {"type": "substrate", "identity": 1, "substrate_id": "0x2"},
    {"type": "substrate", "metadata": [1]},
    {"type": "relationship", "source_id": "0x1", "target_id": "0x2"},
    {"type": "relationship", "rel_type": "R", "source_id": "0x1", "target_id": "0x2", "bidirectional": "yes"},
    '{"type": "substrate", "metadata": {"x": NaN}}',
    '{"type": "substrate", "metadata": {"x": "\\udc00"}}',
    {"type": "substrate", "expression_code": "__import__('os')"},
]


def test_the_same_bad_lines_get_the_same_words_over_http_and_from_bfxdb_import(api, tmp_path):
    body = ndjson(*BAD_LINES)
    report = api.post(f"{API}/import", data=body, headers=NDJSON).get_json()
    over_http = {error["line"]: error["detail"] for error in report["errors"]}
    path = tmp_path / "bad.ndjson"
    path.write_bytes(body)
    result = CliRunner().invoke(main, ["import", str(tmp_path / "cli.db"), str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    prefix = f"skipped {path}:"
    from_cli = {
        int(line[len(prefix) :].split(":", 1)[0]): line[len(prefix) :].split(": ", 1)[1]
        for line in result.stderr.splitlines()
        if line.startswith(prefix)
    }
    assert len(over_http) == len(BAD_LINES)
    assert over_http == from_cli
