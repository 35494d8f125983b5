"""HTTP substrate routes: the seed's examples, create/get/list/update/delete, divide and invoke."""

from __future__ import annotations

import json

import pytest

import bfxdb

from ..conftest import MULTIPLY
from .helpers import API, SEED, SEED_CREATE_BODY, SEED_INVOKE_BODY, assert_error, create, relate, seed_curl_bodies

JSON = {"Content-Type": "application/json"}


def test_seed_examples_create_multiply_and_invoke_it_to_35(api):
    created = api.post(f"{API}/substrates", data=SEED_CREATE_BODY, headers=JSON)
    assert created.status_code == 201
    body = created.get_json()
    assert body["substrate_id"] == bfxdb.format_id(bfxdb.fingerprint("lambda", MULTIPLY))
    assert body["identity"] == bfxdb.parse_id(body["substrate_id"])
    assert body["expression_type"] == "lambda"
    assert body["metadata"] == {"name": "multiply"}
    assert body["created_at"].endswith("Z")
    assert created.headers["Location"] == f"{API}/substrates/{body['substrate_id']}"

    invoked = api.post(f"{API}/substrates/{body['substrate_id']}/invoke", data=SEED_INVOKE_BODY, headers=JSON)
    assert invoked.status_code == 200
    result = invoked.get_json()
    assert result["substrate_id"] == body["substrate_id"]
    assert result["result"] == 35
    assert isinstance(result["invocation_time_ms"], float) and result["invocation_time_ms"] >= 0


@pytest.mark.skipif(not SEED.exists(), reason="the seed document is not beside the repository")
def test_seed_document_curl_bodies_are_the_ones_tested(api):
    create_body, invoke_body = seed_curl_bodies()
    assert json.loads(create_body) == json.loads(SEED_CREATE_BODY)
    assert invoke_body == SEED_INVOKE_BODY
    created = api.post(f"{API}/substrates", data=create_body, headers=JSON).get_json()
    invoked = api.post(f"{API}/substrates/{created['substrate_id']}/invoke", data=invoke_body, headers=JSON)
    assert invoked.get_json()["result"] == 35


def test_same_expression_twice_is_409_naming_the_existing_substrate(api):
    first = create(api, expression_code=MULTIPLY)
    body = assert_error(api.post(f"{API}/substrates", json={"expression_code": MULTIPLY}), 409, "conflict")
    assert body["substrate_id"] == first["substrate_id"]


def test_explicit_id_in_any_case_is_stored_canonically(api):
    body = create(api, substrate_id="0xabc", metadata={"a": 1})
    assert body["substrate_id"] == "0x0000000000000ABC"
    assert api.get(f"{API}/substrates/0XAbC").get_json()["metadata"] == {"a": 1}
    assert api.get(f"{API}/substrates/2748").get_json()["substrate_id"] == "0x0000000000000ABC"


@pytest.mark.parametrize("bad", ["xyz", "0x", "0x" + "F" * 17, "-1"])
def test_bad_ids_are_400_everywhere(api, bad):
    assert_error(api.get(f"{API}/substrates/{bad}"), 400, "invalid_id")
    assert_error(api.delete(f"{API}/substrates/{bad}"), 400, "invalid_id")
    assert_error(api.post(f"{API}/substrates/{bad}/invoke", json={}), 400, "invalid_id")
    assert_error(api.post(f"{API}/substrates", json={"substrate_id": bad}), 400, "invalid_id")


def test_unknown_ids_are_404_everywhere(api):
    missing = "0x00000000000000FF"
    for response in (
        api.get(f"{API}/substrates/{missing}"),
        api.patch(f"{API}/substrates/{missing}", json={"metadata": {}}),
        api.delete(f"{API}/substrates/{missing}"),
        api.post(f"{API}/substrates/{missing}/divide"),
        api.post(f"{API}/substrates/{missing}/invoke", json={"parameters": {"x": 1}}),
        api.get(f"{API}/substrates/{missing}/neighbours"),
        api.get(f"{API}/relationships/outgoing/{missing}"),
        api.get(f"{API}/relationships/incoming/{missing}"),
    ):
        body = assert_error(response, 404, "not_found")
        assert missing in body["detail"]


