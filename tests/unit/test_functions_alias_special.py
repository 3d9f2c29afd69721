"""Alias- and Special-group render functions (render_api/functions/alias.py, special.py).

Expected names, tags and frames in the table were recorded by running the same inputs through
graphite-web 1.1.10's render/functions.py (alias, aliasByNode, aliasByTags, aliasByMetric,
aliasSub, consolidateBy, constantLine) over its TimeSeries; request frame 0..100 unless a case
sets `end`.
"""

from __future__ import annotations

import re

import pytest

from render_api.context import RequestContext
from render_api.functions.common import InputParameterError
from render_api.registry import REGISTRY


from tests.unit.function_harness import Error, R, S, build, observed, run_case  # noqa: F401


ALIAS_SPECIAL_CASES = [
    ('alias', 'alias', [[S('a.b', 0, 10, [1]), S('cpu;dc=a', 0, 10, [2])], 'New name'], {},
     [
        R('New name', 0, 10, 10, [1.0],
          {'name': 'a.b'},
          'a.b'),
        R('New name', 0, 10, 10, [2.0],
          {'dc': 'a', 'name': 'cpu'},
          'cpu;dc=a'),
    ]),
    ('abn_one', 'aliasByNode', [[S('a.b.c', 0, 10, [1]), S('x.y.z.w', 0, 10, [2])], 1], {},
     [
        R('b', 0, 10, 10, [1.0],
          {'name': 'a.b.c'},
          'a.b.c'),
        R('y', 0, 10, 10, [2.0],
          {'name': 'x.y.z.w'},
          'x.y.z.w'),
    ]),
    ('abn_multi_neg', 'aliasByNode', [
        [S('a.b.c', 0, 10, [1]), S('x.y.z.w', 0, 10, [2])],
        0,
        -1,
    ], {},
     [
        R('a.c', 0, 10, 10, [1.0],
          {'name': 'a.b.c'},
          'a.b.c'),
        R('x.w', 0, 10, 10, [2.0],
          {'name': 'x.y.z.w'},
          'x.y.z.w'),
    ]),
    ('abn_out_of_range', 'aliasByNode', [[S('a.b.c', 0, 10, [1])], 5, -9], {},
     [
        R('.', 0, 10, 10, [1.0],
          {'name': 'a.b.c'},
          'a.b.c'),
    ]),
    ('abn_tagged', 'aliasByNode', [
        [S('cpu.load;dc=a;host=x', 0, 10, [1])],
        'host',
        1,
        'dc',
        'missing',
    ], {},
     [
        R('x.load.a.', 0, 10, 10, [1.0],
          {'dc': 'a', 'host': 'x', 'name': 'cpu.load'},
          'cpu.load;dc=a;host=x'),
    ]),
    ('abn_func_name', 'aliasByNode', [
        [
            S('scale(a.b.c,2)', 0, 10, [1]),
            S('sumSeries(x.{y,z}.w)', 0, 10, [1]),
            S('divideSeries(a.b,MISSING)', 0, 10, [1]),
        ],
        1,
    ], {},
     [
        R('b', 0, 10, 10, [1.0],
          {'name': 'scale(a.b.c,2)'},
          'scale(a.b.c,2)'),
        R('{y,z}', 0, 10, 10, [1.0],
          {'name': 'sumSeries(x.{y,z}.w)'},
          'sumSeries(x.{y,z}.w)'),
        R('b', 0, 10, 10, [1.0],
          {'name': 'divideSeries(a.b,MISSING)'},
          'divideSeries(a.b,MISSING)'),
    ]),
    ('abn_func_first_literal', 'aliasByNode', [
        [S('f(1,a.b)', 0, 10, [1]), S('Total (ms)', 0, 10, [2])],
        0,
    ], {},
     [
        R('f(1,a', 0, 10, 10, [1.0],
          {'name': 'f(1,a.b)'},
          'f(1,a.b)'),
        R('ms', 0, 10, 10, [2.0],
          {'name': 'Total (ms)'},
          'Total (ms)'),
    ]),
    ('abt', 'aliasByTags', [[S('cpu.load;dc=a;host=x', 0, 10, [1])], 'host', 'name'], {},
     [
        R('x.cpu.load', 0, 10, 10, [1.0],
          {'dc': 'a', 'host': 'x', 'name': 'cpu.load'},
          'cpu.load;dc=a;host=x'),
    ]),
    ('abm', 'aliasByMetric', [
        [
            S('a.b.c', 0, 10, [1]),
            S('scale(a.b,2)', 0, 10, [1]),
            S('sumSeries(a.b,scale(c.d,2))', 0, 10, [1]),
            S('divideSeries(scale(a.b.x,2),c.d)', 0, 10, [1]),
            S('noDots', 0, 10, [1]),
            S('cpu.load;dc=a', 0, 10, [1]),
        ],
    ], {},
     [
        R('c', 0, 10, 10, [1.0],
          {'name': 'a.b.c'},
          'a.b.c'),
        R('b', 0, 10, 10, [1.0],
          {'name': 'scale(a.b,2)'},
          'scale(a.b,2)'),
        R('d', 0, 10, 10, [1.0],
          {'name': 'sumSeries(a.b,scale(c.d,2))'},
          'sumSeries(a.b,scale(c.d,2))'),
        R('x', 0, 10, 10, [1.0],
          {'name': 'divideSeries(scale(a.b.x,2),c.d)'},
          'divideSeries(scale(a.b.x,2),c.d)'),
        R('noDots', 0, 10, 10, [1.0],
          {'name': 'noDots'},
          'noDots'),
        R('load;dc=a', 0, 10, 10, [1.0],
          {'dc': 'a', 'name': 'cpu.load'},
          'cpu.load;dc=a'),
    ]),
    ('aliassub_grafana', 'aliasSub', [
        [S('a.b', 0, 10, [1]), S('sumSeries(a.*)', 0, 10, [1])],
        '(^.*$)',
        '\\1 A',
    ], {},
     [
        R('a.b A', 0, 10, 10, [1.0],
          {'name': 'a.b'},
          'a.b'),
        R('sumSeries(a.*) A', 0, 10, 10, [1.0],
          {'name': 'sumSeries(a.*)'},
          'sumSeries(a.*)'),
    ]),
    ('aliassub_groups', 'aliasSub', [
        [S('ip.10.TCP8080.rx', 0, 10, [1])],
        '^.*TCP(\\d+)',
        'port \\1',
    ], {},
     [
        R('port 8080.rx', 0, 10, 10, [1.0],
          {'name': 'ip.10.TCP8080.rx'},
          'ip.10.TCP8080.rx'),
    ]),
    ('aliassub_all_matches', 'aliasSub', [[S('a.b.a.c', 0, 10, [1])], 'a', 'X'], {},
     [
        R('X.b.X.c', 0, 10, 10, [1.0],
          {'name': 'a.b.a.c'},
          'a.b.a.c'),
    ]),
    ('consolidateBy', 'consolidateBy', [
        [S('a.b', 0, 10, [1]), S('cpu;dc=a', 0, 10, [2])],
        'max',
    ], {},
     [
        R('consolidateBy(a.b,"max")', 0, 10, 10, [1.0],
          {'consolidateBy': 'max', 'name': 'a.b'},
          'consolidateBy(a.b,"max")'),
        R('consolidateBy(cpu;dc=a,"max")', 0, 10, 10, [2.0],
          {'consolidateBy': 'max', 'dc': 'a', 'name': 'cpu'},
          'consolidateBy(cpu;dc=a,"max")'),
    ]),
    ('constantLine', 'constantLine', [100.0], {},
     [
        R('100.0', 0, 100, 50, [100.0, 100.0, 100.0],
          {'name': '100.0'},
          'constantLine(100.0)'),
    ]),
    ('constantLine_odd', 'constantLine', [2.5], {'end': 101},
     [
        R('2.5', 0, 101, 50, [2.5, 2.5, 2.5],
          {'name': '2.5'},
          'constantLine(2.5)'),
    ]),
]


