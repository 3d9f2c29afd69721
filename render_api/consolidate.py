"""maxDataPoints: fold each series into at most N points, the way graphite-web's json render does.

What: `apply_max_data_points` picks each series' values-per-point from the request's global
time range and nudges its start so buckets land on multiples of the bucket width;
`consolidated_values` is what graphite-web yields when it iterates a series with
valuesPerPoint > 1 (one value per chunk, by the series' consolidation function and
xFilesFactor); `consolidated` zips those values with the timestamps the json body prints.
Why a module of its own: every output format iterates series through the same consolidation,
and only the json body (and images) apply maxDataPoints first (graphite-web 1.1.10,
render/views.py renderViewJson, render/datalib.py TimeSeries.__iter__ and datapoints).

Sums add values left to right, as Python 3.11's `sum` does, so totals match to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from .series import CONSOLIDATIONS, Series

_ALIASES = {"avg": "average"}


class InvalidConsolidation(ValueError):
    """The series names a consolidation function graphite-web does not know."""


def apply_max_data_points(series_list: list[Series], max_data_points: int) -> list[Series]:
    """The series as graphite-web's json render reshapes them for `maxDataPoints`.

    A series with more raw points over the request's whole time range (earliest start to
    latest end, shared by all series) than `max_data_points` gets valuesPerPoint =
    ceil(points / max), its start moved to the next multiple of the bucket width and the raw
    values before it dropped. maxDataPoints=1 folds every series into a single point.
    A value of 0 or less is treated as no limit (graphite-web divides by zero there).
    The series returned share their values with the given ones: the body only reads them.
    """
    if not series_list or max_data_points is None or max_data_points <= 0:
        return list(series_list)
    if max_data_points == 1:
        # graphite-web sets valuesPerPoint = len(series); an empty series would then
        # make it build range(..., step=0) and fail, so it keeps one value per point.
        return [s.copy(values_per_point=max(len(s), 1)) for s in series_list]
    time_range = max(s.end for s in series_list) - min(s.start for s in series_list)
    return [_fitted(s, time_range, max_data_points) for s in series_list]


def _fitted(series: Series, time_range: int, max_data_points: int) -> Series:
    points = time_range / series.step
    if not max_data_points < points:
        return series
    vpp = math.ceil(points / max_data_points)
    seconds_per_point = int(vpp * series.step)
    # Buckets start on multiples of their width so a refreshed graph does not jitter.
    nudge = seconds_per_point + series.start % series.step - series.start % seconds_per_point
    # graphite-web drops one value fewer than the nudge covers: the one-step lag of §3.5.
    dropped = max(nudge // series.step - 1, 0)
    return series.copy(start=series.start + nudge, values=series.values[dropped:], values_per_point=vpp)


def consolidated_values(series: Series) -> np.ndarray:
    """The values graphite-web yields when iterating the series: one per chunk of
    `values_per_point` raw values, the last chunk possibly partial.

    A chunk's value is the consolidation function over its non-null values when it has any
    and their share of a *full* chunk reaches xFilesFactor, else null (NaN). `avg_zero`
    counts nulls as zeros but divides a partial last chunk by its own length.
    """
    vpp = int(series.values_per_point)
    values = np.asarray(series.values, dtype=np.float64)
    if vpp <= 1 or not len(values):
        return values.copy()
    func = _ALIASES.get(series.consolidation, series.consolidation)
    if func not in CONSOLIDATIONS:
        raise InvalidConsolidation(f"Invalid consolidation function: '{series.consolidation}'")
    chunk_count = -(-len(values) // vpp)
    padding = chunk_count * vpp - len(values)
    padded = np.concatenate([values, np.full(padding, np.nan)]) if padding else values
    chunks = padded.reshape(chunk_count, vpp)
    present = ~np.isnan(chunks)
    # a product with ones counts a row's values exactly, and faster than a sum over a short axis
    non_null = present @ np.ones(vpp)
    out = _chunk_function(func, chunks, present, non_null, vpp, len(values))
    usable = (non_null > 0) & (non_null / vpp >= series.xff)
    return np.where(usable, out, np.nan)


def _chunk_function(func: str, chunks: np.ndarray, present: np.ndarray, non_null: np.ndarray,
                    vpp: int, length: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        if func in ("sum", "average", "avg_zero"):
            total = _sequential_sums(np.where(present, chunks, 0.0))
            if func == "sum":
                return total
            if func == "average":
                return total / non_null
            sizes = np.full(len(chunks), vpp)
            sizes[-1] = length - vpp * (len(chunks) - 1)
            return total / sizes
        if func == "max":
            return np.where(present, chunks, -np.inf).max(axis=1)
        if func == "min":
            return np.where(present, chunks, np.inf).min(axis=1)
        rows = np.arange(len(chunks))
        if func == "first":
            return chunks[rows, present.argmax(axis=1)]
        return chunks[rows, vpp - 1 - present[:, ::-1].argmax(axis=1)]


def _sequential_sums(chunks: np.ndarray) -> np.ndarray:
    # A running total adds strictly left to right like Python's sum; numpy's sum uses
    # pairwise summation, which rounds differently. Adding 0.0 turns -0.0 into 0.0, as
    # Python's sum (which starts from int 0) does.
    total = chunks[:, 0] + 0.0
    for j in range(1, chunks.shape[1]):     # a column at a time: no prefix sums kept
        total += chunks[:, j]
    return total


def point_timestamps(series: Series) -> np.ndarray:
    """graphite-web's json timestamps: range(start, end + 1, step * valuesPerPoint)."""
    width = int(series.step * series.values_per_point)
    return np.arange(int(series.start), int(series.end) + 1, width, dtype=np.int64)


def consolidated(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps, values) of the json body's datapoints: the consolidated values zipped
    with `point_timestamps`, cut to the shorter of the two."""
    values = consolidated_values(series)
    stamps = point_timestamps(series)
    n = min(len(values), len(stamps))
    return stamps[:n], values[:n]
