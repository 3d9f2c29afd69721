"""Render functions of graphite-web's Transform group (the Tier-1 subset).

What: pointwise maps (scale, offset, absolute, log), differences and sums over time
(derivative, nonNegativeDerivative, perSecond, integral), null filling (keepLastValue,
transformNull), re-bucketing (summarize, hitcount) and timeShift, which re-evaluates its
input over a shifted frame.  Names, tags and null rules follow graphite-web 1.1.10.
Why numpy throughout: a dashboard applies these to every point of every series, so each is
a handful of array operations per series, never a Python loop per point.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np

from ..attime import parse_time_offset
from ..registry import AGG_FUNCS, Param, function
from ..series import Series
from .calculate import agg_name, reduce_rows, refetch

_SERIES = Param("seriesList", "seriesList", required=True)
_INTERVALS = ("10min", "1h", "1d")
_SHIFTS = ("1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d")


def _renamed(s: Series, name: str, values: np.ndarray, **tags: str) -> Series:
    """`s` under a new name (also its path expression, as graphite-web's copy does) with
    new values and extra tags."""
    return s.copy(name=name, path_expression=name, values=values, tags={**s.tags, **tags})


def _interval_seconds(text: str) -> int:
    seconds = int(parse_time_offset(text))
    if seconds <= 0:
        raise ValueError(f"interval must be positive: {text!r}")
    return seconds


@function("Transform", _SERIES, Param("factor", "float", required=True))
def scale(ctx, seriesList, factor):
    """Every value multiplied by `factor`; nulls stay null."""
    return [_renamed(s, "scale(%s,%g)" % (s.name, float(factor)), s.values * float(factor),
                     scale=str(factor)) for s in seriesList]


@function("Transform", _SERIES, Param("factor", "float", required=True))
def offset(ctx, seriesList, factor):
    """`factor` added to every value; nulls stay null."""
    return [_renamed(s, "offset(%s,%g)" % (s.name, float(factor)), s.values + factor,
                     offset=str(factor)) for s in seriesList]


@function("Transform", _SERIES)
def absolute(ctx, seriesList):
    """The absolute value of every point."""
    return [_renamed(s, "absolute(%s)" % s.name, np.abs(s.values), absolute="1")
            for s in seriesList]


@function("Transform", _SERIES, Param("base", "integer", default=10), name="log")
def logarithm(ctx, seriesList, base=10):
    """The logarithm of every point in `base` (default 10); zero and negative values
    become null."""
    if base <= 0 or base == 1:
        raise ValueError(f"log base must be positive and not 1: {base}")
    out = []
    for s in seriesList:
        v = s.values
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.where(v > 0, np.log(v) / math.log(base), np.nan)
        out.append(_renamed(s, "log(%s, %s)" % (s.name, base), logs, log=str(base)))
    return out


def _differences(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), np.nan)
    out[1:] = values[1:] - values[:-1]
    return out


@function("Transform", _SERIES)
def derivative(ctx, seriesList):
    """The change from the previous point; null at the first point and wherever either
    point is null."""
    return [_renamed(s, "derivative(%s)" % s.name, _differences(s.values), derivative="1")
            for s in seriesList]


def _non_negative_deltas(values: np.ndarray, max_value, min_value) -> np.ndarray:
    """graphite-web's _nonNegativeDelta over a whole series: a value outside
    [minValue, maxValue] or null gives null and is not used as the next point's previous
    value; a decrease is a counter wrap at maxValue (to minValue or 0), a reset to minValue,
    or null when neither is given."""
    if max_value is None and min_value is None:
        return _rising_deltas(values)
    usable = ~np.isnan(values)
    if max_value is not None:
        usable &= ~(values > max_value)
    if min_value is not None:
        usable &= ~(values < min_value)
    prev = np.full(len(values), np.nan)
    prev[1:] = np.where(usable, values, np.nan)[:-1]
    rising = values >= prev
    if max_value is not None:
        wrapped = max_value + 1 + values - prev - (min_value or 0)
    elif min_value is not None:
        wrapped = values - min_value
    else:
        wrapped = np.full(len(values), np.nan)
    with np.errstate(invalid="ignore"):
        deltas = np.where(rising, values - prev, wrapped)
    return np.where(usable & ~np.isnan(prev), deltas, np.nan)


def _rising_deltas(values: np.ndarray) -> np.ndarray:
    """_non_negative_deltas without bounds, in three passes instead of ten (dashboards
    apply it to 100 series x 10k points): a decrease or a null on either side is null."""
    out = np.empty(len(values))
    out[:1] = np.nan
    with np.errstate(invalid="ignore"):
        deltas = np.subtract(values[1:], values[:-1], out=out[1:])
        deltas[deltas < 0] = np.nan
    return out


@function("Transform", _SERIES, Param("maxValue", "float"), Param("minValue", "float"))
def nonNegativeDerivative(ctx, seriesList, maxValue=None, minValue=None):
    """The change from the previous point, for counters: a decrease is treated as a wrap
    past maxValue (or a reset to minValue) when those are given, else becomes null; values
    outside [minValue, maxValue] become null."""
    return [_renamed(s, "nonNegativeDerivative(%s)" % s.name,
                     _non_negative_deltas(s.values, maxValue, minValue),
                     nonNegativeDerivative="1") for s in seriesList]


@function("Transform", _SERIES, Param("maxValue", "float"), Param("minValue", "float"))
def perSecond(ctx, seriesList, maxValue=None, minValue=None):
    """nonNegativeDerivative divided by the series step: the per-second rate of a counter,
    rounded to 6 decimals."""
    return [_renamed(s, "perSecond(%s)" % s.name,
                     np.round(_non_negative_deltas(s.values, maxValue, minValue) / s.step, 6),
                     perSecond="1") for s in seriesList]


@function("Transform", _SERIES)
def integral(ctx, seriesList):
    """The running total of the non-null values; null points stay null."""
    out = []
    for s in seriesList:
        known = ~np.isnan(s.values)
        totals = np.cumsum(np.where(known, s.values, 0.0)) + 0.0
        out.append(_renamed(s, "integral(%s)" % s.name, np.where(known, totals, np.nan),
                            integral="1"))
    return out


def _last_value_filled(values: np.ndarray, limit) -> np.ndarray:
    """Null runs of at most `limit` points that follow a value take that value (trailing
    runs too); leading runs and longer runs stay null."""
    n = len(values)
    idx = np.arange(n)
    known = ~np.isnan(values)
    before = np.maximum.accumulate(np.where(known, idx, -1))
    after = np.minimum.accumulate(np.where(known, idx, n)[::-1])[::-1]
    fill = ~known & (before >= 0) & (after - before - 1 <= limit)
    out = values.copy()
    out[fill] = values[before[fill]]
    return out


@function("Transform", _SERIES, Param("limit", "intOrInf", default=math.inf))
def keepLastValue(ctx, seriesList, limit=math.inf):
    """Gaps of at most `limit` nulls (any length by default) are filled with the last value
    before them, including a gap at the end; nulls before the first value stay."""
    out = []
    for s in seriesList:
        name = "keepLastValue(%s)" % s.name
        out.append(s.copy(name=name, path_expression=name,
                          values=_last_value_filled(s.values, limit)))
    return out


def _reference_defaults(references: list[Series], default) -> np.ndarray:
    """Per position (zipped by index, not time): `default` where any reference series has
    a value, else null."""
    width = max(len(r) for r in references)
    seen = np.zeros(width, dtype=bool)
    for r in references:
        seen[:len(r)] |= ~np.isnan(r.values)
    return np.where(seen, float(default), np.nan)


@function("Transform", _SERIES, Param("default", "float", default=0), Param("referenceSeries", "seriesList"))
def transformNull(ctx, seriesList, default=0, referenceSeries=None):
    """Nulls replaced by `default` (0).  With referenceSeries, only at positions where at
    least one reference series has a value."""
    defaults = _reference_defaults(referenceSeries, default) if referenceSeries else None
    if defaults is not None and not len(defaults):
        defaults = None       # reference series without points: graphite-web fills everywhere
    out = []
    for s in seriesList:
        tags = {"transformNull": str(default)}
        if referenceSeries:
            tags["referenceSeries"] = "1"
            name = "transformNull(%s,%g,referenceSeries)" % (s.name, default)
        else:
            name = "transformNull(%s,%g)" % (s.name, default)
        if defaults is None:
            values = np.where(np.isnan(s.values), float(default), s.values)
        else:
            # positions past the reference get no default (graphite-web's izip_longest; its
            # in-place update then keeps the wrong end of a longer row, see the tests)
            fill = np.full(len(s), np.nan)
            fill[:min(len(s), len(defaults))] = defaults[:len(s)]
            values = np.where(np.isnan(s.values), fill, s.values)
        out.append(_renamed(s, name, values, **tags))
    return out


def _bucketed(s: Series, interval: int, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The series' values laid out one bucket per row ([first + k*interval, +interval)),
    NaN-padded, with the mask of cells holding a real point."""
    points = min(len(range(s.start, s.end, s.step)), len(s.values))
    bucket = (s.start + s.step * np.arange(points) - first) // interval
    inside = bucket < count
    bucket, values = bucket[inside], s.values[:points][inside]
    starts = np.searchsorted(bucket, np.arange(count))
    column = np.arange(len(bucket)) - starts[bucket]
    width = int(column.max()) + 1 if len(column) else 0
    grid = np.full((count, width), np.nan)
    present = np.zeros((count, width), dtype=bool)
    grid[bucket, column] = values
    present[bucket, column] = True
    return grid, present


@function("Transform", _SERIES,
          Param("intervalString", "interval", required=True, suggestions=_INTERVALS),
          Param("func", "aggFunc", default="sum", options=AGG_FUNCS),
          Param("alignToFrom", "boolean", default=False))
def summarize(ctx, seriesList, intervalString, func="sum", alignToFrom=False):
    """Points grouped into buckets of `intervalString` and each bucket reduced with `func`
    (sum by default).  Buckets start at multiples of the interval since the epoch, or at the
    series start with alignToFrom; a bucket is null when its non-null share is below the
    series' xFilesFactor or it has no values."""
    agg_name(func)
    interval = _interval_seconds(intervalString)
    out = []
    for s in seriesList:
        if alignToFrom:
            first, stop = s.start, s.end
        else:
            first, stop = s.start - s.start % interval, s.end - s.end % interval + interval
        count = max(0, -(-(stop - first) // interval))
        grid, present = _bucketed(s, interval, first, count)
        nonnull = (present & ~np.isnan(grid)).sum(axis=1)
        values = reduce_rows(grid, func, present)
        keep = (nonnull > 0) & (nonnull / (interval / s.step) >= s.xff)
        end = first + count * interval if alignToFrom else stop
        name = 'summarize(%s, "%s", "%s"%s)' % (s.name, intervalString, func,
                                               ", true" if alignToFrom else "")
        out.append(s.copy(name=name, path_expression=name, start=first, end=end, step=interval,
                          values=np.where(keep, values, np.nan),
                          tags={**s.tags, "summarize": str(intervalString),
                                "summarizeFunction": str(func)}))
    return out


def _hit_buckets(s: Series, interval: int) -> tuple[int, np.ndarray]:
    """graphite-web's hitcount for one series: each non-null value is a rate spread over its
    step; each bucket (aligned so the last ends at the series end) gets value x overlapping
    seconds, summed in point order; a bucket nothing overlaps is null."""
    buckets = -(-(s.end - s.start) // interval)
    first = s.end - buckets * interval
    points = np.flatnonzero(~np.isnan(s.values))
    value = s.values[points]
    t0 = s.start + points * s.step
    sb, sm = np.divmod(t0 - first, interval)
    eb, em = np.divmod(t0 + s.step - first, interval)
    clipped = eb >= buckets
    eb = np.where(clipped, buckets - 1, eb)
    em = np.where(clipped, interval, em)
    span = np.maximum(eb - sb + 1, 1)
    owner = np.repeat(np.arange(len(points)), span)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(span) - span, span)
    sb_, sm_, em_, span_, v = sb[owner], sm[owner], em[owner], span[owner], value[owner]
    seconds = np.where(span_ == 1, em_ - sm_,
                       np.where(k == 0, interval - sm_, np.where(k == span_ - 1, em_, interval)))
    bucket = sb_ + k
    real = (bucket >= 0) & (bucket < buckets) & ~((span_ > 1) & (k == span_ - 1) & (em_ == 0))
    bucket, hits = bucket[real], (v * seconds)[real]
    totals = np.bincount(bucket, weights=hits, minlength=buckets)
    counts = np.bincount(bucket, minlength=buckets)
    return first, np.where(counts > 0, totals, np.nan)


def _truncated_start(ctx, interval: int) -> int:
    """The request start truncated to its day, hour or minute (by interval size) in the
    request time zone, keeping the start's UTC offset as graphite-web does."""
    start = datetime.fromtimestamp(ctx.start, ctx.tz)
    if interval >= 86400:
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    elif interval >= 3600:
        start = start.replace(minute=0, second=0, microsecond=0)
    elif interval >= 60:
        start = start.replace(second=0, microsecond=0)
    else:
        return ctx.start
    fixed = start.replace(tzinfo=timezone(datetime.fromtimestamp(ctx.start, ctx.tz).utcoffset()))
    return int(fixed.timestamp())


@function("Transform", _SERIES,
          Param("intervalString", "interval", required=True, suggestions=_INTERVALS),
          Param("alignToInterval", "boolean", default=False))
def hitcount(ctx, seriesList, intervalString, alignToInterval=False):
    """Values read as per-second rates and turned into hit counts per `intervalString`
    bucket, splitting a point across buckets in proportion to overlap.  Buckets end at the
    series end; with alignToInterval the input is re-fetched from the start of the request's
    day, hour or minute first."""
    interval = _interval_seconds(intervalString)
    if alignToInterval:
        fetched = refetch(ctx, seriesList, _truncated_start(ctx, interval), ctx.end)
        seriesList = [s.copy(end=s.start + (s.end - s.start) // interval * interval + interval)
                      for s in fetched]
    out = []
    for s in seriesList:
        first, values = _hit_buckets(s, interval)
        name = 'hitcount(%s, "%s"%s)' % (s.name, intervalString, ", true" if alignToInterval else "")
        out.append(s.copy(name=name, path_expression=name, start=first, step=interval,
                          values=values, tags={**s.tags, "hitcount": str(intervalString)}))
    return out


def _in_dst(ctx, t: int) -> bool:
    return bool(datetime.fromtimestamp(t, ctx.tz).dst())


def _dst_correction(ctx, start: int, end: int) -> int:
    """One hour when the request lies wholly in DST and the shifted frame wholly outside it
    (minus one hour for the reverse), else nothing."""
    request = (_in_dst(ctx, ctx.start), _in_dst(ctx, ctx.end))
    shifted = (_in_dst(ctx, start), _in_dst(ctx, end))
    if all(request) and not any(shifted):
        return 3600
    if not any(request) and all(shifted):
        return -3600
    return 0


@function("Transform", _SERIES,
          Param("timeShift", "interval", required=True, suggestions=_SHIFTS),
          Param("resetEnd", "boolean", default=True),
          Param("alignDst", "boolean", default=False))
def timeShift(ctx, seriesList, timeShift, resetEnd=True, alignDST=False):
    """The input re-evaluated over the request frame moved by `timeShift` and drawn over the
    original frame.  Without a sign the shift is into the past ("1d" is "-1d"); "+" shifts
    forward.  alignDST adds or removes an hour when exactly one of the two frames is in
    daylight saving time."""
    if not timeShift:
        raise ValueError("timeShift needs an interval")
    if timeShift[0].isdigit():
        timeShift = "-" + timeShift
    delta = int(parse_time_offset(timeShift))
    start, end = ctx.start + delta, ctx.end + delta
    if alignDST:
        correction = _dst_correction(ctx, start, end)
        start, end = start + correction, end + correction
    if not seriesList:
        return []
    base = seriesList[0]
    out = []
    for s in refetch(ctx, seriesList, start, end):
        name = 'timeShift(%s, "%s")' % (s.name, timeShift)
        new_end = base.end if resetEnd else s.end - s.start + base.start
        # graphite-web leaves the pathExpression alone; it is set to the name here so that an
        # enclosing re-fetching function re-evaluates the shift too
        out.append(s.copy(name=name, path_expression=name, start=base.start, end=new_end,
                          tags={**s.tags, "timeShift": timeShift}))
    return out
