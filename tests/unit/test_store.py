"""Store behaviour on a temp directory: writes, reads, limits, errors, reopening."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from rollup.schemas import parse_aggregation, parse_schemas
from tsdb import CorruptFile, Store, StoreConfig, StoreLocked, UnknownFormatVersion
from tsdb import layout

NOW = 1_700_000_000  # 22:13:20 UTC; 10 s buckets start on multiples of 10


def open_store(path, **kw) -> Store:
    kw.setdefault("shards", 4)
    return Store.open(path, StoreConfig(**kw), now=NOW)


def test_raw_read_returns_last_write_per_bucket(tmp_path):
    # carbon: the cache keys points by timestamp, so a re-sent point replaces the old one.
    with open_store(tmp_path) as s:
        s.write(["a.b"] * 3, [NOW - 20, NOW - 20, NOW - 15], [1.0, 2.0, 3.0], now=NOW)
        got = s.read("a.b", NOW - 30, NOW, now=NOW)
    assert got.step == 10
    assert got.start == NOW - 20          # whisper: from is exclusive, first bucket after it
    assert got.values.tolist()[:2] == [3.0, np.nan] or np.isnan(got.values[1])
    assert got.values[0] == 3.0


def test_bucket_keeps_every_point_in_its_stats(tmp_path):
    with open_store(tmp_path) as s:
        s.write(["a.b"] * 3, [NOW - 20, NOW - 18, NOW - 15], [1.0, 5.0, 3.0], now=NOW)
        read = lambda agg: s.read("a.b", NOW - 30, NOW - 10, aggregate=agg, now=NOW).values[0]
        assert (read("count"), read("sum"), read("min"), read("max"), read("last")) == (3, 9, 1, 5, 3)
        assert read("average") == 3.0
        assert read("stddev") == pytest.approx(np.std([1.0, 5.0, 3.0]), rel=1e-12)


def test_read_range_follows_whisper_fetch(tmp_path):
    # whisper.fetch: fromInterval = from - from%step + step; untilInterval likewise; (from, until].
    with open_store(tmp_path) as s:
        s.write(["m"], [NOW - 100], [1.0], now=NOW)
        got = s.read("m", NOW - 101, NOW - 51, now=NOW)
    assert (got.start, got.step, len(got.values)) == (NOW - 100, 10, 5)


def test_read_from_in_future_or_past_retention_is_none(tmp_path):
    with open_store(tmp_path) as s:
        s.write(["m"], [NOW], [1.0], now=NOW)
        assert s.read("m", NOW + 10, NOW + 20, now=NOW) is None
        assert s.read("m", NOW - 10 * 365 * 86400, NOW - 9 * 365 * 86400, now=NOW) is None
        assert s.read("unknown.metric", NOW - 60, NOW, now=NOW) is None


def test_older_from_selects_coarser_level_with_exact_aggregates(tmp_path):
    with open_store(tmp_path) as s:
        ts = NOW - 3600 + np.arange(0, 60, 10)        # six points in one minute, 1 h ago
        base = NOW - 3600 - (NOW - 3600) % 60
        ts = base + np.arange(0, 60, 10)
        s.write(["m"] * 6, ts, [1, 2, 3, 4, 5, 6], now=NOW)
        day = s.read("m", NOW - 86400, NOW, aggregate="max", now=NOW)
        assert day.step == 60
        i = (base - day.start) // 60
        assert day.values[i] == 6
        assert s.read("m", NOW - 86400, NOW, aggregate="count", now=NOW).values[i] == 6
        # storage-aggregation default is average, xFilesFactor 0.5
        assert s.read("m", NOW - 86400, NOW, now=NOW).values[i] == 3.5


def test_aggregation_rule_chooses_default_method_and_xff(tmp_path):
    agg = parse_aggregation("[sums]\npattern = \\.count$\nxFilesFactor = 0.9\naggregationMethod = sum\n")
    with open_store(tmp_path, aggregations=agg) as s:
        base = NOW - 3600 - (NOW - 3600) % 60
        s.write(["x.count"] * 6, base + np.arange(0, 60, 10), np.ones(6), now=NOW)
        s.write(["y.count"] * 3, base + np.arange(0, 30, 10), np.ones(3), now=NOW)
        x = s.read("x.count", NOW - 86400, NOW, now=NOW)
        y = s.read("y.count", NOW - 86400, NOW, now=NOW)
        i = (base - x.start) // 60
    assert x.values[i] == 6
    assert np.isnan(y.values[i])            # 3 of 6 slots known < xFilesFactor 0.9


def test_dropped_points_are_counted_by_reason(tmp_path):
    with open_store(tmp_path) as s:
        res = s.write(["a", "a", "a", "a", "a", "bad;=x", "a"],
                      [NOW, NOW, NOW + 10 ** 7, -5, NOW - 10 ** 9, NOW, float("nan")],
                      [1.0, float("nan"), 1.0, 1.0, 1.0, 1.0, 1.0], now=NOW)
    assert res.accepted == 1
    assert dict(res.dropped) == {"nan_value": 1, "future_timestamp": 1, "negative_timestamp": 1,
                                 "too_old": 1, "invalid_name": 1, "bad_timestamp": 1}


def test_series_limit_rejects_new_names_only(tmp_path):
    with open_store(tmp_path, max_series=2) as s:
        res = s.write(["a", "b", "c", "a"], [NOW] * 4, [1.0] * 4, now=NOW)
    assert res.dropped["series_limit"] == 1
    assert res.accepted == 3


def test_tagged_names_are_normalised_on_write_and_read(tmp_path):
    with open_store(tmp_path) as s:
        s.write(["cpu;host=a;dc=eu"], [NOW], [7.0], now=NOW)
        assert "cpu;dc=eu;host=a" in s
        got = s.read("cpu;host=a;dc=eu", NOW - 10, NOW, now=NOW)
    assert got.name == "cpu;dc=eu;host=a"
    assert got.values[-1] == 7.0


def test_find_and_expand_cover_plain_paths(tmp_path):
    with open_store(tmp_path) as s:
        s.write(["a.b.c", "a.b.d", "a.x", "t;k=v"], [NOW] * 4, [1.0] * 4, now=NOW)
        assert s.expand("a.b.*") == ["a.b.c", "a.b.d"]
        assert ("a.b", False) in s.find("a.*")
        assert s.expand("t*") == []


def test_data_survives_close_and_reopen(tmp_path):
    with open_store(tmp_path) as s:
        s.write(["a.b", "c.d"], [NOW - 10, NOW], [1.5, 2.5], now=NOW)
    with open_store(tmp_path) as s:
        assert s.read("a.b", NOW - 20, NOW, now=NOW).values[0] == 1.5
        assert s.read("c.d", NOW - 20, NOW, now=NOW).values[-1] == 2.5
        assert len(s) == 2


def test_sealed_blocks_read_back_after_maintenance(tmp_path):
    later = NOW + 3 * 3600
    with open_store(tmp_path) as s:
        s.write(["a.b"] * 3, [NOW - 30, NOW - 20, NOW - 20], [1.0, 2.0, 4.0], now=NOW)
        done = s.maintain(now=later)
        assert done["sealed"] >= 1
        assert list(tmp_path.rglob("*.sealed"))
        got = s.read("a.b", NOW - 40, NOW, aggregate="sum", now=later)
    assert got.values[:2].tolist() == [1.0, 6.0]


def test_runs_of_sealed_blocks_read_the_same_from_cache_and_after_a_reseal(tmp_path):
    hour = 3600
    base = NOW - NOW % hour - 8 * hour
    stamps = [base + h * hour + 10 * k for h in (1, 2, 4, 5) for k in range(3)]
    later = base + 6 * hour + 700      # every block sealed (600 s grace), all in raw retention
    with open_store(tmp_path, shards=1) as s:
        s.write(["a.b"] * len(stamps), stamps, [float(t % 7) for t in stamps], now=later)
        s.write(["c.d"] * len(stamps), stamps, [1.0] * len(stamps), now=later)
        assert s.maintain(now=later)["sealed"] >= 4
        # starts in a block that does not exist; two runs of sealed blocks around a gap
        frame = (base + 800, base + 6 * hour)
        reads = [s.read_many(["a.b", "c.d"], *frame, now=later) for _ in range(2)]
        for got in reads:
            a = got[0]
            expected = {t: float(t % 7) for t in stamps}
            known = {int(t): v for t, v in zip(a.start + a.step * np.arange(len(a.values)), a.values)
                     if not np.isnan(v)}
            assert known == expected
            assert np.nansum(got[1].values) == len(stamps)
        s.write(["a.b"], [base + 2 * hour + 100], [99.0], now=later)
        s.maintain(now=later)
        a = s.read("a.b", *frame, now=later)
        assert a.values[(base + 2 * hour + 100 - a.start) // a.step] == 99.0


def test_a_sliding_window_reuses_and_extends_the_run_of_sealed_blocks(tmp_path):
    hour = 3600
    base = NOW - NOW % hour - 8 * hour
    stamps = [base + h * hour + 10 * k for h in range(1, 6) for k in range(0, 360, 7)]
    later = base + 6 * hour + 700
    with open_store(tmp_path, shards=1) as s:
        s.write(["a.b"] * len(stamps), stamps, [float(t % 11) for t in stamps], now=later)
        s.maintain(now=later)
        for first, last in ((1, 4), (2, 6), (1, 3), (1, 6), (2, 4)):   # shares some blocks, or lies inside
            got = s.read("a.b", base + first * hour - 10, base + last * hour - 10, now=later)
            times = got.start + got.step * np.arange(len(got.values))
            expected = {t: float(t % 11) for t in stamps if got.start <= t < got.end}
            assert {int(t): v for t, v in zip(times, got.values) if not np.isnan(v)} == expected


def test_second_writer_is_refused_with_the_holder(tmp_path):
    with open_store(tmp_path):
        with pytest.raises(StoreLocked, match=r"locked by another writer \(pid \d+\)"):
            open_store(tmp_path)


def test_corrupt_sealed_block_names_the_file(tmp_path):
    later = NOW + 3 * 3600
    with open_store(tmp_path, shards=1) as s:
        s.write(["a.b"], [NOW - 30], [1.0], now=NOW)
        s.maintain(now=later)
    sealed = next(tmp_path.rglob("level-0/*.sealed"))
    data = bytearray(sealed.read_bytes())
    data[-3] ^= 0xFF
    sealed.write_bytes(bytes(data))
    with open_store(tmp_path, shards=1) as s:
        with pytest.raises(CorruptFile, match=rf"corrupt file {sealed}: row 0 checksum mismatch"):
            s.read("a.b", NOW - 60, NOW, now=later)


def test_unknown_format_version_is_refused_naming_the_file(tmp_path):
    open_store(tmp_path).close()
    meta = layout.meta_path(tmp_path)
    doc = json.loads(meta.read_text())
    doc["format_version"] = 99
    meta.write_text(json.dumps(doc))
    with pytest.raises(UnknownFormatVersion, match=rf"{meta}: unknown format version 99"):
        open_store(tmp_path)


def test_head_with_unknown_version_is_refused(tmp_path):
    with open_store(tmp_path, shards=1) as s:
        s.write(["a"], [NOW], [1.0], now=NOW)
    head = next(tmp_path.rglob("*.head"))
    with open(head, "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<H", 7))
    with pytest.raises(UnknownFormatVersion, match=str(head)):
        open_store(tmp_path, shards=1)


def test_torn_name_log_tail_is_cut_and_store_reopens(tmp_path):
    with open_store(tmp_path, shards=1) as s:
        s.write(["a", "b"], [NOW, NOW], [1.0, 2.0], now=NOW)
    log = layout.namelog_path(tmp_path, 0)
    size = log.stat().st_size
    with open(log, "ab") as f:
        f.write(b"\x01\x02\x03")                       # half a record, as a crash leaves it
    with open_store(tmp_path, shards=1) as s:
        assert len(s) == 2
        s.write(["c"], [NOW], [3.0], now=NOW)
        assert s.read("c", NOW - 10, NOW, now=NOW).values[-1] == 3.0
    assert log.stat().st_size > size


def test_series_get_their_own_schema(tmp_path):
    schemas = parse_schemas("[fast]\npattern = ^fast\\.\nretentions = 1s:1m,10s:1h\n"
                            "[rest]\npattern = .*\nretentions = 60s:1d\n")
    with open_store(tmp_path, schemas=schemas) as s:
        s.write(["fast.a", "slow.a"], [NOW, NOW], [1.0, 2.0], now=NOW)
        assert s.read("fast.a", NOW - 30, NOW, now=NOW).step == 1
        assert s.read("slow.a", NOW - 30, NOW, now=NOW).step == 60
        assert len(s.lanes) == 2


def test_write_rejects_mismatched_columns(tmp_path):
    with open_store(tmp_path) as s:
        with pytest.raises(ValueError, match="differ in length"):
            s.write(["a", "b"], [NOW], [1.0, 2.0], now=NOW)


def test_write_reports_each_points_series_id_and_takes_them_back(tmp_path):
    with open_store(tmp_path) as s:
        first = s.write(["a.b", "bad;tag", "c.d", "a.b"], [NOW - 20, NOW, NOW, np.nan],
                        [1.0, 2.0, 3.0, 4.0], now=NOW)
        a, c = s.index.id_of("a.b"), s.index.id_of("c.d")
        # -2: the name was rejected; -1: the point was dropped (bad timestamp) before its
        # then unknown name was resolved
        assert first.ids.tolist() == [a, -2, c, -1]
        # ids given back are used as given: -1 ones are looked up (and created) by name
        again = s.write(["a.b", "c.d", "e.f"], [NOW - 10] * 3, [5.0, 6.0, 7.0], now=NOW,
                        known_ids=np.array([a, c, -1]))
        assert again.accepted == 3 and again.created == 1
        assert again.ids.tolist() == [a, c, s.index.id_of("e.f")]
        assert s.read("a.b", NOW - 30, NOW, now=NOW).values.tolist()[:2] == [1.0, 5.0]
        assert s.read("e.f", NOW - 30, NOW, now=NOW).values.tolist()[1] == 7.0
        # trusted, not looked up again: that is the saving (so they must come from `ids`)
        s.write(["a.b"], [NOW], [8.0], now=NOW, known_ids=np.array([c]))
        assert s.read("c.d", NOW - 30, NOW + 10, now=NOW).values.tolist()[-1] == 8.0


def test_write_never_runs_maintenance_and_due_says_when(tmp_path):
    # A seal at 1M series takes minutes; writes must not wait for it (the owner schedules it).
    with open_store(tmp_path, shards=1) as s:
        s.write(["a"], [NOW], [1.0], now=NOW)
        due = s.due()
        assert NOW < due <= NOW + 3600 + 600
        s.write(["a"], [due + 5], [2.0], now=due + 5)
        assert not list(tmp_path.rglob("*.sealed"))
        assert s.maintain(now=due + 5)["sealed"] == 1
        assert s.read("a", NOW - 10, NOW, now=due + 5).values[-1] == 1.0


def test_one_maintenance_pass_seals_what_its_folds_complete(tmp_path):
    # A fold fills coarse heads that are complete as soon as the fold has passed their end;
    # left as heads they are slow to read until the next fine block ends.
    schemas = parse_schemas("[all]\npattern = .*\nretentions = 10s:6m,1m:30m,5m:2h\n")
    with open_store(tmp_path, shards=1, schemas=schemas, block_buckets=6, seal_grace=30) as s:
        stamps = np.arange(NOW - 1800, NOW, 10)
        s.write(["a"] * len(stamps), stamps, np.ones(len(stamps)), now=NOW)
        s.maintain(now=NOW)
        assert s.due() > NOW
        assert not s.maintain(now=NOW)
        sealed_levels = {p.parent.name for p in tmp_path.rglob("*.sealed")}
        assert sealed_levels == {"level-0", "level-1", "level-2"}
        assert s.read("a", NOW - 1500, NOW - 600, aggregate="count", now=NOW).values.tolist() == [6.0] * 15


def test_fold_leaves_cells_without_data_unwritten(tmp_path):
    # Regression (benchmark review): folds wrote every cell of the window, empty ones too.
    with open_store(tmp_path, shards=1) as s:
        names = [f"m{i}" for i in range(5000)]
        s.write(names, [NOW] * 5000, np.arange(5000.0), now=NOW)   # one bucket of a 1 h block
        s.maintain(now=NOW + 2 * 3600)
        heads = list(tmp_path.rglob("level-1/*.head"))
        assert heads
        allocated = sum(h.stat().st_blocks * 512 for h in heads)
        # 5000 rows x 1 bucket: count, last and slot pages of one bucket (plus the header),
        # where writing the whole 60-bucket window would take ~60x as much.
        assert allocated <= 16 * 4096 * 4
        got = s.read("m4999", NOW - 3600, NOW + 60, aggregate="max", now=NOW + 2 * 3600)
        assert np.nanmax(got.values) == 4999.0


class _WritesDuringSeal(Store):
    """Injects writes while a seal is encoding (between its chunks), as another thread would."""

    injected: list = []

    def _seal_chunks(self, shard, lane, job, old, heads, rows):
        for i, chunk in enumerate(super()._seal_chunks(shard, lane, job, old, heads, rows)):
            if i == 0 and job.level == 0 and self.injected:
                names, ts, vals, now = self.injected.pop()
                self.write(names, ts, vals, now=now)
            yield chunk


def test_points_written_during_a_seal_reach_every_level(tmp_path, monkeypatch):
    monkeypatch.setattr("tsdb.store.SEAL_ROW_CHUNK", 2)
    cfg = StoreConfig(shards=1, aggregations=parse_aggregation("[all]\npattern = .*\nxFilesFactor = 0\n"))
    with _WritesDuringSeal.open(tmp_path, cfg, now=NOW) as s:
        s.write(["a", "b", "c"], [NOW - 20] * 3, [1.0, 2.0, 3.0], now=NOW)
        later = NOW + 3600 + 600
        # A late point for the block being sealed, and one for a new series.
        s.injected = [(["a", "d"], [NOW - 10, NOW - 10], [5.0, 7.0], later)]
        assert s.maintain(now=later)["sealed"] >= 1
        assert s.injected == []
        raw = s.read("a", NOW - 30, NOW, aggregate="sum", now=later)
        assert np.nansum(raw.values) == 6.0
        minute = s.read("a", NOW - 86400, NOW, aggregate="sum", now=later)
        assert np.nansum(minute.values) == 6.0
        assert np.nansum(s.read("d", NOW - 86400, NOW, aggregate="sum", now=later).values) == 7.0
    # and after reopening (late heads re-sealed later, never folded twice)
    with Store.open(tmp_path, cfg, now=later) as s:
        s.maintain(now=later + 7200)
        assert np.nansum(s.read("a", NOW - 86400, NOW, aggregate="sum", now=later + 7200).values) == 6.0
        assert np.nansum(s.read("a", NOW - 30, NOW, aggregate="sum", now=later).values) == 6.0


def test_aborted_seal_leaves_every_point_readable_and_resumes(tmp_path, monkeypatch):
    from tsdb.store import SealAborted

    def abort(*args):
        raise SealAborted()
        yield  # pragma: no cover  (a generator, like the real one)

    later = NOW + 3600 + 600
    with open_store(tmp_path, shards=1) as s:
        s.write(["a", "b"], [NOW - 20] * 2, [1.0, 2.0], now=NOW)
        monkeypatch.setattr(s, "_seal_chunks", abort)
        assert s.maintain(now=later)["sealed"] == 0
        assert not list(tmp_path.rglob("*.sealed*"))
        assert s.read("a", NOW - 30, NOW, now=later).values[0] == 1.0
        s.write(["a"], [NOW - 10], [3.0], now=later)     # goes to a new generation's head
        monkeypatch.undo()
        assert s.maintain(now=later)["sealed"] >= 1
        got = s.read("a", NOW - 30, NOW, aggregate="sum", now=later)
    assert got.values[:2].tolist() == [1.0, 3.0]


def test_reopen_after_downtime_does_no_maintenance_and_reads_stay_exact(tmp_path):
    # Regression (ingest benchmark): open() sealed every overdue block before returning,
    # so a restart of a large store blocked for minutes before listening.
    cfg = StoreConfig(shards=1, aggregations=parse_aggregation("[all]\npattern = .*\nxFilesFactor = 0\n"))
    with Store.open(tmp_path, cfg, now=NOW) as s:
        s.write(["a"] * 2, [NOW - 20, NOW - 10], [1.0, 2.0], now=NOW)
    later = NOW + 2 * 86400
    with Store.open(tmp_path, cfg, now=later) as s:
        assert not list(tmp_path.rglob("*.sealed"))
        assert s.due() <= later
        minute = s.read("a", NOW - 86400, NOW, aggregate="sum", now=later)
        assert np.nansum(minute.values) == 3.0
        s.maintain(now=later)
        assert np.nansum(s.read("a", NOW - 86400, NOW, aggregate="sum", now=later).values) == 3.0


@pytest.mark.parametrize("shuffled", [False, True])
def test_points_reach_their_head_segment_whether_in_row_order_or_not(tmp_path, shuffled):
    # series created batch by batch give a block several head segments; a later batch in
    # row order takes slices per segment, a shuffled one a sort
    from tsdb.store import HEAD_MIN_ROWS
    names = [f"s.m{i:05d}" for i in range(5 * HEAD_MIN_ROWS)]
    with open_store(tmp_path, shards=1) as s:
        for a in range(0, len(names), HEAD_MIN_ROWS):
            s.write(names[a:a + HEAD_MIN_ROWS], [NOW - 30] * HEAD_MIN_ROWS, [0.0] * HEAD_MIN_ROWS, now=NOW)
        assert max(len(b.heads) for blocks in s._blocks.values() for b in blocks.values()) > 1
        order = np.random.default_rng(7).permutation(len(names)) if shuffled else np.arange(len(names))
        s.write([names[i] for i in order], [NOW - 20] * len(names), order.astype(float), now=NOW)
        got = s.read_many(names, NOW - 40, NOW, now=NOW)
    for i, g in enumerate(got):
        stamps = g.start + g.step * np.arange(len(g.values))
        held = {int(t): v for t, v in zip(stamps, g.values) if not np.isnan(v)}
        assert held == {NOW - 30: 0.0, NOW - 20: float(i)}, names[i]
