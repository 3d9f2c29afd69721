"""Render functions of graphite-web's Combine group: many series in, fewer series out.

What: aggregate and its named forms (sumSeries, averageSeries, ...), countSeries, asPercent,
divideSeries, groupByNode/groupByNodes/groupByTags and percentileOfSeries, with graphite-web
1.1.10's names, tags and frames.  Rows are matched by position after `normalize` brings the
inputs to a common step (graphite-web's izip_longest), never by timestamp.
Why the names matter: Grafana shows `target` verbatim and users key alias rules on it, so
`sumSeries(a.*.b)` must read exactly as graphite-web writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tsdb.names import InvalidName, normalize as normalize_name, parse_tags

from ..context import RequestContext
from ..registry import AGG_FUNCS, REGISTRY, Param, function
from ..series import Series
from .common import (InputParameterError, agg_func_name, agg_key, aggregate_stack,
                     common_tags, format_g, normalize, path_expressions, percentile_stack,
                     stack_values)

# graphite-web's aggOrSeriesFunc options: the aggregation names plus every series function it
# marks as an aggregator (`.aggregator = True`), Tier 2 ones included.
AGG_OR_SERIES_FUNCS = AGG_FUNCS + (
    "asPercent", "averageSeries", "averageSeriesWithWildcards", "countSeries", "diffSeries",
    "diffSeriesLists", "maxSeries", "minSeries", "multiplySeries", "multiplySeriesLists",
    "multiplySeriesWithWildcards", "pct", "powSeries", "rangeOfSeries", "stddevSeries",
    "sumSeries", "sumSeriesLists", "sumSeriesWithWildcards",
)

_SERIES_LISTS = Param("seriesLists", "seriesList", required=True, multiple=True)


def aggregate_lists(ctx: RequestContext, series_lists: Sequence[Sequence[Series]], func: str,
                    xff: float | None = None) -> list[Series]:
    """One series aggregating every row of all `series_lists` with `func` (graphite-web
    aggregate() on a list of lists); [] when there is no series."""
    short = func.removesuffix("Series")
    canonical = agg_func_name(func)
    norm = normalize(series_lists)
    if norm is None:
        return []
    xff = ctx.xff if xff is None else float(xff)
    name = f"{short}Series({path_expressions(norm.series)})"
    tags = common_tags(norm.series)
    tags.setdefault("name", name)
    tags["aggregatedBy"] = short
    values = aggregate_stack(stack_values(norm.series), canonical, xff)
    return [Series(name, norm.start, norm.end, norm.step, values, tags=tags, xff=xff)]


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("func", "aggFunc", required=True, options=AGG_FUNCS),
          Param("xFilesFactor", "float"))
def aggregate(ctx, seriesList, func, xFilesFactor=None):
    """Combines the series point by point with an aggregation function (average, median, sum,
    min, max, diff, stddev, count, range, multiply, last, avg_zero and their aliases).  Series
    of different steps are first consolidated to their common step; a point is null unless
    enough series have a value there (xFilesFactor)."""
    return aggregate_lists(ctx, [seriesList], func, xFilesFactor)


@function("Combine", _SERIES_LISTS, aliases=("sum",))
def sumSeries(ctx, *seriesLists):
    """Adds the series together point by point, skipping nulls (aggregate with sum)."""
    return aggregate_lists(ctx, seriesLists, "sum")


@function("Combine", _SERIES_LISTS, aliases=("avg",))
def averageSeries(ctx, *seriesLists):
    """The mean of the non-null values at each point (aggregate with average)."""
    return aggregate_lists(ctx, seriesLists, "average")


@function("Combine", _SERIES_LISTS)
def maxSeries(ctx, *seriesLists):
    """The largest value at each point (aggregate with max)."""
    return aggregate_lists(ctx, seriesLists, "max")


@function("Combine", _SERIES_LISTS)
def minSeries(ctx, *seriesLists):
    """The smallest value at each point (aggregate with min)."""
    return aggregate_lists(ctx, seriesLists, "min")


@function("Combine", _SERIES_LISTS)
def diffSeries(ctx, *seriesLists):
    """The first non-null value at each point minus all later ones (aggregate with diff)."""
    return aggregate_lists(ctx, seriesLists, "diff")


@function("Combine", _SERIES_LISTS)
def multiplySeries(ctx, *seriesLists):
    """The product of the values at each point, null where any series is null.  A single
    series on its own is returned untouched, as graphite-web has always done."""
    if len(seriesLists) == 1 and len(seriesLists[0]) == 1:
        return list(seriesLists[0])
    return aggregate_lists(ctx, seriesLists, "multiply")


@function("Combine", _SERIES_LISTS)
def stddevSeries(ctx, *seriesLists):
    """The population standard deviation of the values at each point (aggregate with
    stddev)."""
    return aggregate_lists(ctx, seriesLists, "stddev")


@function("Combine", _SERIES_LISTS)
def rangeOfSeries(ctx, *seriesLists):
    """The spread (max minus min) of the values at each point (aggregate with rangeOf)."""
    return aggregate_lists(ctx, seriesLists, "rangeOf")


def constant_series(ctx: RequestContext, value, name: str | None = None) -> Series:
    """graphite-web's constantLine frame: three points at from, the middle and until."""
    step = max(1, int((ctx.end - ctx.start) / 2.0))
    label = str(value) if name is None else name
    return Series(label, ctx.start, ctx.end, step, np.full(3, float(value)), xff=ctx.xff,
                  path_expression=f"constantLine({value})")


