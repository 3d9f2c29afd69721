"""Building blocks the combining render functions share, as pure numpy over Series values.

What: aggregation by name over a stack of series (graphite-web's aggFuncs, with its
xFilesFactor rule), `normalize` (bring series to their least common step, consolidating
each by its own consolidation function), the position-wise stacking graphite-web's
`izip_longest` does, the percentile rule, `agg_key` (node or tag keys of aggKey/aliasByNode,
including the first path expression inside a function-wrapped name) and the `%g` number
spelling of generated names.
Why one module: sumSeries, groupByNode, asPercent and the filters must agree bit for bit on
what "sum" or "average" of a row means; order of additions follows graphite-web's Python
loops (left to right over the series) so results are identical, not merely close.
"""

from __future__ import annotations

import math
import re
from functools import reduce
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..series import Series

__all__ = [
    "InputParameterError", "AGG_FUNC_NAMES", "agg_func_name", "aggregate_stack",
    "percentile_stack", "stack_values", "consolidate", "normalize", "Normalized",
    "path_expressions", "common_tags", "agg_key", "node_or_tag", "first_path_expression",
    "format_g",
]


class InputParameterError(ValueError):
    """A parameter the client got wrong (graphite-web's InputParameterError): HTTP 400."""


# graphite-web functions/aggfuncs.py: the names `aggregate` and friends accept, and what each
# alias means.
_AGG_ALIASES = {"avg": "average", "total": "sum", "current": "last", "rangeOf": "range"}
_AGG_CANONICAL = ("average", "avg_zero", "median", "sum", "min", "max", "diff", "stddev",
                  "count", "range", "multiply", "last")
AGG_FUNC_NAMES = _AGG_CANONICAL + tuple(_AGG_ALIASES)


def agg_func_name(func: str) -> str:
    """The canonical aggregation behind `func` (``avg`` -> ``average``, ``sumSeries`` ->
    ``sum``); an unknown name raises InputParameterError with graphite-web's message."""
    short = func.removesuffix("Series")
    canonical = _AGG_ALIASES.get(short, short)
    if canonical not in _AGG_CANONICAL:
        raise InputParameterError(f"Unsupported aggregation function: {func}")
    return canonical


# ------------------------------------------------------------------------------ aggregation
# Every reducer takes `stack` (members x points, NaN = null) and `valid` (~isnan(stack)) and
# returns one value per point; columns without any valid value may hold anything (the caller
# masks them).

def _first_valid(stack: np.ndarray, valid: np.ndarray) -> np.ndarray:
    idx = np.argmax(valid, axis=0)
    return np.take_along_axis(stack, idx[None, :], axis=0)[0]


def _last_valid(stack: np.ndarray, valid: np.ndarray) -> np.ndarray:
    idx = stack.shape[0] - 1 - np.argmax(valid[::-1], axis=0)
    return np.take_along_axis(stack, idx[None, :], axis=0)[0]


def _sum(stack, valid):
    # reducing over axis 0 adds member after member: graphite-web's left-to-right sum()
    return np.add.reduce(stack, axis=0, where=valid, initial=0.0)


def _count(stack, valid):
    return valid.sum(axis=0).astype(np.float64)


def _average(stack, valid):
    with np.errstate(invalid="ignore", divide="ignore"):
        return _sum(stack, valid) / _count(stack, valid)


def _avg_zero(stack, valid):
    # nulls weigh in as zeros; a row's length includes the zip_longest padding
    return _sum(stack, valid) / stack.shape[0]


def _median(stack, valid):
    ordered = np.sort(stack, axis=0)                    # NaN sorts last
    n = valid.sum(axis=0)
    mid = n // 2
    upper = np.take_along_axis(ordered, mid[None, :], axis=0)[0]
    lower = np.take_along_axis(ordered, np.maximum(mid - 1, 0)[None, :], axis=0)[0]
    return np.where(n % 2 == 0, (lower + upper) / 2, upper)


def _min(stack, valid):
    return np.fmin.reduce(stack, axis=0)


def _max(stack, valid):
    return np.fmax.reduce(stack, axis=0)


def _diff(stack, valid):
    # first non-null minus each later one, subtracted in order as graphite-web's sum() does
    acc = np.full(stack.shape[1], np.nan)
    for row, ok in zip(stack, valid):
        started = ~np.isnan(acc)
        acc = np.where(ok & started, acc - row, np.where(ok, row, acc))
    return acc


