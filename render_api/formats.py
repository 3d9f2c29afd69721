"""The /render data formats: a list of series in, response body bytes and content type out.

What: json (and jsonp), csv, raw, pickle, msgpack, dygraph and rickshaw bodies byte for byte
as graphite-web 1.1.10 writes them (render/views.py renderView*), including its textual
NaN/Infinity patching of json, the json-only maxDataPoints and noNullPoints, and the cluster
shape of pickle/msgpack (`getInfo` dicts, no tags). Images (png, svg, pdf) are not data
formats and are refused with `UnsupportedFormat`.
Why pure: the HTTP layer owns parameters, headers and caching; this module only serialises.

Values are float64 with NaN for null. A series whose values array has an integer dtype is
printed with ints, as graphite-web prints the ints some functions (countSeries) produce.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import pickle
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

import msgpack
import numpy as np
import orjson

from .consolidate import apply_max_data_points, consolidated, consolidated_values
from .series import Series

DATA_FORMATS = ("json", "csv", "raw", "pickle", "msgpack", "dygraph", "rickshaw")

JSON = "application/json"
JAVASCRIPT = "text/javascript"

# Consolidations that keep ints ints in graphite-web (average divides, giving a float).
_INT_PRESERVING = ("sum", "max", "min", "first", "last")


class UnsupportedFormat(ValueError):
    """The format is not one graphite-web returns as data (images or unknown)."""


def render(series_list: list[Series], fmt: str | None, *, tz: tzinfo,
           max_data_points: int | None = None, no_null_points: bool = False,
           jsonp: str | None = None, pretty: bool = False) -> tuple[bytes, str]:
    """The body and content type graphite-web answers /render with for `format=fmt`.

    `jsonp` is the callback when the request had a `jsonp` parameter (even empty) and
    applies to json, dygraph and rickshaw; `max_data_points` and `no_null_points` only
    change the json body, as in graphite-web.
    """
    pieces, ctype = render_pieces(series_list, fmt, tz=tz, max_data_points=max_data_points,
                                  no_null_points=no_null_points, jsonp=jsonp, pretty=pretty)
    return b"".join(pieces), ctype


def render_pieces(series_list: list[Series], fmt: str | None, *, tz: tzinfo,
                  max_data_points: int | None = None, no_null_points: bool = False,
                  jsonp: str | None = None, pretty: bool = False) -> tuple[Iterable[bytes], str]:
    """`render`'s body as pieces to write in turn. A json body is written a series at a
    time as the pieces are taken, so a big one is never held whole and goes out while the
    rest is still being written."""
    if fmt == "json" and not pretty:
        pieces = json_pieces(series_list, max_data_points, no_null_points)
        if jsonp is None:
            return pieces, JSON
        return itertools.chain((jsonp.encode() + b"(",), pieces, (b")",)), JAVASCRIPT
    body, ctype = _whole(series_list, fmt, tz, max_data_points, no_null_points, jsonp, pretty)
    return [body], ctype


def _whole(series_list, fmt, tz, max_data_points, no_null_points, jsonp, pretty) -> tuple[bytes, str]:
    if fmt == "json":
        return _javascript_bytes(json_body(series_list, max_data_points, no_null_points, pretty), jsonp)
    if fmt == "dygraph":
        return _javascript(dygraph_text(series_list), jsonp)
    if fmt == "rickshaw":
        return _javascript(rickshaw_text(series_list, pretty), jsonp)
    if fmt == "csv":
        return csv_text(series_list, tz).encode("utf-8"), "text/csv"
    if fmt == "raw":
        return raw_text(series_list).encode("utf-8"), "text/plain"
    if fmt == "pickle":
        return pickle_body(series_list), "application/pickle"
    if fmt == "msgpack":
        return msgpack_body(series_list), "application/x-msgpack"
    raise UnsupportedFormat(f"format {fmt!r} is not a data format")


def _javascript(text: str, jsonp: str | None) -> tuple[bytes, str]:
    return _javascript_bytes(text.encode("utf-8"), jsonp)


def _javascript_bytes(body: bytes, jsonp: str | None) -> tuple[bytes, str]:
    if jsonp is None:
        return body, JSON
    return jsonp.encode() + b"(" + body + b")", JAVASCRIPT


def _is_integral(series: Series) -> bool:
    return series.values.dtype.kind in "iu" and (
        series.values_per_point <= 1 or series.consolidation in _INT_PRESERVING)


def python_values(series: Series, values: np.ndarray) -> list:
    """`values` as the Python objects graphite-web holds: None for null, ints for an
    integral series, floats otherwise."""
    nulls = np.isnan(values)
    if _is_integral(series):
        out = np.where(nulls, 0, values).astype(np.int64).astype(object)
    else:
        out = values.astype(object)
    out[nulls] = None
    return out.tolist()


def json_body(series_list: list[Series], max_data_points: int | None = None,
              no_null_points: bool = False, pretty: bool = False) -> bytes:
    """renderViewJson's body: [{"target", "tags", "datapoints": [[value, ts], ...]}, ...]."""
    if not pretty:
        return b"".join(json_pieces(series_list, max_data_points, no_null_points))
    shown = _json_series(series_list, max_data_points)
    return _pretty_json(shown, no_null_points) if shown is not None else b"[]"


