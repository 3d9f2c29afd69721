"""End-to-end ingest benchmark: `strata serve` against carbon-cache 1.1.10 + whisper and
InfluxDB 1.6's graphite listener, side by side in the same run.

    python -m benchmarks.ingest_bench [--quick] [--series 100000] [--seconds 30]
                                      [--only strata|carbon|influxdb] [--json out.json]
    python -m benchmarks.ingest_bench --profile [--seconds 20]    # py-spy of strata serve

What is counted is what reaches storage and can be read back, not what the socket took:

* Load generators run in their own processes (multiprocessing, spawn), one TCP connection
  each, and send carbon plaintext lines or pickle frames (protocol 2, 500 points a frame,
  float timestamps: what carbon-relay sends) for N series, laid out as 10 s rounds (every
  series once per round; round g has timestamp base + 10 g, all rounds in the past and
  inside the raw retention).  Payloads are built before the clock starts, as templates
  whose timestamp bytes are patched per round, so a sender costs little more than
  `sendall`.  A sender runs at a fixed offered rate (paced per 1000-point chunk) or as
  fast as the server takes it (`max`), until its time or its rounds are used up; then it
  half-closes and waits until the server has read everything (the server closes).
* Strata: after the senders are done the server gets SIGTERM (drain, flush, exit); the
  data directory is then opened with `tsdb.Store.open` and a seeded random sample of the
  series is read back (`Store.read`, the 10 s level) and compared value by value with
  what was sent.  stored = sent x (points read back in the sample / points sent to the
  sample).  sustained = stored / (server exit - first byte), i.e. drain included.
* carbon-cache: started once; a warm-up round creates every whisper file; then each step
  offers a fixed rate for a fixed time while a 300-file sample is read every 2 s to
  follow the backlog (= cache size: sent - stored); after the step the bench waits until
  the sample is complete (the cache drained).  The cache is *bounded* at a rate when the
  backlog does not grow by more than 10% of the offered rate in the step's second half.
* InfluxDB: `SELECT count(value)` over HTTP, polled until it stops changing.

Every wait is bounded in time, every loop in count; only 127.0.0.1 is used; every data
directory lives under /tmp and is removed when its case ends.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from strata.bench import generator, senders
from strata.bench import targets as bench_targets   # `targets` is this module's target table
from strata.bench.procmon import ProcMonitor, rss_trend
from strata.bench.senders import LoadRun
from strata.bench.targets import free_port, wait_port, whisper_count

REPO = Path(__file__).resolve().parent.parent
TMP = "/tmp"
STEP = 10
CARBON_VENV = Path("/tmp/strata-bench/carbon-venv")
CARBON_RETENTION = "10s:1h,1m:1d"
CARBON_RAW_ROUNDS = 360                      # 10s:1h
VARIANTS = 4                                 # value variants, cycled by round
SHUFFLED_ORDERS = 16                         # series orders of a shuffled run (a multiple of VARIANTS)
MAX_CAP_RATE = 2_500_000                     # pts/s used to size the rounds of a `max` run

TARGETS = {
    "pickle": 1_000_000,       # points/s sustained at 100k series, bounded memory
    "plaintext": 600_000,
    "vs_carbon": 15.0,         # x carbon-cache's sustainable rate
    "vs_influxdb": 3.0,        # x InfluxDB's
    "readable_s": 1.0,         # a new series readable within 1 s
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def series_name(i: int) -> str:
    return f"servers.host-{i // 100:05d}.app.requests.m{i % 100:02d}"


def series_value(i: int, variant: int) -> float:
    return float(i % 997) + 0.25 * variant


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# ============================================================================ load generator

def build_chunks(protocol: str, lo: int, hi: int, chunk_points: int) -> list[list[tuple[bytes, int]]]:
    """Per value variant: the list of (payload template, points) chunks covering series [lo, hi)."""
    return [_chunks(protocol, range(lo, hi), v, chunk_points) for v in range(VARIANTS)]


def build_shuffled_chunks(protocol: str, lo: int, hi: int, chunk_points: int) -> list[list[tuple[bytes, int]]]:
    """As build_chunks, but series [lo, hi) in SHUFFLED_ORDERS random orders, one a round:
    almost no frame repeats the names of an earlier one in the same order, the worst case
    for the pickle worker's runs of known names (a relay interleaving its senders at
    random).  Round r still sends value variant r % VARIANTS."""
    return [_chunks(protocol, shuffled_order(lo, hi, k).tolist(), k % VARIANTS, chunk_points)
            for k in range(SHUFFLED_ORDERS)]


def _chunks(protocol: str, order, variant: int, chunk_points: int) -> list[tuple[bytes, int]]:
    """(payload template, points) chunks sending the series of `order`, in that order."""
    build = generator.plaintext_lines if protocol == "plaintext" else generator.pickle_frames
    chunks = []
    for a in range(0, len(order), chunk_points):
        part = order[a:a + chunk_points]
        data = build([series_name(i) for i in part], np.array([series_value(i, variant) for i in part]))
        marks = generator.marks(protocol, data)
        if marks != len(part):
            raise RuntimeError(f"template has {marks} timestamp marks for {len(part)} points")
        chunks.append((data, len(part)))
    return chunks


@functools.lru_cache(maxsize=4 * SHUFFLED_ORDERS)
def shuffled_order(lo: int, hi: int, k: int) -> np.ndarray:
    """Series [lo, hi) in order k of a shuffled run."""
    return np.random.default_rng([lo, k]).permutation(np.arange(lo, hi))


@functools.lru_cache(maxsize=4 * SHUFFLED_ORDERS)
def _shuffled_places(lo: int, hi: int, k: int) -> np.ndarray:
    return np.argsort(shuffled_order(lo, hi, k))


def shuffled_position(i: int, lo: int, hi: int, round_: int) -> int:
    """Where series i comes in round `round_` of a shuffled run (what a partial round sent)."""
    return int(_shuffled_places(lo, hi, round_ % SHUFFLED_ORDERS)[i - lo])


@dataclass
class Load(senders.Load):
    """The product's sender load, building this benchmark's series (servers.host-*)."""
    builder: Callable | None = build_chunks


# ============================================================================ process monitor

# ============================================================================ results

@dataclass
class Row:
    system: str
    protocol: str
    series: int
    offered: str                     # "max" or pts/s
    sent: int = 0
    received_rate: float | None = None   # sent / (server read all - start)
    stored: float | None = None      # points readable afterwards (sample-extrapolated)
    stored_rate: float | None = None  # sustained: stored / time-to-store (drain included)
    cpu_pct: float | None = None
    rss_mb: float | None = None          # peak RSS
    anon_mb: float | None = None         # peak anonymous RSS (heap)
    bytes_per_series: float | None = None  # (peak anonymous RSS - idle) / series
    vs_carbon: float | None = None
    vs_influx: float | None = None
    status: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


# ============================================================================ strata

def strata_rounds_base(nseries: int, rate: float | None, seconds: float, margin: float = 120) -> tuple[int, int]:
    """(base timestamp, rounds) for a run: round g is at base + 10 g.

    The rounds start at the oldest raw block (1 h, epoch-aligned) that no `maintain()` will
    seal during the run (a block is sealed 600 s after it ends), and go forward from there,
    past the present if the run needs more rounds than that block holds (Strata accepts up to
    24 h ahead).  The benchmark compresses hours of 10 s data into seconds; sealing is paid per
    block per hour of wall time in production, so it is kept out of the ingest window here
    (benchmarks/store_bench.py measures it).
    """
    rounds = math.ceil((rate or MAX_CAP_RATE) * seconds / nseries) + 1
    rounds = min(rounds, 2000)                     # every round inside the 6 h raw level
    now = time.time()
    block = STEP * 360
    cur = int(now) // block * block
    base = cur - block if now + seconds + margin < cur + 600 else cur
    return base, rounds
class StrataServer(bench_targets.StrataServer):
    """`strata serve` of the checkout `tree` (this one by default)."""

    def __init__(self, tag: str, config_text: str | None = None, tree: Path = REPO):
        super().__init__(tag, config_text, tmp=TMP, prefix="strata-ingest-", http=False, udp=False,
                         cwd=tree, pythonpath=tree)

    def summary(self) -> dict:
        m = re.search(r"stopped: (\d+) points received, (\d+) stored, (\d+) series created", self.log_text())
        return {"received": int(m[1]), "committed": int(m[2]), "created": int(m[3])} if m else {}


def count_strata(data_dir: Path, run: LoadRun, sample: int, seed: int = 1) -> dict:
    """Open the store, read a random sample of the series back, compare with what was sent."""
    from tsdb import Store, StoreConfig
    t = time.monotonic()
    # now=base: open() runs maintain(now); nothing is due then, so no seal runs here (the data
    # is read from the same head files the server wrote).
    store = Store.open(data_dir, StoreConfig(), now=run.load.base_ts)
    open_s = time.monotonic() - t
    try:
        n = run.load.nseries
        idx = sorted(random.Random(seed).sample(range(n), min(sample, n)))
        base = run.load.base_ts
        first, last = run.load.first_round, run.load.first_round + run.load.rounds - 1
        now = max(time.time(), base + STEP * (last + 1))
        exp_total = got_total = wrong = missing_series = 0
        t = time.monotonic()
        for i in idx:
            rounds = run.expected(i)
            exp_total += len(rounds)
            s = store.read(series_name(i), base + STEP * first - 1, base + STEP * last, now=now)
            if s is None:
                missing_series += 1
                continue
            vals = s.values
            have = ~np.isnan(vals)
            got_total += int(have.sum())
            for g in rounds:
                k = (base + STEP * g - s.start) // s.step
                if 0 <= k < len(vals) and have[k] and vals[k] != series_value(i, g % VARIANTS):
                    wrong += 1
        read_s = time.monotonic() - t
        selfm = self_metrics(store, time.time())
        return {"series_in_store": len(store), "sample": len(idx), "sample_expected": exp_total,
                "sample_read": got_total, "value_mismatches": wrong, "missing_series": missing_series,
                "fraction": got_total / exp_total if exp_total else 0.0, "open_s": open_s,
                "read_s": read_s, "self": selfm}
    finally:
        store.close()


def self_metrics(store, now: float) -> dict:
    """Strata's own committedPoints (per 10 s) and cache.size, read back from the store."""
    out = {}
    for key in ("committedPoints", "cache.size", "memUsage", "cpuUsage"):
        names = store.expand(f"carbon.agents.*.{key}")
        if not names:
            continue
        s = store.read(names[0], int(now) - 3600, int(now), now=now)
        if s is None:
            continue
        v = s.values[~np.isnan(s.values)]
        out[key] = v.tolist()
    return out


