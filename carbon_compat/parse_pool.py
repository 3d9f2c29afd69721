"""Who parses what the TCP receivers frame (pickle frames, chunks of plaintext lines): this
process (``limits.parse_workers = 0``) or worker processes.

Why workers: one core runs the reactor, batching and the store writer under one GIL; parsing
is the largest share of that core's work.  `WorkerParser` hands each frame or chunk to a
worker process (carbon_compat.parse_worker, the same parsers) and turns the answers back
into batches for Ingest.  What it keeps:

* order: a connection always uses the same worker, a worker answers in request order, and
  answers are submitted as they come, so each connection's points stay in order;
* hostile pickles: the worker refuses them exactly as the in-process parser does; the answer
  closes the connection and its frames still in flight are dropped;
* backpressure: a request in flight counts as pending (one point per `EST_BYTES_PER_POINT`
  bytes) until its answer gives the true count;
* a worker that dies: its answers so far are used; the request it was parsing is dropped and
  its connection closed (``parse_worker_died``), since that input may be what killed it;
  the requests queued behind it are parsed in this process, in order; the worker is
  restarted (at most once a second; in between, its connections are parsed in this
  process).  A worker that dies before it is ready three times in a row is not restarted;
* shutdown: `stop` lets every worker answer what it holds, then closes it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from twisted.internet import defer, protocol

from .name_ids import NameTable
from .parse_worker import (HOSTILE, PLAINTEXT, POINTS, READY, AnswerSplitter, WorkerProtocolError,
                           decode_answer, request_header)
from .parsers import HostilePickle, parse_pickle, parse_plaintext

log = logging.getLogger("strata.carbon")

EST_BYTES_PER_POINT = 32     # pending estimate of a request in flight (pickle protocol 2: 30-90 B/point)
RESTART_DELAY = 1.0          # a slot restarts its worker at most this often
STARTUP_FAILURES = 3         # deaths before READY in a row after which a slot stays in-process
REAP_WAIT = 0.05             # seconds the reactor waits for a dead worker's exit status
REAP_INTERVAL = 0.02         # the reactor runs without SIGCHLD handlers: poll for the exit status
REAP_PATIENCE = 2.0          # a worker that closed its answers but lives on this long is killed
PIPE_BYTES = 1 << 20         # pipe buffer asked for each way (Linux F_SETPIPE_SZ; the default is 64 KiB)
_F_SETPIPE_SZ = 1031
UNKNOWN_STATUS = "answers closed, exit status not known yet"


class InlineParser:
    """Parses in this process, on the reactor thread."""

    def __init__(self, ingest, max_points: int):
        self.ingest = ingest
        self.max_points = max_points

    def start(self) -> None:
        pass

    def parse(self, conn, kind: int, payloads: list[bytes], now: float) -> None:
        """Parse `payloads` (pickle frames or plaintext chunks, as `kind` says) and submit them."""
        for payload in payloads:
            if not self.parse_one(conn, kind, payload, now):
                return

    def parse_one(self, conn, kind: int, payload: bytes, now: float) -> bool:
        """Parse and submit one frame or chunk; False if it closed the connection."""
        try:
            if kind == PLAINTEXT:
                batch, rejects = parse_plaintext(payload, now)
            else:
                batch, rejects = parse_pickle(payload, now, self.max_points)
        except HostilePickle as exc:
            refuse_hostile(conn, str(exc))
            return False
        self.ingest.submit(batch, rejects, conn.peer)
        return True

    def idle(self) -> bool:
        return True

    def stop(self, timeout: float = 0.0) -> defer.Deferred:
        return defer.succeed(None)


def refuse_hostile(conn, reason: str) -> None:
    conn.refuse("hostile_pickle", f"pickle names a global ({reason})", reason)


@dataclass
class _Request:
    seq: int
    conn: object
    kind: int
    payload: bytes
    now: float
    estimate: int


class WorkerParser:
    """Parses in `workers` worker processes; reactor-thread API like InlineParser."""

    def __init__(self, ingest, reactor, *, workers: int, max_points: int, name_capacity: int,
                 command: list[str] | None = None):
        self.ingest = ingest
        self.reactor = reactor
        self.max_points = max_points
        self.name_capacity = name_capacity
        self.command = command or [sys.executable, "-m", "carbon_compat.parse_worker"]
        self.inline = InlineParser(ingest, max_points)
        self.slots: list[_Worker | None] = [None] * workers
        self._started_at = [-RESTART_DELAY] * workers
        self._early_deaths = [0] * workers
        self._restarts: dict[int, object] = {}
        self._next_slot = 0
        self._stopping = False
        self._stopped: defer.Deferred | None = None
        self._killer = None
        self.restarts = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        for slot in range(len(self.slots)):
            self._spawn(slot)

    def _spawn(self, slot: int) -> None:
        self._restarts.pop(slot, None)
        if self._stopping:
            return
        worker = _Worker(self, slot)
        args = [*self.command, str(self.max_points), str(self.name_capacity)]
        try:
            self.reactor.spawnProcess(worker, args[0], args, env=_worker_env(),
                                      childFDs={0: "w", 1: "r", 2: 2})
        except OSError as exc:
            log.error("cannot start parse worker %d (%s): its connections are parsed in this process",
                      slot, exc)
            return
        self.slots[slot] = worker
        self._started_at[slot] = self.reactor.seconds()

    def idle(self) -> bool:
        """No request is waiting for a worker's answer."""
        return not any(w.inflight for w in self.slots if w is not None)

    def stop(self, timeout: float) -> defer.Deferred:
        """Fires once every worker has answered all it holds and exited; after `timeout` s
        the remaining workers are killed (their requests then go the way of a dead worker's)."""
        self._stopping = True
        for call in self._restarts.values():
            call.cancel()
        self._restarts.clear()
        self._stopped = defer.Deferred()
        live = [w for w in self.slots if w is not None]
        for w in live:
            w.close()
        if live:
            self._killer = self.reactor.callLater(timeout, self._kill_all)
        self._check_stopped()
        return self._stopped

    def _kill_all(self) -> None:
        for w in list(self.slots):
            if w is not None:
                log.error("parse worker pid %s still busy at the end of the drain: killing it", w.pid)
                w.kill("still busy at the end of the drain")

    def _check_stopped(self) -> None:
        if self._stopped is not None and not self._stopped.called and all(w is None for w in self.slots):
            if self._killer is not None and self._killer.active():
                self._killer.cancel()
            self._stopped.callback(None)

    # ------------------------------------------------------------------ requests

    def parse(self, conn, kind: int, payloads: list[bytes], now: float) -> None:
        slot = getattr(conn, "parse_slot", None)
        if slot is None:
            slot = conn.parse_slot = self._next_slot
            self._next_slot = (slot + 1) % len(self.slots)
        worker = self.slots[slot]
        if worker is None or worker.gone:
            self.inline.parse(conn, kind, payloads, now)
            return
        for payload in payloads:
            estimate = len(payload) // EST_BYTES_PER_POINT + 1
            self.ingest.reserve(estimate)
            worker.send(conn, kind, payload, now, estimate)

    def answered(self, worker: _Worker, msg: bytes) -> None:
        """One answer from `worker`: submit its points (or refuse its connection)."""
        ans = decode_answer(msg)
        if ans.kind == READY:
            worker.ready = True
            self._early_deaths[worker.slot] = 0
            return
        if not worker.inflight or worker.inflight[0].seq != ans.seq:
            expected = worker.inflight[0].seq if worker.inflight else None
            raise WorkerProtocolError(f"answer to request {ans.seq}, expected {expected}")
        req = worker.inflight[0]     # stays queued until taken: a broken answer makes it the suspect
        if ans.kind == POINTS:
            worker.table.update(ans.reset, ans.new_names)   # even for a dropped request: ids build on it
            if len(ans.ids) and int(ans.ids.max()) >= len(worker.table):
                raise WorkerProtocolError(f"name id {int(ans.ids.max())} beyond the {len(worker.table)} names known")
            if not req.conn.refused_input:
                batch = worker.table.batch(ans.ids, ans.timestamps, ans.values)
                self.ingest.submit(batch, ans.rejects, req.conn.peer)
        elif ans.kind == HOSTILE and not req.conn.refused_input:
            refuse_hostile(req.conn, ans.reason)
        worker.inflight.popleft()
        self.ingest.release(req.estimate)

    def lost(self, worker: _Worker, status: str) -> None:
        """`worker` will answer no more (it exited, closed its answers, or was killed)."""
        slot = worker.slot
        if self.slots[slot] is worker:
            self.slots[slot] = None
        requests = list(worker.inflight)
        worker.inflight.clear()
        if worker.closing and not requests:
            log.debug("parse worker pid %s stopped (%s)", worker.pid, status)
            self._check_stopped()
            return
        suspect = requests.pop(0) if worker.ready and requests else None
        if suspect is not None:
            fate = (f"dropping the input it was parsing and closing that connection; "
                    f"parsing the {len(requests)} requests queued behind it here")
        else:
            fate = f"parsing its {len(requests)} unanswered requests here" if requests else "no request was waiting"
        log.warning("parse worker pid %s died (%s); %s", worker.pid, status, fate)
        if suspect is not None:
            self.ingest.release(suspect.estimate)
            suspect.conn.refuse("parse_worker_died", "the parse worker died parsing its input",
                                f"{len(suspect.payload)} bytes")
        for req in requests:
            self.ingest.release(req.estimate)
            if not req.conn.refused_input:
                self.inline.parse_one(req.conn, req.kind, req.payload, req.now)
        if self._stopping:
            self._check_stopped()
            return
        self._restart(slot, early=not worker.ready)

    def _restart(self, slot: int, early: bool) -> None:
        self._early_deaths[slot] = self._early_deaths[slot] + 1 if early else 0
        if self._early_deaths[slot] >= STARTUP_FAILURES:
            log.error("parse worker %d failed to start %d times: its connections are parsed in this "
                      "process from now on", slot, STARTUP_FAILURES)
            return
        self.restarts += 1
        wait = max(0.0, self._started_at[slot] + RESTART_DELAY - self.reactor.seconds())
        log.info("restarting parse worker %d in %.1fs", slot, wait)
        self._restarts[slot] = self.reactor.callLater(wait, self._spawn, slot)