@function("Combine", Param("seriesLists", "seriesList", multiple=True))
def countSeries(ctx, *seriesLists):
    """The number of series given, as a constant series over their common frame (nulls are
    counted too).  With no argument at all it is a constant 0 line over the request."""
    # graphite-web counts with Python ints, which its json prints as `3`, not `3.0`
    if not seriesLists:
        return [constant_series(ctx, 0).copy(path_expression="countSeries()",
                                             values=np.zeros(3, dtype=np.int64))]
    norm = normalize(seriesLists)
    if norm is None:
        return []
    name = f"countSeries({path_expressions(norm.series)})"
    width = stack_values(norm.series).shape[1]
    return [Series(name, norm.start, norm.end, norm.step,
                   np.full(width, len(norm.series), dtype=np.int64), xff=ctx.xff)]


# ------------------------------------------------------------------------------- quotients

def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b position by position, null where either is null or b is 0 (graphite-web
    safeDiv over izip_longest: the shorter side counts as null)."""
    num, den = stack_values_of(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, np.nan, num / den)


def stack_values_of(*arrays: np.ndarray) -> np.ndarray:
    """Value arrays side by side, padded with nulls to the longest."""
    out = np.full((len(arrays), max(len(a) for a in arrays)), np.nan)
    for row, values in zip(out, arrays):
        row[:len(values)] = values
    return out


def _percent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # (a / b) * 100 in that order, as graphite-web's safeMul(safeDiv(a, b), 100.0)
    return _ratio(a, b) * 100.0


def _row_sum(series: Sequence[Series]) -> np.ndarray:
    """graphite-web safeSum over rows: nulls skipped, all-null rows null, no xFilesFactor."""
    return aggregate_stack(stack_values(series), "sum", 0.0)


def _pair(a: Series, b: Series):
    norm = normalize([[a, b]])
    return norm.series[0], norm.series[1], norm


def _group_total(group: list[Series], xff: float) -> Series:
    """A group's total: the series itself when alone, else the sum of its rows named
    sumSeries(<pathExpressions>)."""
    if len(group) == 1:
        return group[0]
    norm = normalize([group])
    return Series(f"sumSeries({path_expressions(group)})", norm.start, norm.end, norm.step,
                  _row_sum(norm.series), xff=xff)


def _as_percent_by_nodes(ctx, seriesList, total, nodes, step) -> list[Series]:
    xff = ctx.xff
    keys: list[str] = []
    groups: dict[str, list[Series]] = {}
    for s in seriesList:
        key = agg_key(s, nodes)
        if key not in groups:
            groups[key] = []
            keys.append(key)
        groups[key].append(s)

    totals: dict[str, Series] = {}
    if total is None:
        totals = {key: _group_total(groups[key], xff) for key in keys}
    elif isinstance(total, list):
        by_key: dict[str, list[Series]] = {}
        for s in total:
            key = agg_key(s, nodes)
            by_key.setdefault(key, []).append(s)
            if key not in keys:
                keys.append(key)
        totals = {key: _group_total(group, xff) for key, group in by_key.items()}
    else:
        raise InputParameterError("total must be None or a seriesList")

    out = []
    for key in keys:
        if key not in groups:
            t = totals[key]
            out.append(Series(f"asPercent(MISSING,{t.name})", t.start, t.end, t.step,
                              np.full(len(t.values), np.nan), xff=xff))
            continue
        for s in groups[key]:
            if key not in totals:
                # graphite-web reuses the frame of an earlier pair here (or fails when there
                # is none); the series' own consolidated frame is what it means
                width = -(-len(s.values) * s.step // step)
                out.append(Series(f"asPercent({s.name},MISSING)", s.start, s.end, step,
                                  np.full(width, np.nan), xff=xff))
                continue
            t = totals[key]
            a, b, norm = _pair(s, t)
            out.append(Series(f"asPercent({s.name},{t.name})", norm.start, norm.end, norm.step,
                              _percent(a.values, b.values), xff=xff))
    return out


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("total", "any"),
          Param("nodes", "nodeOrTag", multiple=True),
          aliases=("pct",))
def asPercent(ctx, seriesList, total=None, *nodes):
    """Each series as a percentage of a total: the sum of the list itself (default), a
    number, one total series, or one total per series (paired by sorted name).  With nodes,
    series and totals are matched by their node/tag key and unmatched ones come back as
    all-null `asPercent(x,MISSING)` / `asPercent(MISSING,t)` series."""
    norm = normalize([seriesList])
    if norm is None:
        return []
    if nodes:
        return _as_percent_by_nodes(ctx, list(seriesList), total, nodes, norm.step)

    xff = ctx.xff
    if isinstance(total, list):
        if len(total) != 1 and len(total) != len(seriesList):
            raise InputParameterError(
                "asPercent second argument must be missing, a single digit, reference exactly "
                "1 series or reference the same number of series as the first argument")
        if len(total) == len(seriesList):
            out = []
            pairs = zip(sorted(seriesList, key=lambda s: s.name),
                        sorted(total, key=lambda s: s.name))
            for s, t in pairs:
                a, b, pair = _pair(s, t)
                out.append(Series(f"asPercent({s.name},{t.name})", pair.start, pair.end,
                                  pair.step, _percent(a.values, b.values), xff=xff))
            return out
        both = normalize([seriesList, total])
        members, totals = both.series[:-1], both.series[-1]
        total_values, total_text = totals.values, total[0].name
    elif total is None:
        members = norm.series
        total_values = _row_sum(members)
        total_text = f"sumSeries({path_expressions(seriesList)})"
    else:
        members = norm.series
        # graphite-web repeats the number as often as the first series has raw points
        total_values = np.full(len(seriesList[0].values), float(total))
        total_text = str(total)

    # graphite-web keeps each series' own step here although its values were consolidated to
    # the common step; the consolidated step is the one that matches the values
    return [Series(f"asPercent({raw.name},{total_text or raw.path_expression})", raw.start,
                   raw.end, s.step, _percent(s.values, total_values), xff=xff)
            for raw, s in zip(seriesList, members)]


@function("Combine",
          Param("dividendSeriesList", "seriesList", required=True),
          Param("divisorSeries", "seriesList", required=True))
def divideSeries(ctx, dividendSeriesList, divisorSeries):
    """Divides every dividend series by the single divisor series point by point (x/0 and
    nulls give null).  An empty divisor turns the dividends into all-null
    `divideSeries(x,MISSING)` series; more than one divisor is an error."""
    if len(divisorSeries) == 0:
        return [s.copy(name=f"divideSeries({s.name},MISSING)",
                       path_expression=f"divideSeries({s.name},MISSING)",
                       values=np.full(len(s.values), np.nan))
                for s in dividendSeriesList]
    if len(divisorSeries) > 1:
        raise InputParameterError("divideSeries second argument must reference exactly 1 "
                                  f"series (got {len(divisorSeries)})")
    divisor = divisorSeries[0]
    out = []
    for s in dividendSeriesList:
        a, b, norm = _pair(s, divisor)
        out.append(Series(f"divideSeries({s.name},{divisor.name})", norm.start, norm.end,
                          norm.step, _ratio(a.values, b.values), xff=ctx.xff))
    return out


# -------------------------------------------------------------------------------- grouping

def _apply_callback(ctx, callback: str, group: list[Series]) -> Series:
    """graphite-web's groupBy* callback: a series function by that name if one exists (so
    `sum` runs sumSeries), else aggregate with that aggregation."""
    fn = REGISTRY.get(callback)
    if fn is not None:
        return fn.call(ctx, group)[0]
    return aggregate_lists(ctx, [group], callback)[0]


def _group_by(series: Sequence[Series], key_of) -> dict[str, list[Series]]:
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(key_of(s), []).append(s)
    return groups


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("nodeNum", "nodeOrTag", required=True),
          Param("callback", "aggOrSeriesFunc", default="average", options=AGG_OR_SERIES_FUNCS))
def groupByNode(ctx, seriesList, nodeNum, callback="average"):
    """Groups the series by one node of their names (or a tag) and combines each group with
    the callback; each result is named by its key.  Same as groupByNodes with one node."""
    return groupByNodes(ctx, seriesList, callback, nodeNum)


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("callback", "aggOrSeriesFunc", required=True, options=AGG_OR_SERIES_FUNCS),
          Param("nodes", "nodeOrTag", multiple=True))
def groupByNodes(ctx, seriesList, callback, *nodes):
    """Groups the series by the given nodes of their names (integers, negative from the end)
    or tag names, combines each group with an aggregation or a series function such as
    sumSeries, and names each result by its '.'-joined key, in first-seen order."""
    groups = _group_by(seriesList, lambda s: agg_key(s, nodes))
    return [_apply_callback(ctx, callback, group).copy(name=key)
            for key, group in groups.items()]


def _tags_of_key(key: str) -> dict[str, str]:
    try:
        return parse_tags(normalize_name(key))
    except InvalidName:
        # graphite-web fails the request here (an empty tag value cannot be parsed back)
        return {"name": key}


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("callback", "aggOrSeriesFunc", required=True, options=AGG_OR_SERIES_FUNCS),
          Param("tags", "tag", required=True, multiple=True))
def groupByTags(ctx, seriesList, callback, *tags):
    """Groups the series by the values of the given tags and combines each group with the
    callback.  Each result is named `<name>;tag1=v1;tag2=v2` (tags sorted), where <name> is
    the series' common name tag, or the callback when they differ."""
    if not tags:
        raise InputParameterError("groupByTags(): no tags specified")
    if "name" in tags:
        def key_of(s):
            return ";".join([s.tags.get("name", "")] + sorted(
                f"{t}={s.tags.get(t, '')}" for t in tags if t != "name"))
    else:
        names = {s.tags.get("name", "") for s in seriesList}
        common = next(iter(names)) if len(names) == 1 else callback

        def key_of(s):
            return ";".join([common] + sorted(f"{t}={s.tags.get(t, '')}" for t in tags))
    groups = _group_by(seriesList, key_of)
    return [_apply_callback(ctx, callback, group).copy(name=key, path_expression=key,
                                                        tags=_tags_of_key(key))
            for key, group in groups.items()]


@function("Combine",
          Param("seriesList", "seriesList", required=True),
          Param("n", "float", required=True),
          Param("interpolate", "boolean", default=False))
def percentileOfSeries(ctx, seriesList, n, interpolate=False):
    """The n-th percentile across the series at each point: one of the values present there
    unless interpolate is set (then linearly between the two nearest ranks)."""
    if n <= 0:
        raise InputParameterError("The requested percent is required to be greater than 0")
    norm = normalize([seriesList])
    if norm is None:
        return []
    name = f"percentileOfSeries({seriesList[0].path_expression},{format_g(n)})"
    values = percentile_stack(stack_values(norm.series), n, bool(interpolate))
    return [Series(name, norm.start, norm.end, norm.step, values, xff=ctx.xff)]