def test_rejected_expression_is_400_with_reason_and_position(api):
    body = assert_error(
        api.post(f"{API}/substrates", json={"expression_code": "lambda: __import__('os')"}), 400, "expression_rejected"
    )
    assert "line" in body and "column" in body


@pytest.mark.parametrize(
    "payload, where",
    [
        ({"metadata": []}, "body.metadata"),
        ({"labels": "Person"}, "body.labels"),
        ({"labels": [1]}, "body.labels[0]"),
        ({"expression_code": 7}, "body.expression_code"),
        ({"colour": "red"}, "body.colour"),
    ],
)
def test_body_schema_violations_are_422_naming_the_field(api, payload, where):
    assert assert_error(api.post(f"{API}/substrates", json=payload), 422, "validation_error")["location"] == where


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "", "null"])
def test_a_body_that_is_not_an_object_is_422(api, raw):
    assert_error(api.post(f"{API}/substrates", data=raw, headers=JSON), 422, "validation_error")


@pytest.mark.parametrize("raw", ["{", '{"metadata": NaN}', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_400(api, raw):
    assert_error(api.post(f"{API}/substrates", data=raw, headers=JSON), 400, "invalid_json")


def test_lone_surrogates_are_refused_not_a_500(api):
    raw = '{"metadata": {"name": "\\ud800"}}'
    assert_error(api.post(f"{API}/substrates", data=raw, headers=JSON), 400, "invalid_json")


def test_get_returns_every_field(api):
    created = create(api, expression_code=MULTIPLY, labels=["Function"], metadata={"name": "multiply"})
    body = api.get(f"{API}/substrates/{created['substrate_id']}").get_json()
    assert body == created
    assert body["labels"] == ["Function"]
    assert body["expression_code"] == MULTIPLY


def test_list_filters_by_label_and_metadata_and_pages(api):
    ids = [create(api, substrate_id=f"0x{i}", labels=["Even" if i % 2 == 0 else "Odd"], metadata={"i": i})[
        "substrate_id"] for i in range(1, 8)]
    everything = api.get(f"{API}/substrates").get_json()
    assert [s["substrate_id"] for s in everything["substrates"]] == ids
    assert everything["count"] == 7
    evens = api.get(f"{API}/substrates?label=Even").get_json()["substrates"]
    assert [s["metadata"]["i"] for s in evens] == [2, 4, 6]
    three = api.get(f"{API}/substrates", query_string={"metadata": json.dumps({"i": 3})}).get_json()
    assert [s["substrate_id"] for s in three["substrates"]] == [ids[2]]
    page = api.get(f"{API}/substrates?limit=2&offset=3").get_json()
    assert [s["substrate_id"] for s in page["substrates"]] == ids[3:5]
    assert (page["count"], page["limit"], page["offset"]) == (2, 2, 3)


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "limit=100000", "offset=-5", "metadata=[1]", "metadata={"])
def test_bad_list_parameters_are_422(api, query):
    assert_error(api.get(f"{API}/substrates?{query}"), 422, "validation_error")


def test_patch_replaces_metadata_and_labels(api):
    created = create(api, metadata={"a": 1}, labels=["Old"])
    url = f"{API}/substrates/{created['substrate_id']}"
    updated = api.patch(url, json={"metadata": {"b": 2}})
    assert updated.status_code == 200
    assert updated.get_json()["metadata"] == {"b": 2}
    assert updated.get_json()["labels"] == ["Old"]
    relabelled = api.patch(url, json={"labels": ["New", "Other"]}).get_json()
    assert sorted(relabelled["labels"]) == ["New", "Other"]
    assert relabelled["metadata"] == {"b": 2}
    assert api.get(url).get_json() == relabelled


def test_delete_is_204_and_removes_the_substrates_relationships(api, api_db):
    a, b = create(api)["substrate_id"], create(api)["substrate_id"]
    relationship = relate(api, a, b)
    response = api.delete(f"{API}/substrates/{a}")
    assert response.status_code == 204
    assert response.data == b""
    assert_error(api.get(f"{API}/substrates/{a}"), 404, "not_found")
    assert_error(api.get(f"{API}/relationships/{relationship['relationship_id']}"), 404, "not_found")
    assert api_db.count_relationships() == 0


