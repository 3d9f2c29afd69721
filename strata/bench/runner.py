"""The bench's phases against one or two targets, alternating, and the result they produce.

What: `run_bench(plan, targets)` drives, for every target in turn (ABBA order across
phases, so drift on a shared machine hits both alike):
1. backfill (optional): `backfill` seconds of history for every series, as fast as the
   server takes it;
2. load levels (N, 2N ... series): every series once per interval for `seconds`, paced,
   while a seeded sample of series is counted through the render API every `poll_every`
   (sent vs readable over time: the backlog and lag), then until the sample is complete
   (drain) or `drain_timeout`.  readable = sent x (sample points read / sample points sent);
   when the sample is every series, readable is the exact count.  During level 1 a thread
   sends brand-new series and times how long until /render returns them (visibility);
3. queries: a dashboard mix timed on the idle server (latency percentiles per kind);
4. stop: a spawned server stops cleanly; its data directory's bytes per readable point is
   measured, and a spawned Strata's store is opened and counted directly as a cross-check.
CPU and memory of spawned servers (or --pid) come from /proc throughout.

Every loop here ends by count or deadline; the result is a plain dict (JSON-ready).
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import socket
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np

from . import client, stats
from .generator import (
    Segment,
    Workload,
    build_chunks,
    dashboard_queries,
    plan_timeline,
    probe_name,
    rounds_for,
    series_names,
    value_table,
)
from .procmon import ProcMonitor
from .progress import Progress
from .senders import Load, LoadRun
from .targets import Target, disk_usage

log = logging.getLogger("strata.bench")

MAX_POLLS = 10_000               # sample polls per segment (each also bounded by time)
STORE_COUNT_MAX = 50_000         # series counted one by one in a spawned store; a sample beyond


@dataclass(frozen=True)
class BenchPlan:
    workload: Workload              # level 1; other levels scale its series count
    protocol: str = "plaintext"
    seconds: float = 30.0           # sending time of each load level
    levels: tuple[float, ...] = (1.0, 2.0)
    speedup: float = 1.0
    backfill: int = 0               # seconds of history sent first
    senders: int = 2
    sample: int = 300
    poll_every: float = 2.0
    drain_timeout: float = 60.0
    probes: int = 5
    probe_timeout: float = 20.0
    queries: int = 25               # requests per query kind
    query_seconds: float = 60.0
    backfill_timeout: float = 300.0

    def level_series(self) -> list[int]:
        return [max(1, round(self.workload.series * m)) for m in self.levels]

    def level_rounds(self) -> int:
        return rounds_for(self.seconds, self.workload.interval, self.speedup)

    def history_seconds(self) -> float:
        """Oldest point's age at the end of the run, at most: what the raw retention must hold."""
        w = self.workload
        live = len(self.levels) * (self.level_rounds() * w.interval / self.speedup + self.drain_timeout + 10)
        return self.backfill + len(self.levels) * self.level_rounds() * w.interval + live + \
            self.backfill_timeout + self.query_seconds + 120


class TargetState:
    """One target's monitors and results while the bench runs."""

    def __init__(self, target: Target):
        self.target = target
        self.mon = ProcMonitor(target.pid) if target.pid else None
        self.web_mon = ProcMonitor(target.web_pid) if target.web_pid else None
        self.idle = self.mon.sample() if self.mon else None
        for m in (self.mon, self.web_mon):
            if m is not None:
                m.start()
        self.result: dict = {"name": target.name, "kind": target.kind, "carbon": f"{target.host}:{target.line_port}",
                             "render_url": target.render_url, "segments": [], "visibility": None,
                             "queries": None, "disk": None, "store_check": None, "errors": []}

    def resources(self, a: float, b: float) -> dict:
        out = {}
        for key, m in (("server", self.mon), ("web", self.web_mon)):
            if m is None:
                continue
            w = m.window(a, b)
            out[key] = {"cpu_pct": w["cpu_pct"], "rss_peak_mb": _mb(w["rss_peak"]),
                        "anon_peak_mb": _mb(w["anon_peak"])}
        return out

    def close(self) -> None:
        for m in (self.mon, self.web_mon):
            if m is not None:
                m.stop()


