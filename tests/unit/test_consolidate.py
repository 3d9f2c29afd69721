"""maxDataPoints consolidation, checked against graphite-web 1.1.10.

Every table entry was recorded by running graphite-web's renderViewJson (render/views.py)
on TimeSeries built from the same values and reading back each series' start, end,
valuesPerPoint, remaining raw length and `datapoints()` (render/datalib.py). Cases marked
"graphite-web 500" are where it raises IndexError deleting more leading values than a short
series has; they were recorded with that deletion made to stop at an empty series.
"""

from __future__ import annotations

import numpy as np
import pytest

from render_api.consolidate import (
    InvalidConsolidation,
    apply_max_data_points,
    consolidated,
    consolidated_values,
)
from render_api.series import Series

N = None
INF = float("inf")


def S(name, start, step, values, end=None, consolidate="average", xff=0.0, vpp=1) -> Series:
    vals = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    end = start + step * len(vals) if end is None else end
    return Series(name, start, end, step, vals, consolidation=consolidate, xff=xff,
                  values_per_point=vpp)


def tiny_drift(n):
    # Values whose running sum rounds differently from numpy's pairwise sum.
    return [0.1 * (i % 7) + 0.001 * i for i in range(n)]


# id: (series, maxDataPoints)
CASES = {
    'mdp_vpp_rounds_up': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0])], 3),
    'mdp_not_needed': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0])], 10),
    'mdp_aligned_start_nudges_full_bucket': ([S('x', 1200, 10, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0])], 5),
    'mdp_unaligned_start': ([S('x', 1005, 10, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0])], 5),
    'mdp_one': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0]), S('c', 1000, 60, [3.0, N])], 1),
    'mdp_one_sum': ([S('c', 1000, 10, [3.0, N, 4.0], consolidate='sum')], 1),
    'mdp_different_steps': ([S('fine', 1000, 10, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0]), S('coarse', 1000, 60, [1.0, 2.0, N, 4.0, 5.0, 6.0])], 4),
    'mdp_global_range_from_other_series': ([S('short', 1200, 10, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), S('long', 1000, 10, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0])], 6),
    'mdp_xff_half': ([S('x', 1000, 10, [1.0, N, N, N, 2.0, 3.0, N, 4.0, 5.0, N, N, N, 6.0], xff=0.5)], 4),
    'mdp_partial_chunk_xff': ([S('x', 1000, 10, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], xff=0.6)], 3),
    'mdp_cf_average': ([S('cf.average', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='average')], 4),
    'mdp_cf_avg': ([S('cf.avg', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='avg')], 4),
    'mdp_cf_avg_zero': ([S('cf.avg_zero', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='avg_zero')], 4),
    'mdp_cf_sum': ([S('cf.sum', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='sum')], 4),
    'mdp_cf_max': ([S('cf.max', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='max')], 4),
    'mdp_cf_min': ([S('cf.min', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='min')], 4),
    'mdp_cf_first': ([S('cf.first', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='first')], 4),
    'mdp_cf_last': ([S('cf.last', 1030, 10, [N, 2.0, -3.5, N, 1.25, 8.0, N, N, N, N, 0.5, N, 7.0, N], consolidate='last')], 4),
    'mdp_all_null_chunk_is_null': ([S('x', 1000, 10, [N, N, N, N, 1.0, N], consolidate='sum')], 2),
    'mdp_sequential_sum': ([S('drift', 1000, 10, tiny_drift(300), consolidate='sum'), S('drift.avg', 1000, 10, tiny_drift(300))], 2),
    'mdp_one_sequential_sum': ([S('drift', 1000, 10, tiny_drift(300), consolidate='sum'), S('drift.avg', 1000, 10, tiny_drift(300))], 1),
    'mdp_with_no_null_points': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0]), S('empty.after', 1000, 10, [N, N, N, N, N, N, N, N, N, N])], 3),
    'mdp_empty_series_among_others': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0]), S('e', 1000, 10, [], end=1100)], 3),
    'mdp_one_with_empty_series': ([S('a.b', 1000, 10, [1.0, 2.0, N, 4.0, 5.5, N, 7.0, 8.0, 9.0, 10.0]), S('e', 1000, 10, [], end=1100)], 1),
    'vpp_preset_no_mdp': ([S('pre', 1000, 10, [1.0, 2.0, 3.0, 4.0, 5.0], consolidate='max', vpp=2)], None),
}

