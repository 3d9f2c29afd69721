"""Render functions of graphite-web's Filter Series and Filter Data groups (Tier 1).

What: choosing series by an aggregate of their values (highest*, lowest*), by position
(limit) or by a regular expression on their name (exclude, grep), and nulling values beyond
a threshold (removeAboveValue, removeBelowValue).
Why here together: all are selections over a list or within a series, none builds new data.
"""

from __future__ import annotations

import re

import numpy as np

from ..registry import AGG_FUNCS, Param, function
from .calculate import agg_name, reduce_values, sort_key

_SERIES = Param("seriesList", "seriesList", required=True)
_N = Param("n", "integer", required=True)
_FUNC = Param("func", "aggFunc", default="average", options=AGG_FUNCS)


def _ranked(series_list, func: str, highest_first: bool):
    """The list in a stable order of its `func` aggregates (a null aggregate ranks lowest)."""
    agg_name(func)
    return sorted(series_list, key=lambda s: sort_key(reduce_values(s.values, func)),
                  reverse=highest_first)


@function("Filter Series", _SERIES, _N, _FUNC)
def highest(ctx, seriesList, n=1, func="average"):
    """The `n` series with the highest `func` aggregate (average by default), highest first."""
    return _ranked(seriesList, func, True)[:int(n)]


@function("Filter Series", _SERIES, _N, _FUNC)
def lowest(ctx, seriesList, n=1, func="average"):
    """The `n` series with the lowest `func` aggregate (average by default), lowest first;
    series with no values count as lowest of all."""
    return _ranked(seriesList, func, False)[:int(n)]


@function("Filter Series", _SERIES, _N)
def highestAverage(ctx, seriesList, n):
    """The `n` series with the highest average."""
    return highest(ctx, seriesList, n, "average")


@function("Filter Series", _SERIES, _N)
def highestCurrent(ctx, seriesList, n):
    """The `n` series with the highest last non-null value."""
    return highest(ctx, seriesList, n, "current")


@function("Filter Series", _SERIES, _N)
def highestMax(ctx, seriesList, n):
    """The `n` series with the highest maximum."""
    return highest(ctx, seriesList, n, "max")


@function("Filter Series", _SERIES, _N)
def lowestAverage(ctx, seriesList, n):
    """The `n` series with the lowest average."""
    return lowest(ctx, seriesList, n, "average")


@function("Filter Series", _SERIES, _N)
def lowestCurrent(ctx, seriesList, n):
    """The `n` series with the lowest last non-null value."""
    return lowest(ctx, seriesList, n, "current")


@function("Filter Series", _SERIES, _N)
def limit(ctx, seriesList, n):
    """The first `n` series of the list."""
    return seriesList[0:n]


@function("Filter Series", _SERIES, Param("pattern", "string", required=True))
def exclude(ctx, seriesList, pattern):
    """The series whose name does not contain a match of the regular expression `pattern`."""
    regex = re.compile(pattern)
    return [s for s in seriesList if not regex.search(s.name)]


@function("Filter Series", _SERIES, Param("pattern", "string", required=True))
def grep(ctx, seriesList, pattern):
    """The series whose name contains a match of the regular expression `pattern`."""
    regex = re.compile(pattern)
    return [s for s in seriesList if regex.search(s.name)]


def _nulled(series_list, label: str, n, drop) -> list:
    out = []
    for s in series_list:
        name = "%s(%s, %g)" % (label, s.name, n)
        out.append(s.copy(name=name, path_expression=name,
                          values=np.where(drop(s.values), np.nan, s.values)))
    return out


@function("Filter Data", _SERIES, Param("n", "float", required=True))
def removeAboveValue(ctx, seriesList, n):
    """Values greater than `n` become null."""
    return _nulled(seriesList, "removeAboveValue", n, lambda v: v > n)


@function("Filter Data", _SERIES, Param("n", "float", required=True))
def removeBelowValue(ctx, seriesList, n):
    """Values less than `n` become null."""
    return _nulled(seriesList, "removeBelowValue", n, lambda v: v < n)
