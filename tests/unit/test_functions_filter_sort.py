"""Filter Series, Filter Data and Sorting functions against graphite-web 1.1.10.

The tables hold inputs built here and the results graphite-web 1.1.10's highest/lowest
family, limit, exclude, grep, removeAboveValue/removeBelowValue and the sortBy family gave
for them (recorded by running its functions; graphite-web is not imported).  Sorting is
stable, so equal aggregates keep the input order; a null aggregate sorts as -inf.
"""

from __future__ import annotations


import pytest

import render_api.functions  # noqa: F401 (registers the library)
from render_api.registry import REGISTRY
from tests.unit.function_harness import check_recorded_case, _recorded, _run

S1 = ("srv1.cpu", 1000, 10, [1.0, 5.0, None, 2.0])
S2 = ("srv2.cpu", 1000, 10, [4.0, 4.0, 4.0, None])
S3 = ("srv10.cpu", 1000, 10, [None, None, None, None])
S4 = ("srv3.cpu", 1000, 10, [-1.0, 9.0, 0.0, 1.0])
S5 = ("srv11.cpu", 1000, 10, [2.0, 2.0, 2.0, 3.0])
L = [S1, S2, S3, S4, S5]
NEG = ("srv4.cpu", 1000, 10, [-3.0, -1.0, 0.0, None])
MULT = ("m.m", 1000, 10, [2.0, None, 3.0])
MULT2 = ("m.n", 1000, 10, [1.0, 1.0, 1.0])