def _stddev(stack, valid):
    mean = _average(stack, valid)
    dev = np.where(valid, stack - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(np.add.reduce(dev * dev, axis=0) / _count(stack, valid))


def _range(stack, valid):
    return _max(stack, valid) - _min(stack, valid)


def _multiply(stack, valid):
    # any null (or padding) in the row makes the product null
    return np.multiply.reduce(stack, axis=0)


_REDUCERS = {
    "average": _average, "avg_zero": _avg_zero, "median": _median, "sum": _sum, "min": _min,
    "max": _max, "diff": _diff, "stddev": _stddev, "count": _count, "range": _range,
    "multiply": _multiply, "last": _last_valid,
}


def aggregate_stack(stack: np.ndarray, func: str, xff: float | None = None) -> np.ndarray:
    """One value per column of `stack` (members x points, NaN = null): `func` (any name
    `agg_func_name` accepts) over the column's non-null values.

    A column is null unless it has a non-null value and non-null/members >= `xff` (None
    means 0), whatever `func` is, so an all-null column is null even for count and
    avg_zero.  For windows along axis 1 pass ``stack.T``; a single series is ``v[:, None]``.
    """
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim != 2:
        raise ValueError("aggregate_stack expects a 2-D array (members x points)")
    reducer = _REDUCERS[agg_func_name(func)]
    members, points = stack.shape
    if members == 0 or points == 0:
        return np.full(points, np.nan)
    valid = ~np.isnan(stack)
    nonnull = valid.sum(axis=0)
    keep = (nonnull > 0) & (nonnull / members >= (xff or 0.0))
    with np.errstate(invalid="ignore", over="ignore"):
        out = reducer(stack, valid)
    return np.where(keep, out, np.nan)


def percentile_stack(stack: np.ndarray, n: float, interpolate: bool = False) -> np.ndarray:
    """The `n`-th percentile of each column's non-null values (NIST rank n/100*(N+1), rounded
    up unless `interpolate`), graphite-web's _getPercentile; all-null columns are null.

    graphite-web raises IndexError for a rank past the last value (n > 100, or n = 100 with
    interpolate); here such ranks take the largest value, which is what it plainly means.
    """
    stack = np.asarray(stack, dtype=np.float64)
    members, points = stack.shape
    if members == 0:
        return np.full(points, np.nan)
    ordered = np.sort(stack, axis=0)
    count = (~np.isnan(stack)).sum(axis=0)
    fractional = (n / 100.0) * (count + 1)
    rank = np.floor(fractional).astype(np.int64)
    fraction = fractional - rank
    if not interpolate:
        rank = rank + np.ceil(fraction).astype(np.int64)
    last = np.maximum(count - 1, 0)
    pick = np.clip(rank - 1, 0, last)
    value = np.take_along_axis(ordered, pick[None, :], axis=0)[0]
    if interpolate:
        following = np.take_along_axis(ordered, np.clip(rank, 0, last)[None, :], axis=0)[0]
        step_up = (rank != count) & (rank > 0)
        with np.errstate(invalid="ignore"):
            value = np.where(step_up, value + fraction * (following - value), value)
    return np.where(count > 0, value, np.nan)


# --------------------------------------------------------------------------- normalisation

def stack_values(series: Sequence[Series]) -> np.ndarray:
    """The series' values side by side (members x longest), shorter ones padded with null:
    graphite-web's izip_longest rows, matched by position, never by timestamp."""
    width = max((len(s.values) for s in series), default=0)
    if series and all(len(s.values) == width for s in series):
        return np.stack([np.asarray(s.values, dtype=np.float64) for s in series])
    out = np.full((len(series), width), np.nan)
    for row, s in zip(out, series):
        row[:len(s.values)] = s.values
    return out


def consolidate(series: Series, values_per_point: int) -> Series:
    """`series` with every `values_per_point` values merged into one by its consolidation
    function (graphite-web TimeSeries.__consolidatingGenerator): chunks start at the first
    value, the last may be partial, a chunk is null unless its non-null count divided by
    `values_per_point` reaches the series' xFilesFactor; the step grows accordingly."""
    vpp = int(values_per_point)
    if vpp <= 1:
        return series
    func = {"avg": "average"}.get(series.consolidation, series.consolidation)
    n = len(series.values)
    chunks_n = -(-n // vpp)
    padded = np.full(chunks_n * vpp, np.nan)
    padded[:n] = series.values
    chunks = padded.reshape(chunks_n, vpp)
    valid = ~np.isnan(chunks)
    nonnull = valid.sum(axis=1)
    summed = np.add.reduce(np.where(valid, chunks, 0.0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if func == "sum":
            out = summed
        elif func == "average":
            out = summed / nonnull
        elif func == "avg_zero":
            # nulls count as zeros, over the values really present in the (last) chunk
            present = np.minimum(vpp, n - np.arange(chunks_n) * vpp)
            out = summed / present
        elif func == "max":
            out = np.fmax.reduce(chunks, axis=1)
        elif func == "min":
            out = np.fmin.reduce(chunks, axis=1)
        elif func == "first":
            out = _first_valid(chunks.T, valid.T)
        elif func == "last":
            out = _last_valid(chunks.T, valid.T)
        else:
            raise ValueError(f"Invalid consolidation function: '{series.consolidation}'")
    keep = (nonnull > 0) & (nonnull / vpp >= series.xff)
    return series.copy(values=np.where(keep, out, np.nan), step=series.step * vpp,
                       values_per_point=1)


class Normalized(NamedTuple):
    series: list[Series]        # every input series, consolidated to `step`
    start: int
    end: int
    step: int


def normalize(series_lists: Sequence[Sequence[Series]]) -> Normalized | None:
    """All series of `series_lists` brought to the least common multiple of their steps
    (each consolidated by lcm/own step), with the frame graphite-web's normalize() gives:
    start = earliest start, end = latest end trimmed to a whole number of steps.
    None when there is no series at all (graphite-web's NormalizeEmptyResultError)."""
    flat = [s for lst in series_lists for s in lst]
    if not flat:
        return None
    step = reduce(math.lcm, (int(s.step) for s in flat))
    start = min(s.start for s in flat)
    end = max(s.end for s in flat)
    end -= (end - start) % step
    return Normalized([consolidate(s, step // s.step) for s in flat], start, end, step)


# ------------------------------------------------------------------------------------ names

def path_expressions(series: Sequence[Series]) -> str:
    """The distinct path expressions of `series` in first-seen order, joined by ','
    (graphite-web formatPathExpressions)."""
    return ",".join(dict.fromkeys(s.path_expression for s in series))


def common_tags(series: Sequence[Series]) -> dict[str, str]:
    """The tags every series carries with the same value."""
    if not series:
        return {}
    tags = dict(series[0].tags)
    for s in series[1:]:
        tags = {k: v for k, v in tags.items() if s.tags.get(k, _MISSING) == v}
    return tags


_MISSING = object()


def format_g(value: float) -> str:
    """A number as printf ``%g`` spells it (``2``, ``0.5``, ``1e+06``), as generated names do."""
    return "%g" % value


def node_or_tag(series: Series, node, path: str | None = None) -> str:
    """One key part (graphite-web getNodeOrTag): an integer picks that dot-separated node of
    `path` (default the name) before any ';' tags, negative counting from the end; anything
    else, or an index out of range, is looked up as a tag ('' when absent)."""
    try:
        index = int(node)
    except (TypeError, ValueError):
        index = None
    if index is not None and index == node and not isinstance(node, str):
        nodes = (path or series.name).split(";", 2)[0].split(".")
        if -len(nodes) <= index < len(nodes):
            return nodes[index]
    return series.tags.get(str(node), "")


def agg_key(series: Series, nodes: Sequence) -> str:
    """The '.'-joined key of `nodes` (graphite-web aggKey, also aliasByNode's new name); a name
    ending in ')' is keyed on the first path expression inside it."""
    path = first_path_expression(series.name) if series.name.endswith(")") else None
    return ".".join(node_or_tag(series, n, path) for n in nodes)


# ---------------------------------------------------- first path expression of a target text
# A small PEG over graphite-web's target grammar (render/grammar_unsafe.py), enough to find
# the first path expression the way its pyparsing grammar does: alternatives are tried in
# order without backtracking into one that matched, whitespace is skipped between tokens,
# and a call that does not parse falls back to a bare path expression (`f(true.x)` -> `f`).

_SYMBOLS = "(){},.'\"\\|"
_METRIC_CHAR = "[" + "".join(re.escape(chr(c)) for c in range(33, 127)
                             if chr(c) not in _SYMBOLS) + "]"
_PARTIAL = r"(?:\\[(){},.'\"\\|=]|" + _METRIC_CHAR + ")+"
_ELEMENT = r"(?:" + _PARTIAL + r"|\{" + _PARTIAL + r"(?:," + _PARTIAL + r")*\})+"
_PATH = re.compile(_ELEMENT + r"(?:\." + _ELEMENT + ")*")
_ESCAPE = re.compile(r"\\(.)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WS = re.compile(r"[ \t\r\n]*")
_NUMBERS = (re.compile(r"(?:-?\d+\.\d+|-?\d+)[eE]-?\d+"), re.compile(r"-?\d+\.\d+"),
            re.compile(r"-?\d+"))
_STRING = re.compile(r"\"(?:[^\"\n\r\\]|\"\"|\\(?:[^x]|x[0-9a-fA-F]+))*\""
                     r"|'(?:[^'\n\r\\]|''|\\(?:[^x]|x[0-9a-fA-F]+))*'")
_KEYWORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_NO_PATH = object()     # an argument that is a literal, not an expression


class _Failed(Exception):
    pass


class _Parser:
    def __init__(self, text: str):
        self.text = text

    def ws(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def literal(self, i: int, char: str) -> int:
        i = self.ws(i)
        if self.text.startswith(char, i):
            return i + len(char)
        raise _Failed

    def expression(self, i: int):
        """(head's first path, end) of template | call | pathExpression plus pipes."""
        for alternative in (self.template, self.call, self.path):
            try:
                first, i = alternative(i)
                break
            except _Failed:
                continue
        else:
            raise _Failed
        while True:
            try:
                j = self.literal(i, "|")
                _, i = self.call(j)
            except _Failed:
                return first, i

    def path(self, i: int):
        i = self.ws(i)
        m = _PATH.match(self.text, i)
        if not m:
            raise _Failed
        return _ESCAPE.sub(r"\1", m.group()), m.end()

    def template(self, i: int):
        i = self.literal(i, "template")
        i = self.literal(i, "(")
        for alternative in (self.call, self.path):
            try:
                _, i = alternative(i)
                break
            except _Failed:
                continue
        else:
            raise _Failed
        try:
            j = self.literal(i, ",")
            i = self.literal_list(j)
        except _Failed:
            pass
        # graphite-web's loop finds no path expression directly under a template
        return None, self.literal(i, ")")

    def call(self, i: int):
        i = self.ws(i)
        m = _NAME.match(self.text, i)
        if not m:
            raise _Failed
        i = self.literal(m.end(), "(")
        first = None            # no argument at all (graphite-web raises IndexError)
        try:
            first, i = self.positional(i)
        except _Failed:
            pass
        i = self.literal(i, ")")
        return (None if first is _NO_PATH else first), i

    def positional(self, i: int):
        """The first positional argument's path and the end of all arguments."""
        first, i = self.arg_unless_kwarg(i)
        while True:
            try:
                j = self.literal(i, ",")
                _, i = self.arg_unless_kwarg(j)
            except _Failed:
                break
        try:
            j = self.literal(i, ",")
            i = self.kwargs(j, self.arg)
        except _Failed:
            pass
        return first, i

    def arg_unless_kwarg(self, i: int, value=None):
        value = value or self.arg
        try:
            self.kwarg(i, value)
        except _Failed:
            return value(i)
        raise _Failed

    def kwarg(self, i: int, value):
        i = self.ws(i)
        m = _NAME.match(self.text, i)
        if not m:
            raise _Failed
        i = self.literal(m.end(), "=")
        return value(i)

    def kwargs(self, i: int, value) -> int:
        _, i = self.kwarg(i, value)
        while True:
            try:
                j = self.literal(i, ",")
                _, i = self.kwarg(j, value)
            except _Failed:
                return i

    def literal_list(self, i: int) -> int:
        """template's extra arguments: literals, or else literal keyword arguments."""
        try:
            _, i = self.arg_unless_kwarg(i, self.literal_arg)
        except _Failed:
            return self.kwargs(i, self.literal_arg)
        while True:
            try:
                j = self.literal(i, ",")
                _, i = self.arg_unless_kwarg(j, self.literal_arg)
            except _Failed:
                return i

    def keyword(self, i: int, words: tuple[str, ...]) -> int:
        i = self.ws(i)
        for word in words:
            end = i + len(word)
            if (self.text[i:end].lower() == word
                    and (end >= len(self.text) or self.text[end] not in _KEYWORD_CHARS)):
                return end
        raise _Failed

    def number(self, i: int) -> int:
        i = self.ws(i)
        for pattern in _NUMBERS:
            m = pattern.match(self.text, i)
            if m:
                j = self.ws(m.end())
                if j >= len(self.text) or self.text[j] in ",)\n":
                    return m.end()
        raise _Failed

    def string(self, i: int) -> int:
        i = self.ws(i)
        m = _STRING.match(self.text, i)
        if not m:
            raise _Failed
        return m.end()

    def literal_arg(self, i: int):
        for alternative in (self.number, self.string):
            try:
                return _NO_PATH, alternative(i)
            except _Failed:
                continue
        raise _Failed

    def arg(self, i: int):
        for alternative in (lambda j: self.keyword(j, ("true", "false")), self.number,
                            lambda j: self.keyword(j, ("none",)), self.string,
                            lambda j: self.keyword(j, ("inf",))):
            try:
                return _NO_PATH, alternative(i)
            except _Failed:
                continue
        return self.expression(i)


def first_path_expression(name: str) -> str | None:
    """The first metric path expression inside a target text, as graphite-web's
    _getFirstPathExpression finds it (`scale(a.b,2)` -> `a.b`, `f(1,a.b)` -> None); a text
    that does not parse at all gives None (graphite-web raises)."""
    try:
        first, _ = _Parser(name).expression(0)
    except _Failed:
        return None
    return first
