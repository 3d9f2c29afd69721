"""The ingest pipeline: batching, the writer thread, backpressure, rate-limited logs, self-metrics."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import numpy as np
from twisted.internet import task
from twisted.internet.testing import StringTransport

from carbon_compat.ingest import DiskSpace, Ingest, RateLimitedLog
from carbon_compat.parsers import Batch
from carbon_compat.selfmetrics import metric_values
from tsdb import WriteResult


class FakeReactor(task.Clock):
    def callFromThread(self, f, *args):
        self.from_thread.append((f, args))

    def run_thread_calls(self):
        calls, self.from_thread = self.from_thread, []
        for f, args in calls:
            f(*args)


class GatedStore:
    """A store whose write() blocks until released, to hold points pending."""

    def __init__(self):
        self.writes: list[tuple[list, np.ndarray, np.ndarray]] = []
        self.gate = threading.Event()
        self.gate.set()

    def write(self, names, ts, vals):
        self.gate.wait(10)
        self.writes.append((list(names), ts, vals))
        return WriteResult(accepted=len(names), created=0)


def batch(n, prefix="m"):
    return Batch([f"{prefix}{i}" for i in range(n)], np.arange(n, dtype=float), np.ones(n))


def make(store, **kw):
    reactor = FakeReactor()
    reactor.from_thread = []
    opts = dict(flush_interval=0.1, flush_points=1000, max_pending_points=100)
    opts.update(kw)
    ingest = Ingest(store, reactor, **opts)
    ingest.start()
    return ingest, reactor


def test_batches_are_joined_and_written_on_the_flush_timer():
    store = GatedStore()
    ingest, reactor = make(store)
    ingest.submit(batch(3, "a"))
    ingest.submit(batch(2, "b"))
    assert store.writes == []
    reactor.advance(0.1)
    ingest.stop()
    assert [w[0] for w in store.writes] == [["a0", "a1", "a2", "b0", "b1"]]
    assert ingest.counters.received == 5 and ingest.counters.committed == 5


def test_store_ids_known_for_some_parts_reach_the_store_and_are_learned(tmp_path):
    from carbon_compat.name_ids import NameTable
    from tsdb import Store, StoreConfig
    table = NameTable()
    table.update(False, ["p.x", "p.y"])
    with Store.open(tmp_path, StoreConfig(shards=2)) as store:
        ingest, reactor = make(store, max_pending_points=10_000)
        now = time.time()
        ingest.submit(Batch(["q.z"], np.array([now]), np.array([1.0])))
        ingest.submit(table.batch(np.array([0, 1, 0], np.uint32), np.full(3, now), np.arange(3.0)))
        reactor.advance(0.1)
        ingest.submit(table.batch(np.array([1], np.uint32), np.array([now - 10]), np.array([9.0])))
        ingest.stop()
        expected = [store.index.id_of("p.x"), store.index.id_of("p.y")]
        assert table.batch(np.array([0, 1], np.uint32), np.zeros(2), np.ones(2)).known.ids().tolist() == expected
        assert ingest.counters.committed == 5
        assert np.nansum(store.read("p.y", now - 60, now + 1).values) == 10.0


def test_receivers_names_reach_the_store_with_the_ids_it_gave_them_last_time(tmp_path):
    from carbon_compat.name_ids import LineNames
    from tsdb import Store, StoreConfig
    names = [f"line.m{i}" for i in range(40)]
    with Store.open(tmp_path, StoreConfig(shards=2)) as store:
        ingest, reactor = make(store, max_pending_points=10_000, names=LineNames(1000))
        now = time.time()
        ingest.submit(Batch(list(names), np.full(40, now - 30), np.ones(40)))
        reactor.advance(0.1)
        deadline = time.monotonic() + 10
        while ingest.pending and time.monotonic() < deadline:    # the writer learns the store ids
            time.sleep(0.01)
        seen = []
        write = store.write
        store.write = lambda *a, **kw: seen.append(kw.get("known_ids")) or write(*a, **kw)
        again = [n.encode().decode() for n in names]           # equal names, fresh objects
        ingest.submit(Batch(again, np.full(40, now - 20), np.full(40, 2.0)))
        ingest.submit(Batch(["line.m3"], np.array([now - 10]), np.array([3.0])), internal=True)
        ingest.stop()
        assert seen[0].tolist() == [store.index.id_of(n) for n in names] + [-1]
        assert ingest.counters.committed == 81
        assert np.nansum(store.read("line.m3", now - 60, now).values) == 6.0


def test_a_full_batch_goes_to_the_store_without_waiting_for_the_timer():
    store = GatedStore()
    ingest, _ = make(store, flush_points=4)
    ingest.submit(batch(5))
    ingest.stop()
    assert len(store.writes) == 1


def test_sockets_pause_above_the_pending_limit_and_resume_below_half():
    store = GatedStore()
    store.gate.clear()
    ingest, reactor = make(store, max_pending_points=10, flush_points=4)
    transport = StringTransport()
    ingest.register(transport)
    ingest.submit(batch(12))
    assert transport.producerState == "paused"
    late = StringTransport()
    ingest.register(late)
    assert late.producerState == "paused"      # a connection made while paused starts paused
    store.gate.set()
    ingest.stop()
    reactor.run_thread_calls()
    assert transport.producerState == "producing" and late.producerState == "producing"
    assert ingest.counters.paused == 1


def test_internal_points_are_not_counted_as_received():
    store = GatedStore()
    ingest, _ = make(store)
    ingest.submit(batch(2), internal=True)
    ingest.stop()
    assert ingest.counters.received == 0 and ingest.counters.committed == 2


def test_rejects_are_counted_and_logged_at_most_once_per_period(caplog):
    clock = task.Clock()
    limited = RateLimitedLog(logging.getLogger("t"), period=10, clock=clock.seconds)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            limited.warning("bad_line", "rejected bad_line")
        clock.advance(10)
        limited.warning("bad_line", "rejected bad_line")
    assert [r.getMessage() for r in caplog.records] == [
        "rejected bad_line", "rejected bad_line (4 more like it since the last report)"]


def test_store_failure_is_logged_and_the_writer_goes_on(caplog):
    class Failing(GatedStore):
        def write(self, names, ts, vals):
            if not self.writes:
                self.writes.append(None)
                raise OSError(28, "No space left on device")
            return super().write(names, ts, vals)

    store = Failing()
    ingest, reactor = make(store, flush_points=2)
    ingest.submit(batch(2))
    ingest.submit(batch(2))
    ingest.stop()
    assert ingest.counters.write_errors == 1 and ingest.counters.committed == 2
    assert "No space left on device" in caplog.text


def test_self_metric_values_are_interval_deltas_with_carbon_names():
    before = {"received": 10, "committed": 8, "creates": 1, "updates": 2, "update_seconds": 0.5,
              "rejects": Counter(bad_line=1), "dropped": Counter(), "write_errors": 0, "paused": 0, "disk_waits": 0}
    now = {"received": 30, "committed": 28, "creates": 3, "updates": 4, "update_seconds": 0.9,
           "rejects": Counter(bad_line=4), "dropped": Counter(too_old=2), "write_errors": 1, "paused": 1}
    v = metric_values(now, before, pending=7, connections=3, cpu_seconds=0.5, interval=10.0, rss_bytes=1000)
    assert v["metricsReceived"] == 20 and v["committedPoints"] == 20 and v["creates"] == 2
    assert v["errors"] == 4 and v["updateOperations"] == 2 and v["pointsPerUpdate"] == 10
    assert v["avgUpdateTime"] == 0.2 and v["cache.size"] == 7 and v["activeConnections"] == 3
    assert v["cpuUsage"] == 5.0 and v["memUsage"] == 1000
    assert v["rejects.bad_line"] == 3 and v["dropped.too_old"] == 2


def test_averages_are_left_out_when_nothing_was_written():
    zero = {"received": 0, "committed": 0, "creates": 0, "updates": 0, "update_seconds": 0.0,
            "rejects": Counter(), "dropped": Counter(), "write_errors": 0, "paused": 0}
    v = metric_values(zero, zero, 0, 0, 0.0, 10.0, 0)
    assert "pointsPerUpdate" not in v and "avgUpdateTime" not in v


def test_sync_keeps_its_interval_while_a_long_maintenance_runs():
    from carbon_compat.service import Housekeeper

    class SlowStore:
        def __init__(self):
            self.syncs = 0
            self.release = threading.Event()
            self.aborted = False

        def sync(self):
            self.syncs += 1

        def due(self):
            return 0

        def maintain(self):
            self.release.wait(5)          # a seal that takes "minutes"

        def abort_maintenance(self):
            self.aborted = True
            self.release.set()

    store = SlowStore()
    keeper = Housekeeper(store, sync_interval=0.01, maintain_interval=0.01)
    keeper.start()
    deadline = time.monotonic() + 5
    while store.syncs < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    keeper.stop()
    assert store.syncs >= 20
    assert store.aborted


class FakeStatvfs:
    def __init__(self, free_bytes: int):
        self.free = free_bytes

    def __call__(self, path):
        return type("st", (), {"f_bavail": self.free // 4096, "f_frsize": 4096})()


def test_disk_space_is_checked_against_the_reserve_at_most_once_a_second():
    statvfs, clock = FakeStatvfs(10 << 20), [0.0]
    disk = DiskSpace("/data", 5 << 20, statvfs=statvfs, clock=lambda: clock[0])
    assert disk.ok()
    statvfs.free = 1 << 20
    assert disk.ok()            # cached
    clock[0] = 1.0
    assert not disk.ok() and disk.free == 1 << 20


def test_writer_holds_batches_while_the_disk_is_low_and_writes_them_when_space_returns(caplog):
    caplog.set_level(logging.INFO)
    statvfs = FakeStatvfs(0)
    disk = DiskSpace("/data", 1 << 20, statvfs=statvfs, clock=time.monotonic)
    store = GatedStore()
    ingest, reactor = make(store, flush_points=2, disk=disk)
    ingest.submit(batch(2))
    time.sleep(0.3)
    assert store.writes == [] and ingest.pending == 2
    statvfs.free = 2 << 20
    deadline = time.monotonic() + 5
    while not store.writes and time.monotonic() < deadline:
        time.sleep(0.05)
    ingest.stop()
    assert len(store.writes) == 1 and ingest.counters.committed == 2
    assert ingest.counters.disk_waits == 1
    assert "disk space low" in caplog.text and "disk space back" in caplog.text


def test_shutdown_writes_held_batches_into_the_reserve(caplog):
    disk = DiskSpace("/data", 1 << 20, statvfs=FakeStatvfs(0), clock=time.monotonic)
    store = GatedStore()
    ingest, reactor = make(store, flush_points=2, disk=disk)
    ingest.submit(batch(2))
    time.sleep(0.2)
    assert store.writes == []
    ingest.stop()
    assert ingest.counters.committed == 2
    assert "writing pending points into the reserve" in caplog.text


def test_known_ids_join_back_to_back_parts_of_one_name_table():
    from carbon_compat.ingest import _joined_ids, _known_ids, _learn
    from carbon_compat.name_ids import NameTable
    table = NameTable()
    table.update(False, ["a", "b", "c"])

    def part(*slots):
        return table.batch(np.array(slots, np.uint32), np.zeros(len(slots)), np.ones(len(slots)))

    first, second = part(0, 1), part(2)
    plain = Batch(["x"], np.zeros(1), np.ones(1))
    after_plain = part(1)
    old_cache = after_plain.known.cache
    table.update(True, ["d"])                   # the worker's cache started afresh
    renewed = part(0)
    known = _known_ids([first, second, plain, after_plain, renewed])
    assert [(offset, k.slots.tolist()) for offset, k in known] == [(0, [0, 1, 2]), (4, [1]), (5, [0])]
    assert known[0][1].cache is old_cache and known[2][1].cache is renewed.known.cache
    _learn(known, np.array([10, 11, 12, -1, 11, 20]))
    assert _joined_ids(known, 6).tolist() == [10, 11, 12, -1, 11, 20]
    assert old_cache[:3].tolist() == [10, 11, 12] and renewed.known.ids().tolist() == [20]