# (id, function, input series, args, kwargs, context, recorded graphite-web 1.1.10 result)
# a result is the list of (name, start, end, step, values, tags, pathExpression), plus the
# frames evaluateTarget was asked for when the function re-fetches
CASES = [
  ('highest_default', 'highest', L, (), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('highest_2_max', 'highest', L, (2, 'max'), {}, {},
   [('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu')], []),
  ('highest_3_sum', 'highest', L, (3, 'sum'), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu')], []),
  ('highest_all_current', 'highest', L, (10, 'current'), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu')], []),
  ('lowest_default', 'lowest', L, (), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu')], []),
  ('lowest_2_avg', 'lowest', L, (2, 'average'), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('lowest_3_count', 'lowest', L, (3, 'count'), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('lowest_3_avg_zero', 'lowest', L, (3, 'avg_zero'), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('highestAverage', 'highestAverage', L, (2,), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu')], []),
  ('highestCurrent', 'highestCurrent', L, (2,), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu')], []),
  ('highestMax', 'highestMax', L, (3,), {}, {},
   [('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('lowestAverage', 'lowestAverage', L, (2,), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('lowestCurrent', 'lowestCurrent', L, (3,), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu')], []),
  ('limit_2', 'limit', L, (2,), {}, {},
   [('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('limit_0', 'limit', L, (0,), {}, {},
   [], []),
  ('exclude', 'exclude', L, ('srv1',), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('grep', 'grep', L, ('srv\\d\\.',), {}, {},
   [('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('rav', 'removeAboveValue', [S1, S4], (2,), {}, {},
   [('removeAboveValue(srv1.cpu, 2)', 1000, 1040, 10, [1.0, None, None, 2.0], {'name': 'srv1.cpu'}, 'removeAboveValue(srv1.cpu, 2)'),
      ('removeAboveValue(srv3.cpu, 2)', 1000, 1040, 10, [-1.0, None, 0.0, 1.0], {'name': 'srv3.cpu'}, 'removeAboveValue(srv3.cpu, 2)')], []),
  ('rav_float', 'removeAboveValue', [S4], (0.5,), {}, {},
   [('removeAboveValue(srv3.cpu, 0.5)', 1000, 1040, 10, [-1.0, None, 0.0, None], {'name': 'srv3.cpu'}, 'removeAboveValue(srv3.cpu, 0.5)')], []),
  ('rbv', 'removeBelowValue', [S1, S4], (2,), {}, {},
   [('removeBelowValue(srv1.cpu, 2)', 1000, 1040, 10, [None, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'removeBelowValue(srv1.cpu, 2)'),
      ('removeBelowValue(srv3.cpu, 2)', 1000, 1040, 10, [None, 9.0, None, None], {'name': 'srv3.cpu'}, 'removeBelowValue(srv3.cpu, 2)')], []),
  ('rbv_neg', 'removeBelowValue', [S4], (-0.5,), {}, {},
   [('removeBelowValue(srv3.cpu, -0.5)', 1000, 1040, 10, [None, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'removeBelowValue(srv3.cpu, -0.5)')], []),
  ('sortBy_default', 'sortBy', L, (), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('sortBy_max_rev', 'sortBy', L, ('max', True), {}, {},
   [('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu')], []),
  ('sortBy_median', 'sortBy', L, ('median',), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('sortBy_diff', 'sortBy', L, ('diff',), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
  ('sortBy_stddev', 'sortBy', L, ('stddev',), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('sortBy_range', 'sortBy', L, ('range',), {}, {},
   [('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('sortByName', 'sortByName', L, (), {}, {},
   [('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu')], []),
  ('sortByName_natural', 'sortByName', L, (True,), {}, {},
   [('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu')], []),
  ('sortByName_natural_rev', 'sortByName', L, (True, True), {}, {},
   [('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu')], []),
  ('sortByTotal', 'sortByTotal', L, (), {}, {},
   [('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu')], []),
  ('sortByMaxima', 'sortByMaxima', L, (), {}, {},
   [('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv10.cpu', 1000, 1040, 10, [None, None, None, None], {'name': 'srv10.cpu'}, 'srv10.cpu')], []),
  ('sortByMinima', 'sortByMinima', [S1, S2, S3, S4, S5, NEG], (), {}, {},
   [('srv3.cpu', 1000, 1040, 10, [-1.0, 9.0, 0.0, 1.0], {'name': 'srv3.cpu'}, 'srv3.cpu'),
      ('srv1.cpu', 1000, 1040, 10, [1.0, 5.0, None, 2.0], {'name': 'srv1.cpu'}, 'srv1.cpu'),
      ('srv11.cpu', 1000, 1040, 10, [2.0, 2.0, 2.0, 3.0], {'name': 'srv11.cpu'}, 'srv11.cpu'),
      ('srv2.cpu', 1000, 1040, 10, [4.0, 4.0, 4.0, None], {'name': 'srv2.cpu'}, 'srv2.cpu')], []),
]

EDGE_CASES = [
  ('highest_multiply', 'highest', [MULT, MULT2], (1, 'multiply'), {}, {},
   [('m.n', 1000, 1030, 10, [1.0, 1.0, 1.0], {'name': 'm.n'}, 'm.n')], []),
  ('highest_n_big', 'highest', [MULT, MULT2], (5,), {}, {},
   [('m.m', 1000, 1030, 10, [2.0, None, 3.0], {'name': 'm.m'}, 'm.m'),
      ('m.n', 1000, 1030, 10, [1.0, 1.0, 1.0], {'name': 'm.n'}, 'm.n')], []),
  ('lowest_empty', 'lowest', [], (2,), {}, {},
   [], []),
]


@pytest.mark.parametrize("case", CASES + EDGE_CASES, ids=lambda c: c[0])
def test_matches_graphite_web(case):
    check_recorded_case(case)


def test_highest_ties_keep_input_order():
    inputs = [("t.%d" % i, 1000, 10, [1.0]) for i in range(4)]
    result, _ = _run("highest", inputs, (2,))
    assert [s.name for s in result] == ["t.0", "t.1"]
    result, _ = _run("lowest", inputs, (3,))
    assert [s.name for s in result] == ["t.0", "t.1", "t.2"]


def test_natural_sort_pads_digit_runs_to_ten_places():
    # graphite-web sortByName natSortKey: "{0:010}".format(int(run)), so "2" and "02" tie
    names = ["x.b10", "x.a2", "x.a10", "x.b9", "x.a02"]
    result, _ = _run("sortByName", [(n, 1000, 10, [1.0]) for n in names], (True,))
    assert [s.name for s in result] == ["x.a2", "x.a02", "x.a10", "x.b9", "x.b10"]


def test_remove_value_keeps_nulls_and_adds_no_tag():
    result, _ = _run("removeBelowValue", [("a.b;dc=x", 1000, 10, [None, 1.0, 5.0])], (2,))
    name, _, _, _, values, tags, path = _recorded(result[0])
    assert (name, values, path) == ("removeBelowValue(a.b;dc=x, 2)", [None, None, 5.0], name)
    assert tags == {"name": "a.b", "dc": "x"}


def test_exclude_and_grep_search_anywhere_in_the_name():
    inputs = [("a.cpu.user", 1000, 10, [1.0]), ("a.mem.free", 1000, 10, [1.0])]
    assert [s.name for s in _run("grep", inputs, ("cpu",))[0]] == ["a.cpu.user"]
    assert [s.name for s in _run("exclude", inputs, ("^a",))[0]] == []


def test_unknown_aggregation_is_rejected():
    # graphite-web getAggFunc: InputParameterError
    with pytest.raises(ValueError, match="Unsupported aggregation function: bogus"):
        _run("sortBy", [MULT], ("bogus",))
    with pytest.raises(ValueError, match="Unsupported aggregation function: bogus"):
        _run("highest", [MULT], (1, "bogus"))


def test_registered_metadata_matches_graphite_web():
    info = REGISTRY["highest"].info()
    assert info["function"] == "highest(seriesList, n=1, func='average')"
    assert info["group"] == "Filter Series"
    assert info["params"][1] == {"name": "n", "type": "integer", "required": True}
    assert REGISTRY["removeAboveValue"].info()["group"] == "Filter Data"
    assert REGISTRY["sortByName"].info()["params"][1:] == [
        {"name": "natural", "type": "boolean", "default": False},
        {"name": "reverse", "type": "boolean", "default": False}]
    assert REGISTRY["sortByMinima"].info()["group"] == "Sorting"
