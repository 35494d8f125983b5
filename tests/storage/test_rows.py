"""Row codecs: metadata JSON text and stored times."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bfxdb.storage import encode_metadata, iso_time, utc_now
from bfxdb.storage.rows import time_micros

_FLAT_VALUES = st.one_of(
    st.text(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.booleans(), st.none()
)


@given(st.dictionaries(st.text(), _FLAT_VALUES, max_size=6))
def test_flat_metadata_is_written_exactly_as_json_writes_it(metadata):
    assert encode_metadata(metadata) == json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))


def test_metadata_the_fast_path_refuses_still_encodes_or_is_refused_as_before():
    assert encode_metadata({1: "a"}) == '{"1":"a"}'
    assert encode_metadata({"x": 1.5, "y": [1, {"z": None}]}) == '{"x":1.5,"y":[1,{"z":null}]}'


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)))
def test_a_time_comes_back_as_the_same_text(moment):
    text = moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert iso_time(time_micros(text)) == text


def test_times_are_microseconds_since_the_epoch_in_order():
    assert time_micros("1970-01-01T00:00:01.000002Z") == 1_000_002
    now = utc_now()
    assert time_micros(now) > time_micros("2026-01-01T00:00:00.000000Z")