class _Worker(protocol.ProcessProtocol):
    """One worker process: its request stream, its answer stream and its name table."""

    def __init__(self, pool: WorkerParser, slot: int):
        self.pool, self.slot = pool, slot
        self.splitter = AnswerSplitter()
        self.table = NameTable()
        self.inflight: deque[_Request] = deque()
        self.seq = 0
        self.pid = None
        self.ready = False
        self.closing = False
        self.gone = False             # answers ended (or the worker was killed): send it nothing more
        self.died_unknown = False     # its death was logged before its exit status was known
        self._reaper = None

    def connectionMade(self) -> None:
        self.pid = self.transport.pid
        for pipe in self.transport.pipes.values():
            try:
                fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:      # not Linux, or above /proc/sys/fs/pipe-max-size: the default works
                pass

    def send(self, conn, kind: int, payload: bytes, now: float, estimate: int) -> None:
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        self.inflight.append(_Request(self.seq, conn, kind, payload, now, estimate))
        self.transport.writeSequence([request_header(self.seq, now, len(payload), kind), payload])

    def close(self) -> None:
        """No more requests: the worker answers what it holds, then exits."""
        self.closing = True
        if not self.gone:
            self.transport.closeStdin()

    def kill(self, why: str) -> None:
        try:
            self.transport.signalProcess("KILL")
        except Exception:       # already exited (ProcessExitedAlready)
            pass
        self._give_up(f"killed: {why}")

    def childDataReceived(self, fd: int, data: bytes) -> None:
        if self.gone:
            return
        try:
            for msg in self.splitter.feed(data):
                self.pool.answered(self, msg)
        except WorkerProtocolError as exc:
            log.error("parse worker pid %s broke the wire format (%s)", self.pid, exc)
            self.kill("broken answer")

    def childConnectionLost(self, fd: int) -> None:
        if fd == 1:
            self._give_up(self._exit_status())

    def _give_up(self, status: str) -> None:
        """Hand the unanswered requests back to the pool, at once, so that no later request of
        their connections can overtake them."""
        if self.gone:
            return
        self.gone = True
        self.died_unknown = status == UNKNOWN_STATUS and not self.closing
        self.pool.lost(self, status)
        if self.transport.pid is not None:
            self.transport.closeStdin()
            self._reaper = self.pool.reactor.callLater(REAP_INTERVAL, self._reap, REAP_PATIENCE)

    def _exit_status(self) -> str:
        # The answer pipe can close a moment before the exit is reapable: wait up to
        # REAP_WAIT for it (this happens once per worker death).
        deadline = time.monotonic() + REAP_WAIT
        while self.transport.pid is not None:
            self.transport.reapProcess()
            if self.transport.pid is None or time.monotonic() >= deadline:
                break
            time.sleep(0.001)
        return self._status_text()

    def _status_text(self) -> str:
        status = self.transport.status
        if status is None or status < 0:    # not reaped yet
            return UNKNOWN_STATUS
        if os.WIFSIGNALED(status):
            return f"signal {os.WTERMSIG(status)}"
        return f"exit code {os.waitstatus_to_exitcode(status)}"

    def _reap(self, patience: float) -> None:
        """The reactor runs without SIGCHLD handlers: collect the exit status by polling
        (and log it, when the death was logged before it was known: a loaded machine can
        take longer than REAP_WAIT to tear a process down)."""
        self._reaper = None
        if self.transport.pid is None:
            return
        self.transport.reapProcess()
        if self.transport.pid is None:
            if self.died_unknown:
                log.warning("parse worker pid %s died (%s)", self.pid, self._status_text())
            return
        if patience <= 0:
            try:
                self.transport.signalProcess("KILL")
            except Exception:
                pass
        self._reaper = self.pool.reactor.callLater(REAP_INTERVAL, self._reap, patience - REAP_INTERVAL)

    def processEnded(self, reason) -> None:
        if self._reaper is not None and self._reaper.active():
            self._reaper.cancel()
        self._give_up(f"exit: {reason.value}")


def _worker_env() -> dict[str, str]:
    """The server's environment, with this package importable whatever the working directory."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def make_parser(ingest, reactor, limits, tcp_listeners: bool = True):
    """The parser `limits` ask for: in this process, or `limits.parse_workers` workers (none
    when no TCP listener is on)."""
    if limits.parse_workers == 0 or not tcp_listeners:
        return InlineParser(ingest, limits.max_pickle_points)
    return WorkerParser(ingest, reactor, workers=limits.parse_workers,
                              max_points=limits.max_pickle_points,
                              name_capacity=limits.parse_worker_names)
