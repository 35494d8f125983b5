"""Metadata filters on keys of any text: what matches is exactly what is stored, in Python and over HTTP."""

from __future__ import annotations

import json

import pytest
from bfxdb.web import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bfxdb

#: Keys that spell a path, an escape or an end of one, beside decoys that a wrong path would find instead.
TRAPS = [
    'a"b', '"', '"a', 'a"', 'a\\"b', 'a".b', 'a"[0]', 'a"\x00.b',  # double quotes, alone and with path syntax
    "a.b", "a[0]", "$", "$.a", "a b", " ", "", "a\\b", "a\\u0000b", "a\x00b", "\x00", "a\x01b", "a\nb",
    "é", "日本", "\u2028", "😀", "a'b", "a`b",
]
#: Stored beside the traps: what `$.a.b`, `$.a[0]`, a key cut at its NUL or a lost escape would match.
DECOYS = [{"a": {"b": 1}}, {"a": [1]}, {"a": 1}, {"a\\b": 1}, {"ab": 1}, {"b": 1}, {"": {"": 1}}]
#: Values of every JSON type, some equal in SQLite's eyes but not in JSON's (1, 1.0 and true).
VALUES = st.one_of(
    st.sampled_from([1, 1.0, True, False, None, 0, "1", "", [1], {"b": 1}, [], {}]),
    st.integers(-3, 3),
    st.text(max_size=3),
)
KEYS = st.one_of(
    st.sampled_from(TRAPS), st.text(st.sampled_from('ab"\\.[]$ \x00é\n0'), max_size=5), st.text(max_size=4)
)


def found(db, key, value) -> list[dict]:
    return [substrate.metadata for substrate in db.find_substrates(metadata={key: value})]


def found_over_http(client, key, value) -> list[dict]:
    response = client.get("/api/v1/substrates", query_string={"metadata": json.dumps({key: value})})
    assert response.status_code == 200, response.get_json()
    return [substrate["metadata"] for substrate in response.get_json()["substrates"]]


def same(stored, value) -> bool:
    """JSON equality: same type and value (so true is not 1, nor 1.0 equal to 1)."""
    return json.dumps(stored, sort_keys=True) == json.dumps(value, sort_keys=True)


def check_both_faces(stored: list[dict], key, value) -> None:
    """Store the metadata, filter on ``{key: value}`` in Python and over HTTP: each finds what a naive reading does."""
    with bfxdb.connect() as db:
        for metadata in stored:
            db.create_substrate(metadata=metadata)
        client = create_app(db).test_client()
        expected = sorted(json.dumps(m, sort_keys=True) for m in stored if key in m and same(m[key], value))
        assert sorted(json.dumps(m, sort_keys=True) for m in found(db, key, value)) == expected
        assert sorted(json.dumps(m, sort_keys=True) for m in found_over_http(client, key, value)) == expected


@pytest.mark.parametrize("key", TRAPS)
def test_a_filter_on_an_odd_key_finds_exactly_its_substrates_in_python_and_over_http(key):
    stored = [*DECOYS, {key: 1}, {key: 2}, {key: True}, {key: 1.0}, {key: {"b": 1}}, {"x": 0, key: 1}]
    for value in (1, True, 1.0, {"b": 1}, 3):
        check_both_faces(stored, key, value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored=st.lists(st.dictionaries(KEYS, VALUES, max_size=3), max_size=6), key=KEYS, value=VALUES)
def test_a_filter_matches_what_a_naive_reading_of_the_stored_json_matches(stored, key, value):
    check_both_faces([*stored, {key: value}], key, value)
