"""The series a render works on: graphite-web's TimeSeries as a small numpy-backed record.

What: name, time frame (start, end, step), float64 values with NaN for null, tags, the path
expression it came from, and the consolidation settings maxDataPoints and normalisation use.
Why its own module: the store, the function library, the evaluator and the output formats
all speak it, and none of them should depend on another to get it.

Conventions (graphite-web 1.1.10, render/datalib.py TimeSeries): `values[i]` is the point at
`start + i * step`; `end` is exclusive of the last bucket as whisper reports it
(`end == start + len(values) * step` for a fetched series); all tag values are str.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from tsdb.names import InvalidName, normalize, parse_tags

CONSOLIDATIONS = ("average", "avg", "avg_zero", "sum", "max", "min", "first", "last")


@dataclass
class Series:
    name: str
    start: int
    end: int
    step: int
    values: np.ndarray                      # float64, NaN = null
    tags: dict[str, str] = field(default_factory=dict)
    path_expression: str = ""
    consolidation: str = "average"          # consolidationFunc
    values_per_point: int = 1               # valuesPerPoint (set by maxDataPoints)
    xff: float = 0.0                        # xFilesFactor

    def __post_init__(self) -> None:
        if not self.path_expression:
            self.path_expression = self.name
        if not self.tags:
            self.tags = tags_of_name(self.name)

    def __len__(self) -> int:
        return len(self.values)

    def copy(self, **changes) -> Series:
        """A new series sharing nothing mutable with this one (values and tags are copied)."""
        # not setdefault: that would copy the values even when new ones are given
        if "values" not in changes:
            changes["values"] = self.values.copy()
        if "tags" not in changes:
            changes["tags"] = dict(self.tags)
        return replace(self, **changes)

    def timestamps(self) -> np.ndarray:
        """Timestamp of each value."""
        return self.start + self.step * np.arange(len(self.values), dtype=np.int64)


def series_from_values(name: str, start: int, step: int, values, **kw) -> Series:
    """A fetched-style series: `end` follows from the number of values."""
    vals = np.asarray(values, dtype=np.float64)
    return Series(name, int(start), int(start + step * len(vals)), int(step), vals, **kw)


_FUNCTION_WRAPPED = re.compile(r"^[a-zA-Z]+[(].+[)]$")


def tags_of_name(name: str) -> dict[str, str]:
    """graphite-web's default tags for a series built without tags: the name's own tags
    when it parses as a (tagged) metric name, else just ``{'name': name}``; a name that
    looks like ``func(...)`` is never parsed."""
    if _FUNCTION_WRAPPED.match(name):
        return {"name": name}
    try:
        return parse_tags(normalize(name))
    except InvalidName:
        return {"name": name}
