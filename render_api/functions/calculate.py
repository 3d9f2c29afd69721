"""Render functions of graphite-web's Calculate group: moving windows and nPercentile.

What: movingWindow and its five named forms, which re-fetch their input with a bootstrap
window before `from` (graphite-web's _fetchWithBootstrap) so the first points have a full
window, and nPercentile.  Also the aggregation-by-name helpers the Transform, Filter and
Sorting groups share (`reduce_rows`, `reduce_values`, `refetch`).
Why the care with sums: graphite-web adds values left to right in Python; the reducers add
in the same order (column by column or row by row, whichever loop is shorter) so results
are bit-identical, not merely close.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..attime import parse_time_offset
from ..context import RequestContext
from ..registry import AGG_FUNCS, Param, function
from ..series import Series

_ALIASES = {"avg": "average", "total": "sum", "current": "last", "rangeOf": "range"}
_CANONICAL = ("average", "avg_zero", "median", "sum", "min", "max", "diff", "stddev", "count",
              "range", "multiply", "last")
WINDOW_SUGGESTIONS = (5, 7, 10, "1min", "5min", "10min", "30min", "1hour")
_CHUNK_CELLS = 1 << 20          # window cells copied at once by the generic reducers


def agg_name(func: str) -> str:
    """The canonical aggregation behind `func`; unknown names are the client's mistake."""
    name = _ALIASES.get(func, func)
    if name not in _CANONICAL:
        raise ValueError(f"Unsupported aggregation function: {func}")
    return name


def _sequential(x: np.ndarray, take: np.ndarray, ufunc: np.ufunc, identity: float) -> np.ndarray:
    """Per row, `ufunc` folded left to right over the taken cells (Python's sum()/reduce order)."""
    rows, cols = x.shape
    if rows <= cols:
        out = np.full(rows, identity)
        for r in range(rows):
            picked = x[r][take[r]]
            if picked.size:
                # seeded like sum()'s int 0, which turns a lone -0.0 into 0.0
                out[r] = ufunc(identity, ufunc.accumulate(picked)[-1])
        return out
    acc = np.full(rows, identity)
    for j in range(cols):
        acc = ufunc(acc, np.where(take[:, j], x[:, j], identity))
    return acc


def _last_taken(x: np.ndarray, take: np.ndarray) -> np.ndarray:
    if not x.shape[1]:
        return np.full(x.shape[0], np.nan)
    idx = x.shape[1] - 1 - np.argmax(take[:, ::-1], axis=1)
    return np.where(take.any(axis=1), x[np.arange(x.shape[0]), idx], np.nan)