# id: per series (start, end, valuesPerPoint, raw values kept, timestamps, values), recorded.
EXPECTED = {
    'mdp_vpp_rounds_up': [(1040, 1100, 4, 7, [1040, 1080], [5.5, 9.0])],
    'mdp_not_needed': [(1000, 1100, 1, 10, [1000, 1010, 1020, 1030, 1040, 1050, 1060, 1070, 1080, 1090], [1.0, 2.0, None, 4.0, 5.5, None, 7.0, 8.0, 9.0, 10.0])],
    'mdp_aligned_start_nudges_full_bucket': [(1250, 1440, 5, 20, [1250, 1300, 1350, 1400], [7.0, 12.0, 17.0, 22.0])],
    'mdp_unaligned_start': [(1055, 1245, 5, 20, [1055, 1105, 1155, 1205], [7.0, 12.0, 17.0, 22.0])],
    'mdp_one': [(1000, 1100, 10, 10, [1000], [5.8125]), (1000, 1120, 2, 2, [1000], [3.0])],
    'mdp_one_sum': [(1000, 1030, 3, 3, [1000], [7.0])],
    'mdp_different_steps': [(1080, 1360, 9, 29, [1080, 1170, 1260, 1350], [11.0, 20.0, 29.0, 34.5]), (1120, 1360, 2, 5, [1120, 1240, 1360], [2.0, 4.5, 6.0])],
    'mdp_global_range_from_other_series': [(1300, 1260, 10, 0, [], []), (1100, 1600, 10, 51, [1100, 1200, 1300, 1400, 1500, 1600], [13.5, 23.5, 33.5, 43.5, 53.5, 59.0])],
    'mdp_xff_half': [(1040, 1130, 4, 10, [1040, 1080, 1120], [2.5, 4.5, None])],
    'mdp_partial_chunk_xff': [(1020, 1070, 3, 6, [1020, 1050], [3.0, 6.0])],
    'mdp_cf_average': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-0.75, 4.625, 0.5, 7.0])],
    'mdp_cf_avg': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-0.75, 4.625, 0.5, 7.0])],
    'mdp_cf_avg_zero': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-0.375, 2.3125, 0.125, 3.5])],
    'mdp_cf_sum': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-1.5, 9.25, 0.5, 7.0])],
    'mdp_cf_max': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [2.0, 8.0, 0.5, 7.0])],
    'mdp_cf_min': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-3.5, 1.25, 0.5, 7.0])],
    'mdp_cf_first': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [2.0, 1.25, 0.5, 7.0])],
    'mdp_cf_last': [(1040, 1170, 4, 14, [1040, 1080, 1120, 1160], [-3.5, 8.0, 0.5, 7.0])],
    'mdp_all_null_chunk_is_null': [(1020, 1060, 3, 5, [1020, 1050], [None, 1.0])],
    'mdp_sequential_sum': [(1500, 4000, 150, 251, [1500, 3000], [62.925000000000004, 55.74900000000001]), (1500, 4000, 150, 251, [1500, 3000], [0.41950000000000004, 0.551970297029703])],
    'mdp_one_sequential_sum': [(1000, 4000, 300, 300, [1000], [134.55000000000007]), (1000, 4000, 300, 300, [1000], [0.44850000000000023])],
    'mdp_with_no_null_points': [(1040, 1100, 4, 7, [1040, 1080], [5.5, 9.0]), (1040, 1100, 4, 7, [1040, 1080], [None, None])],
    'mdp_empty_series_among_others': [(1040, 1100, 4, 7, [1040, 1080], [5.5, 9.0]), (1040, 1100, 4, 0, [], [])],
    'mdp_one_with_empty_series': [(1000, 1100, 10, 10, [1000], [5.8125]), (1000, 1100, 1, 0, [], [])],
    'vpp_preset_no_mdp': [(1000, 1050, 2, 5, [1000, 1020, 1040], [2.0, 4.0, 5.0])],
}

