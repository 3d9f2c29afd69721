"""Render handlers over a fake reader: the query limits answer with clear JSON errors."""

from __future__ import annotations

import json
import time
from zoneinfo import ZoneInfo

import numpy as np

from render_api import handlers
from render_api.series import series_from_values
from render_api.storage import QueryTooLarge

NOW = 1_700_000_000


class FakeReader:
    def __init__(self, n_series=3, points=10, delay=0.0, max_series=100):
        self.n_series, self.points, self.delay, self.max_series = n_series, points, delay, max_series

    def fetch(self, expr, start, end, now, xff):
        time.sleep(self.delay)
        if self.n_series > self.max_series:
            raise QueryTooLarge(f"{expr!r} matches {self.n_series} series, more than the limit of "
                                f"{self.max_series} (render.max_series)")
        return [series_from_values(f"m.{i}", start, 10, np.ones(self.points), path_expression=expr)
                for i in range(self.n_series)]


def render(reader, limits, **params):
    p = {k: [v] for k, v in params.items()}
    p.setdefault("format", ["json"])
    return handlers.render(p, reader, limits, NOW, ZoneInfo("UTC"))


def test_too_many_series_is_422_naming_the_setting():
    got = render(FakeReader(n_series=5, max_series=2), handlers.RenderLimits(), target="m.*")
    assert got.status == 422 and "render.max_series" in json.loads(got.content)["error"]


def test_too_many_points_is_422_naming_the_setting():
    got = render(FakeReader(n_series=3, points=100), handlers.RenderLimits(max_points=250), target="m.*")
    assert got.status == 422 and "render.max_points" in json.loads(got.content)["error"]
    ok = render(FakeReader(n_series=3, points=100), handlers.RenderLimits(max_points=300), target="m.*")
    assert ok.status == 200 and len(json.loads(ok.content)) == 3


def test_a_query_past_the_timeout_is_abandoned_with_503():
    got = render(FakeReader(delay=0.05), handlers.RenderLimits(timeout=0.01), target="sumSeries(a.*,b.*)")
    assert got.status == 503 and "render.timeout" in json.loads(got.content)["error"]


def test_bad_time_and_unknown_function_are_400_with_graphite_text():
    got = render(FakeReader(), handlers.RenderLimits(), target="m.*", **{"from": "-5m"})
    assert got.status == 400 and got.content.startswith(b"Invalid parameters (")
    got = render(FakeReader(), handlers.RenderLimits(), target="nosuch(m.*)")
    assert got.status == 400 and b"unknown function: nosuch" in got.content