def reduce_rows(x: np.ndarray, func: str, present: np.ndarray | None = None) -> np.ndarray:
    """graphite-web's aggregation `func` over each row of `x` (NaN = null).

    `present` marks the cells that are part of the row (the rest is padding); nulls that are
    present still count for avg_zero's divisor and make multiply null.  A row with nothing
    to aggregate gives NaN, except count (0) and avg_zero over present nulls (0)."""
    func = agg_name(func)
    x = np.asarray(x, dtype=np.float64)
    present = np.ones(x.shape, dtype=bool) if present is None else present
    nonnull = present & ~np.isnan(x)
    count = nonnull.sum(axis=1).astype(np.float64)
    some = count > 0
    if func == "count":
        return count
    if func in ("min", "max", "range"):
        lo = np.where(nonnull, x, np.inf).min(axis=1, initial=np.inf)
        hi = np.where(nonnull, x, -np.inf).max(axis=1, initial=-np.inf)
        out = {"min": lo, "max": hi}.get(func)
        out = hi - lo if out is None else out
        return np.where(some, out, np.nan)
    if func == "last":
        return _last_taken(x, nonnull)
    if func == "median":
        return _median_rows(x, nonnull, count)
    if func == "multiply":
        size = present.sum(axis=1)
        product = _sequential(x, present, np.multiply, 1.0)
        return np.where((size > 0) & (count == size), product, np.nan)
    if func == "diff":
        # the first non-null value minus the others, folded in order as graphite-web sums
        lead = nonnull & (np.cumsum(nonnull, axis=1) == 1)
        signed = np.where(lead, x, -x)
        return np.where(some, _sequential(signed, nonnull, np.add, 0.0), np.nan)
    total = _sequential(x, nonnull, np.add, 0.0)
    if func == "sum":
        return np.where(some, total, np.nan)
    if func == "avg_zero":
        size = present.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(size > 0, total / size, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(some, total / count, np.nan)
    if func == "average":
        return mean
    # stddev: population deviation around the mean, squares summed in order
    dev = x - mean[:, None]
    squares = _sequential(dev * dev, nonnull, np.add, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(some, np.sqrt(squares / count), np.nan)


def _median_rows(x: np.ndarray, nonnull: np.ndarray, count: np.ndarray) -> np.ndarray:
    """safeMedian per row: the middle non-null value, or the mean of the middle two."""
    if not x.shape[1]:
        return np.full(x.shape[0], np.nan)
    ordered = np.sort(np.where(nonnull, x, np.nan), axis=1)       # nulls sort last
    rows = np.arange(x.shape[0])
    size = count.astype(np.int64)
    hi = ordered[rows, np.maximum(size // 2, 0)]
    lo = ordered[rows, np.maximum((size - 1) // 2, 0)]
    out = np.where(size % 2 == 1, hi, (lo + hi) / 2)
    return np.where(size > 0, out, np.nan)


def reduce_values(values: np.ndarray, func: str) -> float:
    """graphite-web's aggregation `func` over one series' values (NaN if it has none)."""
    return float(reduce_rows(np.asarray(values, dtype=np.float64)[None, :], func)[0])


def sort_key(value: float) -> float:
    """graphite-web's keyFunc: a null aggregate sorts as -inf (Python 2's None < number)."""
    return -math.inf if math.isnan(value) else value


def refetch(ctx: RequestContext, series_list: list[Series], start: int, end: int) -> list[Series]:
    """The input re-evaluated over [start, end]: graphite-web re-evaluates the function's
    first argument; here each distinct path expression of the input, in order."""
    frame = ctx.with_frame(start, end)
    out: list[Series] = []
    for expr in dict.fromkeys(s.path_expression for s in series_list):
        out.extend(frame.evaluate_target(expr))
    return out


def _window_fold(base: np.ndarray, points: int, ufunc: np.ufunc, identity: float) -> np.ndarray:
    """`ufunc` folded left to right over base[i+1 : i+1+points] for every window i, looping
    over whichever is shorter: the window positions or the windows."""
    rows = len(base) - points
    if points <= rows:
        acc = np.full(rows, identity)
        for j in range(points):
            acc = ufunc(acc, base[1 + j:1 + j + rows])
        return acc
    return np.array([ufunc(identity, ufunc.accumulate(base[1 + i:1 + i + points])[-1])
                     for i in range(rows)])


_FOLDS = {"sum": (np.add, 0.0), "min": (np.fmin, np.nan), "max": (np.fmax, np.nan)}


def _window_values(values: np.ndarray, points: int, func: str, xff: float) -> np.ndarray:
    """graphite-web's movingWindow output for one bootstrapped series: for i in
    points+1..len, func over the non-null values of values[i-points:i]."""
    n = len(values)
    if points == 0:
        return np.full(n, np.nan)
    if n <= points:
        return np.empty(0)
    func = agg_name(func)
    known = ~np.isnan(values)
    seen = np.concatenate(([0], np.cumsum(known)))
    count = (seen[1 + points:] - seen[1:n - points + 1]).astype(np.float64)
    if func == "count":
        out = count
    elif func in ("sum", "average", "avg_zero"):
        # over the non-null values only, so avg_zero is the plain average here
        total = _window_fold(np.where(known, values, 0.0), points, *_FOLDS["sum"])
        with np.errstate(invalid="ignore", divide="ignore"):
            out = total if func == "sum" else total / count
    elif func in ("min", "max", "range"):
        lo = _window_fold(values, points, *_FOLDS["min"])
        hi = _window_fold(values, points, *_FOLDS["max"])
        out = {"min": lo, "max": hi}.get(func, hi - lo)
    else:
        windows = sliding_window_view(values, points)[1:]
        per = max(1, _CHUNK_CELLS // points)
        out = np.concatenate([reduce_rows(w, func, present=~np.isnan(w))
                              for w in (windows[i:i + per] for i in range(0, len(windows), per))])
    return np.where((count > 0) & (count / points >= xff), out, np.nan)


def _moving(ctx: RequestContext, series_list: list[Series], window_size, func: str,
            xff: float | None) -> list[Series]:
    agg_name(func)
    if not series_list:
        return []
    by_time = isinstance(window_size, str)
    if by_time:
        bootstrap = abs(parse_time_offset(window_size))
    else:
        if int(window_size) < 0:
            raise ValueError(f"windowSize must not be negative: {window_size}")
        bootstrap = max(s.step for s in series_list) * int(window_size)
    tag = "moving" + func.capitalize()
    shown = f'"{window_size}"' if by_time else f"{window_size}"
    out = []
    for s in refetch(ctx, series_list, ctx.start - bootstrap, ctx.end):
        points = bootstrap // s.step if by_time else int(window_size)
        limit = s.xff if xff is None else xff
        name = f"{tag}({s.name},{shown})"
        out.append(s.copy(name=name, path_expression=name, start=s.start + bootstrap,
                          values=_window_values(s.values, points, func, limit),
                          tags={**s.tags, tag: str(window_size)}))
    return out


_SERIES = Param("seriesList", "seriesList", required=True)
_WINDOW = Param("windowSize", "intOrInterval", required=True, suggestions=WINDOW_SUGGESTIONS)
_XFF = Param("xFilesFactor", "float")


@function("Calculate", _SERIES, _WINDOW, Param("func", "aggFunc", default="average", options=AGG_FUNCS),
          _XFF)
def movingWindow(ctx, seriesList, windowSize, func="average", xFilesFactor=None):
    """Each point becomes `func` over the window that ends at it: the last `windowSize`
    points, or the points within an interval such as "5min".  The input is re-fetched from
    earlier so the first points have a full window; a window gives null unless its share of
    non-null points reaches xFilesFactor (default: the series' own)."""
    return _moving(ctx, seriesList, windowSize, func, xFilesFactor)


@function("Calculate", _SERIES, _WINDOW, _XFF)
def movingAverage(ctx, seriesList, windowSize, xFilesFactor=None):
    """The mean of each point's trailing window (see movingWindow)."""
    return _moving(ctx, seriesList, windowSize, "average", xFilesFactor)


@function("Calculate", _SERIES, _WINDOW, _XFF)
def movingSum(ctx, seriesList, windowSize, xFilesFactor=None):
    """The sum of each point's trailing window (see movingWindow)."""
    return _moving(ctx, seriesList, windowSize, "sum", xFilesFactor)


@function("Calculate", _SERIES, _WINDOW, _XFF)
def movingMin(ctx, seriesList, windowSize, xFilesFactor=None):
    """The minimum of each point's trailing window (see movingWindow)."""
    return _moving(ctx, seriesList, windowSize, "min", xFilesFactor)


@function("Calculate", _SERIES, _WINDOW, _XFF)
def movingMax(ctx, seriesList, windowSize, xFilesFactor=None):
    """The maximum of each point's trailing window (see movingWindow)."""
    return _moving(ctx, seriesList, windowSize, "max", xFilesFactor)


@function("Calculate", _SERIES, _WINDOW, _XFF)
def movingMedian(ctx, seriesList, windowSize, xFilesFactor=None):
    """The median of each point's trailing window (see movingWindow)."""
    return _moving(ctx, seriesList, windowSize, "median", xFilesFactor)


def percentile(values: np.ndarray, n: float) -> float:
    """graphite-web's _getPercentile without interpolation: the value at rank
    ceil(n/100 * (N+1)) of the sorted non-null values, kept within the first..last value
    (graphite-web raises IndexError above the last); NaN when there are none."""
    ordered = np.sort(values[~np.isnan(values)])
    if not ordered.size:
        return math.nan
    rank = math.ceil(n / 100.0 * (ordered.size + 1))
    return float(ordered[min(max(rank, 1), ordered.size) - 1])


@function("Calculate", _SERIES, Param("n", "float", required=True))
def nPercentile(ctx, seriesList, n):
    """Each series replaced by a constant line at its n-th percentile (nearest rank over
    its non-null values).  Series with no values are dropped."""
    if not n:
        raise ValueError("The requested percent is required to be greater than 0")
    out = []
    for s in seriesList:
        value = percentile(s.values, n)
        if math.isnan(value):
            continue
        name = "nPercentile(%s, %g)" % (s.name, n)
        points = int((s.end - s.start) / s.step)
        out.append(s.copy(name=name, path_expression=name, values=np.full(points, value),
                          tags={**s.tags, "nPercentile": str(n)}))
    return out