def _mb(x) -> float | None:
    return None if x is None else x / 1e6


def run_bench(plan: BenchPlan, targets: list[Target], progress: bool | None = None, say=None) -> dict:
    say = say or log.info
    w = plan.workload
    now = time.time()
    backfill_rounds = plan.backfill // w.interval
    base, segments = plan_timeline(now, w.interval, backfill_rounds, plan.level_series(),
                                   plan.level_rounds(), plan.speedup)
    states = [TargetState(t) for t in targets]
    started = time.monotonic()
    result = {"bench": _environment(plan, base), "targets": {}}
    try:
        for p, seg in enumerate(segments):
            for st in _order(states, p):
                say(f"{st.target.name}: {seg.name}: {seg.series:,} series, "
                    + (f"{seg.rate:,.0f} points/s offered" if seg.rate else "as fast as it takes")
                    + f", {seg.rounds} rounds")
                st.result["segments"].append(run_segment(plan, st, seg, base, progress,
                                                         probes=seg.name == "level 1"))
        for st in _order(states, len(segments)):
            if st.target.render_url and plan.queries:
                say(f"{st.target.name}: dashboard queries ({plan.queries} per kind)")
                st.result["queries"] = run_queries(plan, st, progress)
        for st in states:
            finish_target(plan, st, base, segments, say)
    finally:
        for st in states:
            st.close()
    for st in states:
        r = st.result
        levels = [s for s in r["segments"] if s["name"].startswith("level")]
        r["capacity"] = stats.capacity_summary(st.target.name, [
            {"series": s["series"], "bounded": s["bounded"], "cpu_pct": (s["resources"].get("server") or {}).get("cpu_pct"),
             "lag_end_s": s["lag_end_s"], "drained_in_s": s["drained_in_s"]} for s in levels if s["bounded"] is not None],
            w.interval, plan.speedup)
        result["targets"][st.target.name] = r
    result["bench"]["elapsed_s"] = time.monotonic() - started
    result["bench"]["loadavg_end"] = list(os.getloadavg())
    if len(states) == 2:
        result["ratios"] = compare(result["targets"][states[0].target.name],
                                   result["targets"][states[1].target.name])
    return result


def _order(states: list, p: int) -> list:
    """ABBA: A first in even phases, B first in odd ones."""
    return states if p % 2 == 0 else states[::-1]


def _environment(plan: BenchPlan, base: int) -> dict:
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": socket.gethostname(), "cpus": os.cpu_count(),
            "ram_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_start": list(os.getloadavg()), "base_ts": base,
            "plan": {**asdict(plan), "workload": asdict(plan.workload)}}


# ---------------------------------------------------------------------------------- ingest

def segment_workload(plan: BenchPlan, seg: Segment) -> Workload:
    w = plan.workload
    return Workload(seg.series, w.interval, w.hierarchy, w.tag_fraction, w.seed, w.variants)


