"""The Graphite HTTP API in a process of its own, at a lower CPU priority than ingestion.

Why: collection comes first.  Queries evaluated in the server process would share its GIL
and its core with the Carbon receivers, so a few heavy dashboards could slow ingestion.
In its own process, at idle priority (`render.priority`), a query takes only the CPU that
ingestion leaves.
How: `strata serve` binds the HTTP socket itself (so a bad port fails at startup and
port 0 works), then starts `render.processes` children (`python -m render_api.process`)
that inherit it and take its connections in turn: one process evaluates one query at a
time, on its reactor thread, as one graphite-web worker does (a busy process accepts
nothing, so a sibling takes the next connection).
The child reads the data directory through a read-only `tsdb.view.StoreView`, refreshed
at most every `render.refresh_interval` seconds.  The parent restarts a child that dies
(with a growing pause) and stops it first at shutdown.  `render.isolated = false` runs
the API in the server process instead, in a pool of `render.threads` threads.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from twisted.protocols.basic import LineOnlyReceiver

from .handlers import RenderLimits
from .http import GraphiteApi, make_site
from .storage import StoreReader

log = logging.getLogger("strata.render")

RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)    # seconds before restart n (then the last)
GOVERN_INTERVAL = 0.1                            # seconds between CPU checks of writer and child
WRITER_BUSY = 0.8                                # cores: at or above, the writer counts as busy
MAX_PAUSE = 0.5                                  # seconds the child is held stopped at once
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")           # /proc's unit of CPU time
STOP_GRACE = 5.0                                 # seconds a child gets to exit on SIGTERM
LINK_MAX_LINE = 64 << 20                         # one writer-link message (a tagMultiSeries list)
LINK_OPS = ("tag_series",)                       # Store methods the render process may ask for


def build_api(store, config, reactor, threads: int | None = None) -> GraphiteApi:
    """The HTTP resource over `store` (a Store or a StoreView) with the [render] settings;
    `threads` overrides render.threads (0: queries run on the reactor thread)."""
    r = config.render
    return GraphiteApi(StoreReader(store, r.max_series), RenderLimits(r.max_series, r.max_points, r.timeout),
                       reactor, threads=r.threads if threads is None else threads, tz=ZoneInfo(r.tz),
                       admin_token=r.admin_token)


def bind_http(config) -> socket.socket:
    """The listening HTTP socket, bound in the server process (errors surface at startup)."""
    family = socket.AF_INET6 if ":" in config.server.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.server.bind, config.server.http_port))
        sock.listen(128)
        sock.setblocking(False)     # the render process accepts on it from its reactor
    except OSError:
        sock.close()
        raise
    return sock


def child_command(config_path: Path | None, overrides: dict, fd: int, link_fd: int) -> list[str]:
    cmd = [sys.executable, "-m", "render_api.process", "--fd", str(fd), "--link-fd", str(link_fd),
           "--parent", str(os.getpid()), "--overrides", json.dumps(overrides, default=str)]
    if config_path is not None:
        cmd += ["--config", str(config_path)]
    return cmd


class WriterLink(LineOnlyReceiver):
    """The serve side of the link: one JSON request per line from the render process, run
    on the store in a thread, one JSON reply per line, in order."""

    MAX_LENGTH = LINK_MAX_LINE

    def __init__(self, store):
        self.store = store

    def lineReceived(self, line: bytes) -> None:
        from twisted.internet.threads import deferToThread
        try:
            req = json.loads(line)
            op = req.pop("op")
            if op not in LINK_OPS:
                raise ValueError(f"unknown op {op!r}")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._reply({"error": f"bad request: {exc}"})
            return
        d = deferToThread(getattr(self.store, op), **req)
        d.addCallbacks(lambda result: self._reply({"result": result}),
                       lambda failure: self._reply({"error": str(failure.value)}))

    def _reply(self, doc: dict) -> None:
        self.sendLine(json.dumps(doc).encode())


def link_client(sock: socket.socket):
    """The render side of the link: a blocking call(op, **args) -> result, one at a time."""
    import threading
    lock = threading.Lock()
    reader = sock.makefile("rb")

    def call(op: str, **args):
        with lock:
            sock.sendall(json.dumps({"op": op, **args}).encode() + b"\r\n")
            line = reader.readline(LINK_MAX_LINE)
        if not line:
            raise ConnectionError("the server process closed the writer link")
        reply = json.loads(line)
        if "error" in reply:
            raise ValueError(reply["error"])
        return reply["result"]
    return call


def render_pause(writer_cores: float, render_cores: float, share: float, interval: float) -> float:
    """Seconds to hold the render process stopped so that, while the writer is busy, it
    averages at most `share` of a core: its CPU beyond that share over the last `interval`,
    spread at `share` (at most MAX_PAUSE); 0 while the writer is not busy or the render
    process kept within its share."""
    if writer_cores < WRITER_BUSY or render_cores <= share:
        return 0.0
    return min((render_cores - share) * interval / share, MAX_PAUSE)


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process from /proc, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _summed_cpu_seconds(pids: list[int]) -> float:
    used = [cpu_seconds(pid) for pid in pids]
    return sum(u for u in used if u is not None)


class CpuGovernor:
    """Holds the render processes together to `share` of a core while the writer is busy.

    SCHED_IDLE gives queries only the CPU ingestion leaves, but on a small machine a query
    running on the other core still slows the writer through the caches and memory it
    shares (README: ingest during a dashboard storm).  So, as cpulimit does, the parent
    stops the children (SIGSTOP) for as long as their recent CPU, summed, exceeds the
    share, and continues them (SIGCONT) after.
    One governor for all children: a share split per child would be overshot by each (CPU
    time is counted in 10 ms ticks).
    """

    def __init__(self, reactor, share: float, own_cpu=time.process_time, children_cpu=None,
                 monotonic=time.monotonic):
        self.reactor, self.share, self.own_cpu = reactor, share, own_cpu
        self.children_cpu = children_cpu or _summed_cpu_seconds
        self.monotonic = monotonic
        self.pids: list[int] = []       # the first keeps taking connections while the writer is busy
        self._only_first = False
        self._last: tuple[float, float, float] | None = None
        self._resume_call = None
        self._loop = None
        self.paused_seconds = 0.0
        self._holding = False

    def start(self) -> None:
        """Check every GOVERN_INTERVAL (no checks at all when the share is a whole machine)."""
        for signum in (signal.SIGUSR1, signal.SIGUSR2):
            # inherited by the children: one signalled before it listens is not killed
            signal.signal(signum, signal.SIG_IGN)
        if self._loop is None and self.share < os.cpu_count():
            from twisted.internet.task import LoopingCall
            self._loop = LoopingCall(self.tick)
            self._loop.clock = self.reactor
            self._loop.start(GOVERN_INTERVAL, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.resume()

    def add(self, pid: int) -> None:
        self.resume()
        self.pids.append(pid)

    def remove(self, pid: int) -> None:
        """Let go of `pid` (continuing every child first: a stopped one would not exit)."""
        self.resume()
        if pid in self.pids:
            self.pids.remove(pid)

    def _share_connections(self, busy: bool) -> None:
        """While the writer is busy only the first child takes new connections: SIGUSR2 to
        it, SIGUSR1 to the others, on every check (a child may have started or become the
        first since); after, SIGUSR2 to all once.  Two processes, each warming its own
        cache, cost the writer more than one held to the same share.  The children ignore
        both signals until they listen (the server ignores them, and so they start)."""
        if busy or self._only_first:
            self._signal(signal.SIGUSR2, self.pids[:1] if busy else self.pids)
            if busy:
                self._signal(signal.SIGUSR1, self.pids[1:])
        self._only_first = busy

    def tick(self) -> None:
        if not self.pids or self._resume_call is not None:
            return
        now = self._sample()
        last = self._last
        if last is not None and 0 <= now[0] - last[0] < GOVERN_INTERVAL / 2:
            return              # too short a window for CPU counted in ticks: keep measuring
        self._last = now
        if last is None or now[2] < last[2]:   # a child gone: start afresh
            return
        elapsed = now[0] - last[0]
        writer = (now[1] - last[1]) / elapsed
        self._share_connections(writer >= WRITER_BUSY)
        pause = render_pause(writer, (now[2] - last[2]) / elapsed, self.share, elapsed)
        self._note(pause > 0)
        if pause > 0:
            self._signal(signal.SIGSTOP)
            self.paused_seconds += pause
            self._resume_call = self.reactor.callLater(pause, self._end_pause)

    def _sample(self) -> tuple[float, float, float]:
        """(now, the server's CPU seconds, the children's CPU seconds)."""
        return self.monotonic(), self.own_cpu(), self.children_cpu(self.pids)

    def _end_pause(self) -> None:
        self._resume_call = None
        self._signal(signal.SIGCONT)
        # The next window starts now: the pause is not the children's idleness, and the
        # CPU they use from here on is what the next check must count, all of it.
        self._last = self._sample()

    def resume(self) -> None:
        if self._resume_call is not None:
            if self._resume_call.active():
                self._resume_call.cancel()
            self._resume_call = None
            self._signal(signal.SIGCONT)
        self._last = None       # a stop, or a change of children: measure afresh

    def _signal(self, signum: int, pids: list[int] | None = None) -> None:
        for pid in self.pids if pids is None else pids:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    def _note(self, holding: bool) -> None:
        if holding != self._holding:
            self._holding = holding
            if holding:
                log.info("ingestion is busy: render processes held to %.2f of a core", self.share)
            else:
                log.info("render processes no longer held (held %.1f s in all)", self.paused_seconds)


class RenderProcess:
    """The serve process's handle on the render child: start, restart on death, stop."""

    def __init__(self, sock: socket.socket, config_path: Path | None, overrides: dict, reactor,
                 store, governor: CpuGovernor, log_level: str = "INFO"):
        self.sock = sock
        self.governor = governor
        self.config_path, self.overrides, self.log_level = config_path, overrides, log_level
        self.store = store
        self._link = None
        self.reactor = reactor
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = False
        self._watch_call = None

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def start(self) -> None:
        from twisted.internet.protocol import Factory
        if self._link is not None:
            self._link.loseConnection()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        factory = Factory.forProtocol(lambda: WriterLink(self.store))
        self._link = self.reactor.adoptStreamConnection(ours.fileno(), socket.AF_UNIX, factory)
        ours.close()                # the reactor holds its own duplicate
        cmd = child_command(self.config_path, self.overrides, self.sock.fileno(), theirs.fileno())
        try:
            self.proc = subprocess.Popen(cmd + ["--log-level", self.log_level], stdin=subprocess.DEVNULL,
                                         pass_fds=(self.sock.fileno(), theirs.fileno()))
        finally:
            theirs.close()
        log.info("render process %d started for http port %d", self.proc.pid, self.port)
        self._watch_call = self.reactor.callLater(1.0, self._watch)
        self.governor.add(self.proc.pid)

    def _watch(self) -> None:
        if self._stopping:
            return
        code = self.proc.poll()
        if code is None:
            self._watch_call = self.reactor.callLater(1.0, self._watch)
            return
        self.governor.remove(self.proc.pid)
        pause = RESTART_PAUSES[min(self.restarts, len(RESTART_PAUSES) - 1)]
        self.restarts += 1
        log.error("render process %d exited with status %s; restarting in %.0f s", self.proc.pid, code, pause)
        self._watch_call = self.reactor.callLater(pause, self.start)

    def stop(self) -> None:
        """SIGTERM the child and wait (bounded) for it; then close the sockets."""
        self._stopping = True
        if self._watch_call is not None and self._watch_call.active():
            self._watch_call.cancel()
        if self.proc is not None:
            self.governor.remove(self.proc.pid)     # a stopped child would not see SIGTERM
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                log.warning("render process %d did not stop in %.0f s; killing it", self.proc.pid, STOP_GRACE)
                self.proc.kill()
                self.proc.wait()
        if self._link is not None:
            self._link.loseConnection()
        self.sock.close()


