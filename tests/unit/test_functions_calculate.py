"""Calculate functions (moving windows, nPercentile) against graphite-web 1.1.10.

The tables hold inputs built here and the results graphite-web 1.1.10's movingWindow,
movingAverage..movingMedian and nPercentile gave for them (recorded by running its functions
with evaluateTarget replaced by the same fake as `_run` uses; graphite-web is not imported).
The fake evaluate returns the prepared bootstrap series whatever frame is asked, and the
asked frames are checked against graphite-web's (_fetchWithBootstrap: from - window).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import render_api.functions  # noqa: F401 (registers the library)
from render_api.functions.calculate import reduce_rows, reduce_values
from render_api.registry import REGISTRY
from tests.unit.function_harness import check_recorded_case, _recorded, _run

# bootstrapped series as the fake evaluate returns it (from 1000-bootstrap)
BOOT = ("a.m", 950, 10, [1.0, 2.0, None, 4.0, 8.0, None, None, None, 3.0, 5.0, 7.0, -2.0, 0.5, None, 6.0])
BOOT2 = ("a.n;dc=x", 950, 10, [None, None, None, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0])
BOOTX = ("a.x", 950, 10, [1.0, 2.0, None, 4.0, 8.0, None, None, None, 3.0, 5.0, 7.0, -2.0, 0.5, None, 6.0], 0.5)
IN = [("a.m", 1000, 10, [0.0])]
ctx = {"start": 1000, "end": 1100, "refetched": [BOOT, BOOT2]}
ctx1 = {"start": 1000, "end": 1100, "refetched": [BOOT]}
P = ("p.q", 1000, 10, [5.0, None, 1.0, 9.0, 3.0, 7.0, None, 2.0, 8.0, 4.0, 6.0])
P2 = ("p.r", 1000, 10, [None, None])
P3 = ("p.s", 1000, 10, [2.5])
MULT = ("m.m", 1000, 10, [2.0, None, 3.0])

# (id, function, input series, args, kwargs, context, recorded graphite-web 1.1.10 result)
# a result is the list of (name, start, end, step, values, tags, pathExpression), plus the
# frames evaluateTarget was asked for when the function re-fetches
CASES = [
  ('ma_3', 'movingAverage', IN, (3,), {}, ctx,
   [('movingAverage(a.m,3)', 980, 1100, 10, [3.0, 6.0, 6.0, 8.0, None, 3.0, 4.0, 5.0, 3.3333333333333335, 1.8333333333333333, -0.75, 3.25], {'name': 'a.m', 'movingAverage': '3'}, 'movingAverage(a.m,3)'),
      ('movingAverage(a.n;dc=x,3)', 980, 1100, 10, [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], {'dc': 'x', 'name': 'a.n', 'movingAverage': '3'}, 'movingAverage(a.n;dc=x,3)')], [(970, 1100)]),
  ('ma_30s', 'movingAverage', IN, ('30s',), {}, ctx,
   [('movingAverage(a.m,"30s")', 980, 1100, 10, [3.0, 6.0, 6.0, 8.0, None, 3.0, 4.0, 5.0, 3.3333333333333335, 1.8333333333333333, -0.75, 3.25], {'name': 'a.m', 'movingAverage': '30s'}, 'movingAverage(a.m,"30s")'),
      ('movingAverage(a.n;dc=x,"30s")', 980, 1100, 10, [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], {'dc': 'x', 'name': 'a.n', 'movingAverage': '30s'}, 'movingAverage(a.n;dc=x,"30s")')], [(970, 1100)]),
  ('ma_xff', 'movingAverage', IN, (4,), {'xFilesFactor': 0.5}, ctx1,
   [('movingAverage(a.m,4)', 990, 1100, 10, [4.666666666666667, 6.0, 6.0, None, None, 4.0, 5.0, 3.25, 2.625, 1.8333333333333333, 1.5], {'name': 'a.m', 'movingAverage': '4'}, 'movingAverage(a.m,4)')], [(960, 1100)]),
  ('ma_series_xff', 'movingAverage', IN, (4,), {}, {'start': 1000, 'end': 1100, 'refetched': [BOOTX]},
   [('movingAverage(a.x,4)', 990, 1100, 10, [4.666666666666667, 6.0, 6.0, None, None, 4.0, 5.0, 3.25, 2.625, 1.8333333333333333, 1.5], {'name': 'a.x', 'movingAverage': '4'}, 'movingAverage(a.x,4)')], [(960, 1100)]),
  ('msum_3', 'movingSum', IN, (3,), {}, ctx1,
   [('movingSum(a.m,3)', 980, 1100, 10, [6.0, 12.0, 12.0, 8.0, None, 3.0, 8.0, 15.0, 10.0, 5.5, -1.5, 6.5], {'name': 'a.m', 'movingSum': '3'}, 'movingSum(a.m,3)')], [(970, 1100)]),
  ('mmin_5', 'movingMin', IN, (5,), {}, ctx1,
   [('movingMin(a.m,5)', 1000, 1100, 10, [2.0, 4.0, 4.0, 3.0, 3.0, 3.0, -2.0, -2.0, -2.0, -2.0], {'name': 'a.m', 'movingMin': '5'}, 'movingMin(a.m,5)')], [(950, 1100)]),
  ('mmax_5', 'movingMax', IN, (5,), {}, ctx1,
   [('movingMax(a.m,5)', 1000, 1100, 10, [8.0, 8.0, 8.0, 8.0, 5.0, 7.0, 7.0, 7.0, 7.0, 7.0], {'name': 'a.m', 'movingMax': '5'}, 'movingMax(a.m,5)')], [(950, 1100)]),
  ('mmed_4', 'movingMedian', IN, (4,), {}, ctx1,
   [('movingMedian(a.m,4)', 990, 1100, 10, [4.0, 6.0, 6.0, 8.0, 3.0, 4.0, 5.0, 4.0, 2.75, 0.5, 0.5], {'name': 'a.m', 'movingMedian': '4'}, 'movingMedian(a.m,4)')], [(960, 1100)]),
  ('mmed_5', 'movingMedian', IN, (5,), {}, ctx1,
   [('movingMedian(a.m,5)', 1000, 1100, 10, [4.0, 6.0, 6.0, 5.5, 4.0, 5.0, 4.0, 3.0, 2.75, 3.25], {'name': 'a.m', 'movingMedian': '5'}, 'movingMedian(a.m,5)')], [(950, 1100)]),
  ('mw_diff', 'movingWindow', IN, (3, 'diff'), {}, ctx1,
   [('movingDiff(a.m,3)', 980, 1100, 10, [-2.0, -4.0, -4.0, 8.0, None, 3.0, -2.0, -9.0, 0.0, 8.5, -2.5, -5.5], {'name': 'a.m', 'movingDiff': '3'}, 'movingDiff(a.m,3)')], [(970, 1100)]),
  ('mw_avg_zero', 'movingWindow', IN, (3, 'avg_zero'), {}, ctx1,
   [('movingAvg_zero(a.m,3)', 980, 1100, 10, [3.0, 6.0, 6.0, 8.0, None, 3.0, 4.0, 5.0, 3.3333333333333335, 1.8333333333333333, -0.75, 3.25], {'name': 'a.m', 'movingAvg_zero': '3'}, 'movingAvg_zero(a.m,3)')], [(970, 1100)]),
  ('mw_count', 'movingWindow', IN, ('40s', 'count'), {}, ctx1,
   [('movingCount(a.m,"40s")', 990, 1100, 10, [3, 2, 2, 1, 1, 2, 3, 4, 4, 3, 3], {'name': 'a.m', 'movingCount': '40s'}, 'movingCount(a.m,"40s")')], [(960, 1100)]),
  ('mw_stddev', 'movingWindow', IN, (4, 'stddev', 0.75), {}, ctx1,
   [('movingStddev(a.m,4)', 990, 1100, 10, [2.494438257849294, None, None, None, None, None, 1.632993161855452, 3.344772040064913, 3.5597577164745355, 3.793268892247014, 3.3416562759605704], {'name': 'a.m', 'movingStddev': '4'}, 'movingStddev(a.m,4)')], [(960, 1100)]),
  ('mw_rangeOf', 'movingWindow', IN, (3, 'rangeOf'), {}, ctx1,
   [('movingRangeof(a.m,3)', 980, 1100, 10, [2.0, 4.0, 4.0, 0.0, None, 0.0, 2.0, 4.0, 9.0, 9.0, 2.5, 5.5], {'name': 'a.m', 'movingRangeof': '3'}, 'movingRangeof(a.m,3)')], [(970, 1100)]),
  ('mw_last', 'movingWindow', IN, (3, 'last'), {}, ctx1,
   [('movingLast(a.m,3)', 980, 1100, 10, [4.0, 8.0, 8.0, 8.0, None, 3.0, 5.0, 7.0, -2.0, 0.5, 0.5, 6.0], {'name': 'a.m', 'movingLast': '3'}, 'movingLast(a.m,3)')], [(970, 1100)]),
  ('mw_multiply', 'movingWindow', IN, (2, 'multiply'), {}, ctx1,
   [('movingMultiply(a.m,2)', 970, 1100, 10, [2.0, 4.0, 32.0, 8.0, None, None, 3.0, 15.0, 35.0, -14.0, -1.0, 0.5, 6.0], {'name': 'a.m', 'movingMultiply': '2'}, 'movingMultiply(a.m,2)')], [(980, 1100)]),
  ('mw_5s', 'movingWindow', IN, ('5s',), {}, ctx1,
   [('movingAverage(a.m,"5s")', 955, 1100, 10, [None, None, None, None, None, None, None, None, None, None, None, None, None, None, None], {'name': 'a.m', 'movingAverage': '5s'}, 'movingAverage(a.m,"5s")')], [(995, 1100)]),
  ('mw_big', 'movingWindow', IN, (20,), {}, ctx1,
   [('movingAverage(a.m,20)', 1150, 1100, 10, [], {'name': 'a.m', 'movingAverage': '20'}, 'movingAverage(a.m,20)')], [(800, 1100)]),
  ('mw_empty', 'movingWindow', [], (3,), {}, ctx1,
   [], []),
  ('npct_50', 'nPercentile', [P, P2, P3], (50,), {}, {},
   [('nPercentile(p.q, 50)', 1000, 1110, 10, [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0], {'name': 'p.q', 'nPercentile': '50'}, 'nPercentile(p.q, 50)'),
      ('nPercentile(p.s, 50)', 1000, 1010, 10, [2.5], {'name': 'p.s', 'nPercentile': '50'}, 'nPercentile(p.s, 50)')], []),
  ('npct_95', 'nPercentile', [P], (95,), {}, {},
   [('nPercentile(p.q, 95)', 1000, 1110, 10, [9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0], {'name': 'p.q', 'nPercentile': '95'}, 'nPercentile(p.q, 95)')], []),
  ('npct_100', 'nPercentile', [P], (100,), {}, {},
   [('nPercentile(p.q, 100)', 1000, 1110, 10, [9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0], {'name': 'p.q', 'nPercentile': '100'}, 'nPercentile(p.q, 100)')], []),
  ('npct_1', 'nPercentile', [P], (1,), {}, {},
   [('nPercentile(p.q, 1)', 1000, 1110, 10, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], {'name': 'p.q', 'nPercentile': '1'}, 'nPercentile(p.q, 1)')], []),
  ('npct_33_3', 'nPercentile', [P], (33.3,), {}, {},
   [('nPercentile(p.q, 33.3)', 1000, 1110, 10, [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0], {'name': 'p.q', 'nPercentile': '33.3'}, 'nPercentile(p.q, 33.3)')], []),
]

EDGE_CASES = [
  ('mw_zero', 'movingWindow', [('a.m', 1000, 10, [0.0])], (0,), {}, {'start': 1000, 'end': 1030, 'refetched': [MULT]},
   [('movingAverage(m.m,0)', 1000, 1030, 10, [None, None, None], {'name': 'm.m', 'movingAverage': '0'}, 'movingAverage(m.m,0)')], [(1000, 1030)]),
]


@pytest.mark.parametrize("case", CASES + EDGE_CASES, ids=lambda c: c[0])
def test_matches_graphite_web(case):
    check_recorded_case(case)


def test_bootstrap_uses_the_largest_step_of_the_input():
    # graphite-web movingWindow: previewSeconds = max(step) * windowSize for an int window
    inputs = [("a.fine", 1000, 10, [1.0]), ("a.coarse", 1000, 60, [1.0])]
    _, asked = _run("movingSum", inputs, (5,), context={"start": 1000, "end": 2000, "refetched": []})
    assert asked == [(700, 2000)] * 2       # one re-evaluation per path expression


def test_interval_window_counts_points_per_series_step():
    # "1min" over a 10 s series is 6 points, over a 60 s series 1 point
    boot = [("a.fine", 940, 10, [1.0] * 12), ("a.coarse", 940, 60, [2.0, 3.0, 4.0])]
    result, _ = _run("movingSum", [boot[0]], ("1min",), context={"start": 1000, "end": 1060, "refetched": boot})
    assert [_recorded(s)[4] for s in result] == [[6.0] * 6, [3.0, 4.0]]
    assert [s.start for s in result] == [1000, 1000]


def test_sums_add_left_to_right_like_python():
    # graphite-web safeSum is Python's sum(): bit-identical results need the same order,
    # both when the loop runs per window and when it runs per window position
    rng = np.random.default_rng(7)
    values = rng.normal(size=64) * 10.0 ** rng.integers(-8, 8, size=64)
    for width in (3, 40):
        got = reduce_rows(np.lib.stride_tricks.sliding_window_view(values, width), "sum")
        assert got.tolist() == [sum(values[i:i + width].tolist()) for i in range(len(values) - width + 1)]
    assert reduce_values(values, "average") == sum(values.tolist()) / len(values)


@pytest.mark.parametrize("func, row, expected", [
    ("avg_zero", [1.0, math.nan, 2.0, math.nan], 0.75),    # nulls count in the divisor
    ("multiply", [2.0, math.nan, 3.0], math.nan),           # any null makes it null
    ("multiply", [2.0, 3.0, 0.5], 3.0),
    ("count", [math.nan, math.nan], 0.0),                   # safeLen: 0, not null
    ("avg_zero", [math.nan, math.nan], 0.0),
    ("diff", [math.nan, 10.0, 3.0, math.nan, 2.0], 5.0),    # first non-null minus the rest
    ("stddev", [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 2.0),
    ("median", [3.0, 1.0, math.nan, 4.0, 2.0], 2.5),
    ("current", [1.0, 2.0, math.nan], 2.0),
    ("rangeOf", [4.0, -1.0, math.nan], 5.0),
    ("sum", [math.nan], math.nan),
])
def test_aggregations_follow_graphite_web_safe_functions(func, row, expected):
    got = reduce_values(np.array(row), func)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_unknown_aggregation_is_rejected():
    with pytest.raises(ValueError, match="Unsupported aggregation function: bogus"):
        _run("movingWindow", [("a.b", 1000, 10, [1.0])], (3, "bogus"))


def test_negative_window_is_rejected():
    # graphite-web would fetch a frame starting after `from` and return nonsense
    with pytest.raises(ValueError, match="windowSize"):
        _run("movingAverage", [("a.b", 1000, 10, [1.0])], (-2,))


def test_n_percentile_zero_is_rejected():
    # graphite-web: assert n -> AssertionError (HTTP 500)
    with pytest.raises(ValueError, match="greater than 0"):
        _run("nPercentile", [("a.b", 1000, 10, [1.0])], (0,))


def test_n_percentile_above_100_is_the_maximum():
    # graphite-web _getPercentile indexes past the end (IndexError, HTTP 500) above 100
    result, _ = _run("nPercentile", [MULT], (150,))
    assert _recorded(result[0])[4] == [3.0, 3.0, 3.0]


def test_registered_metadata_matches_graphite_web():
    info = REGISTRY["movingWindow"].info()
    assert info["function"] == "movingWindow(seriesList, windowSize, func='average', xFilesFactor=None)"
    assert info["group"] == "Calculate"
    assert info["params"][1] == {"name": "windowSize", "type": "intOrInterval", "required": True,
                                 "suggestions": [5, 7, 10, "1min", "5min", "10min", "30min", "1hour"]}
    assert info["params"][3] == {"name": "xFilesFactor", "type": "float"}
    assert REGISTRY["movingMedian"].signature() == "movingMedian(seriesList, windowSize, xFilesFactor=None)"
    assert REGISTRY["nPercentile"].info()["params"][1] == {"name": "n", "type": "float", "required": True}
