"""The ingest pipeline between the protocols and the store: batching, a writer thread, backpressure.

Protocols hand parsed batches to `Ingest.submit` on the reactor thread; a batch without
store ids gets them from `names` (name_ids.LineNames: known for names seen before, so the
writer skips its index for them).  Batches are joined and passed to one writer thread every
`flush_interval` (or sooner, at `flush_points`), so the reactor never waits on the disk and
the store sees big columns.  Points parsed but not
yet stored are bounded by `max_pending_points`: above it every TCP transport is paused
(the kernel's socket buffers, then the senders, absorb the pause) and UDP datagrams are
dropped and counted; below half of it they resume.  What is pending when the process is
killed is the documented loss window: at most one flush interval plus one store write.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections import Counter
from itertools import chain
from dataclasses import dataclass, field

import numpy as np

from .name_ids import LineNames
from .parsers import Batch, KnownIds, Rejects

log = logging.getLogger("strata.ingest")


@dataclass
class IngestCounters:
    """Running totals; self-metrics report their deltas (carbon's names where one exists)."""

    received: int = 0                 # metricsReceived: points parsed from the wire
    committed: int = 0                # committedPoints: points the store accepted
    creates: int = 0
    updates: int = 0                  # updateOperations: store.write calls
    update_seconds: float = 0.0
    rejects: Counter = field(default_factory=Counter)   # wire rejects by reason
    dropped: Counter = field(default_factory=Counter)   # store drops by reason
    write_errors: int = 0
    paused: int = 0                   # times ingestion paused for backpressure
    disk_waits: int = 0               # times the writer held a batch for lack of disk space

    def snapshot(self) -> dict:
        return {"received": self.received, "committed": self.committed, "creates": self.creates,
                "updates": self.updates, "update_seconds": self.update_seconds,
                "rejects": Counter(self.rejects), "dropped": Counter(self.dropped),
                "write_errors": self.write_errors, "paused": self.paused,
                "disk_waits": self.disk_waits}


class RateLimitedLog:
    """At most one log line per reason per `period` seconds, saying how many were suppressed."""

    def __init__(self, logger: logging.Logger, period: float = 10.0, clock=time.monotonic):
        self._log, self._period, self._clock = logger, period, clock
        self._next: dict[str, float] = {}
        self._suppressed: Counter = Counter()

    def warning(self, reason: str, message: str) -> None:
        now = self._clock()
        if now < self._next.get(reason, 0.0):
            self._suppressed[reason] += 1
            return
        extra = self._suppressed.pop(reason, 0)
        suffix = f" ({extra} more like it since the last report)" if extra else ""
        self._log.warning("%s%s", message, suffix)
        self._next[reason] = now + self._period


class DiskSpace:
    """Is there room to write?  Free space of the data directory's filesystem against a
    reserve, looked up at most once a second.

    Why: head blocks are sparse memory maps, and a store into a hole of a full filesystem is
    a SIGBUS, not an exception.  Holding writes while less than the reserve is free keeps
    that from happening; the reserve is spent only on the final flush at shutdown.
    """

    def __init__(self, path, reserve_bytes: int, statvfs=os.statvfs, clock=time.monotonic):
        self.path, self.reserve = path, reserve_bytes
        self._statvfs, self._clock = statvfs, clock
        self._checked, self._ok = -math.inf, True
        self.free = 0

    def ok(self) -> bool:
        now = self._clock()
        if now - self._checked >= 1.0:
            st = self._statvfs(self.path)
            self.free = st.f_bavail * st.f_frsize
            self._ok, self._checked = self.free >= self.reserve, now
        return self._ok


class Ingest:
    """Batches points for the store and applies backpressure; reactor-thread API."""

    def __init__(self, store, reactor, *, flush_interval: float, flush_points: int,
                 max_pending_points: int, disk: DiskSpace | None = None, names: LineNames | None = None):
        self.store = store
        self.disk = disk
        self.names = names                # store ids of the names receivers send again and again
        self._stopping = threading.Event()
        self.reactor = reactor
        self.counters = IngestCounters()
        self.flush_interval = flush_interval
        self.flush_points = flush_points
        self.max_pending = max_pending_points
        self._parts: list[Batch] = []
        self._part_points = 0
        self._pending = 0                 # submitted, not yet written (guarded by _lock)
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._transports: set = set()
        self._paused = False
        self._timer = None
        self.last_data = 0.0              # reactor time of the last wire activity (batch, connection, resume)
        self._reject_log = RateLimitedLog(log)
        self._writer = threading.Thread(target=self._write_loop, name="strata-writer", daemon=True)

    # --------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._writer.start()
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.reactor.callLater(self.flush_interval, self._tick)

    def _tick(self) -> None:
        self.flush()
        self._schedule()

    def stop(self) -> None:
        """Flush everything and wait until the writer has stored it (blocking)."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self.flush()
        self._stopping.set()      # a writer holding a batch for disk space writes it now
        self._queue.put(None)
        self._writer.join()

    # --------------------------------------------------------------- producers

    def register(self, transport) -> None:
        self._transports.add(transport)
        self.last_data = self.reactor.seconds()
        if self._paused:
            transport.pauseProducing()

    def unregister(self, transport) -> None:
        self._transports.discard(transport)

    def close_transports(self) -> None:
        for t in list(self._transports):
            t.loseConnection()

    @property
    def pending(self) -> int:
        """Points parsed but not yet stored (carbon's cache.size)."""
        return self._pending_points()

    @property
    def paused(self) -> bool:
        """True while sockets are not read because too many points are pending."""
        return self._paused

    @property
    def overloaded(self) -> bool:
        return self._pending_points() >= self.max_pending

    def submit(self, batch: Batch, rejects: Rejects | None = None, peer: str = "",
               internal: bool = False) -> None:
        """Take a parsed batch from a protocol (reactor thread); `internal` = self-metrics."""
        if not internal:
            self.last_data = self.reactor.seconds()
        if rejects is not None and rejects.total():
            self.note_rejects(rejects, peer)
        if not len(batch):
            return
        if not internal:
            self.counters.received += len(batch)
            if batch.known is None and self.names is not None:
                batch = self.names.batch(batch)
        self._parts.append(batch)
        self._part_points += len(batch)
        with self._lock:
            self._pending += len(batch)
        if self._part_points >= self.flush_points:
            self.flush()
        if not self._paused and self.overloaded:
            self._pause()

    def reserve(self, points: int) -> None:
        """Count `points` as pending before they are parsed (frames sent to a pickle worker),
        so that backpressure covers them too; `release` takes them back."""
        self.last_data = self.reactor.seconds()
        with self._lock:
            self._pending += points
        if not self._paused and self.overloaded:
            self._pause()

    def release(self, points: int) -> None:
        with self._lock:
            self._pending -= points
        self._maybe_resume()

    def note_rejects(self, rejects: Rejects, peer: str) -> None:
        self.counters.rejects.update(rejects.counts)
        for reason, text in rejects.samples:
            self._reject_log.warning(reason, f"rejected {reason} from {peer or 'unknown peer'}: {text!r}")

    def flush(self) -> None:
        if not self._parts:
            return
        parts, self._parts, self._part_points = self._parts, [], 0
        names = list(chain.from_iterable(p.names for p in parts)) if len(parts) > 1 else parts[0].names
        ts = np.concatenate([p.timestamps for p in parts])
        vals = np.concatenate([p.values for p in parts])
        self._queue.put((names, ts, vals, _known_ids(parts)))

    def _pending_points(self) -> int:
        with self._lock:
            return self._pending

    def _pause(self) -> None:
        self._paused = True
        self.counters.paused += 1
        log.warning("ingestion paused: %d points pending (limit %d); sockets stop reading until the store catches up",
                    self._pending_points(), self.max_pending)
        for t in list(self._transports):
            t.pauseProducing()

    def _maybe_resume(self) -> None:
        if self._paused and self._queue.empty():
            # Paused, the batch grows only from frames already read: an idle writer should
            # not wait for the timer (that stalls a small max_pending_points).
            self.flush()
        if self._paused and self._pending_points() < self.max_pending // 2:
            self._paused = False
            self.last_data = self.reactor.seconds()
            log.info("ingestion resumed: %d points pending", self._pending_points())
            for t in list(self._transports):
                t.resumeProducing()

    # --------------------------------------------------------------- writer thread

    def _wait_for_disk_space(self) -> None:
        """Hold the batch while the disk is short of the reserve (pending points grow and the
        sockets pause); at shutdown write it anyway, into the reserve."""
        if self.disk is None or self.disk.ok():
            return
        self.counters.disk_waits += 1
        log.error("disk space low: %d MB free in %s, reserve %d MB; holding writes (%d points pending)",
                  self.disk.free >> 20, self.disk.path, self.disk.reserve >> 20, self._pending_points())
        while not self._stopping.wait(1.0):
            if self.disk.ok():
                log.info("disk space back: %d MB free; writing again", self.disk.free >> 20)
                return
        log.warning("shutting down with the disk low: writing pending points into the reserve")

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            names, ts, vals, known = item
            self._wait_for_disk_space()
            started = time.perf_counter()
            try:
                if known is None:
                    result = self.store.write(names, ts, vals)
                else:
                    result = self.store.write(names, ts, vals, known_ids=_joined_ids(known, len(names)))
                    _learn(known, result.ids)
            except Exception:   # a store failure must not kill the writer: log, count, go on
                log.exception("store write of %d points failed", len(names))
                self.counters.write_errors += 1
                result = None
            elapsed = time.perf_counter() - started
            if result is not None:
                self.counters.committed += result.accepted
                self.counters.creates += result.created
                self.counters.dropped.update(result.dropped)
            self.counters.updates += 1
            self.counters.update_seconds += elapsed
            with self._lock:
                self._pending -= len(names)
            self.reactor.callFromThread(self._maybe_resume)


# ------------------------------------------------------------------------------ known ids

def _known_ids(parts: list[Batch]) -> list[tuple[int, KnownIds]] | None:
    """(offset in the joined batch, KnownIds) of each run of back-to-back parts that carry
    store ids from the same cache: a worker's frames of a flush become one take and one
    learn in the writer instead of one per frame."""
    runs: list[tuple[int, np.ndarray, list[np.ndarray]]] = []
    offset, run_end = 0, -1
    for part in parts:
        k = part.known
        if k is not None:
            if offset == run_end and runs[-1][1] is k.cache:
                runs[-1][2].append(k.slots)
            else:
                runs.append((offset, k.cache, [k.slots]))
            run_end = offset + len(part)
        offset += len(part)
    known = [(start, KnownIds(cache, slots[0] if len(slots) == 1 else np.concatenate(slots)))
             for start, cache, slots in runs]
    return known or None


def _joined_ids(known: list[tuple[int, KnownIds]], n: int) -> np.ndarray:
    """The known store ids of a joined batch of `n` points, -1 where none is known."""
    ids = np.full(n, -1, np.int64)
    for offset, part in known:
        ids[offset:offset + len(part.slots)] = part.ids()
    return ids


def _learn(known: list[tuple[int, KnownIds]], ids: np.ndarray | None) -> None:
    if ids is not None:
        for offset, part in known:
            part.learn(ids[offset:offset + len(part.slots)])