def run_strata(protocol: str, nseries: int, seconds: float, sample: int, rate: float | None = None,
               senders: int = 2, shuffled: bool = False, tree: Path = REPO,
               config_text: str | None = None) -> Row:
    row = Row("strata", protocol, nseries, (fmt_rate(rate) if rate else "max") + (", shuffled" if shuffled else ""))
    log(f"strata {protocol} {nseries:,} series, {row.offered}, {seconds:.0f} s (load {loadavg()})")
    srv = StrataServer(f"{protocol}-{nseries}", config_text, tree)
    mon = None
    try:
        if not srv.wait_ready():
            row.status = "error"
            row.note = "server did not start: " + srv.log_text()[-300:]
            return row
        time.sleep(0.5)
        mon = ProcMonitor(srv.proc.pid)
        idle = mon.sample()
        mon.start()
        base, rounds = strata_rounds_base(nseries, rate, seconds)
        port = srv.line_port if protocol == "plaintext" else srv.pickle_port
        run = LoadRun(Load(protocol, port, nseries, base, 0, rounds, rate, seconds, senders,
                           builder=build_shuffled_chunks if shuffled else build_chunks,
                           position=shuffled_position if shuffled else None))
        if not run.ok:
            run.abort()
            row.status = "error"
            row.note = "senders did not get ready"
            return row
        load_start = loadavg()
        t0 = run.go()
        run.wait(seconds + 300)
        t_eof = run.t_eof
        t_term = time.monotonic()
        t_exit = srv.stop()
        mon.stop()
        win = mon.window(t0, t_exit)
        sent = run.sent
        summary = srv.summary()
        counted = count_strata(srv.data, run, sample)
        stored = sent * counted["fraction"]
        row.sent = sent
        row.received_rate = sent / (t_eof - t0) if t_eof else None
        row.stored = stored
        row.stored_rate = stored / (t_exit - t0)
        row.cpu_pct = win["cpu_pct"]
        row.rss_mb = (win["rss_peak"] or 0) / 1e6
        row.anon_mb = (win["anon_peak"] or 0) / 1e6
        row.bytes_per_series = (win["anon_peak"] - idle[3]) / nseries if win["anon_peak"] and idle else None
        committed = counted["self"].get("committedPoints", [])
        busy = [c / 10 for c in committed if c > 0]
        row.extra = {"t_send_s": run.t_sent - t0, "t_eof_s": (t_eof - t0) if t_eof else None,
                     "t_term_to_exit_s": t_exit - t_term, "t_store_s": t_exit - t0,
                     "rounds_planned": rounds, "rounds_done": [r["rounds_done"] for r in run.res],
                     "sender_errors": run.errors(), "server_log_summary": summary,
                     "rss_idle_mb": idle[2] / 1e6 if idle else None, "rss_trend_mb": rss_trend(win),
                     "anon_idle_mb": idle[3] / 1e6 if idle else None, "anon_trend_mb": rss_trend(win, 2),
                     "cpu_pct": win["cpu_pct"], "count": {k: v for k, v in counted.items() if k != "self"},
                     "self_committed_per_s": busy, "self_cache_size": counted["self"].get("cache.size", []),
                     "loadavg_start": load_start, "loadavg_end": loadavg(),
                     "rss_series": win["rss_series"]}
        c = counted
        row.note = (f"sent {sent / 1e6:.2f}M in {run.t_sent - t0:.1f}s; all read by server at "
                    f"{(t_eof - t0) if t_eof else float('nan'):.1f}s; SIGTERM->exit {t_exit - t_term:.1f}s; "
                    f"sample {c['sample']} series: {c['sample_read']}/{c['sample_expected']} pts read back, "
                    f"{c['value_mismatches']} wrong values; server log: {summary.get('committed', '?')} stored "
                    f"of {summary.get('received', '?')} received; RSS 25/50/75/100% {rss_trend(win)} MB "
                    f"(idle {idle[2] / 1e6:.0f}), anon {rss_trend(win, 2)} MB (idle {idle[3] / 1e6:.0f}); "
                    f"max pending (cache.size self-metric) {fmt_rate(max(counted['self'].get('cache.size') or [float('nan')]))}; "
                    f"committedPoints/10s median "
                    f"{fmt_rate(float(np.median(busy))) if busy else '-'}/s max {fmt_rate(max(busy)) if busy else '-'}/s; "
                    f"load {load_start}")
        if run.errors():
            row.note += f"; sender errors: {run.errors()}"
        return row
    finally:
        if mon is not None and mon.is_alive():
            mon.stop()
        srv.cleanup()