def test_divide_returns_nine_dimensions_with_stable_ids(api):
    parent = create(api, expression_code=MULTIPLY)["substrate_id"]
    first = api.post(f"{API}/substrates/{parent}/divide")
    assert first.status_code == 200
    body = first.get_json()
    assert body["substrate_id"] == parent and body["materialized"] is False
    assert [d["level"] for d in body["dimensions"]] == [0, 1, 1, 2, 3, 5, 8, 13, 21]
    assert [d["name"] for d in body["dimensions"]][0] == "Void"
    assert all(d["parent_id"] == parent for d in body["dimensions"])
    again = api.post(f"{API}/substrates/{parent}/divide", json={}).get_json()
    assert again == body


def test_divide_materialize_stores_dimensions_once(api, api_db):
    parent = create(api)["substrate_id"]
    for _ in range(2):
        body = api.post(f"{API}/substrates/{parent}/divide", json={"materialize": True}).get_json()
        assert body["materialized"] is True
    assert api_db.count_substrates() == 10
    incoming = api.get(f"{API}/relationships/incoming/{parent}").get_json()
    assert incoming["count"] == 9
    assert {r["rel_type"] for r in incoming["relationships"]} == {"PART_TO_WHOLE"}
    dimension = api.get(f"{API}/substrates/{body['dimensions'][0]['substrate_id']}").get_json()
    assert dimension["labels"] == ["Dimension"]


def test_invoke_without_a_body_uses_no_parameters(api):
    constant = create(api, expression_type="constant", expression_code="42")["substrate_id"]
    assert api.post(f"{API}/substrates/{constant}/invoke").get_json()["result"] == 42


def test_invoke_a_substrate_without_expression_is_400(api):
    plain = create(api)["substrate_id"]
    assert_error(api.post(f"{API}/substrates/{plain}/invoke", json={}), 400, "expression_error")


def test_invoke_with_parameters_that_are_not_an_object_is_422(api):
    fn = create(api, expression_code=MULTIPLY)["substrate_id"]
    assert_error(api.post(f"{API}/substrates/{fn}/invoke", json={"parameters": [5, 7]}), 422, "validation_error")


def test_invoke_past_a_sandbox_limit_is_a_clear_400(api):
    power = create(api, expression_code="lambda x: x ** x ** x")["substrate_id"]
    body = assert_error(api.post(f"{API}/substrates/{power}/invoke", json={"parameters": {"x": 99}}), 400)
    assert body["code"].startswith("expression")


def test_neighbours_to_depth_k_each_at_its_shortest_distance(api):
    a, b, c, d = (create(api, substrate_id=f"0x{n}")["substrate_id"] for n in "abcd")
    relate(api, a, b)
    relate(api, b, c)
    relate(api, c, d)
    relate(api, a, c, "SHORTCUT")
    one = api.get(f"{API}/substrates/{a}/neighbours").get_json()
    assert [(n["substrate"]["substrate_id"], n["distance"]) for n in one["neighbours"]] == [(b, 1), (c, 1)]
    two = api.get(f"{API}/substrates/{a}/neighbours?depth=2").get_json()
    assert [(n["substrate"]["substrate_id"], n["distance"]) for n in two["neighbours"]] == [(b, 1), (c, 1), (d, 2)]
    assert two["count"] == 3 and two["truncated"] is False
    typed = api.get(f"{API}/substrates/{a}/neighbours?depth=3&rel_type=LINK").get_json()
    assert [n["distance"] for n in typed["neighbours"]] == [1, 2, 3]
    back = api.get(f"{API}/substrates/{d}/neighbours?direction=in&depth=5").get_json()
    assert {n["substrate"]["substrate_id"] for n in back["neighbours"]} == {a, b, c}
    limited = api.get(f"{API}/substrates/{a}/neighbours?depth=2&limit=1").get_json()
    assert limited["count"] == 1 and limited["truncated"] is True


@pytest.mark.parametrize("query", ["depth=0", "depth=6", "depth=x", "direction=up"])
def test_neighbours_depth_is_capped(api, query):
    a = create(api)["substrate_id"]
    assert_error(api.get(f"{API}/substrates/{a}/neighbours?{query}"), 422, "validation_error")
