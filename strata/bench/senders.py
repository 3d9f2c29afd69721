"""Load generators: paced Carbon senders, each in its own process.

What: `LoadRun` starts `senders` processes (multiprocessing, spawn), each owning series
[lo, hi) and one connection (TCP plaintext or pickle, or a UDP socket).  Each builds its
payload templates before the clock starts (`Load.builder`), then sends round after round,
patching the round's timestamp into the template, at a fixed offered rate (paced per chunk,
`generator.pace_delay`) or as fast as the server takes it (rate None).  Why processes: the
bench must measure the server, not the GIL of the process generating its load.

Senders stay within one round of each other (hosts sending the current bucket do).  Every
loop ends by its round count or by the run's deadline; a TCP sender then half-closes and
waits until the server has read everything (the server closes), bounded by `io_timeout`.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from .generator import pace_delay, patch

READY_TIMEOUT = 300.0            # seconds for every sender to build its templates and connect


def sender_main(spec: dict, ready, start, results, progress, rounds_done) -> None:
    """One load-generator process: series [lo, hi), rounds first_round .. first_round + rounds - 1.

    A sender waits before round r until every peer has finished round r - 2.
    """
    res = {"id": spec["id"], "sent": 0, "rounds_done": 0, "partial": 0, "t_start": None,
           "t_sent": None, "t_eof": None, "error": None}
    sock = None
    udp = spec["protocol"] == "udp"
    try:
        chunks = spec["builder"](spec["protocol"], spec["lo"], spec["hi"], spec["chunk_points"])
        if udp:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect((spec["host"], spec["port"]))
        else:
            sock = socket.create_connection((spec["host"], spec["port"]), timeout=30)
            sock.settimeout(spec["io_timeout"])
        ready.put(spec["id"])
        if not start.wait(READY_TIMEOUT):
            raise RuntimeError("no start signal")
        rate = spec["rate"]
        t0 = time.monotonic()
        res["t_start"] = t0
        deadline = t0 + spec["seconds"]
        sent = 0
        stop = False
        wire = "plaintext" if udp else spec["protocol"]
        for r in range(spec["rounds"]):
            g = spec["first_round"] + r
            ts = spec["base_ts"] + spec["interval"] * g
            res["partial"] = 0
            while r >= 2 and min(rounds_done) < r - 1 and time.monotonic() < deadline:
                time.sleep(0.0005)
            for data, n in chunks[g % len(chunks)]:
                now = time.monotonic()
                if now >= deadline:
                    stop = True
                    break
                wait = pace_delay(sent, rate, now - t0)
                if wait > 0:
                    time.sleep(min(wait, deadline - now))
                    if time.monotonic() >= deadline:
                        stop = True
                        break
                payload = patch(wire, data, ts)
                if udp:
                    try:
                        sock.send(payload)
                    except (BlockingIOError, ConnectionRefusedError):
                        pass                    # a datagram the kernel refused: sent, lost, counted by the bench
                else:
                    sock.sendall(payload)
                sent += n
                res["partial"] += n
                progress.value = sent
            if stop:
                break
            res["rounds_done"] = r + 1
            rounds_done[spec["id"]] = r + 1
            res["partial"] = 0
        res["sent"] = sent
        res["t_sent"] = time.monotonic()
        if spec["wait_eof"] and not udp:
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):                   # the server closes once it has read all
                pass
            res["t_eof"] = time.monotonic()
    except Exception as exc:  # reported by the bench; the run goes on
        res["error"] = f"{type(exc).__name__}: {exc}"
        res["sent"] = res["sent"] or getattr(progress, "value", 0)
        if res["t_sent"] is None:
            res["t_sent"] = time.monotonic()
    finally:
        if sock is not None:
            sock.close()
        results.put(res)


@dataclass
class Load:
    protocol: str
    port: int
    nseries: int
    base_ts: int
    first_round: int
    rounds: int
    rate: float | None          # total offered pts/s; None = as fast as possible
    seconds: float
    senders: int = 2
    wait_eof: bool = True
    builder: Callable | None = None     # (protocol, lo, hi, chunk_points) -> chunks per variant
    position: Callable | None = None    # (i, lo, hi, round) -> place of series i in that round; None: i - lo
    interval: int = 10
    host: str = "127.0.0.1"
    chunk_points: int | None = None     # default: 5000 at max rate, 1000 when paced


class LoadRun:
    """Starts the sender processes (templates built), then `go()` starts the clock."""

    def __init__(self, load: Load):
        if load.builder is None:
            raise ValueError("Load.builder is required")
        self.load = load
        ctx = mp.get_context("spawn")
        self.ready, self.results, self.start_ev = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.progress = [ctx.Value("q", 0, lock=False) for _ in range(load.senders)]
        self.rounds_done = ctx.Array("i", load.senders, lock=False)
        self.bounds = [(s * load.nseries // load.senders, (s + 1) * load.nseries // load.senders)
                       for s in range(load.senders)]
        chunk = load.chunk_points or (5000 if load.rate is None else 1000)
        self.procs = []
        for s, (lo, hi) in enumerate(self.bounds):
            spec = {"id": s, "protocol": load.protocol, "host": load.host, "port": load.port, "lo": lo,
                    "hi": hi, "base_ts": load.base_ts, "first_round": load.first_round,
                    "rounds": load.rounds, "interval": load.interval,
                    "rate": load.rate / load.senders if load.rate else None, "seconds": load.seconds,
                    "chunk_points": chunk, "wait_eof": load.wait_eof, "io_timeout": 120.0,
                    "builder": load.builder}
            p = ctx.Process(target=sender_main, args=(spec, self.ready, self.start_ev, self.results,
                                                      self.progress[s], self.rounds_done), daemon=True)
            p.start()
            self.procs.append(p)
        got = 0
        end = time.monotonic() + READY_TIMEOUT
        while got < load.senders and time.monotonic() < end:
            try:
                self.ready.get(timeout=1.0)
                got += 1
            except Exception:
                if not any(p.is_alive() for p in self.procs):
                    break
        self.ok = got == load.senders
        self.t0 = None
        self.res: list[dict] = []

    def abort(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.kill()
            p.join(timeout=5)

    def go(self) -> float:
        self.t0 = time.monotonic()
        self.start_ev.set()
        return self.t0

    def sent_now(self) -> int:
        return sum(v.value for v in self.progress)

    def running(self) -> bool:
        return any(p.is_alive() for p in self.procs)

    def wait(self, timeout: float) -> list[dict]:
        end = time.monotonic() + timeout
        while len(self.res) < len(self.procs) and time.monotonic() < end:
            try:
                self.res.append(self.results.get(timeout=0.5))
            except Exception:
                if not any(p.is_alive() for p in self.procs) and self.results.empty():
                    break
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        self.res.sort(key=lambda r: r["id"])
        return self.res

    @property
    def sent(self) -> int:
        return sum(r["sent"] for r in self.res)

    @property
    def t_sent(self) -> float:
        return max(r["t_sent"] for r in self.res)

    @property
    def t_eof(self) -> float | None:
        eofs = [r["t_eof"] for r in self.res]
        return max(eofs) if all(e is not None for e in eofs) else None

    def errors(self) -> list[str]:
        return [r["error"] for r in self.res if r["error"]]

    def rounds_sent(self, i: int) -> int:
        """How many rounds (from first_round on) series i was sent in."""
        for s, (lo, hi) in enumerate(self.bounds):
            if lo <= i < hi:
                r = self.res[s]
                partial_round = self.load.first_round + r["rounds_done"]
                place = self.load.position(i, lo, hi, partial_round) if self.load.position else i - lo
                return r["rounds_done"] + (1 if place < r["partial"] else 0)
        raise ValueError(i)

    def expected(self, i: int) -> list[int]:
        """Global round numbers sent for series i."""
        return [self.load.first_round + k for k in range(self.rounds_sent(i))]
