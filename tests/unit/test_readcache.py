"""The decoded sealed-row cache: exact round trip, byte budget, LRU order, dropping a file."""

from __future__ import annotations

import numpy as np

from rollup import stats as st
from tsdb.readcache import ENTRY_BYTES, NO_DATA, DecodedRows, pack, unpack


def _stats(rows: int, buckets: int) -> st.Stats:
    rng = np.random.default_rng(rows * 1000 + buckets)
    count = rng.integers(0, 7, (rows, buckets)).astype(st.COUNT_DTYPE)
    vals = rng.normal(0, 1e6, (rows, buckets))
    return st.from_compact(count, vals, vals * count, vals - 1, vals + 1, vals * vals * count,
                           rng.integers(0, 6, (rows, buckets)))


def test_pack_unpack_is_exact():
    s = _stats(5, 37)
    back = unpack(pack(s))
    assert back.count.dtype == st.COUNT_DTYPE and back.slot.dtype == np.int64
    for a, b in zip(s.arrays(), back.arrays()):
        np.testing.assert_array_equal(a, b)


def test_budget_evicts_least_recently_used():
    row = pack(_stats(1, 10))[0]
    size = row.nbytes + ENTRY_BYTES
    cache = DecodedRows(budget=3 * size)
    for r in range(3):
        cache.put("f", r, row)
    assert cache.get("f", 0) is not None          # 0 is now the most recent
    cache.put("f", 3, row)                         # evicts 1, the least recent
    assert cache.get("f", 1) is None
    assert all(cache.get("f", r) is not None for r in (0, 2, 3))
    assert cache.bytes == 3 * size


def test_no_data_entries_count_their_overhead():
    cache = DecodedRows(budget=10 * ENTRY_BYTES)
    for r in range(50):
        cache.put("f", r, NO_DATA)
    assert cache.bytes <= 10 * ENTRY_BYTES
    assert sum(cache.get("f", r) is not None for r in range(50)) == 10


def test_drop_forgets_one_file_only():
    row = pack(_stats(1, 4))[0]
    cache = DecodedRows(budget=1 << 20)
    cache.put(("a", 1), 0, row)
    cache.put(("a", 1), 1, row)
    cache.put(("b", 1), 0, row)
    cache.drop(("a", 1))
    assert cache.get(("a", 1), 0) is None and cache.get(("a", 1), 1) is None
    assert cache.get(("b", 1), 0) is not None
    assert cache.bytes == row.nbytes + ENTRY_BYTES


def test_zero_budget_keeps_nothing():
    cache = DecodedRows(budget=0)
    cache.put("f", 0, pack(_stats(1, 4))[0])
    assert cache.get("f", 0) is None and cache.bytes == 0