def run_strata_readable(loaded: bool, nseries: int, tree: Path = REPO, config_text: str | None = None) -> dict:
    """Send brand-new series at known times before a SIGKILL; which survived bounds the latency.

    SIGKILL (not SIGTERM) so that no drain or flush helps: a point found after the kill had
    reached the store's memory-mapped files (page cache), where a reader sees it, before the
    kill.  Each probe is one line on its own new connection, sent `lead` seconds before the kill.
    """
    leads = [3.0, 2.0, 1.0, 0.5, 0.3, 0.2, 0.1] if loaded else [1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05]
    srv = StrataServer("readable", config_text, tree)
    out = {"loaded": loaded, "probes": []}
    run = None
    try:
        if not srv.wait_ready():
            out["error"] = "server did not start"
            return out
        if loaded:
            base, rounds = strata_rounds_base(nseries, None, 30)
            run = LoadRun(Load("plaintext", srv.line_port, nseries, base, 0, rounds, None, 30.0, 2,
                               wait_eof=False))
            run.go()
            time.sleep(8.0)                       # past the creation round, into the steady state
        t_kill = time.monotonic() + max(leads) + 0.2
        now_ts = int(time.time())
        for k, lead in enumerate(leads):
            while time.monotonic() < t_kill - lead:
                time.sleep(0.001)
            name = f"probe.readable.{'loaded' if loaded else 'idle'}.n{k}"
            with socket.create_connection(("127.0.0.1", srv.line_port), timeout=5) as s:
                s.sendall(f"{name} {k + 1} {now_ts}\n".encode())
                sent_at = time.monotonic()
            out["probes"].append({"name": name, "lead_s": round(t_kill - sent_at, 3), "value": k + 1})
        while time.monotonic() < t_kill:
            time.sleep(0.001)
        srv.stop(signal.SIGKILL)
        if run is not None:
            run.wait(30)
        from tsdb import Store, StoreConfig
        store = Store.open(srv.data, StoreConfig())
        try:
            for p in out["probes"]:
                s = store.read(p["name"], now_ts - STEP, now_ts, now=time.time())
                vals = [] if s is None else s.values[~np.isnan(s.values)].tolist()
                p["stored"] = vals == [float(p["value"])]
        finally:
            store.close()
        ok = [p["lead_s"] for p in out["probes"] if p["stored"]]
        bad = [p["lead_s"] for p in out["probes"] if not p["stored"]]
        out["readable_within_s"] = min(ok) if ok else None
        out["not_yet_at_s"] = max(bad) if bad else None
        return out
    finally:
        srv.cleanup()


