"""Exactness of bucket statistics: rollup of a rollup equals the rollup of raw data.

For every aggregate, folding raw buckets by a then by b equals folding by a*b, and equals
computing from the raw points directly; merging is associative.  Values are multiples of
1/4 so float sums are exact in any order (stddev is checked to 1e-9 relative).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as hs

from rollup import stats as st

values = hs.integers(-4000, 4000).map(lambda k: k / 4)
AGGS = ["average", "sum", "min", "max", "count", "last", "stddev", "avg_zero", "absmax", "absmin"]


@hs.composite
def raw_buckets(draw):
    a = draw(hs.integers(1, 6))
    b = draw(hs.integers(1, 6))
    n = a * b * draw(hs.integers(1, 4))
    cells = draw(hs.lists(hs.integers(0, n - 1), max_size=4 * n))
    vals = draw(hs.lists(values, min_size=len(cells), max_size=len(cells)))
    return a, b, n, np.array(cells, np.int64), np.array(vals, np.float64)


def raw_stats(n, cells, vals) -> st.Stats:
    out = st.empty(n)
    if len(cells):
        ucells, s = st.of_points(cells, vals)
        out = st.merge(out, _scatter(n, ucells, s))
    return out


def _scatter(n, cells, s) -> st.Stats:
    out = st.empty(n)
    for dst, src in zip(out.arrays(), s.arrays()):
        dst[cells] = src
    return out


def same(x: st.Stats, y: st.Stats, rtol=0.0) -> None:
    x, y = st.canonical(x), st.canonical(y)
    for name, p, q in zip(st.FIELDS, x.arrays(), y.arrays()):
        assert np.array_equal(p, q, equal_nan=True), (name, p, q)


@given(raw_buckets())
def test_rollup_of_rollup_equals_rollup_of_raw(case):
    a, b, n, cells, vals = case
    raw = raw_stats(n, cells, vals)
    twice = st.fold(st.fold(raw, a), b, raw_per_bucket=a)
    once = st.fold(raw, a * b)
    same(twice, once)
    for agg in AGGS:
        v1 = st.values(twice, agg, slots_per_bucket=a * b)
        v2 = st.values(once, agg, slots_per_bucket=a * b)
        assert np.array_equal(v1, v2, equal_nan=True), agg


@given(raw_buckets())
def test_coarse_values_match_direct_computation_from_points(case):
    a, b, n, cells, vals = case
    f = a * b
    coarse = st.fold(st.fold(raw_stats(n, cells, vals), a), b, raw_per_bucket=a)
    for k in range(n // f):
        in_bucket = (cells >= k * f) & (cells < (k + 1) * f)
        pts = vals[in_bucket]
        if not len(pts):
            assert coarse.count[k] == 0
            continue
        # last: the last write to the latest raw bucket
        latest = cells[in_bucket].max()
        last = vals[in_bucket][cells[in_bucket] == latest][-1]
        assert (coarse.count[k], coarse.sum[k], coarse.min[k], coarse.max[k], coarse.last[k]) == \
            (len(pts), pts.sum(), pts.min(), pts.max(), last)
        assert coarse.slot[k] == latest - k * f
        assert st.stddev(coarse)[k] == np.float64(np.std(pts)) or \
            abs(st.stddev(coarse)[k] - np.std(pts)) <= 1e-9 * max(np.std(pts), 1e-300)


@given(raw_buckets(), raw_buckets())
def test_merge_is_associative_and_matches_one_stream(c1, c2):
    n = 12
    x = raw_stats(n, c1[3] % n, c1[4])
    y = raw_stats(n, c2[3] % n, c2[4])
    z = raw_stats(n, np.arange(n), np.arange(n, dtype=float))
    same(st.merge(st.merge(x, y), z), st.merge(x, st.merge(y, z)))
    both = raw_stats(n, np.r_[c1[3] % n, c2[3] % n], np.r_[c1[4], c2[4]])
    same(st.merge(x, y), both)
