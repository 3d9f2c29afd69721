"""Transform functions against graphite-web 1.1.10 (render/functions.py).

The tables hold inputs built here and the results graphite-web 1.1.10 gave for the same
inputs (recorded by running its functions on TimeSeries; graphite-web is not imported).
Each entry names the graphite-web function it mirrors.  Cases where graphite-web crashes or
is clearly wrong are separate tests that say what it does and what we do instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import render_api.functions  # noqa: F401 (registers the library)
from render_api.context import RequestContext
from render_api.registry import REGISTRY
from tests.unit.function_harness import _recorded, _run, _series

A = ("a.b", 1000, 10, [1.0, None, 3.0, -4.0, 5.5, None])
LOGS = ("a.log", 1000, 10, [100.0, 0.0, -1.0, None, 8.0, 1.0, 0.5])
DER = ("a.d", 1000, 10, [None, 1.0, 3.0, None, 10.0, 12.0, 11.0, 11.5])
CNT = ("a.c", 1000, 60, [0.0, 100.0, 250.0, 240.0, 300.0, None, 310.0, 400.5])
WRAP = ("a.w", 1000, 60, [250.0, 10.0, 20.0, 300.0, 30.0, 40.0, 5.0, 6.0])
INT = ("a.i", 1000, 10, [None, 1.0, 2.5, None, 3.0, -0.5])
KLV = ("a.k", 1000, 10, [None, 1.0, None, None, 4.0, None, None, None, 8.0, None, None])
TN = ("a.t", 1000, 10, [None, 1.0, None, 3.0, None])
REF1 = ("r.1", 1000, 10, [None, None, 5.0, None, 7.0])
REF2 = ("r.2", 1000, 10, [None, None, None, 2.0, None])
TAGGED = ("cpu;host=a", 1000, 10, [1.0, 2.0])
# 30 points from 1005 (not aligned) with step 10
SUMV = [float(i % 7) if i % 5 else None for i in range(30)]
SUM = ("a.s", 1005, 10, SUMV)
SUMX = ("a.sx", 1005, 10, SUMV, 0.9)
HIT = ("a.h", 1000, 10, [1.0, 2.0, None, 4.0, 0.5, None, None, 3.0, 1.0, 2.0, None, 1.5])
HIT60 = ("a.h60", 1000, 60, [1.0, None, 2.0, 0.5, 3.0])
SHIFT = ("a.b", 900, 10, [7.0, 8.0, 9.0, None])
EMPTY = ("e.e", 1000, 10, [])
NULLS = ("e.n", 1000, 10, [None, None, None])
LONGREF = ("r.long", 1000, 10, [None, 1.0, None, 2.0, None, 3.0, 4.0])
SHORT = ("a.short", 1000, 10, [None, 5.0, None])
HITODD = ("a.odd", 1003, 7, [1.0, 2.0, None, 4.0, 0.5, 3.0])
SUMODD = ("a.so", 1003, 7, [1.0, 2.0, None, 4.0, 0.5, 3.0, 2.0])
DST = ("a.b", 1000, 3600, [1.0, 2.0])
PS = ("p.s", 1000, 7, [0.0, 1.0, 3.0, 3.5, 10.0, 10.000001, 17.0])
MULT = ("m.m", 1000, 10, [2.0, None, 3.0])

# (id, function, input series, args, kwargs, context, recorded graphite-web 1.1.10 result)
# a result is the list of (name, start, end, step, values, tags, pathExpression), plus the
# frames evaluateTarget was asked for when the function re-fetches
CASES = [
  ('scale_int', 'scale', [A], (2,), {}, {},
   [('scale(a.b,2)', 1000, 1060, 10, [2.0, None, 6.0, -8.0, 11.0, None], {'name': 'a.b', 'scale': '2'}, 'scale(a.b,2)')], []),
  ('scale_float', 'scale', [A, TAGGED], (2.5,), {}, {},
   [('scale(a.b,2.5)', 1000, 1060, 10, [2.5, None, 7.5, -10.0, 13.75, None], {'name': 'a.b', 'scale': '2.5'}, 'scale(a.b,2.5)'),
      ('scale(cpu;host=a,2.5)', 1000, 1020, 10, [2.5, 5.0], {'host': 'a', 'name': 'cpu', 'scale': '2.5'}, 'scale(cpu;host=a,2.5)')], []),
  ('scale_neg', 'scale', [A], (-0.1,), {}, {},
   [('scale(a.b,-0.1)', 1000, 1060, 10, [-0.1, None, -0.30000000000000004, 0.4, -0.55, None], {'name': 'a.b', 'scale': '-0.1'}, 'scale(a.b,-0.1)')], []),
  ('offset_int', 'offset', [A], (10,), {}, {},
   [('offset(a.b,10)', 1000, 1060, 10, [11.0, None, 13.0, 6.0, 15.5, None], {'name': 'a.b', 'offset': '10'}, 'offset(a.b,10)')], []),
  ('offset_float', 'offset', [A], (-0.25,), {}, {},
   [('offset(a.b,-0.25)', 1000, 1060, 10, [0.75, None, 2.75, -4.25, 5.25, None], {'name': 'a.b', 'offset': '-0.25'}, 'offset(a.b,-0.25)')], []),
  ('absolute', 'absolute', [A, TAGGED], (), {}, {},
   [('absolute(a.b)', 1000, 1060, 10, [1.0, None, 3.0, 4.0, 5.5, None], {'name': 'a.b', 'absolute': '1'}, 'absolute(a.b)'),
      ('absolute(cpu;host=a)', 1000, 1020, 10, [1.0, 2.0], {'host': 'a', 'name': 'cpu', 'absolute': '1'}, 'absolute(cpu;host=a)')], []),
  ('log_default', 'log', [LOGS], (), {}, {},
   [('log(a.log, 10)', 1000, 1070, 10, [2.0, None, None, None, 0.9030899869919434, 0.0, -0.30102999566398114], {'name': 'a.log', 'log': '10'}, 'log(a.log, 10)')], []),
  ('log_base2', 'log', [LOGS], (2,), {}, {},
   [('log(a.log, 2)', 1000, 1070, 10, [6.643856189774725, None, None, None, 3.0, 0.0, -1.0], {'name': 'a.log', 'log': '2'}, 'log(a.log, 2)')], []),
  ('derivative', 'derivative', [DER, TAGGED], (), {}, {},
   [('derivative(a.d)', 1000, 1080, 10, [None, None, 2.0, None, None, 2.0, -1.0, 0.5], {'name': 'a.d', 'derivative': '1'}, 'derivative(a.d)'),
      ('derivative(cpu;host=a)', 1000, 1020, 10, [None, 1.0], {'host': 'a', 'name': 'cpu', 'derivative': '1'}, 'derivative(cpu;host=a)')], []),
  ('nnd_plain', 'nonNegativeDerivative', [CNT], (), {}, {},
   [('nonNegativeDerivative(a.c)', 1000, 1480, 60, [None, 100.0, 150.0, None, 60.0, None, None, 90.5], {'name': 'a.c', 'nonNegativeDerivative': '1'}, 'nonNegativeDerivative(a.c)')], []),
  ('nnd_max', 'nonNegativeDerivative', [WRAP], (), {'maxValue': 255}, {},
   [('nonNegativeDerivative(a.w)', 1000, 1480, 60, [None, 16.0, 10.0, None, None, 10.0, 221.0, 1.0], {'name': 'a.w', 'nonNegativeDerivative': '1'}, 'nonNegativeDerivative(a.w)')], []),
  ('nnd_max_min', 'nonNegativeDerivative', [WRAP], (), {'maxValue': 255, 'minValue': 5}, {},
   [('nonNegativeDerivative(a.w)', 1000, 1480, 60, [None, 11.0, 10.0, None, None, 10.0, 216.0, 1.0], {'name': 'a.w', 'nonNegativeDerivative': '1'}, 'nonNegativeDerivative(a.w)')], []),
  ('nnd_min', 'nonNegativeDerivative', [WRAP], (), {'minValue': 10}, {},
   [('nonNegativeDerivative(a.w)', 1000, 1480, 60, [None, 0.0, 10.0, 280.0, 20.0, 10.0, None, None], {'name': 'a.w', 'nonNegativeDerivative': '1'}, 'nonNegativeDerivative(a.w)')], []),
  ('persec_plain', 'perSecond', [CNT], (), {}, {},
   [('perSecond(a.c)', 1000, 1480, 60, [None, 1.666667, 2.5, None, 1.0, None, None, 1.508333], {'name': 'a.c', 'perSecond': '1'}, 'perSecond(a.c)')], []),
  ('persec_max', 'perSecond', [WRAP], (), {'maxValue': 255}, {},
   [('perSecond(a.w)', 1000, 1480, 60, [None, 0.266667, 0.166667, None, None, 0.166667, 3.683333, 0.016667], {'name': 'a.w', 'perSecond': '1'}, 'perSecond(a.w)')], []),
  ('integral', 'integral', [INT], (), {}, {},
   [('integral(a.i)', 1000, 1060, 10, [None, 1.0, 3.5, None, 6.5, 6.0], {'name': 'a.i', 'integral': '1'}, 'integral(a.i)')], []),
  ('klv_default', 'keepLastValue', [KLV], (), {}, {},
   [('keepLastValue(a.k)', 1000, 1110, 10, [None, 1.0, 1.0, 1.0, 4.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0], {'name': 'a.k'}, 'keepLastValue(a.k)')], []),
  ('klv_limit2', 'keepLastValue', [KLV], (2,), {}, {},
   [('keepLastValue(a.k)', 1000, 1110, 10, [None, 1.0, 1.0, 1.0, 4.0, None, None, None, 8.0, 8.0, 8.0], {'name': 'a.k'}, 'keepLastValue(a.k)')], []),
  ('klv_limit0', 'keepLastValue', [KLV], (0,), {}, {},
   [('keepLastValue(a.k)', 1000, 1110, 10, [None, 1.0, None, None, 4.0, None, None, None, 8.0, None, None], {'name': 'a.k'}, 'keepLastValue(a.k)')], []),
  ('tn_default', 'transformNull', [TN], (), {}, {},
   [('transformNull(a.t,0)', 1000, 1050, 10, [0, 1.0, 0, 3.0, 0], {'name': 'a.t', 'transformNull': '0'}, 'transformNull(a.t,0)')], []),
  ('tn_value', 'transformNull', [TN], (-1.5,), {}, {},
   [('transformNull(a.t,-1.5)', 1000, 1050, 10, [-1.5, 1.0, -1.5, 3.0, -1.5], {'name': 'a.t', 'transformNull': '-1.5'}, 'transformNull(a.t,-1.5)')], []),
  ('tn_ref', 'transformNull', [TN], (0, [REF1, REF2]), {}, {},
   [('transformNull(a.t,0,referenceSeries)', 1000, 1050, 10, [None, 1.0, 0, 3.0, 0], {'name': 'a.t', 'transformNull': '0', 'referenceSeries': '1'}, 'transformNull(a.t,0,referenceSeries)')], []),
  ('sum_default', 'summarize', [SUM], ('1min',), {}, {},
   [('summarize(a.s, "1min", "sum")', 960, 1320, 60, [1.0, 15.0, 18.0, 14.0, 6.0, 12.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'sum'}, 'summarize(a.s, "1min", "sum")')], []),
  ('sum_avg', 'summarize', [SUM], ('1min', 'avg'), {}, {},
   [('summarize(a.s, "1min", "avg")', 960, 1320, 60, [1.0, 3.0, 3.6, 2.8, 1.5, 3.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'avg'}, 'summarize(a.s, "1min", "avg")')], []),
  ('sum_max', 'summarize', [SUM], ('1min', 'max'), {}, {},
   [('summarize(a.s, "1min", "max")', 960, 1320, 60, [1.0, 6.0, 6.0, 5.0, 3.0, 6.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'max'}, 'summarize(a.s, "1min", "max")')], []),
  ('sum_min', 'summarize', [SUM], ('1min', 'min'), {}, {},
   [('summarize(a.s, "1min", "min")', 960, 1320, 60, [1.0, 0.0, 1.0, 0.0, 0.0, 0.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'min'}, 'summarize(a.s, "1min", "min")')], []),
  ('sum_last', 'summarize', [SUM], ('1min', 'last'), {}, {},
   [('summarize(a.s, "1min", "last")', 960, 1320, 60, [1.0, 0.0, 6.0, 5.0, 3.0, 1.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'last'}, 'summarize(a.s, "1min", "last")')], []),
  ('sum_count', 'summarize', [SUM], ('1min', 'count'), {}, {},
   [('summarize(a.s, "1min", "count")', 960, 1320, 60, [1, 5, 5, 5, 4, 4], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'count'}, 'summarize(a.s, "1min", "count")')], []),
  ('sum_median', 'summarize', [SUM], ('1min', 'median'), {}, {},
   [('summarize(a.s, "1min", "median")', 960, 1320, 60, [1.0, 3.0, 4.0, 3.0, 1.5, 3.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'median'}, 'summarize(a.s, "1min", "median")')], []),
  ('sum_diff', 'summarize', [SUM], ('1min', 'diff'), {}, {},
   [('summarize(a.s, "1min", "diff")', 960, 1320, 60, [1.0, -11.0, -16.0, -14.0, -6.0, -2.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'diff'}, 'summarize(a.s, "1min", "diff")')], []),
  ('sum_stddev', 'summarize', [SUM], ('1min', 'stddev'), {}, {},
   [('summarize(a.s, "1min", "stddev")', 960, 1320, 60, [0.0, 2.0, 1.8547236990991407, 1.7204650534085253, 1.118033988749895, 2.5495097567963922], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'stddev'}, 'summarize(a.s, "1min", "stddev")')], []),
  ('sum_range', 'summarize', [SUM], ('1min', 'range'), {}, {},
   [('summarize(a.s, "1min", "range")', 960, 1320, 60, [0.0, 6.0, 5.0, 5.0, 3.0, 6.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'range'}, 'summarize(a.s, "1min", "range")')], []),
  ('sum_multiply', 'summarize', [SUM], ('1min', 'multiply'), {}, {},
   [('summarize(a.s, "1min", "multiply")', 960, 1320, 60, [None, None, None, None, None, 0.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'multiply'}, 'summarize(a.s, "1min", "multiply")')], []),
  ('sum_avg_zero', 'summarize', [SUM], ('1min', 'avg_zero'), {}, {},
   [('summarize(a.s, "1min", "avg_zero")', 960, 1320, 60, [0.5, 2.5, 3.0, 2.3333333333333335, 1.0, 3.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'avg_zero'}, 'summarize(a.s, "1min", "avg_zero")')], []),
  ('sum_align', 'summarize', [SUM], ('1min', 'sum', True), {}, {},
   [('summarize(a.s, "1min", "sum", true)', 1005, 1305, 60, [10.0, 13.0, 16.0, 12.0, 15.0], {'name': 'a.s', 'summarize': '1min', 'summarizeFunction': 'sum'}, 'summarize(a.s, "1min", "sum", true)')], []),
  ('sum_xff', 'summarize', [SUMX], ('1min', 'sum'), {}, {},
   [('summarize(a.sx, "1min", "sum")', 960, 1320, 60, [None, None, None, None, None, None], {'name': 'a.sx', 'summarize': '1min', 'summarizeFunction': 'sum'}, 'summarize(a.sx, "1min", "sum")')], []),
  ('sum_aligned_end', 'summarize', [A], ('30s',), {}, {},
   [('summarize(a.b, "30s", "sum")', 990, 1080, 30, [1.0, 4.5, None], {'name': 'a.b', 'summarize': '30s', 'summarizeFunction': 'sum'}, 'summarize(a.b, "30s", "sum")')], []),
  ('sum_45s', 'summarize', [SUM], ('45s', 'avg', True), {}, {},
   [('summarize(a.s, "45s", "avg", true)', 1005, 1320, 45, [2.5, 2.3333333333333335, 4.25, 1.6666666666666667, 2.5, 3.3333333333333335, 2.3333333333333335], {'name': 'a.s', 'summarize': '45s', 'summarizeFunction': 'avg'}, 'summarize(a.s, "45s", "avg", true)')], []),
  ('hit_1min', 'hitcount', [HIT], ('1min',), {}, {},
   [('hitcount(a.h, "1min")', 1000, 1120, 60, [75.0, 75.0], {'name': 'a.h', 'hitcount': '1min'}, 'hitcount(a.h, "1min")')], []),
  ('hit_25s', 'hitcount', [HIT], ('25s',), {}, {},
   [('hitcount(a.h, "25s")', 995, 1120, 25, [30.0, 42.5, 2.5, 50.0, 25.0], {'name': 'a.h', 'hitcount': '25s'}, 'hitcount(a.h, "25s")')], []),
  ('hit_step60_25s', 'hitcount', [HIT60], ('25s',), {}, {},
   [('hitcount(a.h60, "25s")', 1000, 1300, 25, [25.0, 25.0, 10.0, None, 10.0, 50.0, 50.0, 20.0, 12.5, 37.5, 75.0, 75.0], {'name': 'a.h60', 'hitcount': '25s'}, 'hitcount(a.h60, "25s")')], []),
  ('hit_step60_7min', 'hitcount', [HIT60], ('7min',), {}, {},
   [('hitcount(a.h60, "7min")', 880, 1300, 420, [390.0], {'name': 'a.h60', 'hitcount': '7min'}, 'hitcount(a.h60, "7min")')], []),
  ('hit_align', 'hitcount', [HIT], ('1min', True), {}, {'start': 1030, 'end': 1120, 'refetched': [HIT]},
   [('hitcount(a.h, "1min", true)', 1000, 1180, 60, [75.0, 75.0, None], {'name': 'a.h', 'hitcount': '1min'}, 'hitcount(a.h, "1min", true)')], [(1020, 1120)]),
  ('ts_1d', 'timeShift', [SHIFT], ('1d',), {}, {'start': 1000, 'end': 1040, 'refetched': [SHIFT]},
   [('timeShift(a.b, "-1d")', 900, 940, 10, [7.0, 8.0, 9.0, None], {'name': 'a.b', 'timeShift': '-1d'}, 'a.b')], [(-85400, -85360)]),
  ('ts_plus', 'timeShift', [SHIFT], ('+1h',), {}, {'start': 1000, 'end': 1040, 'refetched': [SHIFT]},
   [('timeShift(a.b, "+1h")', 900, 940, 10, [7.0, 8.0, 9.0, None], {'name': 'a.b', 'timeShift': '+1h'}, 'a.b')], [(4600, 4640)]),
  ('ts_noreset', 'timeShift', [('a.b', 1000, 10, [1.0])], ('-2h', False), {}, {'start': 1000, 'end': 1040, 'refetched': [SHIFT]},
   [('timeShift(a.b, "-2h")', 1000, 1040, 10, [7.0, 8.0, 9.0, None], {'name': 'a.b', 'timeShift': '-2h'}, 'a.b')], [(-6200, -6160)]),
  ('ts_empty', 'timeShift', [], ('1d',), {}, {'refetched': [SHIFT]},
   [], []),
]

EDGE_CASES = [
  ('tn_emptyref', 'transformNull', [SHORT], (7, []), {}, {},
   [('transformNull(a.short,7)', 1000, 1030, 10, [7, 5.0, 7], {'name': 'a.short', 'transformNull': '7'}, 'transformNull(a.short,7)')], []),
  ('klv_nulls', 'keepLastValue', [NULLS, EMPTY], (), {}, {},
   [('keepLastValue(e.n)', 1000, 1030, 10, [None, None, None], {'name': 'e.n'}, 'keepLastValue(e.n)'),
      ('keepLastValue(e.e)', 1000, 1000, 10, [], {'name': 'e.e'}, 'keepLastValue(e.e)')], []),
  ('integral_nulls', 'integral', [NULLS], (), {}, {},
   [('integral(e.n)', 1000, 1030, 10, [None, None, None], {'name': 'e.n', 'integral': '1'}, 'integral(e.n)')], []),
  ('sum_empty_series', 'summarize', [EMPTY], ('1min',), {}, {},
   [('summarize(e.e, "1min", "sum")', 960, 1020, 60, [None], {'name': 'e.e', 'summarize': '1min', 'summarizeFunction': 'sum'}, 'summarize(e.e, "1min", "sum")')], []),
  ('sum_nulls', 'summarize', [NULLS], ('1min', 'count'), {}, {},
   [('summarize(e.n, "1min", "count")', 960, 1080, 60, [None, None], {'name': 'e.n', 'summarize': '1min', 'summarizeFunction': 'count'}, 'summarize(e.n, "1min", "count")')], []),
  ('sum_odd_step', 'summarize', [SUMODD], ('20s', 'sum'), {}, {},
   [('summarize(a.so, "20s", "sum")', 1000, 1060, 20, [3.0, 7.5, 2.0], {'name': 'a.so', 'summarize': '20s', 'summarizeFunction': 'sum'}, 'summarize(a.so, "20s", "sum")')], []),
  ('sum_odd_step_align', 'summarize', [SUMODD], ('20s', 'last', True), {}, {},
   [('summarize(a.so, "20s", "last", true)', 1003, 1063, 20, [2.0, 3.0, 2.0], {'name': 'a.so', 'summarize': '20s', 'summarizeFunction': 'last'}, 'summarize(a.so, "20s", "last", true)')], []),
  ('sum_list_empty', 'summarize', [], ('1min',), {}, {},
   [], []),
  ('hit_odd', 'hitcount', [HITODD], ('15s',), {}, {},
   [('hitcount(a.odd, "15s")', 1000, 1045, 15, [17.0, 28.0, 28.5], {'name': 'a.odd', 'hitcount': '15s'}, 'hitcount(a.odd, "15s")')], []),
  ('hit_odd_big', 'hitcount', [HITODD], ('1h',), {}, {},
   [('hitcount(a.odd, "1h")', -2555, 1045, 3600, [73.5], {'name': 'a.odd', 'hitcount': '1h'}, 'hitcount(a.odd, "1h")')], []),
  ('hit_empty', 'hitcount', [EMPTY], ('1min',), {}, {},
   [('hitcount(e.e, "1min")', 1000, 1000, 60, [], {'name': 'e.e', 'hitcount': '1min'}, 'hitcount(e.e, "1min")')], []),
  ('persec_7', 'perSecond', [PS], (), {}, {},
   [('perSecond(p.s)', 1000, 1049, 7, [None, 0.142857, 0.285714, 0.071429, 0.928571, 0.0, 1.0], {'name': 'p.s', 'perSecond': '1'}, 'perSecond(p.s)')], []),
  ('deriv_empty', 'derivative', [EMPTY], (), {}, {},
   [('derivative(e.e)', 1000, 1000, 10, [], {'name': 'e.e', 'derivative': '1'}, 'derivative(e.e)')], []),
  # recorded with the server's local zone = the request tz: graphite-web's alignDST reads the
  # server zone (Django sets TZ=UTC by default, where alignDST never moves anything)
  ('ts_dst', 'timeShift', [DST], ('180d', True, True), {}, {'start': 1719792000, 'end': 1719799200, 'refetched': [DST], 'tz': 'Europe/Berlin'},
   [('timeShift(a.b, "-180d")', 1000, 8200, 3600, [1.0, 2.0], {'name': 'a.b', 'timeShift': '-180d'}, 'a.b')], [(1704243600, 1704250800)]),
  ('ts_dst_off', 'timeShift', [DST], ('180d',), {}, {'start': 1719792000, 'end': 1719799200, 'refetched': [DST], 'tz': 'Europe/Berlin'},
   [('timeShift(a.b, "-180d")', 1000, 8200, 3600, [1.0, 2.0], {'name': 'a.b', 'timeShift': '-180d'}, 'a.b')], [(1704240000, 1704247200)]),
  ('hit_align_hour', 'hitcount', [DST], ('2h', True), {}, {'start': 1719793807, 'end': 1719801000, 'refetched': [DST], 'tz': 'Europe/Berlin'},
   [('hitcount(a.b, "2h", true)', 1000, 15400, 7200, [10800.0, None], {'name': 'a.b', 'hitcount': '2h'}, 'hitcount(a.b, "2h", true)')], [(1719792000, 1719801000)]),
]


def _expected(fname, expected):
    # timeShift: graphite-web keeps the re-fetched series' pathExpression; we set it to the
    # new name so an enclosing re-fetching function (movingAverage(timeShift(..))) re-shifts
    if fname == "timeShift":
        return [e[:6] + (e[0],) for e in expected]
    return expected


@pytest.mark.parametrize("case", CASES + EDGE_CASES, ids=lambda c: c[0])
def test_matches_graphite_web(case):
    _, fname, inputs, args, kwargs, context, expected, frames = case
    result, asked = _run(fname, inputs, args, kwargs, context)
    assert [_recorded(s) for s in result] == _expected(fname, expected)
    assert asked == frames


def test_inputs_are_not_modified():
    source = [_series(("a.b", 1000, 10, [1.0, None, -3.0]))]
    ctx = RequestContext(start=1000, end=1030, now=2000)
    for name, args in [("scale", (2,)), ("offset", (1,)), ("absolute", ()), ("derivative", ()),
                       ("keepLastValue", ()), ("transformNull", ()), ("summarize", ("1min",))]:
        REGISTRY[name].call(ctx, source, *args)
    assert source[0].name == "a.b" and source[0].tags == {"name": "a.b"}
    assert np.isnan(source[0].values[1]) and source[0].values[2] == -3.0


@pytest.mark.parametrize("fname, args", [("scale", (2,)), ("derivative", ()), ("integral", ()),
                                         ("summarize", ("1h",)), ("hitcount", ("1h",)),
                                         ("timeShift", ("1d",)), ("keepLastValue", ())])
def test_empty_list_gives_empty_list(fname, args):
    result, asked = _run(fname, [], args, context={"refetched": [("a.b", 0, 10, [1.0])]})
    assert result == [] and asked == []


def test_transform_null_reference_longer_than_series_keeps_series_positions():
    # graphite-web transformNull: izip_longest(series, defaults) makes a row as long as the
    # reference, then `series.extend(values); del series[:len(values)]` keeps its *tail*:
    # it returns [None, -1, -1] here, data shifted by 4 points.  We fill by position instead.
    result, _ = _run("transformNull", [SHORT], (-1, [LONGREF]))
    assert [_recorded(s)[4] for s in result] == [[None, 5.0, None]]


def test_transform_null_reference_shorter_than_series_leaves_the_rest_null():
    result, _ = _run("transformNull", [("a.t", 1000, 10, [None, None, None])], (0, [("r", 1000, 10, [1.0])]))
    assert _recorded(result[0])[4] == [0.0, None, None]


def test_non_negative_derivative_max_value_with_nulls_treats_null_as_a_gap():
    # graphite-web _nonNegativeDelta compares `None > maxValue` first, a TypeError on
    # Python 3 (HTTP 500); it clearly means a null point: null delta, no previous value.
    result, _ = _run("nonNegativeDerivative", [("a.c", 1000, 10, [250.0, 5.0, None, 10.0, 12.0])],
                     kwargs={"maxValue": 255})
    assert _recorded(result[0])[4] == [None, 11.0, None, None, 2.0]
    result, _ = _run("perSecond", [("a.c", 1000, 10, [None, 20.0, 5.0])], kwargs={"minValue": 0})
    assert _recorded(result[0])[4] == [None, None, 0.5]


def test_value_above_max_value_resets_previous_value():
    # graphite-web _nonNegativeDelta returns (None, None) for an out-of-range value
    result, _ = _run("nonNegativeDerivative", [("a.c", 1000, 10, [1.0, 300.0, 2.0, 3.0])],
                     kwargs={"maxValue": 255})
    assert _recorded(result[0])[4] == [None, None, None, 1.0]


def test_keep_last_value_fills_runs_up_to_limit_only():
    values = [5.0] + [None] * 3 + [6.0] + [None] * 4
    result, _ = _run("keepLastValue", [("a.k", 1000, 10, values)], (3,))
    assert _recorded(result[0])[4] == [5.0, 5.0, 5.0, 5.0, 6.0, None, None, None, None]


@pytest.mark.parametrize("interval", ["0s", "-1h"])
def test_summarize_rejects_a_non_positive_interval(interval):
    # graphite-web divides by zero ("0s") or loops for ever ("-1h")
    with pytest.raises(ValueError, match="interval must be positive"):
        _run("summarize", [("a.b", 1000, 10, [1.0])], (interval,))


def test_summarize_rejects_an_unknown_function():
    # graphite-web getAggFunc: InputParameterError "Unsupported aggregation function: bogus"
    with pytest.raises(ValueError, match="Unsupported aggregation function: bogus"):
        _run("summarize", [("a.b", 1000, 10, [1.0])], ("1min", "bogus"))


def test_log_rejects_base_one():
    # graphite-web: ZeroDivisionError (HTTP 500)
    with pytest.raises(ValueError, match="log base"):
        _run("log", [("a.b", 1000, 10, [1.0])], (1,))


def test_time_shift_re_evaluates_each_path_expression_once():
    calls = []

    def evaluate(ctx, target):
        calls.append((target, ctx.start, ctx.end))
        return [_series((target, ctx.start, 10, [1.0]))]

    ctx = RequestContext(start=100_000, end=100_600, now=100_600, evaluate=evaluate)
    inputs = [_series(("a.x", 100_000, 10, [0.0])).copy(path_expression="a.*"),
              _series(("a.y", 100_000, 10, [0.0])).copy(path_expression="a.*"),
              _series(("b.z", 100_000, 10, [0.0]))]
    result = REGISTRY["timeShift"].call(ctx, inputs, "1h")
    assert calls == [("a.*", 96_400, 97_000), ("b.z", 96_400, 97_000)]
    assert [s.name for s in result] == ['timeShift(a.*, "-1h")', 'timeShift(b.z, "-1h")']
    assert all(s.start == 100_000 and s.end == 100_010 for s in result)


def test_registered_metadata_matches_graphite_web():
    # graphite-web SeriesFunction(...).params / signature, as /functions prints them
    info = REGISTRY["summarize"].info()
    assert info["function"] == "summarize(seriesList, intervalString, func='sum', alignToFrom=False)"
    assert info["group"] == "Transform"
    assert info["params"][1] == {"name": "intervalString", "type": "interval", "required": True,
                                 "suggestions": ["10min", "1h", "1d"]}
    assert info["params"][2]["default"] == "sum" and "multiply" in info["params"][2]["options"]
    assert REGISTRY["log"].signature() == "log(seriesList, base=10)"
    assert REGISTRY["timeShift"].signature() == "timeShift(seriesList, timeShift, resetEnd=True, alignDST=False)"
    assert [p["name"] for p in REGISTRY["timeShift"].info()["params"]] == [
        "seriesList", "timeShift", "resetEnd", "alignDst"]
    assert REGISTRY["keepLastValue"].info()["params"][1] == {"name": "limit", "type": "intOrInf",
                                                             "default": math.inf}
    assert REGISTRY["transformNull"].info()["params"][2] == {"name": "referenceSeries", "type": "seriesList"}


def _graphite_non_negative_derivative(values: list) -> list:
    """graphite-web 1.1.10 nonNegativeDerivative without bounds, point by point."""
    out, prev = [], None
    for val in values:
        if prev is None or val is None:
            out.append(None)
        else:
            diff = val - prev
            out.append(diff if diff >= 0 else None)
        prev = val
    return out


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=40))
def test_non_negative_derivative_without_bounds_follows_graphite_web_point_by_point(values):
    result, _ = _run("nonNegativeDerivative", [("a.c", 1000, 10, values)])
    got = _recorded(result[0])[4]
    expected = _graphite_non_negative_derivative(values)
    assert [None if g is None or g != g else g for g in got] == \
           [None if e is None or e != e else e for e in expected]
