"""Shared harness of the render function tests: build input series, call a registered
function as the evaluator would (with a fake context), and put the result in the shape the
expected values were recorded in from graphite-web 1.1.10."""

from __future__ import annotations

import math
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from render_api.context import RequestContext
from render_api.functions.common import InputParameterError
from render_api.registry import REGISTRY
from render_api.series import Series, series_from_values


def S(name, start, step, values, cf="average", xff=0.0, pe=""):
    """A fetched-style input series (values None = null); built fresh for every test."""
    return lambda: Series(name, start, start + step * len(values), step,
                          np.array([np.nan if v is None else v for v in values], dtype=float),
                          consolidation=cf, xff=xff, path_expression=pe)


class R(NamedTuple):
    """An expected output series as graphite-web 1.1.10 returned it."""
    name: str
    start: int
    end: int
    step: int
    values: list
    tags: dict
    path_expression: str


class Error(NamedTuple):
    message: str        # graphite-web's InputParameterError text (without "Invalid parameters")


def build(arg):
    if callable(arg):
        return arg()
    if isinstance(arg, list):
        return [build(a) for a in arg]
    return arg


def observed(series: Series) -> R:
    return R(series.name, series.start, series.end, series.step,
             [None if np.isnan(v) else float(v) for v in series.values], dict(series.tags),
             series.path_expression)


def run_case(fname, args, opts, expected):
    ctx = RequestContext(0, opts.get("end", 100), opts.get("end", 100), xff=opts.get("xff", 0.0))
    call = REGISTRY[fname].call
    if isinstance(expected, Error):
        with pytest.raises(InputParameterError) as info:
            call(ctx, *build(args))
        assert str(info.value) == expected.message
        return
    got = [observed(s) for s in call(ctx, *build(args))]
    # values compared exactly: the reducers add in graphite-web's order
    assert got == expected


def _series(spec) -> Series:
    name, start, step, values = spec[:4]
    extra = {"xff": spec[4]} if len(spec) > 4 else {}
    return series_from_values(name, start, step, [math.nan if v is None else v for v in values], **extra)


def _run(fname, inputs, args=(), kwargs=None, context=None):
    """Call a registered function as the evaluator would, with a fake ctx whose `evaluate`
    returns the context's prepared series and records the frames it was asked for."""
    context = context or {}
    frames = []

    def evaluate(ctx, target):
        frames.append((ctx.start, ctx.end))
        return [_series(s) for s in context.get("refetched", [])]

    ctx = RequestContext(start=context.get("start", 1000), end=context.get("end", 1300), now=2000,
                         tz=ZoneInfo(context.get("tz", "UTC")), evaluate=evaluate)
    args = [[_series(s) for s in a] if isinstance(a, list) else a for a in args]
    result = REGISTRY[fname].call(ctx, [_series(s) for s in inputs], *args, **(kwargs or {}))
    return result, frames


def _recorded(s: Series):
    values = [None if math.isnan(v) else v for v in s.values.tolist()]
    return (s.name, s.start, s.end, s.step, values, s.tags, s.path_expression)


def _expected(fname, expected):
    # timeShift: graphite-web keeps the re-fetched series' pathExpression; we set it to the
    # new name so an enclosing re-fetching function (movingAverage(timeShift(..))) re-shifts
    if fname == "timeShift":
        return [e[:6] + (e[0],) for e in expected]
    return expected


def check_recorded_case(case) -> None:
    """One recorded case: (id, function, inputs, args, kwargs, context, expected, frames)."""
    _, fname, inputs, args, kwargs, context, expected, frames = case
    result, asked = _run(fname, inputs, args, kwargs, context)
    assert [_recorded(s) for s in result] == expected
    assert asked == frames
