"""HTTP relationship routes: create, get, delete, outgoing and incoming lists."""

from __future__ import annotations

import pytest

from .helpers import API, assert_error, create, relate


@pytest.fixture
def pair(api):
    """Two substrates' ids."""
    return create(api)["substrate_id"], create(api)["substrate_id"]


def test_create_relationship_is_201_with_the_seed_fields(api, pair):
    source, target = pair
    response = api.post(
        f"{API}/relationships",
        json={"rel_type": "dependency", "source_id": source, "target_id": target, "metadata": {"w": 2}},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["rel_type"] == "dependency"
    assert (body["source_id"], body["target_id"]) == (source, target)
    assert body["bidirectional"] is False and body["metadata"] == {"w": 2}
    assert response.headers["Location"] == f"{API}/relationships/{body['relationship_id']}"
    fetched = api.get(f"{API}/relationships/{body['relationship_id']}").get_json()
    assert fetched == body


def test_parallel_relationships_get_their_own_ids(api, pair):
    first, second = relate(api, *pair), relate(api, *pair)
    assert first["relationship_id"] != second["relationship_id"]


@pytest.mark.parametrize("role", ["source_id", "target_id"])
def test_a_missing_endpoint_is_404_naming_it(api, pair, role):
    ends = {"source_id": pair[0], "target_id": pair[1]} | {role: "0x00000000000000EE"}
    body = assert_error(api.post(f"{API}/relationships", json={"rel_type": "R", **ends}), 404, "not_found")
    assert body["substrate_id"] == "0x00000000000000EE"


@pytest.mark.parametrize(
    "payload",
    [
        {"source_id": "0x1", "target_id": "0x2"},
        {"rel_type": "", "source_id": "0x1", "target_id": "0x2"},
        {"rel_type": "R", "source_id": "0x1", "target_id": "0x2", "bidirectional": "yes"},
        {"rel_type": "R", "source_id": 1, "target_id": "0x2"},
    ],
)
def test_relationship_schema_violations_are_422(api, payload):
    assert_error(api.post(f"{API}/relationships", json=payload), 422, "validation_error")


def test_delete_relationship_is_204_then_404(api, pair):
    relationship = relate(api, *pair)["relationship_id"]
    assert api.delete(f"{API}/relationships/{relationship}").status_code == 204
    assert_error(api.get(f"{API}/relationships/{relationship}"), 404, "not_found")
    assert_error(api.delete(f"{API}/relationships/{relationship}"), 404, "not_found")


def test_outgoing_and_incoming_list_with_count_type_filter_and_pages(api, pair):
    source, target = pair
    made = [relate(api, source, target, rel_type) for rel_type in ("B", "A", "A")]
    outgoing = api.get(f"{API}/relationships/outgoing/{source}").get_json()
    assert outgoing["count"] == 3
    # grouped by type, in the traversal index's order: types by when they were first used
    assert [r["rel_type"] for r in outgoing["relationships"]] == ["B", "A", "A"]
    assert {r["relationship_id"] for r in outgoing["relationships"]} == {r["relationship_id"] for r in made}
    only_b = api.get(f"{API}/relationships/outgoing/{source}?rel_type=B").get_json()
    assert [r["relationship_id"] for r in only_b["relationships"]] == [made[0]["relationship_id"]]
    incoming = api.get(f"{API}/relationships/incoming/{target}?limit=1&offset=1").get_json()
    assert incoming["count"] == 1 and incoming["relationships"][0] == outgoing["relationships"][1]
    assert api.get(f"{API}/relationships/incoming/{source}").get_json() == {
        "relationships": [], "count": 0, "limit": 100, "offset": 0
    }


def test_bidirectional_is_a_kept_flag_and_listings_follow_the_stored_direction(api, pair):
    source, target = pair
    relationship = relate(api, source, target, bidirectional=True)
    assert relationship["bidirectional"] is True
    from_source = api.get(f"{API}/relationships/outgoing/{source}").get_json()["relationships"]
    assert from_source == [relationship]
    to_target = api.get(f"{API}/relationships/incoming/{target}").get_json()["relationships"]
    assert to_target == [relationship]


def test_rel_type_keeps_the_case_it_was_sent_in(api, pair):
    assert relate(api, *pair, rel_type="MixedCase")["rel_type"] == "MixedCase"