def sample_indices(n: int, size: int, seed: int) -> np.ndarray:
    """A seeded, sorted sample of series indices; every series when size >= n."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 6]).choice(n, size, replace=False))


def run_segment(plan: BenchPlan, st: TargetState, seg: Segment, base: int, progress: bool | None,
                probes: bool) -> dict:
    t = st.target
    w = segment_workload(plan, seg)
    names = series_names(w)
    idx = sample_indices(seg.series, plan.sample, w.seed)
    sample = [names[i] for i in idx]
    t_from = base + w.interval * seg.first_round
    t_until = base + w.interval * (seg.first_round + seg.rounds - 1)
    if seg.rate:
        seconds = seg.rounds * w.interval / plan.speedup + 5.0
    else:
        seconds = plan.backfill_timeout
    out = {"name": seg.name, "series": seg.series, "rounds": seg.rounds, "offered_rate": seg.rate,
           "window": [t_from, t_until], "sent": 0, "readable": None, "trace": [], "sample": len(idx),
           "bounded": None, "drained_in_s": None, "lag_end_s": None, "growth": None, "resources": {},
           "sender_errors": [], "send_s": None, "received_rate": None, "readable_rate": None}
    run = LoadRun(Load(plan.protocol, t.port_for(plan.protocol), seg.series, base, seg.first_round, seg.rounds,
                       seg.rate, seconds, plan.senders, wait_eof=plan.protocol != "udp",
                       builder=functools.partial(build_chunks, w), interval=w.interval, host=t.host))
    if not run.ok:
        run.abort()
        out["sender_errors"] = ["senders did not get ready (connection refused or templates too slow)"]
        return out
    bar = Progress(f"{t.name}: {seg.name}", seconds if seg.rate else float(seg.series * seg.rounds), enabled=progress)
    prober = Prober(t, plan, w.interval) if probes and t.render_url and plan.probes else None
    t0 = run.go()
    if prober:
        prober.start()
    trace = []
    next_poll = t0 + plan.poll_every
    for _ in range(MAX_POLLS):
        if not run.running():
            break
        time.sleep(0.1)
        sent_now = run.sent_now()
        bar.total = seconds if seg.rate else float(seg.series * seg.rounds)
        bar.update(sent=f"{sent_now:,}", readable=f"{trace[-1][2]:,.0f}" if trace else "-")
        if t.render_url and time.monotonic() >= next_poll:
            got = _count(t, sample, t_from, t_until, st)
            if got is not None:
                trace.append((round(time.monotonic() - t0, 2), sent_now, got * seg.series / len(idx)))
            next_poll = time.monotonic() + plan.poll_every
    run.wait(seconds + 120)
    bar.close()
    t_sent = run.t_sent
    out.update(sent=run.sent, send_s=t_sent - t0, sender_errors=run.errors())
    eof = run.t_eof
    out["received_rate"] = run.sent / ((eof or t_sent) - t0)
    if t.render_url:
        _drain(plan, st, run, seg, sample, idx, (t_from, t_until), (t0, t_sent), trace, out, progress)
    if prober:
        prober.stop()
        out["visibility"] = prober.result()
        st.result["visibility"] = out["visibility"]
    t_end = t0 + (out["drained_in_s"] or 0) + out["send_s"]
    out["resources"] = st.resources(t0, t_end)
    out["trace"] = trace
    if seg.rate:
        out["growth"] = stats.backlog_growth(trace, out["send_s"])
        out["bounded"] = (stats.is_bounded(out["growth"], seg.rate, out["drained_in_s"],
                                           max(5.0, 0.25 * plan.seconds)) if t.render_url else None)
    return out


def _count(t: Target, sample: list[str], t_from: int, t_until: int, st: TargetState) -> int | None:
    try:
        return sum(client.count_points(t.render_url, sample, t_from, t_until).values())
    except client.RenderError as exc:
        if len(st.result["errors"]) < 20:
            st.result["errors"].append(str(exc))
        return None


def _drain(plan, st, run, seg, sample, idx, window, times, trace, out, progress) -> None:
    """Poll the sample until every point sent to it is readable, or `drain_timeout`."""
    (t_from, t_until), (t0, t_sent) = window, times
    expected = sum(run.rounds_sent(int(i)) for i in idx)
    deadline = time.monotonic() + plan.drain_timeout
    got = 0
    bar = Progress(f"{st.target.name}: drain", plan.drain_timeout, enabled=progress)
    for _ in range(MAX_POLLS):
        c = _count(st.target, sample, t_from, t_until, st)
        now = time.monotonic()
        if c is not None:
            got = c
            trace.append((round(now - t0, 2), run.sent, got * seg.series / len(idx)))
            if got >= expected:
                out["drained_in_s"] = max(0.0, now - t_sent)
                break
        if now >= deadline:
            break
        bar.update(readable=f"{got:,}/{expected:,} sample points")
        time.sleep(0.25)
    bar.close()
    out["sample_expected"], out["sample_read"] = expected, got
    frac = got / expected if expected else 0.0
    out["readable"] = run.sent * frac if len(idx) < seg.series else got
    span = (out["drained_in_s"] or plan.drain_timeout) + out["send_s"]
    out["readable_rate"] = out["readable"] / span if span > 0 else None
    at_stop = [x for x in trace if x[0] <= out["send_s"] + 0.01]
    if at_stop and seg.rate:
        last = at_stop[-1]
        out["lag_end_s"] = stats.lag_seconds(last[1], last[2], seg.rate)


# ---------------------------------------------------------------------------------- visibility

class Prober(threading.Thread):
    """Sends one brand-new series at a time and times until /render returns its point."""

    def __init__(self, t: Target, plan: BenchPlan, interval: int):
        super().__init__(daemon=True)
        self.t, self.plan, self.interval = t, plan, interval
        self.latencies: list[float | None] = []
        self._halt = threading.Event()

    def run(self) -> None:
        gap = max(0.5, self.plan.seconds / (self.plan.probes + 1))
        for k in range(self.plan.probes):
            if self._halt.wait(gap):
                return
            self.latencies.append(self.probe(k))

    def probe(self, k: int) -> float | None:
        name = probe_name(self.plan.workload.seed, int(time.time()) * 100 + k)
        ts = int(time.time()) // self.interval * self.interval
        try:
            with socket.create_connection((self.t.host, self.t.line_port), timeout=5) as s:
                s.sendall(f"{name} {k + 1} {ts}\n".encode())
        except OSError:
            return None
        sent = time.monotonic()
        deadline = sent + self.plan.probe_timeout
        while time.monotonic() < deadline and not self._halt.is_set():
            try:
                if client.count_points(self.t.render_url, [name], ts, ts)[name]:
                    return time.monotonic() - sent
            except client.RenderError:
                pass
            time.sleep(0.02)
        return None

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=self.plan.probe_timeout + 5)

    def result(self) -> dict:
        seen = [x for x in self.latencies if x is not None]
        return {"probes": len(self.latencies), "seen": len(seen), "timeout_s": self.plan.probe_timeout,
                "latencies_s": self.latencies, **stats.percentiles(seen)}


# ---------------------------------------------------------------------------------- queries

def run_queries(plan: BenchPlan, st: TargetState, progress: bool | None) -> dict:
    names = series_names(plan.workload)
    mix = dashboard_queries(names, plan.workload.seed, plan.queries)
    lat: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    bar = Progress(f"{st.target.name}: queries", float(len(mix)), enabled=progress)
    deadline = time.monotonic() + plan.query_seconds
    t0 = time.monotonic()
    for k, (kind, path, params) in enumerate(mix):
        if time.monotonic() >= deadline:
            break
        secs, status, _size = client.timed_get(st.target.render_url + path, params)
        if status == 200:
            lat.setdefault(kind, []).append(secs)
        else:
            errors[kind] = errors.get(kind, 0) + 1
        bar.update(done=f"{k + 1}/{len(mix)}")
    bar.close()
    out = {"kinds": {}, "resources": st.resources(t0, time.monotonic())}
    for kind in sorted(set(lat) | set(errors)):
        out["kinds"][kind] = {**stats.percentiles(lat.get(kind, [])), "errors": errors.get(kind, 0),
                              "latencies_s": [round(x, 6) for x in lat.get(kind, [])]}
    return out


# ---------------------------------------------------------------------------------- stop

def finish_target(plan: BenchPlan, st: TargetState, base: int, segments: list[Segment], say) -> None:
    t = st.target
    r = st.result
    r["resources"] = st.resources(-1e18, 1e18)
    if st.idle:
        r["resources"]["server_idle_rss_mb"] = st.idle[2] / 1e6
    r["stop"] = t.stop()
    readable = sum(s["readable"] or 0 for s in r["segments"])
    sent = sum(s["sent"] for s in r["segments"])
    r["sent_total"], r["readable_total"] = sent, readable
    if t.data_dir is not None and t.data_dir.exists():
        d = disk_usage(t.data_dir)
        d["bytes_per_point"] = stats.ratio(d["allocated"], readable)
        d["apparent_bytes_per_point"] = stats.ratio(d["apparent"], readable)
        d["bytes_per_series"] = stats.ratio(d["allocated"], max((s.series for s in segments), default=0))
        r["disk"] = d
    if t.kind == "strata":
        say(f"{t.name}: counting the stored points in the data directory")
        r["store_check"] = store_check(plan, t, base, segments, r["segments"])


def store_check(plan: BenchPlan, t: Target, base: int, segments: list[Segment], results: list[dict]) -> dict:
    """Open a stopped Strata's data directory and count every segment's points (values checked)."""
    from rollup.schemas import parse_schemas
    from tsdb import Store, StoreConfig
    out = {"segments": []}
    config = StoreConfig(schemas=parse_schemas(t.extra["schemas"])) if "schemas" in t.extra else StoreConfig()
    with Store.open(t.data_dir, config, now=base) as store:
        out["series_in_store"] = len(store)
        for seg, res in zip(segments, results):
            w = segment_workload(plan, seg)
            names = series_names(w)
            table = value_table(w, names)
            idx = sample_indices(seg.series, STORE_COUNT_MAX, w.seed + 1)
            t_from, t_until = res["window"]
            got = wrong = 0
            for i in idx:
                s = store.read(names[i], t_from - 1, t_until, now=time.time())
                if s is None:
                    continue
                vals = s.values
                have = ~np.isnan(vals)
                got += int(have.sum())
                ts = s.start + s.step * np.arange(len(vals))
                rounds = (ts[have] - base) // w.interval
                expect = table[i, rounds % w.variants]
                wrong += int((vals[have] != expect).sum())
            scale = seg.series / len(idx)
            out["segments"].append({"name": seg.name, "stored": got * scale, "value_mismatches": wrong,
                                    "counted_series": len(idx), "sent": res["sent"], "readable": res["readable"]})
    return out


# ---------------------------------------------------------------------------------- compare

def compare(a: dict, b: dict) -> dict:
    """A / B for every figure both targets measured (higher-is-better or not, as labelled)."""
    out = {}
    for sa, sb in zip(a["segments"], b["segments"]):
        if sa["name"] != sb["name"]:
            continue
        out[f"{sa['name']}: readable points/s"] = stats.ratio(sa["readable_rate"], sb["readable_rate"])
        ca = (sa["resources"].get("server") or {}).get("cpu_pct")
        cb = (sb["resources"].get("server") or {}).get("cpu_pct")
        out[f"{sa['name']}: server CPU %"] = stats.ratio(ca, cb)
    va, vb = a.get("visibility") or {}, b.get("visibility") or {}
    out["new series visible, p50 s"] = stats.ratio(va.get("p50"), vb.get("p50"))
    qa, qb = (a.get("queries") or {}).get("kinds", {}), (b.get("queries") or {}).get("kinds", {})
    for kind in sorted(set(qa) & set(qb)):
        out[f"query {kind}: p50 s"] = stats.ratio(qa[kind]["p50"], qb[kind]["p50"])
        out[f"query {kind}: p99 s"] = stats.ratio(qa[kind]["p99"], qb[kind]["p99"])
    da, db = a.get("disk") or {}, b.get("disk") or {}
    out["disk bytes per point"] = stats.ratio(da.get("bytes_per_point"), db.get("bytes_per_point"))
    ra, rb = (a.get("resources") or {}).get("server") or {}, (b.get("resources") or {}).get("server") or {}
    out["server peak RSS"] = stats.ratio(ra.get("rss_peak_mb"), rb.get("rss_peak_mb"))
    return out