def json_pieces(series_list: list[Series], max_data_points: int | None = None,
                no_null_points: bool = False) -> Iterator[bytes]:
    """`json_body` (not pretty) as pieces, in order: a series at a time, the header by
    json.dumps, the datapoints (the bulk of the body) by `_datapoints_json`."""
    shown = _json_series(series_list, max_data_points)
    if shown is None:
        yield b"[]"
        return
    yield b"["
    digits, separator = _StampDigits(regular=not no_null_points), b""
    for series, stamps, values in _json_points(shown, no_null_points):
        tags = {k: str(v) for k, v in series.tags.items()}
        head = f'{{"target": {json.dumps(series.name)}, "tags": {json.dumps(tags)}, "datapoints": '
        yield separator + _patched(head.encode())
        yield _datapoints_json(series, stamps, values, digits)
        separator = b"}, "
    yield b"}]" if separator else b"]"


def _json_series(series_list: list[Series], max_data_points: int | None) -> list[Series] | None:
    """The series the json body shows, or None when it is `[]`: graphite-web answers that
    unless at least one series has a value (`any(data)`)."""
    if not any(len(s) for s in series_list):
        return None
    if max_data_points is not None:
        return apply_max_data_points(series_list, max_data_points)
    return series_list


def _json_points(series_list: list[Series], no_null_points: bool):
    """(series, timestamps, values) of each series the json body lists."""
    for series in series_list:
        stamps, values = consolidated(series)
        if no_null_points:
            keep = ~np.isnan(values)
            stamps, values = stamps[keep], values[keep]
            if not len(values):
                continue
        yield series, stamps, values


def _pretty_json(series_list: list[Series], no_null_points: bool) -> bytes:
    entries = [{"target": series.name, "tags": {k: str(v) for k, v in series.tags.items()},
                "datapoints": list(zip(python_values(series, values), stamps.tolist()))}
               for series, stamps, values in _json_points(series_list, no_null_points)]
    return _patched(json.dumps(entries, indent=2).encode())


def _patched(text: bytes) -> bytes:
    # graphite-web patches the dumped text, names included, rather than the values.
    return text.replace(b"NaN,", b"null,").replace(b"Infinity,", b"1e9999,")


# orjson writes a float as Python's repr does (shortest round-trip digits) except where
# repr switches to an exponent: |v| < 1e-4 or >= 1e16, and infinities (orjson: null).
_REPR_PLAIN_LOW, _REPR_PLAIN_HIGH = 1e-4, 1e16