def run_strata_sigterm_probe(nseries: int, seconds: float) -> dict:
    """SIGTERM as soon as the senders' last sendall returns (data may still sit in socket
    buffers while the server is paused by backpressure): are those points lost?"""
    srv = StrataServer("sigterm")
    try:
        if not srv.wait_ready():
            return {"error": "server did not start"}
        base, rounds = strata_rounds_base(nseries, None, seconds)
        run = LoadRun(Load("plaintext", srv.line_port, nseries, base, 0, rounds, None, seconds, 2,
                           wait_eof=False))
        t0 = run.go()
        run.wait(seconds + 120)
        t_term = time.monotonic()
        srv.stop()
        counted = count_strata(srv.data, run, nseries)      # every series
        lost = counted["sample_expected"] - counted["sample_read"]
        return {"sent": run.sent, "read_back": counted["sample_read"], "lost": lost,
                "term_to_exit_s": srv.t_exit - t_term, "send_s": run.t_sent - t0,
                "server_log": srv.summary(), "paused_logged": "ingestion paused" in srv.log_text()}
    finally:
        srv.cleanup()


# ============================================================================ carbon-cache

def ensure_carbon_venv() -> tuple[Path | None, str]:
    return bench_targets.ensure_carbon_venv(venv=CARBON_VENV, say=log)


class CarbonServer(bench_targets.CarbonServer):
    def __init__(self, py: Path):
        super().__init__(py, retention=CARBON_RETENTION, tmp=TMP, prefix="strata-ingest-carbon-")

    def path(self, i: int) -> str:
        return super().path(series_name(i))


def carbon_step(srv: CarbonServer, protocol: str, nseries: int, rate: float | None, seconds: float,
                base: int, first_round: int, rounds: int, mon: ProcMonitor, progress_sample: list[int],
                final_sample: list[int], drain_timeout: float) -> Row:
    row = Row("carbon-cache", protocol, nseries, fmt_rate(rate) if rate else "max")
    port = srv.line_port if protocol == "plaintext" else srv.pickle_port
    run = LoadRun(Load(protocol, port, nseries, base, first_round, rounds, rate, seconds, 2))
    if not run.ok:
        run.abort()
        row.status, row.note = "error", "senders did not get ready"
        return row
    t_from, t_until = base + STEP * first_round, base + STEP * (first_round + rounds - 1)
    ppaths = [srv.path(i) for i in progress_sample]
    frac = len(progress_sample) / nseries
    load_start = loadavg()
    t0 = run.go()
    trace = []                       # (t, sent, stored estimate)
    next_sample = t0 + 2.0
    for _ in range(int((seconds + 300) / 0.25) + 1):      # while the senders run
        if all(not p.is_alive() for p in run.procs):
            break
        time.sleep(0.25)
        if time.monotonic() >= next_sample:                # every 2 s: the backlog
            sent = run.sent_now()
            est = whisper_count(ppaths, t_from, t_until) / frac
            trace.append((time.monotonic() - t0, sent, est))
            next_sample += 2.0
    run.wait(60)
    t_sent = run.t_sent
    sent = run.sent
    trace.append((t_sent - t0, sent, whisper_count(ppaths, t_from, t_until) / frac))
    # Drain: poll the final sample until complete (everything sent is in whisper) or time out.
    fpaths = [srv.path(i) for i in final_sample]
    expected = sum(len(run.expected(i)) for i in final_sample)
    t_stored, got = None, 0
    deadline = time.monotonic() + drain_timeout
    while time.monotonic() < deadline:
        got = whisper_count(fpaths, t_from, t_until)
        if got >= expected:
            t_stored = time.monotonic()
            break
        time.sleep(0.25)
    t_end = t_stored or time.monotonic()
    stored = sent * (got / expected if expected else 0)
    win = mon.window(t0, t_end)
    # Backlog (sent - stored) over the step's second half: bounded if it grows < 10% of offered.
    half = [x for x in trace if x[0] >= (t_sent - t0) / 2 and x[0] <= (t_sent - t0) + 0.5]
    if len(half) >= 2:
        b0, b1 = half[0][1] - half[0][2], half[-1][1] - half[-1][2]
        growth = (b1 - b0) / max(half[-1][0] - half[0][0], 1e-9)
    else:
        growth = float("nan")
    offered = rate or (sent / (t_sent - t0))
    drained_in = (t_stored - t_sent) if t_stored else None
    # bounded: the socket takes the offered rate, the backlog stops growing, and what is left
    # when sending stops drains quickly
    took_it = rate is None or sent / (t_sent - t0) >= 0.95 * rate
    bounded = (took_it and growth < 0.10 * offered and drained_in is not None
               and drained_in <= max(5.0, 0.25 * seconds))
    at_end = trace
    stored_during = at_end[-1][2] / at_end[-1][0] if at_end else None
    row.sent = sent
    row.received_rate = sent / (t_sent - t0)
    row.stored = stored
    row.stored_rate = stored / (t_end - t0)
    row.cpu_pct = win["cpu_pct"]
    row.rss_mb = (win["rss_peak"] or 0) / 1e6
    row.anon_mb = (win["anon_peak"] or 0) / 1e6
    row.bytes_per_series = (win["anon_peak"] or 0) / nseries
    row.status = "bounded" if bounded else ("GROWS" if took_it else "socket slow")
    backlog_end = (at_end[-1][1] - at_end[-1][2]) if at_end else float("nan")
    row.note = (f"sent {sent / 1e6:.2f}M in {t_sent - t0:.1f}s (socket took {fmt_rate(row.received_rate)}/s); "
                f"stored while sending {fmt_rate(stored_during)}/s; backlog (cache) at end of send "
                f"{backlog_end / 1e3:.0f}k pts, growth in 2nd half {fmt_rate(growth) if growth == growth else '-'}/s; "
                + (f"all stored at {t_stored - t0:.1f}s ({drained_in:.1f}s after the last send)" if t_stored else
                   f"NOT drained after {drain_timeout:.0f}s ({got}/{expected} sample pts)")
                + f"; load {load_start}")
    if run.errors():
        row.note += f"; sender errors: {run.errors()}"
    row.extra = {"trace": trace, "bounded": bounded, "offered_achieved": sent / (t_sent - t0), "growth_2nd_half": growth,
                 "stored_while_sending": stored_during, "t_stored_s": (t_stored - t0) if t_stored else None,
                 "t_send_s": t_sent - t0, "sample_expected": expected, "sample_got": got,
                 "loadavg_start": load_start, "loadavg_end": loadavg(), "rss_trend_mb": rss_trend(win)}
    return row


