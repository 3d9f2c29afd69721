"""Exact bucket statistics: count, sum, min, max, sumsq and last, and the math over them.

Every bucket at every level keeps these six numbers. They merge exactly (count+count,
sum+sum, min of min, max of max, sumsq+sumsq, last of the later), so folding raw buckets
into coarse ones and folding again gives the same numbers as folding raw data directly,
and average, min, max, sum, count, stddev and last are exact at every resolution.

`last` is chronological: the last write to the latest raw bucket of the cell.  So that
late points can merge exactly, each cell also keeps `slot`, the raw-step offset of that
bucket within the cell (always 0 at the raw level); of two cells being merged, the one
with the higher slot gives `last`, and on a tie the later write does.

`Stats` is the materialised form: every cell has all values, and an empty cell (count 0)
holds the merge identity (sum 0, sumsq 0, min +inf, max -inf, last NaN, slot -1) so that
merging is plain vectorised arithmetic with no masks.  Storage keeps a compact form
(`last` and `count` always; the other four only where count >= 2) and converts through
`from_compact` / the `extras_needed` mask.  Everything here is pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COUNT_DTYPE = np.uint32
FIELDS = ("count", "sum", "min", "max", "sumsq", "last", "slot")

# Methods a read may ask for; carbon's storage-aggregation names plus stddev/count.
AGGREGATES = ("average", "sum", "min", "max", "count", "last", "stddev",
              "avg_zero", "absmax", "absmin")
AGGREGATE_ALIASES = {"avg": "average", "mean": "average", "total": "sum"}


@dataclass(frozen=True)
class Stats:
    """Six aligned arrays of one shape; empty cells hold the merge identity."""

    count: np.ndarray
    sum: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sumsq: np.ndarray
    last: np.ndarray
    slot: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.count.shape

    def __len__(self) -> int:
        return len(self.count)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.count, self.sum, self.min, self.max, self.sumsq, self.last, self.slot)

    def take(self, index) -> "Stats":
        return Stats(*(a[index] for a in self.arrays()))

    def transpose(self) -> "Stats":
        return Stats(*(np.ascontiguousarray(a.T) for a in self.arrays()))


def empty(shape) -> Stats:
    """Stats of the given shape with every cell empty."""
    return Stats(
        count=np.zeros(shape, COUNT_DTYPE),
        sum=np.zeros(shape, np.float64),
        min=np.full(shape, np.inf),
        max=np.full(shape, -np.inf),
        sumsq=np.zeros(shape, np.float64),
        last=np.full(shape, np.nan),
        slot=np.full(shape, -1, np.int64),
    )


def concat(parts: list[Stats], axis: int = 0) -> Stats:
    """Stats joined along `axis` (time for 1-D series)."""
    if len(parts) == 1:
        return parts[0]
    return Stats(*(np.concatenate(cols, axis=axis) for cols in zip(*(p.arrays() for p in parts))))


def merge(earlier: Stats, later: Stats) -> Stats:
    """Cell-wise merge; `later` holds points written after `earlier`'s.

    `last` comes from the side whose last lies in the later raw bucket; on a tie (the same
    raw bucket) the later write wins, as in carbon.
    """
    take = (later.count > 0) & (later.slot >= earlier.slot)
    return Stats(
        count=earlier.count + later.count,
        sum=earlier.sum + later.sum,
        min=np.minimum(earlier.min, later.min),
        max=np.maximum(earlier.max, later.max),
        sumsq=earlier.sumsq + later.sumsq,
        last=np.where(take, later.last, earlier.last),
        slot=np.where(take, later.slot, earlier.slot),
    )


def fold(stats: Stats, factor: int, axis: int = -1, raw_per_bucket: int = 1) -> Stats:
    """Merge each run of `factor` consecutive buckets along `axis` into one bucket.

    The axis length must be a multiple of `factor`; runs are time-ordered, so the last
    non-empty bucket of a run gives the coarse `last`.  `raw_per_bucket` is how many raw
    steps one input bucket spans, to express the coarse slot in raw steps.
    """
    if factor == 1:
        return stats
    axis = axis % stats.count.ndim
    n = stats.count.shape[axis]
    if n % factor:
        raise ValueError(f"cannot fold {n} buckets by {factor}: not a multiple")

    def runs(a: np.ndarray) -> np.ndarray:
        shape = a.shape[:axis] + (n // factor, factor) + a.shape[axis + 1:]
        return a.reshape(shape)

    count = runs(stats.count)
    present = count > 0
    # Index of the last non-empty bucket in each run (-1 when the run is empty).
    position = np.where(present, np.arange(factor).reshape((factor,) + (1,) * (count.ndim - axis - 2)), -1)
    last_pos = position.max(axis=axis + 1)
    pick = np.expand_dims(np.maximum(last_pos, 0), axis + 1)
    last_vals = np.take_along_axis(runs(stats.last), pick, axis=axis + 1).squeeze(axis + 1)
    last_slot = np.take_along_axis(runs(stats.slot), pick, axis=axis + 1).squeeze(axis + 1)
    empty_run = last_pos < 0
    return Stats(
        count=count.sum(axis=axis + 1, dtype=COUNT_DTYPE),
        sum=runs(stats.sum).sum(axis=axis + 1),
        min=runs(stats.min).min(axis=axis + 1),
        max=runs(stats.max).max(axis=axis + 1),
        sumsq=runs(stats.sumsq).sum(axis=axis + 1),
        last=np.where(empty_run, np.nan, last_vals),
        slot=np.where(empty_run, -1, last_pos * raw_per_bucket + last_slot),
    )


def of_points(cells: np.ndarray, values: np.ndarray, slots: np.ndarray | None = None
              ) -> tuple[np.ndarray, Stats]:
    """Group points by cell number; returns (unique cells ascending, their Stats).

    Points are in arrival order, so the stable sort keeps the latest point of a cell last,
    and that value becomes the cell's `last` (carbon's last-write-wins); with `slots`
    (raw-step offsets within the cell) the latest raw bucket is preferred first.
    """
    order = np.argsort(cells, kind="stable") if slots is None else np.lexsort((slots, cells))
    cells_sorted = cells[order]
    vals = values[order]
    starts = np.flatnonzero(np.r_[True, cells_sorted[1:] != cells_sorted[:-1]])
    ends = np.r_[starts[1:], len(cells_sorted)]
    stats = Stats(
        count=(ends - starts).astype(COUNT_DTYPE),
        sum=np.add.reduceat(vals, starts),
        min=np.minimum.reduceat(vals, starts),
        max=np.maximum.reduceat(vals, starts),
        sumsq=np.add.reduceat(_squares(vals), starts),
        last=vals[ends - 1],
        slot=np.zeros(len(starts), np.int64) if slots is None else slots[order][ends - 1].astype(np.int64),
    )
    return cells_sorted[starts], stats


def single_points(values: np.ndarray, slots: np.ndarray | None = None) -> Stats:
    """Stats of cells that each received exactly one point."""
    return Stats(
        count=np.ones(len(values), COUNT_DTYPE),
        sum=values.copy(),
        min=values.copy(),
        max=values.copy(),
        sumsq=_squares(values),
        last=values.copy(),
        slot=np.zeros(len(values), np.int64) if slots is None else slots.astype(np.int64),
    )


def from_compact(count, last, sum_, min_, max_, sumsq, slot=None) -> Stats:
    """Materialise storage's compact form, where the four extras are valid only at count >= 2.

    `slot` is None where it is always 0 (the raw level).  An extra passed as None stays
    None: a caller that only wants `values` of one aggregate reads just the columns
    `COLUMNS_FOR` names.
    """
    count = np.asarray(count, COUNT_DTYPE)
    multi = count >= 2
    present = count > 0
    last = np.where(present, last, np.nan)
    one = np.where(present, last, 0.0)
    with np.errstate(over="ignore"):   # |v| > 1.3e154 squares to inf, as at ingest
        one_sq = None if sumsq is None else one * one
    return Stats(
        count=count,
        sum=None if sum_ is None else np.where(multi, sum_, one),
        min=None if min_ is None else np.where(multi, min_, np.where(present, last, np.inf)),
        max=None if max_ is None else np.where(multi, max_, np.where(present, last, -np.inf)),
        sumsq=None if sumsq is None else np.where(multi, sumsq, one_sq),
        last=last,
        # int64 before where(): a uint32 column would wrap the -1 of empty cells.
        slot=np.where(present, 0 if slot is None else np.asarray(slot, np.int64), -1),
    )


# The extras (beyond count and last) `values` reads for each aggregate.
COLUMNS_FOR = {
    "average": ("sum",), "sum": ("sum",), "avg_zero": ("sum",), "min": ("min",),
    "max": ("max",), "count": (), "last": (), "stddev": ("sum", "min", "max", "sumsq"),
    "absmax": ("min", "max"), "absmin": ("min", "max"),
}


def canonical(stats: Stats) -> Stats:
    """The same Stats with every empty cell reset to the identity (for exact comparisons)."""
    return from_compact(stats.count, stats.last, stats.sum, stats.min, stats.max, stats.sumsq, stats.slot)


def normalize_method(method: str) -> str:
    """The canonical aggregate name, or ValueError naming the unknown one."""
    name = AGGREGATE_ALIASES.get(method, method)
    if name not in AGGREGATES:
        raise ValueError(f"unknown aggregate {method!r}; expected one of {', '.join(AGGREGATES)}")
    return name


def values(stats: Stats, method: str, xff: float = 0.0, slots_per_bucket: int = 1) -> np.ndarray:
    """The float64 value of every bucket for `method`; NaN where empty or below xFilesFactor.

    `slots_per_bucket` is how many raw-step slots one bucket spans (1 at the raw level); it
    is the denominator for avg_zero and xFilesFactor, as whisper's propagation uses it.
    """
    method = normalize_method(method)
    count = stats.count.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "average":
            out = stats.sum / count
        elif method == "sum":
            out = stats.sum.copy()
        elif method == "min":
            out = stats.min.copy()
        elif method == "max":
            out = stats.max.copy()
        elif method == "count":
            out = count.copy()
        elif method == "last":
            out = stats.last.copy()
        elif method == "stddev":
            out = stddev(stats)
        elif method == "avg_zero":
            out = stats.sum / float(slots_per_bucket)
        else:
            out = absolute_extreme(stats, largest=(method == "absmax"))
    covered = np.minimum(count, slots_per_bucket) / slots_per_bucket
    out[(stats.count == 0) | (covered < xff)] = np.nan
    return out


def stddev(stats: Stats) -> np.ndarray:
    """Population standard deviation per bucket.

    (n*sumsq - sum^2) / n^2 keeps the subtraction exact whenever sums of the inputs are
    exact in float64, which the textbook sumsq/n - mean^2 does not.  Buckets of identical
    values give 0; other buckets with |values| above ~1.3e154 give NaN (sumsq overflows).
    """
    n = stats.count.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        var = (n * stats.sumsq - stats.sum * stats.sum) / (n * n)
    # Identical values have no spread even where their squares overflow (|v| > 1.3e154).
    var = np.where((stats.min == stats.max) & (stats.count > 0), 0.0, var)
    return np.sqrt(np.maximum(var, 0.0))


def absolute_extreme(stats: Stats, largest: bool) -> np.ndarray:
    """whisper's absmax/absmin: the value (min or max) with the larger/smaller magnitude."""
    pick_max = np.abs(stats.max) >= np.abs(stats.min)
    if not largest:
        pick_max = np.abs(stats.max) < np.abs(stats.min)
    return np.where(pick_max, stats.max, stats.min)


def _squares(values: np.ndarray) -> np.ndarray:
    """v*v; beyond |v| > 1.3e154 that is inf, which stddev() copes with (and says so)."""
    with np.errstate(over="ignore"):
        return values * values
