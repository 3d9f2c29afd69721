"""`strata serve`: the Carbon listeners, the ingest pipeline and the store in one process.

Threads: the reactor (sockets, framing, batching, self-metrics), one writer (store.write),
one syncer (store.sync every `sync_interval`) and one maintainer (store.maintain when blocks
are due; sealing does not hold the store lock, so writes go on).  What the TCP receivers
frame (pickle frames, chunks of plaintext lines) is parsed by `limits.parse_workers` worker
processes (carbon_compat.parse_pool), or on the reactor thread when that is 0; UDP
datagrams are parsed on the reactor thread.
SIGTERM/SIGINT: stop listening, keep reading open connections until they have been quiet
for 0.2 s (at most `shutdown_drain` seconds) so that points already in socket buffers are
not lost, close them, let the parse workers answer what they hold, write everything
pending, close the store, exit 0.
"""

from __future__ import annotations

import logging
import threading
import time

from twisted.internet import reactor as default_reactor
from twisted.internet import task

from tsdb import Store

from .ingest import DiskSpace, Ingest
from .name_ids import LineNames
from .parse_pool import make_parser
from .protocols import CarbonFactory, PickleReceiver, PlaintextDatagram, PlaintextReceiver
from .selfmetrics import SelfMetrics

log = logging.getLogger("strata.serve")

UDP_ROUNDS = 64     # doRead calls that empty a UDP socket's queue at shutdown (256 KiB each)
DRAIN_QUIET = 0.2   # seconds without data after which draining connections are done


class Housekeeper:
    """Two background loops: sync (the power-loss bound) and maintain (seal, fold, expire).

    They run in separate threads because a seal at a million series takes minutes, and the
    sync interval must hold meanwhile.
    """

    def __init__(self, store: Store, sync_interval: float, maintain_interval: float):
        self.store = store
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(sync_interval, self._sync),
                             name="strata-sync", daemon=True),
            threading.Thread(target=self._loop, args=(maintain_interval, self._maintain),
                             name="strata-maintain", daemon=True),
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _loop(self, interval: float, work) -> None:
        while not self.stopping.wait(interval):
            try:
                work()
            except Exception:   # keep the process alive; the next round retries
                log.exception("housekeeping (%s) failed", work.__name__)

    def _sync(self) -> None:
        self.store.sync()

    def _maintain(self) -> None:
        if time.time() >= self.store.due():
            self.store.maintain()

    def stop(self) -> None:
        self.stopping.set()
        self.store.abort_maintenance()     # a seal in progress stops at its next chunk
        for t in self.threads:
            t.join()


