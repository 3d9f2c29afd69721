"""strata.bench.report: the table rows, the text table, the JSON and the offline HTML."""

from __future__ import annotations

import json
import re

import numpy as np

from strata.bench import report


def _segment(name, series, sent, readable, rate, cpu, bounded=True, trace=None):
    return {"name": name, "series": series, "rounds": 3, "offered_rate": rate, "sent": sent,
            "readable": readable, "readable_rate": readable / 10.0, "lag_end_s": 0.5, "drained_in_s": 1.25,
            "bounded": bounded, "resources": {"server": {"cpu_pct": cpu, "rss_peak_mb": 80.0}},
            "trace": trace or [(2.0, 2000, 1500), (4.0, 4000, 3900)], "window": [0, 20]}


def _target(name, scale, store_check=None):
    return {"name": name, "kind": "strata", "segments": [_segment("level 1", 1000, 3000, 3000 * scale, 100.0, 20.0),
                                                          _segment("level 2", 2000, 6000, 5000, 200.0, 90.0, False)],
            "visibility": {"probes": 3, "seen": 3, "p50": 0.08, "max": 0.2, "latencies_s": [0.05, 0.08, 0.2]},
            "queries": {"kinds": {"single": {"p50": 0.004, "p90": 0.008, "p99": 0.01, "errors": 0,
                                             "latencies_s": [0.003, 0.004, 0.01]}}},
            "disk": {"bytes_per_point": 2.5 * scale, "bytes_per_series": 1024, "allocated": 4096, "apparent": 8192},
            "resources": {"server": {"cpu_pct": 30.0, "rss_peak_mb": 90.0}},
            "capacity": f"{name} sustains 1,000 series at 10 s.", "errors": [], "store_check": store_check}


def _result(two=True):
    targets = {"strata": _target("strata", 1.0, {"segments": [
        {"name": "level 1", "stored": 3000, "sent": 3000, "value_mismatches": 0, "counted_series": 1000,
         "readable": 3000}]})}
    if two:
        targets["carbon"] = _target("carbon", 0.5)
    plan = {"protocol": "plaintext", "seconds": 30.0, "levels": [1.0, 2.0], "speedup": 1.0, "backfill": 0,
            "workload": {"series": 1000, "interval": 10, "hierarchy": "mixed", "tag_fraction": 0.0, "seed": 1}}
    return {"bench": {"date": "2026-11-21 09:00:00 UTC", "host": "vm", "cpus": 2, "ram_gib": 24.0,
                      "python": "3.11.7", "loadavg_start": [1.0, 1, 1], "loadavg_end": [2.0, 1, 1],
                      "elapsed_s": 100.0, "plan": plan}, "targets": targets}


def test_rows_give_one_value_per_target_and_the_first_over_second_ratio():
    rows = {}
    for label, vals, r in report.rows(_result()):
        rows.setdefault(label.strip(), (vals, r))                   # level 1's rows come first
    assert rows["readable points"] == (["3,000", "1,500"], "2.00x")
    assert rows["allocated bytes per readable point"] == (["2.5", "1.2"], "2.00x")
    assert rows["verdict"][0] == ["bounded", "bounded"]
    assert rows["single p50"][0] == ["4.0 ms", "4.0 ms"]
    assert rows["seen / probes"][0] == ["3/3", "3/3"]


def test_growing_lag_is_flagged_in_the_verdict_row():
    verdicts = [vals for label, vals, _r in report.rows(_result()) if label.strip() == "verdict"]
    assert verdicts[1] == ["LAG GROWS", "LAG GROWS"]


def test_text_table_has_header_rows_capacity_and_store_check():
    text = report.text_table(_result())
    assert "strata / carbon" in text.splitlines()[3]
    assert "capacity: strata sustains 1,000 series at 10 s." in text
    assert "store check, strata level 1: 3,000 points stored of 3,000 sent" in text
    assert "1000 series (mixed)" not in text and "1,000 series (mixed)" in text


def test_single_target_table_has_no_ratio_column():
    text = report.text_table(_result(two=False))
    assert " / " not in text.splitlines()[3]


def test_html_is_self_contained_with_svg_plots(tmp_path):
    paths = report.write_reports(_result(), tmp_path / "out")
    page = paths["html"].read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)\s*=", page)                   # nothing loaded from anywhere
    assert set(re.findall(r"https?://[^\"' ]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert page.count("<svg") >= 4                                  # 2 throughput, 1 latency, visibility, disk
    assert "<polyline" in page and "<rect" in page
    assert json.loads(paths["json"].read_text())["targets"]["carbon"]["disk"]["bytes_per_point"] == 1.25
    assert "capacity" not in paths["text"].read_text().splitlines()[0]


def test_nice_ticks_are_round_and_cover_the_range():
    assert report.nice_ticks(0, 9.3) == [0, 2, 4, 6, 8, 10]
    assert report.nice_ticks(0, 1234) == [0, 250, 500, 750, 1000, 1250]
    ticks = report.nice_ticks(3.0, 3.0)
    assert ticks[0] <= 3.0 <= ticks[-1]


def test_histogram_shares_log_bins_and_counts_every_value():
    edges, counts = report.histogram([[0.001, 0.002, 0.1], [0.05]], bins=6)
    assert len(edges) == 7 and edges[0] == 0.001 and edges[-1] >= 0.1
    assert [int(c.sum()) for c in counts] == [3, 1]
    assert np.all(np.diff(edges) > 0)


def test_missing_figures_print_as_dashes_not_zeros():
    res = _result(two=False)
    res["targets"]["strata"]["disk"] = None
    res["targets"]["strata"]["visibility"] = None
    rows = {label.strip(): vals for label, vals, _r in report.rows(res)}
    assert rows["allocated bytes per readable point"] == ["-"]
    assert rows["p50"] == ["-"]
    assert "not measured" in report.svg_bars([("strata", None, "#000")], "B")


def test_progress_bar_draws_one_line_on_a_terminal_and_nothing_otherwise():
    import io

    from strata.bench.progress import Progress, bar
    assert bar(0.5, 10) == "#####-----" and bar(2.0, 4) == "####"
    quiet = io.StringIO()                                           # not a tty
    Progress("level 1", 30, stream=quiet).update(sent="1,000")
    assert quiet.getvalue() == ""
    tty = io.StringIO()
    p = Progress("level 1", 30, stream=tty, enabled=True)
    p.update(sent="1,000")
    p.close()
    assert tty.getvalue().startswith("\rlevel 1") and "sent 1,000" in tty.getvalue() and "\n" not in tty.getvalue()