def _datapoints_json(series: Series, stamps: np.ndarray, values: np.ndarray,
                     digits: "_StampDigits") -> bytes:
    """`[[v, ts], [v, ts], ...]` exactly as json.dumps (then graphite-web's patch) writes it."""
    if not len(values):
        return b"[]"
    integral = _is_integral(series)
    exact = integral or _orjson_exact(values)       # orjson prints them as json.dumps does
    if exact and not integral and _ten_digits(stamps):
        return _datapoints_text(values, digits.of(stamps))
    pairs = list(zip(python_values(series, values), stamps.tolist()))
    if exact:
        return orjson.dumps(pairs).replace(b",", b", ")
    return _patched(json.dumps(pairs).encode())


# Each value's comma becomes this gap, whose zeros are then overwritten with the stamp.
_GAP, _GAP_DIGITS = b", 0000000000], [", 2
_LAST = b", 0000000000]]"


def _datapoints_text(values: np.ndarray, digits: np.ndarray) -> bytes:
    """The datapoints of float `values` (orjson-exact) at ten-digit stamps given as an
    (n, 10) array of ASCII digits, with no Python object per point: orjson writes the
    column, each comma becomes a gap for a stamp, and every stamp is copied in at once."""
    column = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)     # NaN as null
    commas = np.flatnonzero(np.frombuffer(column, dtype=np.uint8) == ord(","))
    out = bytearray(b"[" + column[:-1].replace(b",", _GAP) + _LAST)
    at = np.empty(len(commas) + 1, dtype=np.int64)
    # the i-th gap starts after "[" and i earlier gaps' growth
    at[:-1] = commas + np.arange(len(commas)) * (len(_GAP) - 1) + 1 + _GAP_DIGITS
    at[-1] = len(out) - len(_LAST) + _GAP_DIGITS
    np.frombuffer(out, dtype=np.uint8)[at[:, None] + np.arange(10)] = digits
    return bytes(out)       # what a transport takes


def _ten_digits(stamps: np.ndarray) -> bool:
    return bool(stamps.min() >= 10**9 and stamps.max() < 10**10)


