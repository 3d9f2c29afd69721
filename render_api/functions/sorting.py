"""Render functions of graphite-web's Sorting group.

What: the input list reordered by an aggregate of each series (sortBy, sortByTotal,
sortByMaxima, sortByMinima) or by name, optionally natural (digit runs compared as
numbers).  All sorts are stable, so ties keep the input order as graphite-web's list.sort.
"""

from __future__ import annotations

import re

from ..registry import AGG_FUNCS, Param, function
from .calculate import agg_name, reduce_values, sort_key

_SERIES = Param("seriesList", "seriesList", required=True)
_DIGITS = re.compile(r"(\d+)")


def _by_aggregate(series_list, func: str, reverse: bool):
    agg_name(func)
    return sorted(series_list, key=lambda s: sort_key(reduce_values(s.values, func)),
                  reverse=reverse)


@function("Sorting", _SERIES, Param("func", "aggFunc", default="average", options=AGG_FUNCS),
          Param("reverse", "boolean", default=False))
def sortBy(ctx, seriesList, func="average", reverse=False):
    """The series ordered by their `func` aggregate, ascending unless `reverse`; a series
    without values sorts first."""
    return _by_aggregate(seriesList, func, bool(reverse))


def _natural_key(series) -> str:
    """The name with each digit run zero-padded to 10 places, so 2 sorts before 11."""
    return _DIGITS.sub(lambda m: "%010d" % int(m.group(0)), series.name)


@function("Sorting", _SERIES, Param("natural", "boolean", default=False),
          Param("reverse", "boolean", default=False))
def sortByName(ctx, seriesList, natural=False, reverse=False):
    """The series ordered by name; with `natural`, numbers in names compare by value."""
    key = _natural_key if natural else (lambda s: s.name)
    return sorted(seriesList, key=key, reverse=bool(reverse))


@function("Sorting", _SERIES)
def sortByTotal(ctx, seriesList):
    """The series ordered by the sum of their values, largest first."""
    return _by_aggregate(seriesList, "sum", True)


@function("Sorting", _SERIES)
def sortByMaxima(ctx, seriesList):
    """The series ordered by their maximum value, largest first."""
    return _by_aggregate(seriesList, "max", True)


@function("Sorting", _SERIES)
def sortByMinima(ctx, seriesList):
    """The series whose maximum is above 0, ordered by their minimum value, smallest first."""
    positive = [s for s in seriesList if sort_key(reduce_values(s.values, "max")) > 0]
    return _by_aggregate(positive, "min", False)
