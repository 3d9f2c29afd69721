"""Combine-group render functions and their shared building blocks (render_api/functions).

Expected names, frames, values and tags in the tables were recorded by running the same inputs
through graphite-web 1.1.10's render/functions.py (aggregate, asPercent, divideSeries,
groupByNodes, groupByTags, percentileOfSeries, countSeries) over its TimeSeries; request frame
0..100, request xFilesFactor 0 unless a case says otherwise.  Cases graphite-web cannot answer
(it crashes) are tested separately with the behaviour it plainly intends.
"""

from __future__ import annotations


import numpy as np
import pytest

from render_api.context import RequestContext
from render_api.functions import combine
from render_api.functions.common import (InputParameterError, agg_key, aggregate_stack,
                                         consolidate, first_path_expression, format_g,
                                         normalize, percentile_stack)
from render_api.registry import REGISTRY
from render_api.series import Series


from tests.unit.function_harness import Error, R, S, build, observed, run_case  # noqa: F401


# graphite-web aggregate()/sumSeries()... over normalize() and izip_longest rows
AGGREGATE_CASES = [
    ('sum_nulls', 'sumSeries', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5]), S('a.x.c', 0, 10, [2, None, None, 4, 6])],
    ], {},
     [
        R('sumSeries(a.b.c,a.x.c)', 0, 50, 10, [3.0, None, 3.0, 4.0, 11.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b.c,a.x.c)'},
          'sumSeries(a.b.c,a.x.c)'),
    ]),
    ('sum_two_lists', 'sumSeries', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5])],
        [S('a.x.c', 0, 10, [2, None, None, 4, 6]), S('a.y.d', 0, 10, [4, None, 1, 8, -2])],
    ], {},
     [
        R('sumSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [7.0, None, 4.0, 12.0, 9.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b.c,a.x.c,a.y.d)'},
          'sumSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('sum_alias', 'sum', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5]), S('a.x.c', 0, 10, [2, None, None, 4, 6])],
    ], {},
     [
        R('sumSeries(a.b.c,a.x.c)', 0, 50, 10, [3.0, None, 3.0, 4.0, 11.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b.c,a.x.c)'},
          'sumSeries(a.b.c,a.x.c)'),
    ]),
    ('sum_one_series_wrapped', 'sumSeries', [[S('a.b.c', 0, 10, [1, None, 3, None, 5])]], {},
     [
        R('sumSeries(a.b.c)', 0, 50, 10, [1.0, None, 3.0, None, 5.0],
          {'aggregatedBy': 'sum', 'name': 'a.b.c'},
          'sumSeries(a.b.c)'),
    ]),
    ('sum_empty', 'sumSeries', [[]], {},
     []),
    ('sum_no_args', 'sumSeries', [], {},
     []),
    ('sum_zip_longest', 'sumSeries', [
        [S('a.b', 0, 10, [1, 2, 3, 4]), S('a.c', 20, 10, [10, 20])],
    ], {},
     [
        R('sumSeries(a.b,a.c)', 0, 40, 10, [11.0, 22.0, 3.0, 4.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b,a.c)'},
          'sumSeries(a.b,a.c)'),
    ]),
    ('sum_mixed_steps', 'sumSeries', [
        [
            S('m.fine', 0, 10, [1, 2, 3, None, None, None, 7]),
            S('m.coarse', 0, 20, [10, 20, None, 40]),
        ],
    ], {},
     [
        R('sumSeries(m.fine,m.coarse)', 0, 80, 20, [11.5, 23.0, None, 47.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.fine,m.coarse)'},
          'sumSeries(m.fine,m.coarse)'),
    ]),
    ('sum_mixed_steps_cf_max', 'sumSeries', [
        [S('m.fine', 0, 10, [1, 2, 3, None, 5, 9], cf='max'), S('m.coarse', 0, 30, [10, 20])],
    ], {},
     [
        R('sumSeries(m.fine,m.coarse)', 0, 60, 30, [13.0, 29.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.fine,m.coarse)'},
          'sumSeries(m.fine,m.coarse)'),
    ]),
    ('sum_mixed_steps_series_xff', 'sumSeries', [
        [
            S('m.fine', 0, 10, [1, None, None, None, 5, 9], xff=0.6),
            S('m.coarse', 0, 20, [None, None, 1]),
        ],
    ], {},
     [
        R('sumSeries(m.fine,m.coarse)', 0, 60, 20, [None, None, 8.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.fine,m.coarse)'},
          'sumSeries(m.fine,m.coarse)'),
    ]),
    ('sum_mixed_steps_avg_zero', 'sumSeries', [
        [
            S('m.fine', 0, 10, [1, None, None, None, 5], cf='avg_zero'),
            S('m.coarse', 0, 20, [None, None, None]),
        ],
    ], {},
     [
        R('sumSeries(m.fine,m.coarse)', 0, 60, 20, [0.5, None, 5.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.fine,m.coarse)'},
          'sumSeries(m.fine,m.coarse)'),
    ]),
    ('sum_mixed_steps_first_last', 'sumSeries', [
        [
            S('m.first', 0, 10, [None, 2, 3, 4, 5, None], cf='first'),
            S('m.last', 0, 15, [7, 8, 9, 10], cf='last'),
        ],
    ], {},
     [
        R('sumSeries(m.first,m.last)', 0, 60, 30, [10.0, 14.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.first,m.last)'},
          'sumSeries(m.first,m.last)'),
    ]),
    ('sum_mixed_steps_sum', 'sumSeries', [
        [S('m.s', 5, 5, [1, 2, 3, 4, 5], cf='sum'), S('m.t', 0, 10, [100, 200, 300])],
    ], {},
     [
        R('sumSeries(m.s,m.t)', 0, 30, 10, [103.0, 207.0, 305.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(m.s,m.t)'},
          'sumSeries(m.s,m.t)'),
    ]),
    ('average', 'averageSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('averageSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 2.0, 6.0, 3.0],
          {'aggregatedBy': 'average', 'name': 'averageSeries(a.b.c,a.x.c,a.y.d)'},
          'averageSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('avg_alias', 'avg', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('averageSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 2.0, 6.0, 3.0],
          {'aggregatedBy': 'average', 'name': 'averageSeries(a.b.c,a.x.c,a.y.d)'},
          'averageSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('max', 'maxSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('maxSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [4.0, None, 3.0, 8.0, 6.0],
          {'aggregatedBy': 'max', 'name': 'maxSeries(a.b.c,a.x.c,a.y.d)'},
          'maxSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('min', 'minSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('minSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [1.0, None, 1.0, 4.0, -2.0],
          {'aggregatedBy': 'min', 'name': 'minSeries(a.b.c,a.x.c,a.y.d)'},
          'minSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('diff', 'diffSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('diffSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [-5.0, None, 2.0, -4.0, 1.0],
          {'aggregatedBy': 'diff', 'name': 'diffSeries(a.b.c,a.x.c,a.y.d)'},
          'diffSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('diff_first_null', 'diffSeries', [
        [
            S('d.a', 0, 10, [None, 5, None]),
            S('d.b', 0, 10, [3, 1, None]),
            S('d.c', 0, 10, [1, 1, 7]),
        ],
    ], {},
     [
        R('diffSeries(d.a,d.b,d.c)', 0, 30, 10, [2.0, 3.0, 7.0],
          {'aggregatedBy': 'diff', 'name': 'diffSeries(d.a,d.b,d.c)'},
          'diffSeries(d.a,d.b,d.c)'),
    ]),
    ('multiply', 'multiplySeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('multiplySeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [8.0, None, None, None, -60.0],
          {'aggregatedBy': 'multiply', 'name': 'multiplySeries(a.b.c,a.x.c,a.y.d)'},
          'multiplySeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('multiply_single_untouched', 'multiplySeries', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5])],
    ], {},
     [
        R('a.b.c', 0, 50, 10, [1.0, None, 3.0, None, 5.0],
          {'name': 'a.b.c'},
          'a.b.c'),
    ]),
    ('multiply_two_lists_one_empty', 'multiplySeries', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5])],
        [],
    ], {},
     [
        R('multiplySeries(a.b.c)', 0, 50, 10, [1.0, None, 3.0, None, 5.0],
          {'aggregatedBy': 'multiply', 'name': 'a.b.c'},
          'multiplySeries(a.b.c)'),
    ]),
    ('stddev', 'stddevSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('stddevSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [1.247219128924647, None, 1.0, 2.0, 3.559026084010437],
          {'aggregatedBy': 'stddev', 'name': 'stddevSeries(a.b.c,a.x.c,a.y.d)'},
          'stddevSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('range', 'rangeOfSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('rangeOfSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [3.0, None, 2.0, 4.0, 8.0],
          {'aggregatedBy': 'rangeOf', 'name': 'rangeOfSeries(a.b.c,a.x.c,a.y.d)'},
          'rangeOfSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('tagged_common_tags', 'sumSeries', [
        [S('cpu;dc=a;host=x', 0, 10, [1, 2]), S('cpu;dc=a;host=y', 0, 10, [3, None])],
    ], {},
     [
        R('sumSeries(cpu;dc=a;host=x,cpu;dc=a;host=y)', 0, 20, 10, [4.0, 2.0],
          {'aggregatedBy': 'sum', 'dc': 'a', 'name': 'cpu'},
          'sumSeries(cpu;dc=a;host=x,cpu;dc=a;host=y)'),
    ]),
    ('tagged_names_differ', 'sumSeries', [
        [S('cpu;dc=a', 0, 10, [1, 2]), S('mem;dc=a', 0, 10, [3, 4])],
    ], {},
     [
        R('sumSeries(cpu;dc=a,mem;dc=a)', 0, 20, 10, [4.0, 6.0],
          {'aggregatedBy': 'sum', 'dc': 'a', 'name': 'sumSeries(cpu;dc=a,mem;dc=a)'},
          'sumSeries(cpu;dc=a,mem;dc=a)'),
    ]),
    ('count', 'countSeries', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
    ], {},
     [
        R('countSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [3.0, 3.0, 3.0, 3.0, 3.0],
          {'name': 'countSeries(a.b.c,a.x.c,a.y.d)'},
          'countSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('count_two_lists', 'countSeries', [
        [S('a.b.c', 0, 10, [1, None, 3, None, 5])],
        [S('c.q', 0, 10, [None, None])],
    ], {},
     [
        R('countSeries(a.b.c,c.q)', 0, 50, 10, [2.0, 2.0, 2.0, 2.0, 2.0],
          {'name': 'countSeries(a.b.c,c.q)'},
          'countSeries(a.b.c,c.q)'),
    ]),
    ('count_no_args', 'countSeries', [], {},
     [
        R('0', 0, 100, 50, [0.0, 0.0, 0.0],
          {'name': '0'},
          'countSeries()'),
    ]),
    ('count_empty_list', 'countSeries', [[]], {},
     []),
    ('aggregate_average', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'average',
    ], {},
     [
        R('averageSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 2.0, 6.0, 3.0],
          {'aggregatedBy': 'average', 'name': 'averageSeries(a.b.c,a.x.c,a.y.d)'},
          'averageSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_avg', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'avg',
    ], {},
     [
        R('avgSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 2.0, 6.0, 3.0],
          {'aggregatedBy': 'avg', 'name': 'avgSeries(a.b.c,a.x.c,a.y.d)'},
          'avgSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_avg_zero', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'avg_zero',
    ], {},
     [
        R('avg_zeroSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 1.3333333333333333, 4.0, 3.0],
          {'aggregatedBy': 'avg_zero', 'name': 'avg_zeroSeries(a.b.c,a.x.c,a.y.d)'},
          'avg_zeroSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_median', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'median',
    ], {},
     [
        R('medianSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.0, None, 2.0, 6.0, 5.0],
          {'aggregatedBy': 'median', 'name': 'medianSeries(a.b.c,a.x.c,a.y.d)'},
          'medianSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_sum', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'sum',
    ], {},
     [
        R('sumSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [7.0, None, 4.0, 12.0, 9.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b.c,a.x.c,a.y.d)'},
          'sumSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_total', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'total',
    ], {},
     [
        R('totalSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [7.0, None, 4.0, 12.0, 9.0],
          {'aggregatedBy': 'total', 'name': 'totalSeries(a.b.c,a.x.c,a.y.d)'},
          'totalSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_min', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'min',
    ], {},
     [
        R('minSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [1.0, None, 1.0, 4.0, -2.0],
          {'aggregatedBy': 'min', 'name': 'minSeries(a.b.c,a.x.c,a.y.d)'},
          'minSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_max', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'max',
    ], {},
     [
        R('maxSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [4.0, None, 3.0, 8.0, 6.0],
          {'aggregatedBy': 'max', 'name': 'maxSeries(a.b.c,a.x.c,a.y.d)'},
          'maxSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_diff', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'diff',
    ], {},
     [
        R('diffSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [-5.0, None, 2.0, -4.0, 1.0],
          {'aggregatedBy': 'diff', 'name': 'diffSeries(a.b.c,a.x.c,a.y.d)'},
          'diffSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_stddev', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'stddev',
    ], {},
     [
        R('stddevSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [1.247219128924647, None, 1.0, 2.0, 3.559026084010437],
          {'aggregatedBy': 'stddev', 'name': 'stddevSeries(a.b.c,a.x.c,a.y.d)'},
          'stddevSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_count', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'count',
    ], {},
     [
        R('countSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [3.0, None, 2.0, 2.0, 3.0],
          {'aggregatedBy': 'count', 'name': 'countSeries(a.b.c,a.x.c,a.y.d)'},
          'countSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_range', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'range',
    ], {},
     [
        R('rangeSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [3.0, None, 2.0, 4.0, 8.0],
          {'aggregatedBy': 'range', 'name': 'rangeSeries(a.b.c,a.x.c,a.y.d)'},
          'rangeSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_rangeOf', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'rangeOf',
    ], {},
     [
        R('rangeOfSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [3.0, None, 2.0, 4.0, 8.0],
          {'aggregatedBy': 'rangeOf', 'name': 'rangeOfSeries(a.b.c,a.x.c,a.y.d)'},
          'rangeOfSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_multiply', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'multiply',
    ], {},
     [
        R('multiplySeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [8.0, None, None, None, -60.0],
          {'aggregatedBy': 'multiply', 'name': 'multiplySeries(a.b.c,a.x.c,a.y.d)'},
          'multiplySeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_last', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'last',
    ], {},
     [
        R('lastSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [4.0, None, 1.0, 8.0, -2.0],
          {'aggregatedBy': 'last', 'name': 'lastSeries(a.b.c,a.x.c,a.y.d)'},
          'lastSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_current', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'current',
    ], {},
     [
        R('currentSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [4.0, None, 1.0, 8.0, -2.0],
          {'aggregatedBy': 'current', 'name': 'currentSeries(a.b.c,a.x.c,a.y.d)'},
          'currentSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_sumSeries', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'sumSeries',
    ], {},
     [
        R('sumSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [7.0, None, 4.0, 12.0, 9.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(a.b.c,a.x.c,a.y.d)'},
          'sumSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_avgSeries', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'avgSeries',
    ], {},
     [
        R('avgSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.3333333333333335, None, 2.0, 6.0, 3.0],
          {'aggregatedBy': 'avg', 'name': 'avgSeries(a.b.c,a.x.c,a.y.d)'},
          'avgSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_medianSeries', 'aggregate', [
        [
            S('a.b.c', 0, 10, [1, None, 3, None, 5]),
            S('a.x.c', 0, 10, [2, None, None, 4, 6]),
            S('a.y.d', 0, 10, [4, None, 1, 8, -2]),
        ],
        'medianSeries',
    ], {},
     [
        R('medianSeries(a.b.c,a.x.c,a.y.d)', 0, 50, 10, [2.0, None, 2.0, 6.0, 5.0],
          {'aggregatedBy': 'median', 'name': 'medianSeries(a.b.c,a.x.c,a.y.d)'},
          'medianSeries(a.b.c,a.x.c,a.y.d)'),
    ]),
    ('aggregate_median_even', 'aggregate', [
        [
            S('e.a', 0, 10, [1, 1, None]),
            S('e.b', 0, 10, [2, 5, None]),
            S('e.c', 0, 10, [3, None, None]),
            S('e.d', 0, 10, [10, None, 4]),
        ],
        'median',
    ], {},
     [
        R('medianSeries(e.a,e.b,e.c,e.d)', 0, 30, 10, [2.5, 3.0, 4.0],
          {'aggregatedBy': 'median', 'name': 'medianSeries(e.a,e.b,e.c,e.d)'},
          'medianSeries(e.a,e.b,e.c,e.d)'),
    ]),
    ('aggregate_xff_half', 'aggregate', [
        [
            S('f.a', 0, 10, [1, None, None, 1]),
            S('f.b', 0, 10, [2, 2, None, None]),
            S('f.c', 0, 10, [3, 3, None, None]),
            S('f.d', 0, 10, [None, 4, 1, None]),
        ],
        'sum',
        0.5,
    ], {},
     [
        R('sumSeries(f.a,f.b,f.c,f.d)', 0, 40, 10, [6.0, 9.0, None, None],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(f.a,f.b,f.c,f.d)'},
          'sumSeries(f.a,f.b,f.c,f.d)'),
    ]),
    ('aggregate_xff_ctx', 'aggregate', [
        [
            S('f.a', 0, 10, [1, None, None, 1]),
            S('f.b', 0, 10, [2, 2, None, None]),
            S('f.c', 0, 10, [3, 3, None, None]),
            S('f.d', 0, 10, [None, 4, 1, None]),
        ],
        'avg_zero',
    ], {'xff': 0.75},
     [
        R('avg_zeroSeries(f.a,f.b,f.c,f.d)', 0, 40, 10, [1.5, 2.25, None, None],
          {'aggregatedBy': 'avg_zero', 'name': 'avg_zeroSeries(f.a,f.b,f.c,f.d)'},
          'avg_zeroSeries(f.a,f.b,f.c,f.d)'),
    ]),
    ('aggregate_empty', 'aggregate', [[], 'sum'], {},
     []),
    ('percentile_50', 'percentileOfSeries', [
        [
            S('p.a', 0, 10, [1, 5, None, 2]),
            S('p.b', 0, 10, [2, None, None, 8]),
            S('p.c', 0, 10, [3, 7, None, 4]),
            S('p.d', 0, 10, [4, 6, None, 6]),
        ],
        50,
    ], {},
     [
        R('percentileOfSeries(p.a,50)', 0, 40, 10, [3.0, 6.0, None, 6.0],
          {'name': 'percentileOfSeries(p.a,50)'},
          'percentileOfSeries(p.a,50)'),
    ]),
    ('percentile_50_interp', 'percentileOfSeries', [
        [
            S('p.a', 0, 10, [1, 5, None, 2]),
            S('p.b', 0, 10, [2, None, None, 8]),
            S('p.c', 0, 10, [3, 7, None, 4]),
            S('p.d', 0, 10, [4, 6, None, 6]),
        ],
        50,
        True,
    ], {},
     [
        R('percentileOfSeries(p.a,50)', 0, 40, 10, [2.5, 6.0, None, 5.0],
          {'name': 'percentileOfSeries(p.a,50)'},
          'percentileOfSeries(p.a,50)'),
    ]),
    ('percentile_95', 'percentileOfSeries', [
        [S('p.a', 0, 10, [1, 5, 9]), S('p.b', 0, 10, [2, 3, None]), S('p.c', 0, 10, [3, 7, 1])],
        95.5,
    ], {},
     [
        R('percentileOfSeries(p.a,95.5)', 0, 30, 10, [3.0, 7.0, 9.0],
          {'name': 'percentileOfSeries(p.a,95.5)'},
          'percentileOfSeries(p.a,95.5)'),
    ]),
    ('percentile_10_interp', 'percentileOfSeries', [
        [S('p.a', 0, 10, [1, 5, 9]), S('p.b', 0, 10, [2, 3, None]), S('p.c', 0, 10, [3, 7, 1])],
        10,
        True,
    ], {},
     [
        R('percentileOfSeries(p.a,10)', 0, 30, 10, [1.0, 3.0, 1.0],
          {'name': 'percentileOfSeries(p.a,10)'},
          'percentileOfSeries(p.a,10)'),
    ]),
    ('percentile_empty', 'percentileOfSeries', [[], 50], {},
     []),
    ('divide', 'divideSeries', [
        [S('d.a', 0, 10, [10, None, 6, 4]), S('d.b', 0, 10, [1, 2, 3, 4, 5])],
        [S('d.t', 0, 10, [2, 2, 0, None])],
    ], {},
     [
        R('divideSeries(d.a,d.t)', 0, 40, 10, [5.0, None, None, None],
          {'name': 'divideSeries(d.a,d.t)'},
          'divideSeries(d.a,d.t)'),
        R('divideSeries(d.b,d.t)', 0, 50, 10, [0.5, 1.0, None, None, None],
          {'name': 'divideSeries(d.b,d.t)'},
          'divideSeries(d.b,d.t)'),
    ]),
    ('divide_mixed_steps', 'divideSeries', [
        [S('d.a', 0, 10, [10, 20, 30, 40])],
        [S('d.t', 0, 20, [5, 10])],
    ], {},
     [
        R('divideSeries(d.a,d.t)', 0, 40, 20, [3.0, 3.5],
          {'name': 'divideSeries(d.a,d.t)'},
          'divideSeries(d.a,d.t)'),
    ]),
    ('divide_no_divisor', 'divideSeries', [[S('d.a', 0, 10, [10, None, 6])], []], {},
     [
        R('divideSeries(d.a,MISSING)', 0, 30, 10, [None, None, None],
          {'name': 'd.a'},
          'divideSeries(d.a,MISSING)'),
    ]),
    ('divide_no_dividend', 'divideSeries', [[], [S('d.t', 0, 10, [1])]], {},
     []),
    ('pct_total_none', 'asPercent', [
        [S('h.a', 0, 10, [1, None, 3, 0]), S('h.b', 0, 10, [3, None, None, 0])],
    ], {},
     [
        R('asPercent(h.a,sumSeries(h.a,h.b))', 0, 40, 10, [25.0, None, 100.0, None],
          {'name': 'asPercent(h.a,sumSeries(h.a,h.b))'},
          'asPercent(h.a,sumSeries(h.a,h.b))'),
        R('asPercent(h.b,sumSeries(h.a,h.b))', 0, 40, 10, [75.0, None, None, None],
          {'name': 'asPercent(h.b,sumSeries(h.a,h.b))'},
          'asPercent(h.b,sumSeries(h.a,h.b))'),
    ]),
    ('pct_total_number', 'asPercent', [
        [S('h.a', 0, 10, [1, None, 3]), S('h.b', 0, 10, [50, 2, 4, 5])],
        200,
    ], {},
     [
        R('asPercent(h.a,200)', 0, 30, 10, [0.5, None, 1.5],
          {'name': 'asPercent(h.a,200)'},
          'asPercent(h.a,200)'),
        R('asPercent(h.b,200)', 0, 40, 10, [25.0, 1.0, 2.0, None],
          {'name': 'asPercent(h.b,200)'},
          'asPercent(h.b,200)'),
    ]),
    ('pct_total_float', 'asPercent', [[S('h.a', 0, 10, [1, None, 3])], 1.5], {},
     [
        R('asPercent(h.a,1.5)', 0, 30, 10, [66.66666666666666, None, 200.0],
          {'name': 'asPercent(h.a,1.5)'},
          'asPercent(h.a,1.5)'),
    ]),
    ('pct_total_zero', 'asPercent', [[S('h.a', 0, 10, [1, 2])], 0], {},
     [
        R('asPercent(h.a,0)', 0, 20, 10, [None, None],
          {'name': 'asPercent(h.a,0)'},
          'asPercent(h.a,0)'),
    ]),
    ('pct_total_one_series', 'asPercent', [
        [S('h.a', 0, 10, [1, None, 3]), S('h.b', 0, 10, [5, 2, 4])],
        [S('h.t', 0, 10, [10, 10, 0])],
    ], {},
     [
        R('asPercent(h.a,h.t)', 0, 30, 10, [10.0, None, None],
          {'name': 'asPercent(h.a,h.t)'},
          'asPercent(h.a,h.t)'),
        R('asPercent(h.b,h.t)', 0, 30, 10, [50.0, 20.0, None],
          {'name': 'asPercent(h.b,h.t)'},
          'asPercent(h.b,h.t)'),
    ]),
    ('pct_total_same_count_sorted', 'asPercent', [
        [S('h.b', 0, 10, [1, 2]), S('h.a', 0, 10, [3, 4])],
        [S('t.b', 0, 10, [10, 10]), S('t.a', 0, 10, [20, None])],
    ], {},
     [
        R('asPercent(h.a,t.a)', 0, 20, 10, [15.0, None],
          {'name': 'asPercent(h.a,t.a)'},
          'asPercent(h.a,t.a)'),
        R('asPercent(h.b,t.b)', 0, 20, 10, [10.0, 20.0],
          {'name': 'asPercent(h.b,t.b)'},
          'asPercent(h.b,t.b)'),
    ]),
    ('pct_alias', 'pct', [[S('h.a', 0, 10, [1, 3])], 4], {},
     [
        R('asPercent(h.a,4)', 0, 20, 10, [25.0, 75.0],
          {'name': 'asPercent(h.a,4)'},
          'asPercent(h.a,4)'),
    ]),
    ('pct_nodes_total_none', 'asPercent', [
        [
            S('srv1.cpu.user', 0, 10, [1, 2]),
            S('srv1.cpu.sys', 0, 10, [3, None]),
            S('srv2.cpu.user', 0, 10, [5, 5]),
        ],
        None,
        0,
    ], {},
     [
        R('asPercent(srv1.cpu.user,sumSeries(srv1.cpu.user,srv1.cpu.sys))', 0, 20, 10, [25.0, 100.0],
          {'name': 'asPercent(srv1.cpu.user,sumSeries(srv1.cpu.user,srv1.cpu.sys))'},
          'asPercent(srv1.cpu.user,sumSeries(srv1.cpu.user,srv1.cpu.sys))'),
        R('asPercent(srv1.cpu.sys,sumSeries(srv1.cpu.user,srv1.cpu.sys))', 0, 20, 10, [75.0, None],
          {'name': 'asPercent(srv1.cpu.sys,sumSeries(srv1.cpu.user,srv1.cpu.sys))'},
          'asPercent(srv1.cpu.sys,sumSeries(srv1.cpu.user,srv1.cpu.sys))'),
        R('asPercent(srv2.cpu.user,srv2.cpu.user)', 0, 20, 10, [100.0, 100.0],
          {'name': 'asPercent(srv2.cpu.user,srv2.cpu.user)'},
          'asPercent(srv2.cpu.user,srv2.cpu.user)'),
    ]),
    ('pct_nodes_total_list', 'asPercent', [
        [S('Server1.memory.used', 0, 10, [1, 2]), S('Server2.memory.used', 0, 10, [3, 4])],
        [S('Server1.memory.total', 0, 10, [4, 8]), S('Server3.memory.total', 0, 10, [10, 10])],
        0,
    ], {},
     [
        R('asPercent(Server1.memory.used,Server1.memory.total)', 0, 20, 10, [25.0, 25.0],
          {'name': 'asPercent(Server1.memory.used,Server1.memory.total)'},
          'asPercent(Server1.memory.used,Server1.memory.total)'),
        R('asPercent(Server2.memory.used,MISSING)', 0, 20, 10, [None, None],
          {'name': 'asPercent(Server2.memory.used,MISSING)'},
          'asPercent(Server2.memory.used,MISSING)'),
        R('asPercent(MISSING,Server3.memory.total)', 0, 20, 10, [None, None],
          {'name': 'asPercent(MISSING,Server3.memory.total)'},
          'asPercent(MISSING,Server3.memory.total)'),
    ]),
    ('pct_nodes_total_list_summed', 'asPercent', [
        [S('s1.x.used', 0, 10, [1, 2])],
        [S('s1.x.total', 0, 10, [2, 2]), S('s1.y.total', 0, 10, [2, None])],
        0,
    ], {},
     [
        R('asPercent(s1.x.used,sumSeries(s1.x.total,s1.y.total))', 0, 20, 10, [25.0, 100.0],
          {'name': 'asPercent(s1.x.used,sumSeries(s1.x.total,s1.y.total))'},
          'asPercent(s1.x.used,sumSeries(s1.x.total,s1.y.total))'),
    ]),
    ('pct_empty', 'asPercent', [[]], {},
     []),
]

# graphite-web groupByNode/groupByNodes/groupByTags and the InputParameterErrors of the group
GROUP_AND_ERROR_CASES = [
    ('gbn_default_average', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
    ], {},
     [
        R('srv1', 0, 30, 10, [4.666666666666667, 2.0, 1.0],
          {'aggregatedBy': 'average', 'name': 'averageSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'},
          'averageSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'),
        R('srv2', 0, 30, 10, [5.0, 6.0, 7.0],
          {'aggregatedBy': 'average', 'name': 'web.srv2.cpu.user'},
          'averageSeries(web.srv2.cpu.user)'),
    ]),
    ('gbn_sum', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
        'sum',
    ], {},
     [
        R('srv1', 0, 30, 10, [14.0, 2.0, 1.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'},
          'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'),
        R('srv2', 0, 30, 10, [5.0, 6.0, 7.0],
          {'aggregatedBy': 'sum', 'name': 'web.srv2.cpu.user'},
          'sumSeries(web.srv2.cpu.user)'),
    ]),
    ('gbn_sumSeries', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
        'sumSeries',
    ], {},
     [
        R('srv1', 0, 30, 10, [14.0, 2.0, 1.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'},
          'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'),
        R('srv2', 0, 30, 10, [5.0, 6.0, 7.0],
          {'aggregatedBy': 'sum', 'name': 'web.srv2.cpu.user'},
          'sumSeries(web.srv2.cpu.user)'),
    ]),
    ('gbn_avg_is_averageSeries', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        0,
        'avg',
    ], {},
     [
        R('web', 0, 30, 10, [3.0, 4.0, 7.0],
          {'aggregatedBy': 'average', 'name': 'averageSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user)'},
          'averageSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user)'),
        R('db', 0, 30, 10, [10.0, None, 1.0],
          {'aggregatedBy': 'average', 'name': 'db.srv1.cpu.user'},
          'averageSeries(db.srv1.cpu.user)'),
    ]),
    ('gbn_median', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
        'median',
    ], {},
     [
        R('srv1', 0, 30, 10, [3.0, 2.0, 1.0],
          {'aggregatedBy': 'median', 'name': 'medianSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'},
          'medianSeries(web.srv1.cpu.user,web.srv1.cpu.sys,db.srv1.cpu.user)'),
        R('srv2', 0, 30, 10, [5.0, 6.0, 7.0],
          {'aggregatedBy': 'median', 'name': 'web.srv2.cpu.user'},
          'medianSeries(web.srv2.cpu.user)'),
    ]),
    ('gbn_negative', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        -1,
        'max',
    ], {},
     [
        R('user', 0, 30, 10, [10.0, 6.0, 7.0],
          {'aggregatedBy': 'max', 'name': 'maxSeries(web.srv1.cpu.user,web.srv2.cpu.user,db.srv1.cpu.user)'},
          'maxSeries(web.srv1.cpu.user,web.srv2.cpu.user,db.srv1.cpu.user)'),
        R('sys', 0, 30, 10, [3.0, None, None],
          {'aggregatedBy': 'max', 'name': 'web.srv1.cpu.sys'},
          'maxSeries(web.srv1.cpu.sys)'),
    ]),
    ('gbn_out_of_range', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        7,
        'sum',
    ], {},
     [
        R('', 0, 30, 10, [19.0, 8.0, 8.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user,db.srv1.cpu.user)'},
          'sumSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user,db.srv1.cpu.user)'),
    ]),
    ('gbn_tag', 'groupByNode', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('cpu;dc=a;host=y', 0, 10, [3, None]),
            S('cpu;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'dc',
        'sum',
    ], {},
     [
        R('a', 0, 20, 10, [4.0, 2.0],
          {'aggregatedBy': 'sum', 'dc': 'a', 'name': 'cpu'},
          'sumSeries(cpu;dc=a;host=x,cpu;dc=a;host=y)'),
        R('b', 0, 20, 10, [5.0, 6.0],
          {'aggregatedBy': 'sum', 'dc': 'b', 'host': 'x', 'name': 'cpu'},
          'sumSeries(cpu;dc=b;host=x)'),
    ]),
    ('gbn_function_name', 'groupByNode', [
        [S('x', 0, 10, [1, 2], pe='a.b'), S('y', 0, 10, [3, 4], pe='a.c')],
        0,
        'sum',
    ], {},
     [
        R('x', 0, 20, 10, [1.0, 2.0],
          {'aggregatedBy': 'sum', 'name': 'x'},
          'sumSeries(a.b)'),
        R('y', 0, 20, 10, [3.0, 4.0],
          {'aggregatedBy': 'sum', 'name': 'y'},
          'sumSeries(a.c)'),
    ]),
    ('gbn_countSeries', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        0,
        'countSeries',
    ], {},
     [
        R('web', 0, 30, 10, [3.0, 3.0, 3.0],
          {'name': 'countSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user)'},
          'countSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user)'),
        R('db', 0, 30, 10, [1.0, 1.0, 1.0],
          {'name': 'countSeries(db.srv1.cpu.user)'},
          'countSeries(db.srv1.cpu.user)'),
    ]),
    ('gbn_empty', 'groupByNode', [[], 1, 'sum'], {},
     []),
    ('gbn_unknown', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
        'bogus',
    ], {},
     Error('Unsupported aggregation function: bogus')),
    ('gbn_unknown_series', 'groupByNode', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        1,
        'bogusSeries',
    ], {},
     Error('Unsupported aggregation function: bogusSeries')),
    ('gbns_two_nodes', 'groupByNodes', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        'sum',
        1,
        3,
    ], {},
     [
        R('srv1.user', 0, 30, 10, [11.0, 2.0, 1.0],
          {'aggregatedBy': 'sum', 'name': 'sumSeries(web.srv1.cpu.user,db.srv1.cpu.user)'},
          'sumSeries(web.srv1.cpu.user,db.srv1.cpu.user)'),
        R('srv1.sys', 0, 30, 10, [3.0, None, None],
          {'aggregatedBy': 'sum', 'name': 'web.srv1.cpu.sys'},
          'sumSeries(web.srv1.cpu.sys)'),
        R('srv2.user', 0, 30, 10, [5.0, 6.0, 7.0],
          {'aggregatedBy': 'sum', 'name': 'web.srv2.cpu.user'},
          'sumSeries(web.srv2.cpu.user)'),
    ]),
    ('gbns_no_nodes', 'groupByNodes', [
        [
            S('web.srv1.cpu.user', 0, 10, [1, 2, None]),
            S('web.srv1.cpu.sys', 0, 10, [3, None, None]),
            S('web.srv2.cpu.user', 0, 10, [5, 6, 7]),
            S('db.srv1.cpu.user', 0, 10, [10, None, 1]),
        ],
        'max',
    ], {},
     [
        R('', 0, 30, 10, [10.0, 6.0, 7.0],
          {'aggregatedBy': 'max', 'name': 'maxSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user,db.srv1.cpu.user)'},
          'maxSeries(web.srv1.cpu.user,web.srv1.cpu.sys,web.srv2.cpu.user,db.srv1.cpu.user)'),
    ]),
    ('gbns_tag_and_node', 'groupByNodes', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('cpu;dc=a;host=y', 0, 10, [3, None]),
            S('cpu;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'average',
        'host',
        0,
    ], {},
     [
        R('x.cpu', 0, 20, 10, [3.0, 4.0],
          {'aggregatedBy': 'average', 'host': 'x', 'name': 'cpu'},
          'averageSeries(cpu;dc=a;host=x,cpu;dc=b;host=x)'),
        R('y.cpu', 0, 20, 10, [3.0, None],
          {'aggregatedBy': 'average', 'dc': 'a', 'host': 'y', 'name': 'cpu'},
          'averageSeries(cpu;dc=a;host=y)'),
    ]),
    ('gbt_common_name', 'groupByTags', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('cpu;dc=a;host=y', 0, 10, [3, None]),
            S('cpu;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'sum',
        'dc',
    ], {},
     [
        R('cpu;dc=a', 0, 20, 10, [4.0, 2.0],
          {'dc': 'a', 'name': 'cpu'},
          'cpu;dc=a'),
        R('cpu;dc=b', 0, 20, 10, [5.0, 6.0],
          {'dc': 'b', 'name': 'cpu'},
          'cpu;dc=b'),
    ]),
    ('gbt_names_differ', 'groupByTags', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('mem;dc=a;host=y', 0, 10, [3, None]),
            S('mem;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'max',
        'dc',
    ], {},
     [
        R('max;dc=a', 0, 20, 10, [3.0, 2.0],
          {'dc': 'a', 'name': 'max'},
          'max;dc=a'),
        R('max;dc=b', 0, 20, 10, [5.0, 6.0],
          {'dc': 'b', 'name': 'max'},
          'max;dc=b'),
    ]),
    ('gbt_by_name', 'groupByTags', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('mem;dc=a;host=y', 0, 10, [3, None]),
            S('mem;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'sumSeries',
        'name',
        'host',
    ], {},
     [
        R('cpu;host=x', 0, 20, 10, [1.0, 2.0],
          {'host': 'x', 'name': 'cpu'},
          'cpu;host=x'),
        R('mem;host=y', 0, 20, 10, [3.0, None],
          {'host': 'y', 'name': 'mem'},
          'mem;host=y'),
        R('mem;host=x', 0, 20, 10, [5.0, 6.0],
          {'host': 'x', 'name': 'mem'},
          'mem;host=x'),
    ]),
    ('gbt_two_tags', 'groupByTags', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('cpu;dc=a;host=y', 0, 10, [3, None]),
            S('cpu;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'average',
        'host',
        'dc',
    ], {},
     [
        R('cpu;dc=a;host=x', 0, 20, 10, [1.0, 2.0],
          {'dc': 'a', 'host': 'x', 'name': 'cpu'},
          'cpu;dc=a;host=x'),
        R('cpu;dc=a;host=y', 0, 20, 10, [3.0, None],
          {'dc': 'a', 'host': 'y', 'name': 'cpu'},
          'cpu;dc=a;host=y'),
        R('cpu;dc=b;host=x', 0, 20, 10, [5.0, 6.0],
          {'dc': 'b', 'host': 'x', 'name': 'cpu'},
          'cpu;dc=b;host=x'),
    ]),
    ('gbt_no_tags', 'groupByTags', [
        [
            S('cpu;dc=a;host=x', 0, 10, [1, 2]),
            S('cpu;dc=a;host=y', 0, 10, [3, None]),
            S('cpu;dc=b;host=x', 0, 10, [5, 6]),
        ],
        'sum',
    ], {},
     Error('groupByTags(): no tags specified')),
    ('gbt_empty', 'groupByTags', [[], 'sum', 'dc'], {},
     []),
    ('err_aggregate', 'aggregate', [[S('a', 0, 10, [1])], 'bogus'], {},
     Error('Unsupported aggregation function: bogus')),
    ('err_aggregate_series', 'aggregate', [[S('a', 0, 10, [1])], 'bogusSeries'], {},
     Error('Unsupported aggregation function: bogusSeries')),
    ('err_aggregate_empty', 'aggregate', [[], 'bogus'], {},
     Error('Unsupported aggregation function: bogus')),
    ('err_divide_two', 'divideSeries', [
        [S('d.a', 0, 10, [1])],
        [S('d.t', 0, 10, [1]), S('d.u', 0, 10, [1])],
    ], {},
     Error('divideSeries second argument must reference exactly 1 series (got 2)')),
    ('err_pct_count', 'asPercent', [
        [S('h.a', 0, 10, [1]), S('h.b', 0, 10, [1]), S('h.c', 0, 10, [1])],
        [S('t.a', 0, 10, [1]), S('t.b', 0, 10, [1])],
    ], {},
     Error('asPercent second argument must be missing, a single digit, reference exactly 1 series or reference the same number of series as the first argument')),
    ('err_pct_nodes_number', 'asPercent', [[S('h.a', 0, 10, [1])], 100, 0], {},
     Error('total must be None or a seriesList')),
    ('err_percentile_zero', 'percentileOfSeries', [[S('h.a', 0, 10, [1])], 0], {},
     Error('The requested percent is required to be greater than 0')),
    ('err_percentile_neg_empty', 'percentileOfSeries', [[], -5], {},
     Error('The requested percent is required to be greater than 0')),
]


@pytest.mark.parametrize("case_id, fname, args, opts, expected", AGGREGATE_CASES,
                         ids=[c[0] for c in AGGREGATE_CASES])
def test_combine_matches_graphite_web(case_id, fname, args, opts, expected):
    run_case(fname, args, opts, expected)


@pytest.mark.parametrize("case_id, fname, args, opts, expected", GROUP_AND_ERROR_CASES,
                         ids=[c[0] for c in GROUP_AND_ERROR_CASES])
def test_grouping_and_errors_match_graphite_web(case_id, fname, args, opts, expected):
    run_case(fname, args, opts, expected)


# ------------------------------------------------------------------------ /functions metadata

AGG_OPTIONS = ["average", "avg", "avg_zero", "count", "current", "diff", "last", "max", "median",
               "min", "multiply", "range", "rangeOf", "stddev", "sum", "total"]
AGG_OR_SERIES_OPTIONS = [
    'asPercent', 'average', 'averageSeries', 'averageSeriesWithWildcards', 'avg', 'avg_zero',
    'count', 'countSeries', 'current', 'diff', 'diffSeries', 'diffSeriesLists', 'last', 'max',
    'maxSeries', 'median', 'min', 'minSeries', 'multiply', 'multiplySeries',
    'multiplySeriesLists', 'multiplySeriesWithWildcards', 'pct', 'powSeries', 'range',
    'rangeOf', 'rangeOfSeries', 'stddev', 'stddevSeries', 'sum', 'sumSeries', 'sumSeriesLists',
    'sumSeriesWithWildcards', 'total',
]

# graphite-web 1.1.10: inspect.signature and [p.toJSON() for p in f.params] of each function
METADATA = [
    ('aggregate', 'Combine', 'aggregate(seriesList, func, xFilesFactor=None)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'func', 'type': 'aggFunc', 'required': True, 'options': AGG_OPTIONS},
      {'name': 'xFilesFactor', 'type': 'float'}]),
    ('sumSeries', 'Combine', 'sumSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('sum', 'Combine', 'sum(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('averageSeries', 'Combine', 'averageSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('avg', 'Combine', 'avg(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('maxSeries', 'Combine', 'maxSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('minSeries', 'Combine', 'minSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('diffSeries', 'Combine', 'diffSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('multiplySeries', 'Combine', 'multiplySeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('stddevSeries', 'Combine', 'stddevSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('rangeOfSeries', 'Combine', 'rangeOfSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'required': True, 'multiple': True}]),
    ('countSeries', 'Combine', 'countSeries(*seriesLists)',
     [{'name': 'seriesLists', 'type': 'seriesList', 'multiple': True}]),
    ('asPercent', 'Combine', 'asPercent(seriesList, total=None, *nodes)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'total', 'type': 'any'},
      {'name': 'nodes', 'type': 'nodeOrTag', 'multiple': True}]),
    ('pct', 'Combine', 'pct(seriesList, total=None, *nodes)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'total', 'type': 'any'},
      {'name': 'nodes', 'type': 'nodeOrTag', 'multiple': True}]),
    ('divideSeries', 'Combine', 'divideSeries(dividendSeriesList, divisorSeries)',
     [{'name': 'dividendSeriesList', 'type': 'seriesList', 'required': True},
      {'name': 'divisorSeries', 'type': 'seriesList', 'required': True}]),
    ('groupByNode', 'Combine', "groupByNode(seriesList, nodeNum, callback='average')",
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'nodeNum', 'type': 'nodeOrTag', 'required': True},
      {'name': 'callback', 'type': 'aggOrSeriesFunc', 'default': 'average', 'options': AGG_OR_SERIES_OPTIONS}]),
    ('groupByNodes', 'Combine', 'groupByNodes(seriesList, callback, *nodes)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'callback', 'type': 'aggOrSeriesFunc', 'required': True, 'options': AGG_OR_SERIES_OPTIONS},
      {'name': 'nodes', 'type': 'nodeOrTag', 'multiple': True}]),
    ('groupByTags', 'Combine', 'groupByTags(seriesList, callback, *tags)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'callback', 'type': 'aggOrSeriesFunc', 'required': True, 'options': AGG_OR_SERIES_OPTIONS},
      {'name': 'tags', 'type': 'tag', 'required': True, 'multiple': True}]),
    ('percentileOfSeries', 'Combine', 'percentileOfSeries(seriesList, n, interpolate=False)',
     [{'name': 'seriesList', 'type': 'seriesList', 'required': True},
      {'name': 'n', 'type': 'float', 'required': True},
      {'name': 'interpolate', 'type': 'boolean', 'default': False}]),
]


@pytest.mark.parametrize("name, group, signature, params", METADATA, ids=[m[0] for m in METADATA])
def test_registered_metadata_matches_graphite_web(name, group, signature, params):
    info = REGISTRY[name].info(name)
    assert (info["group"], info["function"], info["params"]) == (group, signature, params)
    assert info["description"]


# --------------------------------------------------------------------- first path expression

# graphite-web render/functions.py _getFirstPathExpression on the same texts
FIRST_PATH_EXPRESSIONS = [
    ('sumSeries(a.b.c,x.y)', 'a.b.c'),
    ('scale(a.b,2)', 'a.b'),
    ('asPercent(a.b,sumSeries(c.d))', 'a.b'),
    ('sumSeries(a.{b,c}.d)', 'a.{b,c}.d'),
    ('f(g(h(x.y.z)))', 'x.y.z'),
    ('movingAverage(a.b,"5min")', 'a.b'),
    ("seriesByTag('name=x')", None),
    ('Total (ms)', 'ms'),
    ('f(1,a.b)', None),
    ('f( a.b , 2)', 'a.b'),
    ('f(true.x)', 'f'),
    ('f(a\\,b.c)', 'a,b.c'),
    ('f(a.{b,}.c)', 'f'),
    ('f(a..b)', 'f'),
    ('f(a.b.)', 'f'),
    ('sumSeries(cpu;dc=a,x)', 'cpu;dc=a'),
    ('f(-1e5,a)', None),
    ('f(1e5x)', '1e5x'),
    ('f(none)', None),
    ('f(nonex.y)', 'nonex.y'),
    ('f (a.b)', 'a.b'),
    ('f(a.b|scale(2))', 'a.b'),
    ('f(a.b c)', 'f'),
    ('f(a[0-9].b)', 'a[0-9].b'),
    ('f(a*?.b=c)', 'a*?.b=c'),
    ('f(x=a.b)', 'f'),
    ('f(a.b, x=1)', 'a.b'),
    ('template(a.b)', None),
    ('f(template(a.$x, x="q"))', None),
    ('f(a.b,)', 'f'),
    ('f("x",a.b)', None),
    ('f(inf)', None),
    ('f(infx)', 'infx'),
    ('f(1.5e3)', None),
    ('f(a.b)junk)', 'a.b'),
    ('f(a.b', 'f'),
    ('f(1)', None),
    ('f(a=b)', 'f'),
    ('f(a.b=c)', 'a.b=c'),
    ('f(g(true.x))', 'f'),
    ('f(a.b | g(1))', 'a.b'),
    ('f(a.b|g(1)', 'f'),
    ('f(a.b|1)', 'f'),
    ("f('a',b)", None),
    ('f(a.b , "x")', 'a.b'),
    ('f(a. b)', 'f'),
    ('f(a\\b)', 'f'),
    ('f(1 ,a)', None),
    ('f(1 a)', 'f'),
    ('f(TRUE)', None),
    ('f(a\\.b.c)', 'a.b.c'),
    ('f(a.b\n)', 'a.b'),
    ('f(\ta.b)', 'a.b'),
    ('f(x.y);a=b)', 'x.y'),
    ('a;b=c)', 'a;b=c'),
    ('f(g(x.y), 1)', 'x.y'),
    ('aliasSub(a.b, "x", "y")', 'a.b'),
    ('f(a.b,"x)")', 'a.b'),
    ('f(-a.b)', '-a.b'),
    ('f(-1a)', '-1a'),
    ('f(1.)', 'f'),
    ('f(.5)', 'f'),
    ('f(a{b,c}d.e)', 'a{b,c}d.e'),
    ('f({a}.b)', '{a}.b'),
    ('f({a,b)', 'f'),
    ('template(a.b, 1)', None),
    ('f(template(x.y, "a", k=1))', 'x.y'),
    ('f(template(x.y, k=1, 2))', 'f'),
    ('f(template(x.y,k=1),a)', None),
    ('f(a.b,k=g(c.d),m=1)', 'a.b'),
    ('f(a.b,k=1,2)', 'f'),
    ('divideSeries(a.b,MISSING)', 'a.b'),
    ('asPercent(MISSING,x.y)', 'MISSING'),
    ('f(a.b) ', 'a.b'),
    ("f('a''b',c)", None),
    ('summarize(a.b, "1h", "sum")', 'a.b'),
    ('f(a.b,true)', 'a.b'),
    ('f(falsey.b)', 'falsey.b'),
    ('_f(n\\"g(bn)', '_f'),
    ('a_51"rb)', 'a_51'),
    ('b)', 'b'),
    ('infan\\fbnone1_g(template()', 'infan'),
    ('e11;)', 'e11;'),
    ('bxtemplate("{)', 'bxtemplate'),
    ("t'utrueftrue}Ttg(true)", 't'),
    ('i,_true"|nonefi)', 'i'),
    ('bf(.Tf||true)', 'bf'),
    ('a}inftemplate()', 'a'),
    ('ftrueee)', 'ftrueee'),
    ('5template(antrue nonetemplate()', '5template'),
    ('f(f(i)', 'f'),
    ('template(}truexg(exeainf)', 'template'),
    ('u;b1{template({,template()', 'u;b1'),
]


@pytest.mark.parametrize("text, expected", FIRST_PATH_EXPRESSIONS)
def test_first_path_expression_parses_like_graphite_web(text, expected):
    assert first_path_expression(text) == expected


def test_first_path_expression_of_unparseable_text_is_none():
    # graphite-web raises (ParseException / IndexError); callers then fall back to the name
    assert first_path_expression("(a)") is None
    assert first_path_expression("f()") is None


# ---------------------------------------------------------------------------------- agg_key

def named(name: str) -> Series:
    return Series(name, 0, 10, 10, np.array([1.0]))


def test_agg_key_reads_nodes_of_the_first_path_inside_a_function_name():
    # graphite-web aggKey: name ends with ')' -> _getFirstPathExpression
    assert agg_key(named("scale(a.b.c,2)"), (0, -1)) == "a.c"


def test_agg_key_out_of_range_node_is_an_absent_tag():
    assert agg_key(named("a.b"), (5,)) == ""


def test_agg_key_of_tagged_name_ignores_the_tag_part_for_nodes():
    assert agg_key(named("cpu.load;dc=a"), (-1, "dc", "name")) == "load.a.cpu.load"


def test_agg_key_numeric_string_is_a_tag_name_not_an_index():
    # getNodeOrTag: '1' == int('1') is False in Python, so '1' is looked up as a tag
    assert agg_key(named("a.b;1=x"), ("1",)) == "x"


def test_format_g_spells_numbers_like_printf():
    assert [format_g(v) for v in (2, 2.0, 0.5, 1e6, 95.5)] == ["2", "2", "0.5", "1e+06", "95.5"]


# ------------------------------------------------------------------------ aggregate_stack

def test_aggregate_stack_all_null_column_is_null_even_for_count_and_avg_zero():
    stack = np.array([[1.0, np.nan], [np.nan, np.nan]])
    for func in ("count", "avg_zero", "sum"):
        assert np.isnan(aggregate_stack(stack, func)[1])
    assert aggregate_stack(stack, "count")[0] == 1.0


def test_aggregate_stack_xff_needs_that_share_of_members():
    stack = np.array([[1.0, 1.0], [np.nan, 2.0], [np.nan, np.nan], [np.nan, np.nan]])
    out = aggregate_stack(stack, "sum", 0.5)
    assert np.isnan(out[0]) and out[1] == 3.0


def test_aggregate_stack_accepts_series_spellings_and_aliases():
    stack = np.array([[1.0], [3.0]])
    assert aggregate_stack(stack, "avgSeries")[0] == aggregate_stack(stack, "average")[0] == 2.0
    assert aggregate_stack(stack, "current")[0] == 3.0
    assert aggregate_stack(stack, "rangeOf")[0] == 2.0


def test_aggregate_stack_over_windows_along_axis_one_via_transpose():
    windows = np.array([[1.0, 2.0, np.nan], [4.0, np.nan, np.nan]])
    assert aggregate_stack(windows.T, "average").tolist()[0] == 1.5
    assert aggregate_stack(windows.T, "last").tolist() == [2.0, 4.0]


def test_aggregate_stack_unknown_function_is_a_parameter_error():
    with pytest.raises(InputParameterError, match="^Unsupported aggregation function: nope$"):
        aggregate_stack(np.zeros((1, 1)), "nope")


def test_aggregate_stack_without_members_is_all_null():
    assert np.isnan(aggregate_stack(np.zeros((0, 3)), "sum")).all()


# ------------------------------------------------------------------ normalize / consolidate

def test_normalize_of_nothing_is_none():
    assert normalize([[], []]) is None


def test_normalize_frame_is_lcm_step_and_trimmed_end():
    a = S("a", 0, 10, [1, 2, 3, 4, 5, 6, 7])()        # end 70
    b = S("b", 5, 15, [1, 2])()                       # end 35
    norm = normalize([[a], [b]])
    assert (norm.start, norm.end, norm.step) == (0, 60, 30)
    assert [len(s.values) for s in norm.series] == [3, 1]


def test_consolidate_avg_zero_divides_the_partial_chunk_by_its_own_length():
    # TimeSeries.__consolidatingGenerator: avg_zero over the values present in the last chunk
    s = S("a", 0, 10, [1, None, 2, None, 6], cf="avg_zero")()
    assert consolidate(s, 2).values.tolist() == [0.5, 1.0, 6.0]


def test_consolidate_xff_counts_non_nulls_against_the_full_chunk():
    # graphite-web: [1, 2, None, 4, 5] (xFilesFactor 0.6) by 2 -> [1.5, None, None]
    s = S("a", 0, 10, [1, 2, None, 4, 5], xff=0.6)()
    out = consolidate(s, 2).values
    assert out[0] == 1.5 and np.isnan(out[1]) and np.isnan(out[2])


# ------------------------------------------------------------------------ percentile_stack

def test_percentile_past_the_last_rank_takes_the_largest_value():
    # graphite-web _getPercentile raises IndexError for n=100 with interpolate and for n>100
    stack = np.array([[1.0], [5.0], [3.0]])
    assert percentile_stack(stack, 100, True).tolist() == [5.0]
    assert percentile_stack(stack, 150).tolist() == [5.0]


# ---------------------------------------------------- cases graphite-web crashes on (intended)

def test_as_percent_nodes_unmatched_series_and_totals_keep_their_own_frames():
    # graphite-web reuses start/end/step of an earlier pair here, or raises UnboundLocalError
    # when no pair came before (this case); each MISSING series keeps its own frame instead
    ctx = RequestContext(0, 100, 100)
    series = [S("a.used", 0, 10, [1, 2, 3])()]
    totals = [S("b.total", 100, 20, [5, 6])()]
    out = combine.asPercent(ctx, series, totals, 0)
    assert [observed(s) for s in out] == [
        R("asPercent(a.used,MISSING)", 0, 30, 10, [None, None, None],
          {"name": "asPercent(a.used,MISSING)"}, "asPercent(a.used,MISSING)"),
        R("asPercent(MISSING,b.total)", 100, 140, 20, [None, None],
          {"name": "asPercent(MISSING,b.total)"}, "asPercent(MISSING,b.total)"),
    ]


def test_as_percent_of_mixed_steps_reports_the_consolidated_step():
    # graphite-web gives the same values but keeps a.x's own step 10 beside values that were
    # consolidated to step 20 (so its json timestamps would be wrong)
    ctx = RequestContext(0, 100, 100)
    out = combine.asPercent(ctx, [S("a.x", 0, 10, [1, 3, 2, 2])(), S("a.y", 0, 20, [4, 4])()])
    assert [(s.start, s.end, s.step, s.values.tolist()) for s in out] == [
        (0, 40, 20, [33.33333333333333, 33.33333333333333]),
        (0, 40, 20, [66.66666666666666, 66.66666666666666])]


def test_group_by_tags_with_a_missing_tag_keeps_the_key_as_name_tag():
    # graphite-web fails the request: 'cpu;dc=' has an empty tag value and cannot be parsed
    ctx = RequestContext(0, 100, 100)
    out = combine.groupByTags(ctx, [S("cpu;host=x", 0, 10, [1])()], "sum", "dc")
    assert (out[0].name, out[0].tags) == ("cpu;dc=", {"name": "cpu;dc="})


def test_combining_functions_leave_their_inputs_untouched():
    ctx = RequestContext(0, 100, 100)
    a, b = S("a.b", 0, 10, [1, 2, 3, 4])(), S("a.c", 0, 20, [5, 6])()
    combine.sumSeries(ctx, [a, b])
    combine.divideSeries(ctx, [a], [])
    combine.groupByNode(ctx, [a, b], 0, "sum")
    assert (a.name, a.step, a.values.tolist()) == ("a.b", 10, [1, 2, 3, 4])
    assert b.values.tolist() == [5, 6]