# ------------------------------------------------------------------------- the child


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when the server process dies (even by kill -9)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass                    # not Linux: the parent's stop() is the only way out


def _lower_priority(priority: str) -> None:
    """idle: Linux SCHED_IDLE, the CPU no other task wants (a busy ingest keeps nearly all of
    it); low: nice 10; normal: unchanged."""
    if priority == "idle" and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    elif priority in ("idle", "low"):
        os.nice(10)


def accepting_one_at_a_time(port):
    """`port` taking one connection per wake-up instead of all that are waiting.

    The render processes share one listening socket and each is woken for a new
    connection; the first to accept it serves it.  Twisted's port accepts every waiting
    connection at once, so the process that woke first would take a whole dashboard's
    burst of requests while the others stay idle.  One at a time, a process busy with a
    query is slower to come back for the next, and an idle one takes it."""
    accept = port.doRead

    def do_read():
        port.numberAccepts = 1
        return accept()
    port.doRead = do_read
    return port


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="render_api.process")
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--parent", type=int, required=True)
    ap.add_argument("--link-fd", type=int, required=True)
    ap.add_argument("--overrides", default="{}")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)
    parent = args.parent
    _die_with_parent()
    if os.getppid() != parent:       # died before the death signal was armed
        return 1
    from strata import config as cfgmod
    from strata.cli import setup_logging
    from strata.heap import keep_freed_memory
    config = cfgmod.load(args.config, json.loads(args.overrides))
    setup_logging(args.log_level)
    _lower_priority(config.render.priority)
    keep_freed_memory(config.render.heap_keep_mb << 20)
    from twisted.internet import reactor

    from tsdb.view import StoreView
    store = StoreView.open(config.server.data_dir, config.store_config(), max_age=config.render.refresh_interval)
    store.writer = link_client(socket.socket(fileno=args.link_fd))
    api = build_api(store, config, reactor, threads=0)
    api.start()
    family = socket.AF_INET6 if ":" in config.server.bind else socket.AF_INET
    port = accepting_one_at_a_time(reactor.adoptStreamPort(args.fd, family, make_site(api)))
    os.close(args.fd)           # the port holds its own duplicate
    log.info("render process %d serving graphite http on %s:%d (%s priority)", os.getpid(),
             config.server.bind, port.getHost().port, config.render.priority)

    def on_signal(signum, frame):
        reactor.callFromThread(reactor.stop)
    signal.signal(signal.SIGTERM, on_signal)
    # the server's CpuGovernor: SIGUSR1 = leave new connections to another render process
    signal.signal(signal.SIGUSR1, lambda signum, frame: reactor.callFromThread(port.stopReading))
    signal.signal(signal.SIGUSR2, lambda signum, frame: reactor.callFromThread(port.startReading))
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the server process handles ^C and stops us

    def check_parent():
        if os.getppid() != parent:
            log.warning("server process gone; render process exiting")
            reactor.stop()
        else:
            reactor.callLater(1.0, check_parent)
    reactor.callLater(1.0, check_parent)
    started = time.monotonic()
    reactor.run(installSignalHandlers=False)
    api.stop()
    store.close()
    log.info("render process %d stopped after %.0f s", os.getpid(), time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
