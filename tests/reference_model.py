"""A plain-Python model of what the store must return, for model-based tests.

It follows the semantics of DESIGN.md §3 and GRAPHITE.md §2.4-2.5 with no numpy and no
files: a point is accepted when its value is not NaN and some level's retention covers its
age at write time; it then counts in its bucket at that level and every coarser one.  `last` is the last
write to the latest raw bucket that holds points of the bucket.  Reads
follow whisper.fetch: the finest level whose retention covers now - from, buckets on step
boundaries in (from, until].  Aggregates are computed from the list of points in a bucket,
with exact rational arithmetic for the standard deviation.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from fractions import Fraction


class ReferenceStore:
    def __init__(self, levels: list[tuple[int, int]], method: str = "average", xff: float = 0.0):
        self.levels = levels          # [(step, points)] fine to coarse
        self.method = method
        self.xff = xff
        self.points: dict[str, list[tuple[int, float, int]]] = defaultdict(list)  # (ts, value, entry level)
        self.seq = 0

    def retention(self, j: int) -> int:
        step, points = self.levels[j]
        return step * points

    def write(self, name: str, ts: float, value: float, now: int) -> bool:
        if value != value or not math.isfinite(ts) or ts < 0:
            return False
        t = int(ts)
        age = now - t
        self.points.setdefault(name, [])   # carbon creates the file even if no point fits
        for j in range(len(self.levels)):
            if self.retention(j) >= age:
                self.points[name].append((t, value, j))
                return True
        return False

    def bucket_points(self, name: str, level: int, start: int) -> list[float]:
        step = self.levels[level][0]
        return [v for t, v, entry in self.points[name]
                if entry <= level and start <= t < start + step]

    def bucket_last(self, name: str, level: int, start: int):
        """The last write to the latest raw bucket holding points of this bucket."""
        step, raw = self.levels[level][0], self.levels[0][0]
        best = None
        for t, v, entry in self.points[name]:
            if entry <= level and start <= t < start + step and (best is None or t // raw >= best[0]):
                best = (t // raw, v)
        return best

    def fetch(self, name: str, from_: int, until: int, now: int, aggregate: str | None = None):
        if name not in self.points:
            return None
        oldest = now - self.retention(len(self.levels) - 1)
        if from_ > now or until < oldest:
            return None
        from_, until = max(from_, oldest), min(until, now)
        level = next(j for j in range(len(self.levels)) if self.retention(j) >= now - from_)
        step = self.levels[level][0]
        start = from_ - from_ % step + step
        end = until - until % step + step
        if start == end:
            end += step
        method = aggregate or ("last" if level == 0 else self.method)
        xff = 0.0 if level == 0 else self.xff
        slots = step // self.levels[0][0]
        values = [self.aggregate(self.bucket_points(name, level, t), method, xff, slots,
                                 self.bucket_last(name, level, t))
                  for t in range(start, end, step)]
        return start, step, values

    @staticmethod
    def aggregate(points: list[float], method: str, xff: float, slots: int, last=None):
        if not points or min(len(points), slots) / slots < xff:
            return None
        if method == "average":
            return math.fsum(points) / len(points)
        if method == "sum":
            return math.fsum(points)
        if method == "min":
            return min(points)
        if method == "max":
            return max(points)
        if method == "count":
            return float(len(points))
        if method == "last":
            return last[1]
        if method == "avg_zero":
            return math.fsum(points) / slots
        if method == "stddev":
            return float(statistics.pstdev([Fraction(p) for p in points]))
        if method in ("absmax", "absmin"):
            lo, hi = min(points), max(points)
            if method == "absmax":
                return hi if abs(hi) >= abs(lo) else lo
            return hi if abs(hi) < abs(lo) else lo
        raise ValueError(method)
