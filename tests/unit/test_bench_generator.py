"""strata.bench.generator: names, values, time and pacing, payloads (pure functions)."""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pytest

from carbon_compat.parsers import parse_plaintext
from strata.bench import generator as g


def test_same_seed_gives_the_same_names_and_values_and_another_seed_does_not():
    a, b, c = g.Workload(500, seed=7), g.Workload(500, seed=7), g.Workload(500, seed=8)
    assert g.series_names(a) == g.series_names(b)
    assert np.array_equal(g.value_table(a, g.series_names(a)), g.value_table(b, g.series_names(b)))
    assert g.series_names(a) != g.series_names(c)


@pytest.mark.parametrize("hierarchy", g.HIERARCHIES)
def test_names_are_distinct_and_as_many_as_asked(hierarchy):
    names = g.series_names(g.Workload(1234, hierarchy=hierarchy))
    assert len(names) == 1234 == len(set(names))


def test_collectd_names_follow_write_graphite_layout():
    names = g.series_names(g.Workload(200, hierarchy="collectd"))
    assert all(n.startswith("collectd.") and n.count(".") >= 3 for n in names)
    hosts = {n.split(".")[1] for n in names}
    assert len(hosts) == -(-200 // len(g.COLLECTD_METRICS))
    assert all(h.endswith("_example_com") for h in hosts)      # dots in the host become '_'
    assert any(n.endswith(".cpu-0.cpu-user") for n in names)


def test_statsd_names_use_the_graphite_backend_namespaces():
    names = g.series_names(g.Workload(120, hierarchy="statsd"))
    assert {n.split(".")[0] for n in names} == {"stats", "stats_counts"}
    assert any(".timers." in n and n.endswith(".upper_90") for n in names)
    assert any(n.startswith("stats.gauges.") for n in names)


def test_tag_fraction_tags_that_share_in_carbon_form_with_sorted_tags():
    names = g.series_names(g.Workload(2000, tag_fraction=0.25, seed=3))
    tagged = [n for n in names if ";" in n]
    assert 0.2 < len(tagged) / len(names) < 0.3
    for n in tagged:
        tags = [t.split("=")[0] for t in n.split(";")[1:]]
        assert tags == sorted(tags)
    assert not any(";" in n for n in g.series_names(g.Workload(500)))


def test_bad_workload_is_refused_with_a_message():
    with pytest.raises(ValueError, match="series must be at least 1"):
        g.Workload(0)
    with pytest.raises(ValueError, match="hierarchy must be one of"):
        g.Workload(10, hierarchy="nagios")
    with pytest.raises(ValueError, match="tag fraction"):
        g.Workload(10, tag_fraction=1.5)


def test_values_have_realistic_shapes_and_round_trip_as_text():
    w = g.Workload(3000, variants=8)
    names = g.series_names(w)
    table = g.value_table(w, names)
    assert table.shape == (3000, 8) and np.isfinite(table).all()
    kinds = g.kinds(names)
    assert ((table[kinds == 1] >= 0) & (table[kinds == 1] <= 100)).all()       # percentages
    assert (table[kinds == 2] == np.round(table[kinds == 2])).all()             # counters are integers
    assert all(float(repr(v)) == v for v in table.ravel().tolist())
    assert not any("1111111111" in repr(v) for v in table.ravel().tolist())


def test_round_timestamps_step_by_the_interval():
    assert g.round_timestamps(1000, 10, 3, 4).tolist() == [1030, 1040, 1050, 1060]


def test_live_base_is_aligned_and_never_puts_a_round_ahead_of_its_send_time():
    now, interval, rounds, speedup = 1_700_000_007.3, 10, 50, 5.0
    base = g.live_base(now, interval, rounds, speedup)
    assert base % interval == 0
    for r in range(rounds):
        assert base + interval * r <= now + r * interval / speedup
    assert g.live_base(now, 10, 5, 1.0) == 1_700_000_000


def test_timeline_segments_do_not_overlap_and_stay_behind_the_clock():
    now = 1_700_000_003.0
    base, segs = g.plan_timeline(now, 10, 6, [100, 200], 12, 4.0)
    assert [s.name for s in segs] == ["backfill", "level 1", "level 2"]
    assert segs[0].rate is None and segs[1].rate == 100 * 4.0 / 10 and segs[2].rate == 80.0
    assert [s.first_round for s in segs] == [0, 6, 18]
    assert base + 10 * (6 - 1) <= now                               # backfill is all in the past
    level_start = now
    for s in segs[1:]:
        for r in range(s.rounds):       # each level starts no earlier than the previous one ended
            assert base + 10 * (s.first_round + r) <= level_start + r * 10 / 4.0
        level_start += s.rounds * 10 / 4.0


def test_pace_delay_spreads_points_at_the_offered_rate():
    assert g.pace_delay(0, 1000.0, 0.0) == 0.0
    assert g.pace_delay(500, 1000.0, 0.2) == pytest.approx(0.3)
    assert g.pace_delay(500, 1000.0, 0.9) == 0.0                    # behind: no wait
    assert g.pace_delay(10**6, None, 0.0) == 0.0                    # unpaced
    assert g.offered_rate(10_000, 10, 1.0) == 1000.0
    assert g.rounds_for(30, 10, 1.0) == 3 and g.rounds_for(30, 10, 10.0) == 30


def test_plaintext_chunks_parse_back_to_the_names_values_and_patched_timestamp():
    w = g.Workload(300, seed=2)
    names, table = g.series_names(w), g.value_table(w, g.series_names(w))
    chunks = g.build_chunks(w, "plaintext", 100, 250, 64)
    assert len(chunks) == w.variants and [n for _d, n in chunks[3]] == [64, 64, 22]
    data = b"".join(g.patch("plaintext", d, 1_700_000_030) for d, _n in chunks[3])
    batch, _rejects = parse_plaintext(data, now=1_700_000_100)
    got_names = list(batch.names)
    assert got_names == names[100:250]
    assert np.array_equal(np.asarray(batch.values), table[100:250, 3])
    assert set(np.asarray(batch.timestamps).tolist()) == {1_700_000_030}


def test_pickle_chunks_are_carbon_frames_with_the_patched_float_timestamp():
    w = g.Workload(1200, seed=2)
    names = g.series_names(w)
    (data, n), = g.build_chunks(w, "pickle", 0, 1200, 5000)[0]
    data = g.patch("pickle", data, 1_700_000_010)
    pts, off = [], 0
    while off < len(data):
        (size,) = struct.unpack("!L", data[off:off + 4])
        frame = pickle.loads(data[off + 4:off + 4 + size])
        assert len(frame) <= g.PICKLE_FRAME_POINTS
        pts += frame
        off += 4 + size
    assert n == 1200 and [p[0] for p in pts] == names
    assert {p[1][0] for p in pts} == {1_700_000_010.0}


def test_udp_datagrams_hold_whole_lines_within_the_size_limit():
    w = g.Workload(500, seed=4)
    grams = g.build_chunks(w, "udp", 0, 500, 1000)[0]
    assert sum(n for _d, n in grams) == 500
    assert all(len(d) <= g.UDP_DATAGRAM_BYTES and d.endswith(b"\n") and d.count(b"\n") == n for d, n in grams)


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="protocol must be one of"):
        g.build_chunks(g.Workload(10), "http", 0, 10, 5)


def test_dashboard_queries_cycle_the_four_kinds_over_real_names():
    w = g.Workload(2000)
    names = g.series_names(w)
    mix = g.dashboard_queries(names, 1, 3)
    assert [k for k, _p, _q in mix] == list(g.QUERY_KINDS) * 3
    single = [q["target"] for k, _p, q in mix if k == "single"]
    assert all(t in names for t in single)
    assert g.glob_over_instances("collectd.web-00001_x.cpu-0.cpu-user") == "collectd.*.cpu-0.cpu-user"
    assert g.glob_over_instances("stats.timers.api.endpoint_00001.mean") == "stats.timers.api.*.mean"
    assert g.glob_over_instances("stats.gauges.api.endpoint_00001.inflight") == "stats.gauges.api.*.inflight"