@pytest.mark.parametrize("case_id, fname, args, opts, expected", ALIAS_SPECIAL_CASES,
                         ids=[c[0] for c in ALIAS_SPECIAL_CASES])
def test_alias_and_special_match_graphite_web(case_id, fname, args, opts, expected):
    run_case(fname, args, opts, expected)


# graphite-web 1.1.10: inspect.signature and [p.toJSON() for p in f.params] of each function
METADATA = [
    ('alias', 'Alias', 'alias(seriesList, newName)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'newName', 'type': 'string', 'required': True}]),
    ('aliasByNode', 'Alias', 'aliasByNode(seriesList, *nodes)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'nodes', 'type': 'nodeOrTag', 'required': True, 'multiple': True}]),
    ('aliasByTags', 'Alias', 'aliasByTags(seriesList, *tags)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'tags', 'type': 'nodeOrTag', 'required': True, 'multiple': True}]),
    ('aliasByMetric', 'Alias', 'aliasByMetric(seriesList)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True}]),
    ('aliasSub', 'Alias', 'aliasSub(seriesList, search, replace)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'search', 'type': 'string', 'required': True},
      {'name': 'replace', 'type': 'string', 'required': True}]),
    ('consolidateBy', 'Special', 'consolidateBy(seriesList, consolidationFunc)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'consolidationFunc', 'type': 'string', 'required': True,
       'options': ['average', 'avg', 'avg_zero', 'first', 'last', 'max', 'min', 'sum']}]),
    ('constantLine', 'Special', 'constantLine(value)',
     [{'name': 'value', 'type': 'float', 'required': True}]),
    ('seriesByTag', 'Special', 'seriesByTag(*tagExpressions)',
     [{'name': 'tagExpressions', 'type': 'string', 'required': True, 'multiple': True}]),
]


@pytest.mark.parametrize("name, group, signature, params", METADATA, ids=[m[0] for m in METADATA])
def test_registered_metadata_matches_graphite_web(name, group, signature, params):
    info = REGISTRY[name].info(name)
    assert (info["group"], info["function"], info["params"]) == (group, signature, params)
    assert info["description"]


def ctx_over(start, end, fetch=None):
    if fetch is None:
        return RequestContext(start, end, end)
    return RequestContext(start, end, end, fetch=fetch)


def test_alias_does_not_rename_its_input():
    a = S("a.b", 0, 10, [1])()
    REGISTRY["alias"].call(ctx_over(0, 100), [a], "x")
    assert a.name == "a.b"


def test_alias_sub_with_a_broken_regex_raises_re_error():
    with pytest.raises(re.error):
        REGISTRY["aliasSub"].call(ctx_over(0, 100), [S("a.b", 0, 10, [1])()], "(", "x")


def test_consolidate_by_unknown_function_is_a_parameter_error():
    # graphite-web only logs this (ENFORCE_INPUT_VALIDATION is off) and fails later when it
    # consolidates; the message is its parameter validation text
    with pytest.raises(InputParameterError) as info:
        REGISTRY["consolidateBy"].call(ctx_over(0, 100), [S("a.b", 0, 10, [1])()], "median")
    assert str(info.value) == ('Invalid option specified for function "consolidateBy" '
                               "parameter \"consolidationFunc\": 'median'")


def test_consolidate_by_changes_how_normalize_merges_points():
    # graphite-web: sumSeries(consolidateBy(m.fine,"max"), m.coarse) -> [15, 23, 32]
    ctx = ctx_over(0, 100)
    fine = REGISTRY["consolidateBy"].call(ctx, [S("m.fine", 0, 10, [1, 5, None, 3, 2, None])()],
                                          "max")
    out = REGISTRY["sumSeries"].call(ctx, fine, [S("m.coarse", 0, 20, [10, 20, 30])()])
    assert [observed(s) for s in out] == [
        R('sumSeries(consolidateBy(m.fine,"max"),m.coarse)', 0, 60, 20, [15.0, 23.0, 32.0],
          {"name": 'sumSeries(consolidateBy(m.fine,"max"),m.coarse)', "aggregatedBy": "sum"},
          'sumSeries(consolidateBy(m.fine,"max"),m.coarse)')]


def test_constant_line_over_an_odd_range_rounds_the_step_down():
    # graphite-web: constantLine(-0.5) over 60..3661 -> step 1800, end 3661
    out = REGISTRY["constantLine"].call(ctx_over(60, 3661), -0.5)
    assert [observed(s) for s in out] == [
        R("-0.5", 60, 3661, 1800, [-0.5, -0.5, -0.5], {"name": "-0.5"}, "constantLine(-0.5)")]


def test_constant_line_over_one_second_keeps_a_positive_step():
    # graphite-web builds step 0 here and then fails to render it (range() step 0)
    out = REGISTRY["constantLine"].call(ctx_over(0, 1), 7)
    assert (out[0].name, out[0].step, out[0].path_expression) == ("7.0", 1, "constantLine(7.0)")


def test_series_by_tag_fetches_its_call_text_and_uses_it_as_path_expression():
    calls = []

    def fetch(pattern, start, end):
        calls.append((pattern, start, end))
        return [S("cpu;dc=a", 0, 10, [1])(), S("cpu;dc=b", 0, 10, [2])()]

    out = REGISTRY["seriesByTag"].call(ctx_over(30, 90, fetch), "name=cpu", "dc=~[ab]")
    text = "seriesByTag('name=cpu','dc=~[ab]')"
    assert calls == [(text, 30, 90)]
    assert [(s.name, s.path_expression, s.tags) for s in out] == [
        ("cpu;dc=a", text, {"name": "cpu", "dc": "a"}),
        ("cpu;dc=b", text, {"name": "cpu", "dc": "b"})]


def test_series_by_tag_quotes_an_expression_holding_a_single_quote_with_double_quotes():
    calls = []
    REGISTRY["seriesByTag"].call(ctx_over(0, 60, lambda p, s, e: calls.append(p) or []),
                                 "name=it's")
    assert calls == ["seriesByTag(\"name=it's\")"]


def test_series_by_tag_without_matches_is_empty():
    assert REGISTRY["seriesByTag"].call(ctx_over(0, 60), "name=none") == []