# graphite-web 500 (see the module docstring): mdp_global_range_from_other_series,
# mdp_empty_series_among_others, mdp_one_with_empty_series.


def fitted(case: str) -> list[Series]:
    series, max_points = CASES[case]
    return apply_max_data_points(series, max_points) if max_points is not None else series


@pytest.mark.parametrize("case", sorted(CASES))
def test_frame_and_values_per_point_match_graphite_web(case):
    # renderViewJson: vpp = ceil(points / maxDataPoints), start nudged, leading values dropped.
    got = [(s.start, s.end, s.values_per_point, len(s)) for s in fitted(case)]
    assert got == [row[:4] for row in EXPECTED[case]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_datapoints_match_graphite_web(case):
    # TimeSeries.datapoints: consolidated values zipped with range(start, end + 1, step * vpp).
    for series, row in zip(fitted(case), EXPECTED[case], strict=True):
        stamps, values = consolidated(series)
        assert stamps.tolist() == row[4]
        assert [None if np.isnan(v) else v for v in values.tolist()] == row[5]


def test_running_sum_is_left_to_right_like_python():
    # Python 3.11's sum (graphite-web's cf for sum/average) adds sequentially; numpy's
    # pairwise np.sum gives 134.55 here, graphite-web prints 134.55000000000007.
    drift = S("d", 1000, 10, tiny_drift(300), consolidate="sum", vpp=300)
    assert consolidated_values(drift).tolist() == [134.55000000000007]
    assert float(np.sum(tiny_drift(300))) != 134.55000000000007


def test_sum_of_negative_zero_is_positive_zero():
    # Python's sum starts from int 0, and 0 + -0.0 == 0.0.
    out = consolidated_values(S("z", 0, 10, [-0.0, -0.0], consolidate="sum", vpp=2))
    assert str(out[0]) == "0.0"


def test_xff_compares_against_a_full_chunk_even_for_the_partial_last_one():
    # __consolidatingGenerator divides nonNull by valuesPerPoint, not by the chunk's length.
    series = S("x", 0, 10, [1.0, 2.0, 3.0, 4.0, 5.0], xff=0.75, vpp=4)
    assert [None if np.isnan(v) else v for v in consolidated_values(series).tolist()] == [2.5, None]


def test_avg_zero_divides_a_partial_chunk_by_its_own_length():
    series = S("x", 0, 10, [1.0, N, 3.0, 4.0, N], consolidate="avg_zero", vpp=3)
    assert consolidated_values(series).tolist() == [4.0 / 3.0, 2.0]


def test_unknown_consolidation_function_is_refused_with_its_name():
    with pytest.raises(InvalidConsolidation, match="Invalid consolidation function: 'median'"):
        consolidated_values(S("x", 0, 10, [1.0, 2.0], consolidate="median", vpp=2))


def test_unknown_consolidation_function_is_not_checked_without_consolidation():
    # graphite-web only looks the function up when valuesPerPoint > 1.
    assert consolidated_values(S("x", 0, 10, [1.0], consolidate="median")).tolist() == [1.0]


def test_timestamps_stop_at_end_so_shorter_side_wins():
    series = S("odd", 1000, 10, [1.0, 2.0, 3.0], end=1015)
    stamps, values = consolidated(series)
    assert stamps.tolist() == [1000, 1010]
    assert values.tolist() == [1.0, 2.0]


def test_max_data_points_zero_is_no_limit():
    # graphite-web divides by zero (500); a limit of no points is taken as no limit.
    series = [S("a", 1000, 10, [1.0, 2.0, 3.0])]
    assert [s.values_per_point for s in apply_max_data_points(series, 0)] == [1]


def test_inputs_are_left_untouched():
    series = S("a", 1000, 10, [float(i) for i in range(20)])
    apply_max_data_points([series], 3)
    assert (series.start, series.values_per_point, len(series)) == (1000, 1, 20)