class CarbonService:
    """Everything `strata serve` runs; `start()` then the reactor, `stop()` on shutdown."""

    def __init__(self, config, reactor=default_reactor):
        self.config = config
        self.reactor = reactor
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self.parser = None
        self.ports: list = []
        self.factories: list[CarbonFactory] = []
        self.housekeeper: Housekeeper | None = None
        self.metrics: SelfMetrics | None = None
        self._metrics_loop = None
        self.stop_hooks: list = []         # called first on shutdown (e.g. the HTTP API)

    def start(self) -> None:
        cfg = self.config
        self.store = Store.open(cfg.server.data_dir, cfg.store_config())
        lim = cfg.limits
        self.ingest = Ingest(self.store, self.reactor, flush_interval=lim.flush_interval,
                             flush_points=lim.flush_points, max_pending_points=lim.max_pending_points,
                             disk=DiskSpace(self.store.root, cfg.storage.min_free_disk_mb << 20),
                             names=LineNames(lim.receiver_names) if lim.receiver_names else None)
        self.ingest.start()
        self.parser = make_parser(self.ingest, self.reactor, lim,
                                  bool(cfg.server.line_port or cfg.server.pickle_port))
        self.parser.start()
        self._listen()
        st = cfg.storage
        self.housekeeper = Housekeeper(self.store, st.sync_interval, st.maintain_interval)
        self.housekeeper.start()
        if cfg.metrics.interval:
            self.metrics = SelfMetrics(cfg.metrics_prefix(), self.ingest, self.factories, self.reactor)
            self._metrics_loop = task.LoopingCall(self.metrics.record)
            self._metrics_loop.clock = self.reactor
            self._metrics_loop.start(cfg.metrics.interval, now=False)
        self.reactor.addSystemEventTrigger("before", "shutdown", self.stop)

    def _listen(self) -> None:
        srv, lim = self.config.server, self.config.limits
        for port, cls, name in ((srv.line_port, PlaintextReceiver, "plaintext tcp"),
                                (srv.pickle_port, PickleReceiver, "pickle tcp")):
            if port:
                factory = CarbonFactory(cls, self.ingest, lim, self.reactor, self.parser)
                self.factories.append(factory)
                self.ports.append(self.reactor.listenTCP(port, factory, interface=srv.bind))
                log.info("listening for carbon %s on %s:%d", name, srv.bind, self.ports[-1].getHost().port)
        if srv.udp_port:
            udp = PlaintextDatagram(self.ingest, self.reactor)
            self.ports.append(self.reactor.listenUDP(srv.udp_port, udp, interface=srv.bind))
            log.info("listening for carbon plaintext udp on %s:%d", srv.bind, self.ports[-1].getHost().port)

    def port_numbers(self) -> list[int]:
        return [p.getHost().port for p in self.ports]

    def stop(self):
        """Shutdown trigger: returns a Deferred that fires once everything is on disk."""
        from twisted.internet import defer
        log.info("shutting down: no new connections; draining open ones for %.1fs",
                 self.config.limits.shutdown_drain)
        for hook in self.stop_hooks:
            hook()
        for port in self.ports:
            _take_queued(port)
            port.stopListening()
        d = defer.Deferred()
        self._drain_until = self.reactor.seconds() + self.config.limits.shutdown_drain
        self.reactor.callLater(DRAIN_QUIET, self._drain, d)
        return d

    def _drain(self, d) -> None:
        """Keep reading until no connection has sent anything for DRAIN_QUIET, or the limit.
        Paused sockets are not quiet: their data is still in the kernel."""
        quiet = (not self.ingest.paused and self.parser.idle()
                 and self.reactor.seconds() - self.ingest.last_data >= DRAIN_QUIET)
        if quiet or self.reactor.seconds() >= self._drain_until:
            self._finish(d)
        else:
            self.reactor.callLater(DRAIN_QUIET / 2, self._drain, d)

    def _finish(self, d) -> None:
        self.ingest.close_transports()
        if self._metrics_loop is not None and self._metrics_loop.running:
            self._metrics_loop.stop()
        # Requests still with a parse worker are answered (or re-parsed here) before the flush.
        stopped = self.parser.stop(self.config.limits.shutdown_drain)
        stopped.addCallback(lambda _: self._close(d))

    def _close(self, d) -> None:
        self.ingest.stop()
        self.housekeeper.stop()
        c = self.ingest.counters
        self.store.close()
        log.info("stopped: %d points received, %d stored, %d series created", c.received, c.committed, c.creates)
        d.callback(None)


def _take_queued(port, max_rounds: int = 10_000) -> None:
    """Accept connections waiting in the listen backlog (and read queued datagrams) so that
    closing the listener does not reset clients whose data the kernel already took.

    One doRead() accepts only as many connections as Twisted's adaptive `numberAccepts`
    (which can be 1), so keep calling until a round accepts nothing new.  A UDP port reads
    at most `maxThroughput` bytes per call and says nothing of what it read: give it
    UDP_ROUNDS calls (each returns at once when the socket is empty)."""
    for round_no in range(max_rounds):
        before = getattr(port, "sessionno", None)
        try:
            port.doRead()
        except Exception:   # nothing queued, or a port type without doRead: nothing to take
            log.debug("nothing queued on %s", port)
            return
        if (before is None and round_no + 1 >= UDP_ROUNDS) or (before is not None and port.sessionno == before):
            return
