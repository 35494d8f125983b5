"""The one id rule over HTTP: bare digits in a URL or body are decimal, hex needs 0x, the rest is 400."""

from __future__ import annotations

import pytest

from .helpers import API, assert_error, create

HINT = "write hex ids with 0x: 0x8000EAC3017BC915"


def test_100_and_0x100_in_a_url_are_two_identities(api):
    create(api, substrate_id="100", metadata={"n": "decimal"})
    create(api, substrate_id="0x100", metadata={"n": "hex"})
    decimal = api.get(f"{API}/substrates/100").get_json()
    assert (decimal["substrate_id"], decimal["identity"], decimal["metadata"]) == ("0x0000000000000064", 100,
                                                                                   {"n": "decimal"})
    assert api.get(f"{API}/substrates/0x100").get_json()["metadata"] == {"n": "hex"}
    assert api.get(f"{API}/substrates/256").get_json()["metadata"] == {"n": "hex"}
    created = api.post(f"{API}/relationships", json={"rel_type": "R", "source_id": "100", "target_id": "0x100"})
    assert created.status_code == 201
    assert created.get_json()["target_id"] == "0x0000000000000100"
    [edge] = api.get(f"{API}/relationships/outgoing/100").get_json()["relationships"]
    assert edge["source_id"] == "0x0000000000000064"


def test_the_largest_id_works_in_both_spellings(api):
    create(api, substrate_id="18446744073709551615")
    body = api.get(f"{API}/substrates/0xffffffffffffffff").get_json()
    assert (body["substrate_id"], body["identity"]) == ("0xFFFFFFFFFFFFFFFF", 2**64 - 1)


@pytest.mark.parametrize(
    "bad, words",
    [
        ("8000EAC3017BC915", HINT),
        ("18446744073709551616", "between 0 and 2**64 - 1"),
        ("0x10000000000000000", "more than 16 hex digits"),
        ("-1", "write an id as 0x"),
        ("%201", "write an id as 0x"),
    ],
)
def test_bad_ids_in_urls_and_bodies_are_400_with_how_to_write_them(api, bad, words):
    for response in (
        api.get(f"{API}/substrates/{bad}"),
        api.get(f"{API}/relationships/{bad}"),
        api.get(f"{API}/relationships/outgoing/{bad}"),
        api.get(f"{API}/substrates/{bad}/neighbours"),
    ):
        assert words in assert_error(response, 400, "invalid_id")["detail"]
    decoded = bad.replace("%20", " ")
    for response in (
        api.post(f"{API}/substrates", json={"substrate_id": decoded}),
        api.post(f"{API}/relationships", json={"rel_type": "R", "source_id": decoded, "target_id": "0x1"}),
    ):
        assert words in assert_error(response, 400, "invalid_id")["detail"]


def test_http_import_reads_the_rule_line_by_line(api):
    lines = [
        '{"type": "substrate", "substrate_id": "100"}',
        '{"type": "substrate", "substrate_id": "0x100"}',
        '{"type": "substrate", "substrate_id": "8000EAC3017BC915"}',
    ]
    report = api.post(f"{API}/import", data="\n".join(lines), headers={"Content-Type": "application/x-ndjson"})
    body = report.get_json()
    assert body["substrates"] == 2
    [error] = body["errors"]
    assert (error["line"], error["code"]) == (3, "invalid_id") and HINT in error["detail"]
    assert api.get(f"{API}/substrates/100").status_code == api.get(f"{API}/substrates/256").status_code == 200
