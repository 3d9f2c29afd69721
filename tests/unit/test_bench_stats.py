"""strata.bench.stats: percentiles, ratios, backlog, lag and the capacity verdict."""

from __future__ import annotations

import pytest

from strata.bench import stats


def test_percentiles_interpolate_between_closest_ranks():
    p = stats.percentiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert p["count"] == 10 and p["min"] == 1 and p["max"] == 10 and p["mean"] == 5.5
    assert p["p50"] == pytest.approx(5.5)
    assert p["p90"] == pytest.approx(9.1)
    assert p["p99"] == pytest.approx(9.91)


def test_percentiles_ignore_missing_values_and_report_none_when_empty():
    assert stats.percentiles([None, 3.0, float("nan")])["p99"] == 3.0
    empty = stats.percentiles([])
    assert empty["count"] == 0 and empty["p50"] is None and empty["max"] is None


def test_ratio_is_a_over_b_and_none_rather_than_infinite():
    assert stats.ratio(6.0, 3.0) == 2.0
    assert stats.ratio(1.0, 0) is None
    assert stats.ratio(None, 3.0) is None and stats.ratio(3.0, None) is None
    assert stats.ratio(float("nan"), 1.0) is None


def test_rate_series_differentiates_cumulative_samples():
    trace = [(0.0, 0, 0), (2.0, 2000, 1000), (4.0, 4000, 3000), (4.0, 4000, 3000)]
    assert stats.rate_series(trace) == [(2.0, 1000.0, 500.0), (4.0, 1000.0, 1000.0)]


def test_backlog_growth_over_the_second_half():
    growing = [(t, 1000.0 * t, 800.0 * t) for t in range(11)]        # backlog +200/s
    steady = [(t, 1000.0 * t, 1000.0 * t - 50) for t in range(11)]
    assert stats.backlog_growth(growing, 10.0) == pytest.approx(200.0)
    assert stats.backlog_growth(steady, 10.0) == pytest.approx(0.0)
    assert stats.backlog_growth([(9.0, 1, 1)], 10.0) is None


def test_lag_is_backlog_in_seconds_of_offered_traffic():
    assert stats.lag_seconds(10_000, 7_000, 1_000) == 3.0
    assert stats.lag_seconds(10_000, 10_500, 1_000) == 0.0
    assert stats.lag_seconds(1, 0, 0) is None


def test_bounded_needs_a_small_growth_and_a_drain_in_time():
    assert stats.is_bounded(5.0, 1000.0, 1.0, 5.0)
    assert not stats.is_bounded(150.0, 1000.0, 1.0, 5.0)              # backlog grows 15% of offered
    assert not stats.is_bounded(0.0, 1000.0, None, 5.0)               # never drained
    assert not stats.is_bounded(0.0, 1000.0, 9.0, 5.0)                # drained too late


def test_headroom_is_the_unused_share_of_one_core():
    assert stats.headroom(25.0) == 0.75
    assert stats.headroom(130.0) == 0.0
    assert stats.headroom(None) is None


def test_capacity_summary_names_the_largest_bounded_level_and_where_lag_grows():
    text = stats.capacity_summary("strata", [
        {"series": 10_000, "bounded": True, "cpu_pct": 20.0, "lag_end_s": 0.0, "drained_in_s": 0.2},
        {"series": 20_000, "bounded": False, "cpu_pct": 99.0, "lag_end_s": 12.5, "drained_in_s": None}], 10)
    assert "sustains 10,000 series at 10 s with 80% CPU headroom" in text
    assert "about 50,000 series at 10 s would saturate that core (an estimate" in text
    assert "at 20,000 series the ingest lag grows (lag 12.5 s" in text


def test_capacity_summary_when_every_level_keeps_up_or_none_does():
    ok = stats.capacity_summary("carbon", [
        {"series": 1000, "bounded": True, "cpu_pct": 10.0, "lag_end_s": 0, "drained_in_s": 0.1},
        {"series": 2000, "bounded": True, "cpu_pct": 20.0, "lag_end_s": 0, "drained_in_s": 0.1}], 10, 6.0)
    assert "sustains 2,000 series at 10 s time-compressed 6x (the load of 12,000 series at 10 s)" in ok
    assert "about 60,000 series at 10 s would saturate" in ok
    assert "bounded at every level measured (up to 2,000 series)" in ok
    bad = stats.capacity_summary("x", [{"series": 5, "bounded": False, "cpu_pct": None,
                                        "lag_end_s": None, "drained_in_s": 3.0}], 10)
    assert bad.startswith("x did not keep up at any measured level")
    assert "drained 3.0 s after sending stopped" in bad
    assert stats.capacity_summary("y", [], 10) == "y: no load level was measured."