class _StampDigits:
    """Ten-digit stamps as an (n, 10) array of ASCII digits, by table lookups.

    One json body's series mostly share their time axis, so a regular axis (no noNullPoints
    filtering) is written once per body."""

    _PAIRS = np.frombuffer(b"".join(b"%02d" % i for i in range(100)), dtype=np.uint16)
    _QUADS = np.frombuffer(b"".join(b"%04d" % i for i in range(10000)), dtype=np.uint32)

    def __init__(self, regular: bool):
        self._regular = regular
        self._memo: dict[tuple[int, int, int], np.ndarray] = {}

    def of(self, stamps: np.ndarray) -> np.ndarray:
        if not self._regular:
            return self._written(stamps)
        key = (int(stamps[0]), int(stamps[-1]), len(stamps))
        if key not in self._memo:
            self._memo[key] = self._written(stamps)
        return self._memo[key]

    @classmethod
    def _written(cls, stamps: np.ndarray) -> np.ndarray:
        words = np.empty((len(stamps), 5), dtype=np.uint16)
        words[:, 0] = cls._PAIRS[stamps // 10**8]
        quads = words[:, 1:].view(np.uint32)
        quads[:, 0] = cls._QUADS[stamps // 10**4 % 10**4]
        quads[:, 1] = cls._QUADS[stamps % 10**4]
        return words.view(np.uint8)


def _orjson_exact(values: np.ndarray) -> bool:
    """Whether every non-null value prints the same through orjson as through repr."""
    magnitude = np.abs(values)      # NaN compares false below: nulls never disqualify
    tiny = (magnitude < _REPR_PLAIN_LOW) & (magnitude > 0)
    return not (tiny.any() or (magnitude >= _REPR_PLAIN_HIGH).any())


def csv_text(series_list: list[Series], tz: tzinfo) -> str:
    """renderViewCsv's body: excel-dialect rows `name,YYYY-MM-DD HH:MM:SS,value` in `tz`.

    Rows are timed start + i * step even for a series with valuesPerPoint > 1, as in
    graphite-web.
    """
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel")
    for series in series_list:
        values = python_values(series, consolidated_values(series))
        stamps = series.start + series.step * np.arange(len(values), dtype=np.int64)
        # zoneinfo exposes no transition table to vectorise over, so each time is
        # converted on its own; csv is a rarely used, human-sized format.
        times = [datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")
                 for t in stamps.tolist()]
        writer.writerows((series.name, t, v) for t, v in zip(times, values))
    return out.getvalue()


def raw_text(series_list: list[Series]) -> str:
    """renderViewRaw's body: `name,start,end,step|v1,v2,...` per series, values by repr."""
    lines = []
    for series in series_list:
        values = python_values(series, consolidated_values(series))
        head = f"{series.name},{int(series.start)},{int(series.end)},{int(series.step)}|"
        lines.append(head + ",".join(map(repr, values)) + "\n")
    return "".join(lines)


def series_info(series: Series) -> dict:
    """TimeSeries.getInfo: the dict a cluster frontend unpickles (no tags)."""
    return {
        "name": series.name,
        "start": int(series.start),
        "end": int(series.end),
        "step": int(series.step),
        "values": python_values(series, consolidated_values(series)),
        "pathExpression": series.path_expression,
        "valuesPerPoint": int(series.values_per_point),
        "consolidationFunc": series.consolidation,
        "xFilesFactor": float(series.xff),
    }


def pickle_body(series_list: list[Series]) -> bytes:
    """renderViewPickle's body: the getInfo dicts at the highest pickle protocol.

    The pickler writes a string met twice as a reference, so the bytes follow string
    identity: as in graphite-web, a function-built series whose path expression *is* its
    name shares it, while a fetched series holds the pattern and the store's path as two
    objects. The unpickled value is the same either way.
    """
    return pickle.dumps([series_info(s) for s in series_list], protocol=pickle.HIGHEST_PROTOCOL)


def msgpack_body(series_list: list[Series]) -> bytes:
    """renderViewMsgPack's body: the getInfo dicts as msgpack with the bin type."""
    return msgpack.packb([series_info(s) for s in series_list], use_bin_type=True)


def dygraph_text(series_list: list[Series]) -> str:
    """renderViewDygraph's body: `{"labels" : [...], "data" : [[<ts>000, v, ...], ...]}`.

    Rows are the first series' timestamps. graphite-web fails (500) when a later series
    has more points than that (IndexError) or fewer (a row too short for its template);
    here extra points are dropped and missing ones printed as null.
    """
    if not series_list:
        return "{}"
    first = series_list[0]
    stamps = range(first.start, first.end, first.step)
    columns = [_dygraph_cells(s, len(stamps)) for s in series_list]
    rows = [f"[{ts}000" + "".join(", " + col[i] for col in columns) + "]"
            for i, ts in enumerate(stamps)]
    labels = json.dumps(["Time"] + [s.name for s in series_list])
    return f'{{"labels" : {labels}, "data" : [{", ".join(rows)}]}}'


def _dygraph_cells(series: Series, rows: int) -> list[str]:
    values = python_values(series, consolidated_values(series))[:rows]
    cells = ["null" if v is None else _dygraph_number(v) for v in values]
    return cells + ["null"] * (rows - len(cells))


def _dygraph_number(value) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def rickshaw_text(series_list: list[Series], pretty: bool = False) -> str:
    """renderViewRickshaw's body: [{"target", "datapoints": [{"x": ts, "y": v}, ...]}].

    Timestamps are range(start, end, step) whatever valuesPerPoint is, and infinities are
    left as bare `Infinity` (graphite-web does not patch this body).
    """
    entries = []
    for series in series_list:
        values = python_values(series, consolidated_values(series))
        stamps = range(series.start, series.end, series.step)
        points = [{"x": x, "y": y} for x, y in zip(stamps, values)]
        entries.append({"target": series.name, "datapoints": points})
    return json.dumps(entries, indent=2 if pretty else None)
