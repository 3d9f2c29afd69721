"""Bucket statistics: merge identity, compact form, aggregates and their edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from rollup import stats as st


def cells(*values_per_cell) -> st.Stats:
    idx = np.concatenate([[i] * len(v) for i, v in enumerate(values_per_cell)]).astype(np.int64)
    vals = np.concatenate([np.asarray(v, float) for v in values_per_cell])
    u, s = st.of_points(idx, vals)
    out = st.empty(len(values_per_cell))
    for dst, src in zip(out.arrays(), s.arrays()):
        dst[u] = src
    return out


def test_empty_cell_is_the_merge_identity():
    s = cells([1.0, 2.0])
    merged = st.merge(st.empty(1), s)
    assert [a.tolist() for a in merged.arrays()] == [a.tolist() for a in s.arrays()]


def test_later_write_wins_last_in_the_same_raw_bucket():
    # carbon: a re-sent point replaces the cached value for that timestamp.
    assert st.merge(cells([1.0]), cells([9.0])).last.tolist() == [9.0]


def test_earlier_raw_bucket_never_replaces_last():
    early = st.single_points(np.array([5.0]), np.array([1]))
    late_arrival_older_bucket = st.single_points(np.array([7.0]), np.array([0]))
    assert st.merge(early, late_arrival_older_bucket).last.tolist() == [5.0]


def test_compact_form_derives_single_point_columns():
    s = st.from_compact(np.array([0, 1, 2]), np.array([0.0, 3.0, 4.0]), np.array([9.0, 9.0, 7.0]),
                        np.array([9.0, 9.0, 3.0]), np.array([9.0, 9.0, 4.0]), np.array([9.0, 9.0, 25.0]))
    assert s.sum.tolist() == [0.0, 3.0, 7.0]
    assert s.sumsq.tolist() == [0.0, 9.0, 25.0]
    assert s.min.tolist() == [np.inf, 3.0, 3.0]
    assert s.slot.tolist() == [-1, 0, 0]


@pytest.mark.parametrize("method, expected", [
    ("average", 2.0), ("sum", 6.0), ("min", 1.0), ("max", 3.0), ("count", 3.0), ("last", 2.0),
    ("avg_zero", 1.0), ("absmax", 3.0), ("absmin", 1.0), ("avg", 2.0), ("total", 6.0)])
def test_values_per_method(method, expected):
    s = cells([1.0, 3.0, 2.0])
    assert st.values(s, method, slots_per_bucket=6).tolist() == [expected]


def test_absmax_and_absmin_pick_by_magnitude_like_whisper():
    s = cells([-5.0, 3.0])
    assert st.values(s, "absmax").tolist() == [-5.0]
    assert st.values(s, "absmin").tolist() == [3.0]


def test_stddev_is_exact_for_exactly_summable_values():
    s = cells([1000.0, 1000.25])
    assert st.stddev(s)[0] == 0.125


def test_empty_bucket_and_below_xff_are_nan():
    s = cells([], [1.0, 2.0])
    out = st.values(s, "sum", xff=0.5, slots_per_bucket=6)
    assert np.isnan(out).tolist() == [True, True]        # 2 of 6 slots < 0.5
    assert st.values(s, "sum", xff=0.3, slots_per_bucket=6)[1] == 3.0


def test_unknown_method_names_the_choices():
    with pytest.raises(ValueError, match="unknown aggregate 'median'; expected one of average"):
        st.values(cells([1.0]), "median")


def test_fold_requires_whole_runs():
    with pytest.raises(ValueError, match="cannot fold 5 buckets by 2"):
        st.fold(st.empty(5), 2)


def test_fold_records_slot_of_last_in_raw_steps():
    s = st.fold(cells([1.0], [], [2.0], []), 4, raw_per_bucket=6)
    assert (s.last.tolist(), s.slot.tolist()) == ([2.0], [12])


def test_stddev_of_huge_identical_values_is_zero_without_warnings(recwarn):
    # Regression (collectd peer test): 1.5e300 squared overflows sumsq.
    s = cells([1.5e300], [1.5e300, 1.5e300])
    assert st.stddev(s).tolist() == [0.0, 0.0]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
