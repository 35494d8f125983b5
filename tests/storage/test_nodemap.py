"""The node map of a bulk load: NumPy's hash table and the dict without it give the same node numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.storage import nodemap

IDENTITIES = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@pytest.fixture(params=["numpy", "dict"])
def table_kind(request, monkeypatch):
    """Each test runs with NumPy's table and with the dict a machine without NumPy uses."""
    if request.param == "dict":
        monkeypatch.setattr(nodemap, "_numpy", lambda: None)
    return request.param


def _loaded(batches: list[list[int]]) -> tuple[nodemap.NodeMap, dict[int, int]]:
    """A node map given ``batches`` with consecutive node numbers from 1, and the dict it should match."""
    node_map, expected, first = nodemap.NodeMap(), {}, 1
    for batch in batches:
        node_map.add(batch, range(first, first + len(batch)))
        expected.update(zip(batch, range(first, first + len(batch))))
        first += len(batch)
    return node_map, expected


@given(
    st.lists(st.lists(IDENTITIES, max_size=40), max_size=6).map(
        # a load's identities are unique: the substrate insert refuses a repeat before the map sees it
        lambda batches: [list(dict.fromkeys(b)) for b in batches]
    ),
    st.lists(IDENTITIES, max_size=60),
)
def test_the_table_finds_what_a_dict_finds(batches, strangers):
    seen: set[int] = set()
    unique = []
    for batch in batches:
        unique.append([identity for identity in batch if identity not in seen])
        seen.update(batch)
    asked = [identity for batch in unique for identity in batch] + strangers
    for without_numpy in (False, True):
        with pytest.MonkeyPatch.context() as patch:
            if without_numpy:
                patch.setattr(nodemap, "_numpy", lambda: None)
            node_map, expected = _loaded(unique)
            assert node_map.find(asked) == [expected.get(identity, 0) for identity in asked]


def test_the_table_grows_between_lookups_and_keeps_every_number(table_kind):
    node_map = nodemap.NodeMap()
    # identities alike in their low bits, or in their high bits, still find their own slots
    identities = [n << 40 for n in range(1, 3_001)] + list(range(3_000)) + [-n for n in range(1, 3_001)]
    first = 1
    for start in range(0, len(identities), 1_000):
        node_map.add(identities[start : start + 1_000], range(first, first + 1_000))
        first += 1_000
        assert node_map.find(identities[: start + 1_000]) == list(range(1, start + 1_001))
    assert node_map.find([7 << 40 | 1, 2**63 - 1, -(2**63)]) == [0, 0, 0]


def test_a_cleared_map_knows_nothing(table_kind):
    node_map, _ = _loaded([[5, 6, 7]])
    assert node_map.find([6]) == [2]
    node_map.clear()
    assert node_map.find([5, 6, 7]) == [0, 0, 0]
    node_map.add([6], [40])
    assert node_map.find([5, 6]) == [0, 40]


def test_a_map_past_its_limit_forgets_the_rest_and_the_load_finds_them_stored(table_kind, monkeypatch, backend_target):
    monkeypatch.setattr(nodemap, "NODE_MAP_LIMIT", 2)
    with bfxdb.connect(backend_target) as db:
        with db.transaction():
            db.bulk_load([{"identity": n} for n in (1, 2)])
            db.bulk_load([{"identity": n} for n in (3, 4)])
            links = [{"source": 1, "target": 4, "rel_type": "T"}, {"source": 3, "target": 2, "rel_type": "T"}]
            db.bulk_load((), links)
            with pytest.raises(bfxdb.NotFound, match="target substrate 0x0000000000000009"):
                db.bulk_load((), [{"source": 3, "target": 9, "rel_type": "T"}])
        assert [(r.source, r.target) for r in db.outgoing(1)] == [(1, 4)]
        assert [(r.source, r.target) for r in db.outgoing(3)] == [(3, 2)]


def test_a_load_mixing_its_own_ends_with_stored_ones_links_each_to_its_substrate(table_kind, backend_target):
    with bfxdb.connect(backend_target) as db:
        db.bulk_load([{"identity": n} for n in range(100, 110)])
        with db.transaction():
            db.bulk_load(
                [{"identity": n} for n in range(1, 11)],
                [{"source": n, "target": 100 + n % 10, "rel_type": "T"} for n in range(1, 11)]
                + [{"source": 100 + n % 10, "target": n, "rel_type": "U"} for n in range(1, 11)],
            )
        for n in range(1, 11):
            assert [(r.target, r.rel_type) for r in db.outgoing(n)] == [(100 + n % 10, "T")]
            assert [(r.source, r.rel_type) for r in db.incoming(n)] == [(100 + n % 10, "U")]