def run_carbon(nseries: int, steps: list[tuple[str, float | None]], step_seconds: float,
               drain_timeout: float, sample: int) -> list[Row]:
    py, why = ensure_carbon_venv()
    if py is None:
        return [Row("carbon-cache", "-", nseries, "-", status="unavailable", note=why)]
    try:
        import whisper  # noqa: F401  (the bench reads carbon's files with the same version)
    except ImportError:
        return [Row("carbon-cache", "-", nseries, "-", status="unavailable",
                    note="pip install whisper==1.1.10 (the project's bench extra) to count carbon's points")]
    srv = CarbonServer(py)
    rows: list[Row] = []
    mon = None
    try:
        if not srv.wait_ready():
            return [Row("carbon-cache", "-", nseries, "-", status="error",
                        note="carbon-cache did not start: " + srv.log_path.read_text()[-400:])]
        mon = ProcMonitor(srv.proc.pid)
        mon.start()
        plan = [math.ceil((r or 150_000) * step_seconds / nseries) + 1 for _, r in steps]
        total = 1 + sum(plan)
        if total > CARBON_RAW_ROUNDS - 40:
            return [Row("carbon-cache", "-", nseries, "-", status="error",
                        note=f"{total} rounds do not fit carbon's 1 h raw archive; fewer steps or seconds")]
        base = (int(time.time()) // STEP) * STEP - STEP * total
        rng = random.Random(2)
        progress_sample = sorted(rng.sample(range(nseries), min(300, nseries)))
        final_sample = sorted(rng.sample(range(nseries), min(sample, nseries)))
        # Warm-up: one round creates every file (creates are the slow part of whisper).
        log(f"carbon-cache warm-up: one round creates {nseries:,} whisper files (load {loadavg()})")
        warm = carbon_step(srv, "plaintext", nseries, None, 600, base, 0, 1, mon, progress_sample,
                           final_sample, drain_timeout=300)
        warm.offered = "creation round"
        warm.status = ""
        rows.append(warm)
        g = 1
        for (protocol, rate), rounds in zip(steps, plan):
            log(f"carbon-cache {protocol} {fmt_rate(rate) if rate else 'max'} pts/s for {step_seconds:.0f} s "
                f"(load {loadavg()})")
            rows.append(carbon_step(srv, protocol, nseries, rate, step_seconds, base, g, rounds, mon,
                                    progress_sample, final_sample, drain_timeout))
            g += rounds
        stop_s, clean = srv.stop(120)
        rows[-1].extra["sigterm_to_exit_s"] = stop_s
        rows[-1].extra["clean_exit"] = clean
        rows[0].extra["carbon_self_metrics"] = carbon_self_metrics(srv)
        return rows
    finally:
        if mon is not None:
            mon.stop()
        srv.cleanup()


def carbon_self_metrics(srv: CarbonServer) -> dict:
    import whisper
    out = {}
    for key in ("cache.size", "committedPoints", "metricsReceived", "cpuUsage", "memUsage"):
        for p in srv.whisper_dir.glob(f"carbon/agents/*/{key.replace('.', '/')}.wsp"):
            _i, vals = whisper.fetch(str(p), int(time.time()) - 3000)
            out[key] = [v for v in vals if v is not None]
    return out


# ============================================================================ InfluxDB

INFLUX_CONF = """reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
[coordinator]
  log-queries-after = "0s"
[retention]
  enabled = false
[shard-precreation]
  enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{http}"
  log-enabled = false
[logging]
  level = "warn"
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[[graphite]]
  enabled = true
  bind-address = "127.0.0.1:{graphite}"
  database = "graphite"
  protocol = "tcp"
  batch-size = 5000
  batch-pending = 10
  batch-timeout = "1s"
  separator = "."
  templates = ["measurement.host.app.metric.instance"]
"""


class InfluxServer:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="strata-ingest-influx-", dir=TMP))
        self.http, self.graphite, rpc = free_port(), free_port(), free_port()
        conf = self.dir / "influxdb.conf"
        conf.write_text(INFLUX_CONF.format(root=self.dir, rpc=rpc, http=self.http, graphite=self.graphite))
        self.log_path = self.dir / "influxd.log"
        self.proc = subprocess.Popen(["influxd", "run", "-config", str(conf)], cwd=str(self.dir),
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)

    def query(self, q: str, timeout: float = 120) -> dict:
        url = f"http://127.0.0.1:{self.http}/query?" + urllib.parse.urlencode({"db": "graphite", "q": q})
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read())

    def wait_ready(self) -> bool:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/ping", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            return False
        return wait_port(self.graphite, 30)

    def count(self, t_from: int) -> int:
        doc = self.query(f"SELECT count(value) FROM servers WHERE time >= {t_from}s")
        try:
            return int(doc["results"][0]["series"][0]["values"][0][1])
        except (KeyError, IndexError, TypeError):
            return 0

    def cleanup(self) -> None:
        bench_targets.stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_influx(nseries: int, seconds: float, rate: float | None = None) -> Row:
    row = Row("influxdb", "plaintext", nseries, fmt_rate(rate) if rate else "max")
    if shutil.which("influxd") is None:
        row.status, row.note = "unavailable", "influxd not found (apt-get install influxdb)"
        return row
    log(f"influxdb plaintext {nseries:,} series, {row.offered}, {seconds:.0f} s (load {loadavg()})")
    srv = InfluxServer()
    mon = None
    try:
        if not srv.wait_ready():
            row.status, row.note = "error", "influxd did not start: " + srv.log_path.read_text()[-400:]
            return row
        mon = ProcMonitor(srv.proc.pid)
        idle = mon.sample()
        mon.start()
        base, rounds = strata_rounds_base(nseries, rate, seconds)
        run = LoadRun(Load("plaintext", srv.graphite, nseries, base, 0, rounds, rate, seconds, 2))
        load_start = loadavg()
        t0 = run.go()
        run.wait(seconds + 300)
        sent, t_eof = run.sent, run.t_eof
        last, t_final, polls = -1, None, []
        for _ in range(60):                         # until the count stops changing (bounded)
            c = srv.count(base)
            polls.append((round(time.monotonic() - t0, 2), c))
            if c == last or c >= sent:
                t_final = t_final if c == last else time.monotonic()
                break
            last, t_final = c, time.monotonic()
            time.sleep(1.0)
        mon.stop()
        stored = polls[-1][1]
        win = mon.window(t0, t_final)
        try:
            card = srv.query("SHOW SERIES CARDINALITY")["results"][0]["series"][0]["values"][0][0]
        except Exception:
            card = None
        row.sent = sent
        row.received_rate = sent / (t_eof - t0) if t_eof else None
        row.stored = stored
        row.stored_rate = stored / (t_final - t0)
        row.cpu_pct = win["cpu_pct"]
        row.rss_mb = (win["rss_peak"] or 0) / 1e6
        row.anon_mb = (win["anon_peak"] or 0) / 1e6
        row.bytes_per_series = (win["anon_peak"] - idle[3]) / nseries if win["anon_peak"] and idle else None
        row.note = (f"sent {sent / 1e6:.2f}M in {run.t_sent - t0:.1f}s; count(value) {stored:,} "
                    f"({stored / sent:.1%} of sent), final at {t_final - t0:.1f}s; series cardinality {card}; "
                    f"RSS 25/50/75/100% {rss_trend(win)} MB (idle {idle[2] / 1e6:.0f}); load {load_start}")
        if run.errors():
            row.note += f"; sender errors: {run.errors()}"
        row.extra = {"polls": polls, "cardinality": card, "loadavg_start": load_start,
                     "loadavg_end": loadavg(), "rss_series": win["rss_series"]}
        return row
    finally:
        if mon is not None and mon.is_alive():
            mon.stop()
        srv.cleanup()


