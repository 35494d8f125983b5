"""Identities: id parsing and formatting, the fingerprint format promise, stability across processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.formats import import_files
from bfxdb.identity import assign_identity, dimension_id, fingerprint, format_id, parse_id, to_signed, to_unsigned

from .conftest import MULTIPLY, REPO

# The documented test vector of the fingerprint format (README, "Identities").
MULTIPLY_ID = "0x037FC83C476BB89F"


def test_fingerprint_matches_the_documented_test_vector():
    assert format_id(fingerprint("lambda", MULTIPLY)) == MULTIPLY_ID


def test_fingerprint_separates_type_from_code():
    assert fingerprint("lambda", "x") != fingerprint("lambdax", "")
    assert fingerprint("constant", "1") != fingerprint("lambda", "1")


def test_fingerprint_is_the_same_in_another_process_with_another_hash_seed():
    code = f"import bfxdb.identity as i; print(i.fingerprint('lambda', {MULTIPLY!r}))"
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(REPO))
        outputs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   check=True).stdout.strip())
    assert outputs == {str(fingerprint("lambda", MULTIPLY))}


def test_substrate_created_in_one_process_is_found_by_its_fingerprint_in_another(db_path):
    code = (
        "import bfxdb, sys; db = bfxdb.connect(sys.argv[1]); "
        f"print(db.create_substrate('lambda', {MULTIPLY!r}).substrate_id)"
    )
    env = dict(os.environ, PYTHONHASHSEED="7", PYTHONPATH=str(REPO))
    made = subprocess.run([sys.executable, "-c", code, str(db_path)], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert made == MULTIPLY_ID
    with bfxdb.connect(db_path) as db:
        with pytest.raises(bfxdb.Conflict) as conflict:
            db.create_substrate("lambda", MULTIPLY)
        assert conflict.value.details["substrate_id"] == MULTIPLY_ID
        assert MULTIPLY_ID in str(conflict.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0x0", 0),
        ("0", 0),
        ("0x100", 256),
        ("100", 100),
        (100, 100),
        ("0XfF", 255),
        ("0xFFFFFFFFFFFFFFFF", 2**64 - 1),
        ("18446744073709551615", 2**64 - 1),
        (2**64 - 1, 2**64 - 1),
        ("0x0000000000000001", 1),
        ("007", 7),
        (MULTIPLY_ID.lower(), int(MULTIPLY_ID, 16)),
    ],
)
def test_parse_id_reads_0x_as_hex_and_bare_digits_as_decimal(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "0x", "0x" + "1" * 17, "18446744073709551616", "9" * 5000, "-1", "+1", "0x-1", "xyz", "0x12g", " 12",
     "12 ", "1_0", -1, 2**64, True, None, 1.5, b"12", "٣"],
)
def test_parse_id_refuses_anything_else_with_invalid_id(bad):
    with pytest.raises(bfxdb.InvalidId) as error:
        parse_id(bad)
    assert "0x" in str(error.value)
    assert isinstance(error.value, bfxdb.BfxError)


@pytest.mark.parametrize("bare", ["8000EAC3017BC915", "ff", "0ABC", "deadbeef"])
def test_bare_hex_is_refused_with_the_0x_spelling_as_the_hint(bare):
    with pytest.raises(bfxdb.InvalidId, match=f"write hex ids with 0x: 0x{bare}$"):
        parse_id(bare)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_format_and_parse_round_trip(identity):
    text = format_id(identity)
    assert len(text) == 18 and text.startswith("0x") and text[2:] == text[2:].upper()
    assert parse_id(text) == identity
    assert parse_id(text.lower()) == identity
    assert parse_id(str(identity)) == identity


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_signed_storage_round_trips(identity):
    signed = to_signed(identity)
    assert -(2**63) <= signed < 2**63
    assert to_unsigned(signed) == identity


def test_sqlite_shows_the_same_hex_as_the_api(db):
    high = db.create_substrate(identity="0xFFFFFFFFFFFFFFFE")
    low = db.create_substrate(identity=1)
    shown = dict(db.store.execute("SELECT identity, substrate_id FROM substrates").fetchall())
    assert set(shown.values()) == {high.substrate_id, low.substrate_id}


def test_dimension_ids_are_stable_and_distinct():
    ids = [dimension_id(7, index) for index in range(9)]
    assert len(set(ids)) == 9
    assert ids == [dimension_id(7, index) for index in range(9)]
    assert dimension_id(8, 0) != ids[0]


def test_assign_identity_takes_the_given_id_then_the_fingerprint_then_a_random_one():
    assert assign_identity("0xff", "lambda", "lambda: 1") == 255
    assert assign_identity(None, "lambda", "lambda: 1") == bfxdb.fingerprint("lambda", "lambda: 1")
    assert assign_identity(None, None, "lambda: 1") == bfxdb.fingerprint("lambda", "lambda: 1")
    assert assign_identity(None, None, None) != assign_identity(None, None, None)


def test_create_substrate_bulk_load_and_import_give_an_expression_the_same_identity(tmp_path):
    code = "lambda x: x + 1"
    path = tmp_path / "one.ndjson"
    path.write_text(f'{{"type": "substrate", "expression_code": "{code}"}}\n', encoding="utf-8")
    with bfxdb.connect() as created, bfxdb.connect() as loaded, bfxdb.connect() as imported:
        created.create_substrate(expression_code=code)
        loaded.bulk_load([{"expression_code": code}])
        import_files(imported, [path])
        [one], [two], [three] = (db.find_substrates() for db in (created, loaded, imported))
        assert one.identity == two.identity == three.identity == bfxdb.fingerprint("lambda", code)