# ============================================================================ profile

def run_profile(seconds: float, nseries: int, out_prefix: str, protocol: str = "plaintext") -> str:
    """py-spy of `strata serve` during a max-rate run: all threads, then the GIL holder only."""
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        return "py-spy not found (pip install py-spy)"
    srv = StrataServer("profile")
    try:
        if not srv.wait_ready():
            return "server did not start"
        send_s = 2 * seconds + 15
        base, rounds = strata_rounds_base(nseries, None, send_s)
        port = srv.line_port if protocol == "plaintext" else srv.pickle_port
        run = LoadRun(Load(protocol, port, nseries, base, 0, rounds, None, send_s, 2))
        mon = ProcMonitor(srv.proc.pid)
        mon.start()
        t0 = run.go()
        time.sleep(5.0)          # past the creation round
        out = []
        for mode, flags in (("all threads", []), ("GIL holder only", ["--gil"])):
            raw = f"{out_prefix}-{protocol}-{'gil' if flags else 'all'}.txt"
            ta = time.monotonic()
            subprocess.run([pyspy, "record", "-p", str(srv.proc.pid), "--duration", str(int(seconds)),
                            "--rate", "100", "--threads", "--nonblocking", "--format", "raw", "-o", raw,
                            *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=seconds + 120)
            win = mon.window(ta, time.monotonic())
            out.append(f"=== {protocol}, {mode}: {int(seconds)} s, server CPU {win['cpu_pct']:.0f}% "
                       f"(raw stacks: {raw})\n" + summarize_profile(raw, seconds))
        run.wait(send_s + 120)
        mon.stop()
        srv.stop()
        rate = run.sent / (run.t_sent - t0)
        return f"{protocol} max-rate run: {fmt_rate(rate)} pts/s taken by the socket while profiled\n\n" + \
            "\n\n".join(out)
    finally:
        srv.cleanup()


def summarize_profile(raw: str, seconds: float, top: int = 20) -> str:
    stacks: Counter = Counter()
    with open(raw) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if stack:
                stacks[stack] += int(n)
    total = sum(stacks.values()) or 1
    by_thread: Counter = Counter()
    self_t: Counter = Counter()
    incl: Counter = Counter()
    for stack, n in stacks.items():
        frames = stack.split(";")
        thread = frames[0]
        tname = thread.split(": ", 1)[-1]
        by_thread[tname] += n
        self_t[(tname, _short_frame(frames[-1]))] += n
        for fr in set(_short_frame(x) for x in frames[1:]):
            incl[fr] += n
    lines = [f"{total} samples at 100 Hz over {seconds:.0f} s; % below = share of samples",
             "", "by thread (busy % of wall time):"]
    lines += [f"  {n / total:6.1%}  {t} ({n / (100 * seconds):.0%} busy)" for t, n in by_thread.most_common(6)]
    lines += ["", "self time (leaf frame):"]
    lines += [f"  {n / total:6.1%}  [{t}] {fr}" for (t, fr), n in self_t.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"  {n / total:6.1%}  {fr}" for fr, n in incl.most_common(top)]
    return "\n".join(lines)


def _short_frame(fr: str) -> str:
    return re.sub(r"\(/[^)]*/(site-packages|lib/python3\.\d+|main)/", "(", fr)


# ============================================================================ report

def git_state() -> str:
    """HEAD and the server files that differ from it (others edit the tree concurrently)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--short", "--", "carbon_compat", "tsdb", "strata", "rollup"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout.split("\n")
        dirty = [d.strip() for d in dirty if d.strip()]
        return head + (f" + uncommitted: {', '.join(dirty)}" if dirty else " (server code clean)")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def env_info() -> dict:
    return {"date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "git": git_state(),
            "ram_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_start": loadavg(), "tmp_free_gib": shutil.disk_usage(TMP).free / 2**30}


def best(rows: list[Row], system: str, protocol: str, nseries: int) -> Row | None:
    cands = [r for r in rows if r.system == system and r.protocol == protocol and r.series == nseries
             and r.stored_rate is not None]
    return max(cands, key=lambda r: r.stored_rate) if cands else None


def carbon_sustainable(rows: list[Row], protocol: str) -> tuple[float | None, str]:
    """The highest offered rate at which carbon's cache stayed bounded (see carbon_step)."""
    steps = [r for r in rows if r.system == "carbon-cache" and r.protocol == protocol
             and r.offered not in ("max", "creation round") and r.stored_rate is not None]
    ok = [r for r in steps if r.extra.get("bounded")]
    if ok:
        r = max(ok, key=lambda r: r.extra["offered_achieved"])
        rate = r.extra["offered_achieved"]
        higher = [s for s in steps if s not in ok and s.extra["offered_achieved"] > rate]
        return rate, (f"highest offered rate with a bounded cache: {r.offered}"
                      + (f"; grows at {', '.join(s.offered for s in higher)}" if higher
                         else "; no higher step tested"))
    if steps:
        r = max(steps, key=lambda r: r.stored_rate)
        return r.stored_rate, f"cache grew at every step; best stored rate ({r.offered} step) used"
    return None, "no carbon step"


def compare(rows: list[Row]) -> None:
    for proto in ("plaintext", "pickle"):
        c, _ = carbon_sustainable(rows, proto)
        i = best(rows, "influxdb", "plaintext", rows[0].series if rows else 0)
        for r in rows:
            if r.system == "strata" and r.protocol == proto and r.stored_rate:
                r.vs_carbon = r.stored_rate / c if c else None
                r.vs_influx = r.stored_rate / i.stored_rate if i and i.stored_rate else None
            if r.system == "influxdb" and proto == "plaintext" and r.stored_rate and c:
                r.vs_carbon = r.stored_rate / c


def targets(rows: list[Row], nseries: int, readable: list[dict]) -> list[tuple[str, str, str]]:
    out = []

    def status(ok: bool, value: float, target: float) -> str:
        d = value / target - 1
        return f"met ({d:+.0%})" if ok else f"MISSED ({d:+.0%})"

    for proto in ("pickle", "plaintext"):
        r = best(rows, "strata", proto, nseries)
        t = TARGETS[proto]
        if r is None:
            out.append((f"{proto} >= {fmt_rate(t)} pts/s at {nseries // 1000}k series", "-", "not run"))
            continue
        trend = r.extra.get("anon_trend_mb", "-")
        out.append((f"{proto} >= {fmt_rate(t)} pts/s sustained at {nseries // 1000}k series, bounded memory",
                    f"{fmt_rate(r.stored_rate)}/s; anon RSS 25/50/75/100% of the run {trend} MB",
                    status(r.stored_rate >= t, r.stored_rate, t)))
        c, how = carbon_sustainable(rows, proto)
        if c:
            x = r.stored_rate / c
            out.append((f"{proto}: >= {TARGETS['vs_carbon']:.0f}x carbon-cache's sustainable rate",
                        f"{x:.1f}x ({fmt_rate(r.stored_rate)} / {fmt_rate(c)}; {how})",
                        status(x >= TARGETS["vs_carbon"], x, TARGETS["vs_carbon"])))
        i = best(rows, "influxdb", "plaintext", nseries)
        if i and i.stored_rate and proto == "plaintext":
            x = r.stored_rate / i.stored_rate
            out.append((f"plaintext: >= {TARGETS['vs_influxdb']:.0f}x InfluxDB's graphite listener",
                        f"{x:.1f}x ({fmt_rate(r.stored_rate)} / {fmt_rate(i.stored_rate)})",
                        status(x >= TARGETS["vs_influxdb"], x, TARGETS["vs_influxdb"])))
    for rd in readable:
        w = rd.get("readable_within_s")
        label = f"new series readable within 1 s ({'under max plaintext load' if rd['loaded'] else 'idle server'})"
        if w is None:
            out.append((label, f"no probe stored (leads {[p['lead_s'] for p in rd.get('probes', [])]})", "MISSED"))
        else:
            nyet = rd.get("not_yet_at_s")
            out.append((label, f"stored when sent {w:.2f} s before SIGKILL"
                        + (f"; not stored at {nyet:.2f} s" if nyet else "; every probe stored"),
                        "met" if w <= TARGETS["readable_s"] else "MISSED"))
    mem = [r for r in rows if r.system == "strata" and r.bytes_per_series]
    for proto in ("pickle", "plaintext"):
        small = [r for r in mem if r.protocol == proto and r.series == nseries]
        big = [r for r in mem if r.protocol == proto and r.series == 1_000_000]
        if small and big and nseries < 1_000_000:
            marginal = (big[0].anon_mb - small[0].anon_mb) * 1e6 / (1_000_000 - nseries)
            out.append((f"memory per series, marginal ({proto}: peak anon RSS at 1M minus at {nseries // 1000}k series)",
                        f"{marginal:.0f} B/series ({small[0].anon_mb:.0f} -> {big[0].anon_mb:.0f} MB)", "stated"))
    if mem:
        out.append(("memory per series stated", "; ".join(
            f"{r.protocol} {r.series // 1000}k: {r.bytes_per_series:.0f} B" for r in mem)
            + " (peak anon RSS - idle, per series; includes up to max_pending_points in flight)",
            "stated"))
    return out


def render(rows: list[Row], tgt: list, info: dict, extras: dict) -> str:
    hdr = ["system", "protocol", "series", "offered", "received/s", "stored/s (sustained)", "vs carbon",
           "vs influx", "CPU%", "RSS MB", "anon MB", "B anon/series", "status"]
    table = [hdr]
    for r in rows:
        table.append([r.system, r.protocol, f"{r.series // 1000}k", r.offered, fmt_rate(r.received_rate),
                      fmt_rate(r.stored_rate), f"{r.vs_carbon:.1f}x" if r.vs_carbon else "-",
                      f"{r.vs_influx:.1f}x" if r.vs_influx else "-",
                      f"{r.cpu_pct:.0f}" if r.cpu_pct is not None else "-",
                      f"{r.rss_mb:.0f}" if r.rss_mb else "-", f"{r.anon_mb:.0f}" if r.anon_mb else "-",
                      f"{r.bytes_per_series:.0f}" if r.bytes_per_series else "-", r.status or "-"])
    widths = [max(len(str(row[k])) for row in table) for k in range(len(hdr))]
    lines = [f"Strata ingest benchmark ({info['mode']}), {info['date']}, {info['cpus']} cores, "
             f"{info['ram_gib']:.1f} GiB, Python {info['python']}; load avg {info['loadavg_start']} -> "
             f"{info['loadavg_end']}; {info['elapsed_s']:.0f} s; code {info['git']}", ""]
    for k, row in enumerate(table):
        lines.append("  ".join(str(c).ljust(w) if j < 3 else str(c).rjust(w) if j < len(row) - 1 else str(c)
                               for j, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "notes:"]
    for r in rows:
        if r.note:
            lines.append(f"  {r.system} {r.protocol} {r.series // 1000}k {r.offered}: {r.note}")
    for k, v in extras.items():
        lines.append(f"  {k}: {v}")
    if tgt:
        lines += ["", "targets:"]
        w = max(len(t[0]) for t in tgt)
        for name, value, st in tgt:
            lines.append(f"  {name.ljust(w)}  {st:<14}  {value}")
    return "\n".join(lines)


# ============================================================================ main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="End-to-end ingest: strata serve vs carbon-cache vs InfluxDB.")
    ap.add_argument("--quick", action="store_true", help="reduced run (~2 min)")
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, help="send time of a max-rate run (default 30; 8 with --quick)")
    ap.add_argument("--only", action="append", choices=["strata", "carbon", "influxdb"])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-1m", action="store_true", help="skip the 1M-series strata runs")
    ap.add_argument("--profile", action="store_true", help="only a py-spy profile of strata serve")
    ap.add_argument("--profile-protocol", action="append", choices=["plaintext", "pickle"])
    args = ap.parse_args(argv)
    quick = args.quick
    seconds = args.seconds or (8.0 if quick else 30.0)
    only = set(args.only or ["strata", "carbon", "influxdb"])
    n = args.series
    started = time.monotonic()
    info = env_info()
    info["mode"] = "quick" if quick else "full"
    log(f"ingest_bench {info['mode']}: {info['cpus']} cores, load {info['loadavg_start']}, "
        f"/tmp free {info['tmp_free_gib']:.0f} GiB")
    if args.profile:
        out = f"{TMP}/strata-ingest-profile-{os.getpid()}"
        for proto in args.profile_protocol or ["plaintext"]:
            print(run_profile(args.seconds or 20.0, n, out, proto), flush=True)
        return 0
    if info["tmp_free_gib"] < 10:
        log(f"only {info['tmp_free_gib']:.1f} GiB free in /tmp; need ~10")
        return 1
    rows: list[Row] = []
    extras: dict = {}
    readable: list[dict] = []
    carbon_plain = [("plaintext", r) for r in ([60_000, 150_000] if quick else [40_000, 60_000, 100_000, 125_000, 150_000])]
    carbon_pickle = [("pickle", r) for r in ([100_000] if quick else [60_000, 100_000, 125_000, 150_000])]
    step_s = 8.0 if quick else 20.0
    sample = 1000 if quick else 3000
    if "strata" in only:
        rows.append(run_strata("plaintext", n, seconds, sample))
    if "influxdb" in only:
        rows.append(run_influx(n, seconds))
    if "carbon" in only:
        rows += run_carbon(n, carbon_plain + carbon_pickle, step_s, 30.0 if quick else 90.0,
                           1000 if quick else 2000)
    if "strata" in only:
        rows.append(run_strata("pickle", n, seconds, sample))
        if not quick:
            rows.append(run_strata("pickle", n, seconds, sample, shuffled=True))
        if not quick and not args.no_1m:
            rows.append(run_strata("pickle", 1_000_000, seconds, sample))
            rows.append(run_strata("plaintext", 1_000_000, seconds, sample))
        log(f"strata: time until a new series is readable (load {loadavg()})")
        readable.append(run_strata_readable(False, n))
        if not quick:
            readable.append(run_strata_readable(True, n))
            log(f"strata: SIGTERM while senders' data is still in socket buffers (load {loadavg()})")
            extras["SIGTERM right after the last sendall (10k series, 8 s max plaintext)"] = \
                run_strata_sigterm_probe(10_000, 8.0)
        for rd in readable:
            extras[f"readable ({'loaded' if rd['loaded'] else 'idle'})"] = {
                "probes (lead s before SIGKILL -> stored)": [(p["lead_s"], p.get("stored")) for p in rd.get("probes", [])],
                **({"error": rd["error"]} if "error" in rd else {})}
    compare(rows)
    for proto in ("plaintext", "pickle"):
        c, how = carbon_sustainable(rows, proto)
        if c:
            extras[f"carbon-cache sustainable, {proto}"] = f"{fmt_rate(c)} pts/s ({how})"
    tgt = targets(rows, n, readable) if "strata" in only else []
    info["loadavg_end"] = loadavg()
    info["elapsed_s"] = time.monotonic() - started
    text = render(rows, tgt, info, extras)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"info": info, "rows": [asdict(r) for r in rows], "targets": tgt,
                                         "readable": readable, "extras": extras}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
