"""Seeded Carbon workloads: series names, values, timestamps, pacing and wire payloads.

What: every function here is pure.  A `Workload` (series count, interval, hierarchy, tag
fraction, seed) fixes the names (collectd's `write_graphite` and statsd's graphite backend
layouts), the value of every series in every round and the timestamp of every round; the
same workload gives the same bytes on every machine.  Why: the bench must be reproducible,
and the integration test recomputes what was sent to check what was stored.

Payloads are built once, before any clock starts, as templates whose timestamp bytes are
patched per round (one `bytes.replace`), so a sender process costs little more than
`sendall`.  Values cycle through `variants` pre-built columns per series (round r uses
column r % variants): realistic shapes (gauges, percentages, counters, latencies) without
rebuilding a payload per round.
"""

from __future__ import annotations

import math
import pickle
import struct
from dataclasses import dataclass

import numpy as np

TS_PLACEHOLDER = 1111111111         # patched per round; names and values never hold 10 equal digits
PICKLE_TS = b"G" + struct.pack(">d", float(TS_PLACEHOLDER))
PICKLE_FRAME_POINTS = 500           # carbon-relay's MAX_DATAPOINTS_PER_MESSAGE
UDP_DATAGRAM_BYTES = 1400           # whole lines per datagram, under a typical MTU
HIERARCHIES = ("collectd", "statsd", "mixed")
PROTOCOLS = ("plaintext", "pickle", "udp")

# collectd write_graphite: <prefix>.<host>.<plugin>-<instance>.<type>-<type instance>
_CPU_STATES = ("user", "system", "idle", "wait", "nice", "interrupt", "softirq", "steal")
COLLECTD_METRICS = tuple(
    [f"cpu-{c}.cpu-{s}" for c in range(4) for s in _CPU_STATES]
    + [f"memory.memory-{m}" for m in ("used", "free", "cached", "buffered", "slab_recl", "slab_unrecl")]
    + [f"load.load.{w}" for w in ("shortterm", "midterm", "longterm")]
    + [f"df-{fs}.df_complex-{k}" for fs in ("root", "var", "boot") for k in ("free", "used", "reserved")]
    + [f"interface-eth0.if_{k}.{d}" for k in ("octets", "packets", "errors", "dropped") for d in ("rx", "tx")]
    + [f"disk-sda.disk_{k}.{d}" for k in ("octets", "ops", "time", "merged") for d in ("read", "write")]
    + [f"processes.ps_state-{s}" for s in ("running", "sleeping", "zombies", "stopped", "blocked")]
    + ["swap.swap-used", "swap.swap-free", "uptime.uptime", "users.users"])
COLLECTD_ROLES = ("web", "db", "cache", "worker", "lb", "queue")
COLLECTD_DCS = ("ams1", "fra2", "iad3", "sjc1")
# statsd graphite backend (legacy namespace off): stats.timers.<key>.<stat>, stats.<key>, stats_counts.<key>
STATSD_TIMER_STATS = ("mean", "upper", "upper_90", "lower", "count", "count_ps", "sum", "std", "median")
STATSD_APPS = ("api", "checkout", "search", "auth", "billing", "feed", "images", "mail")
STATSD_KINDS = ("timer",) * len(STATSD_TIMER_STATS) + ("counter_rate", "counter_count", "gauge")


@dataclass(frozen=True)
class Workload:
    """What the bench sends: fixed by these fields alone."""
    series: int
    interval: int = 10
    hierarchy: str = "mixed"
    tag_fraction: float = 0.0         # share of series sent as carbon tagged names
    seed: int = 1
    variants: int = 8

    def __post_init__(self):
        if self.series < 1:
            raise ValueError(f"series must be at least 1, got {self.series}")
        if self.interval < 1:
            raise ValueError(f"interval must be at least 1 s, got {self.interval}")
        if self.hierarchy not in HIERARCHIES:
            raise ValueError(f"hierarchy must be one of {', '.join(HIERARCHIES)}, got {self.hierarchy!r}")
        if not 0.0 <= self.tag_fraction <= 1.0:
            raise ValueError(f"tag fraction must be within 0..1, got {self.tag_fraction}")
        if self.variants < 1:
            raise ValueError(f"variants must be at least 1, got {self.variants}")


# ---------------------------------------------------------------------------------- names

def collectd_names(count: int, seed: int, start_host: int = 0) -> list[tuple[str, dict]]:
    """`count` collectd series as (path, tags) on hosts numbered from `start_host`."""
    rng = np.random.default_rng([seed, 1])
    per_host = len(COLLECTD_METRICS)
    hosts = math.ceil(count / per_host)
    roles = rng.integers(0, len(COLLECTD_ROLES), hosts)
    dcs = rng.integers(0, len(COLLECTD_DCS), hosts)
    out = []
    for h in range(hosts):
        dc = COLLECTD_DCS[dcs[h]]
        host = f"{COLLECTD_ROLES[roles[h]]}-{start_host + h:05d}_{dc}_example_com"
        for metric in COLLECTD_METRICS[:min(per_host, count - h * per_host)]:
            out.append((f"collectd.{host}.{metric}", {"host": host, "dc": dc}))
    return out


def statsd_names(count: int, seed: int) -> list[tuple[str, dict]]:
    """`count` statsd series: timers (nine stats each), counter rates and counts, gauges."""
    rng = np.random.default_rng([seed, 2])
    keys = math.ceil(count / len(STATSD_KINDS))
    apps = rng.integers(0, len(STATSD_APPS), keys)
    out = []
    for k in range(keys):
        app = STATSD_APPS[apps[k]]
        key = f"{app}.endpoint_{k:05d}"
        paths = [f"stats.timers.{key}.{s}" for s in STATSD_TIMER_STATS]
        paths += [f"stats.{key}.requests", f"stats_counts.{key}.requests", f"stats.gauges.{key}.inflight"]
        for path in paths[:count - len(out)]:
            out.append((path, {"app": app}))
    return out


def series_names(w: Workload) -> list[str]:
    """The workload's names, in series order; a seeded `tag_fraction` of them tagged."""
    if w.hierarchy == "collectd":
        base = collectd_names(w.series, w.seed)
    elif w.hierarchy == "statsd":
        base = statsd_names(w.series, w.seed)
    else:
        half = w.series // 2
        base = collectd_names(w.series - half, w.seed) + statsd_names(half, w.seed)
    tagged = tagged_mask(w)
    return [tagged_name(path, tags) if t else path for (path, tags), t in zip(base, tagged)]


def tagged_mask(w: Workload) -> np.ndarray:
    return np.random.default_rng([w.seed, 3]).random(w.series) < w.tag_fraction


def tagged_name(path: str, tags: dict) -> str:
    """carbon 1.1's tagged form: the path without the tag values, then tags sorted by key."""
    parts = [p for p in path.split(".") if p not in tags.values()]
    return ".".join(parts) + "".join(f";{k}={tags[k]}" for k in sorted(tags))


def probe_name(seed: int, k: int) -> str:
    """A brand-new series for the visibility probe: outside every workload hierarchy."""
    return f"bench.visibility.s{seed}.probe_{k:05d}"


# ---------------------------------------------------------------------------------- values

def kinds(names: list[str]) -> np.ndarray:
    """Per series: 0 gauge, 1 percentage, 2 counter/rate, 3 latency (ms), by what its name says."""
    out = np.zeros(len(names), np.int8)
    for i, n in enumerate(names):
        if ".cpu-" in n or "load." in n:
            out[i] = 1
        elif "if_" in n or "disk_" in n or (n.startswith(("stats_counts.", "stats."))
                                            and ".timers." not in n and ".gauges." not in n):
            out[i] = 2
        elif ".timers." in n:
            out[i] = 3
    return out


def value_table(w: Workload, names: list[str]) -> np.ndarray:
    """float64 [series, variants]: the value of series i in round r is table[i, r % variants].

    Rounded to what the daemons send (percentages 2 decimals, counts integers), so the
    text form round-trips exactly and compression sees realistic digits.
    """
    rng = np.random.default_rng([w.seed, 4])
    k = kinds(names)
    n, v = len(names), w.variants
    level = rng.lognormal(3.0, 1.5, n)[:, None]
    noise = rng.standard_normal((n, v))
    table = np.empty((n, v))
    gauge, pct, rate, lat = (k == 0), (k == 1), (k == 2), (k == 3)
    table[gauge] = np.round(level[gauge] * (1 + 0.05 * noise[gauge]))
    table[pct] = np.round(np.clip(rng.uniform(0, 60, (int(pct.sum()), 1)) + 5 * noise[pct], 0, 100), 2)
    table[rate] = np.round(np.abs(level[rate] * 10 * (1 + 0.2 * noise[rate])))
    table[lat] = np.round(level[lat] * np.exp(0.3 * noise[lat]), 3)
    return table


def value_at(table: np.ndarray, i: int, round_: int) -> float:
    return float(table[i, round_ % table.shape[1]])


# ---------------------------------------------------------------------------------- time

def round_timestamps(base: int, interval: int, first: int, count: int) -> np.ndarray:
    """Timestamps of rounds first .. first + count - 1: round g is at base + interval * g."""
    return base + interval * np.arange(first, first + count, dtype=np.int64)


def rounds_for(seconds: float, interval: int, speedup: float) -> int:
    """Rounds sent in `seconds` when `speedup` rounds' worth of time passes per interval."""
    return max(1, math.ceil(seconds * speedup / interval))


def live_base(now: float, interval: int, rounds: int, speedup: float) -> int:
    """Timestamp of round 0 for a run starting at `now`, aligned to the interval.

    At speedup 1 round r carries the wall time it is sent at.  Faster, the rounds start in
    the past so that no round is ever ahead of the clock when it is sent (the last lands at
    about the end of the run): a replay that catches up, never a future timestamp.
    """
    behind = (rounds - 1) * interval * (1.0 - 1.0 / speedup)
    t = int(now - behind)
    return t - t % interval


def pace_delay(sent_points: int, rate: float | None, elapsed: float) -> float:
    """Seconds to wait before the next chunk so that `rate` points/s is never exceeded."""
    if not rate:
        return 0.0
    return max(0.0, sent_points / rate - elapsed)


def offered_rate(series: int, interval: int, speedup: float) -> float:
    """Points per second of every series once per interval, time compressed by `speedup`."""
    return series * speedup / interval


# ---------------------------------------------------------------------------------- payloads

def plaintext_lines(names: list[str], values: np.ndarray) -> bytes:
    """Carbon plaintext for one round, the timestamp a placeholder."""
    return "".join(f"{n} {v!r} {TS_PLACEHOLDER}\n" for n, v in zip(names, values.tolist())).encode()


def pickle_frames(names: list[str], values: np.ndarray) -> bytes:
    """Length-prefixed pickle (protocol 2) frames of 500 points, float timestamps (carbon-relay)."""
    frames = []
    vals = values.tolist()
    for a in range(0, len(names), PICKLE_FRAME_POINTS):
        pts = [(n, (float(TS_PLACEHOLDER), v)) for n, v in
               zip(names[a:a + PICKLE_FRAME_POINTS], vals[a:a + PICKLE_FRAME_POINTS])]
        payload = pickle.dumps(pts, protocol=2)
        frames.append(struct.pack("!L", len(payload)) + payload)
    return b"".join(frames)


def udp_datagrams(names: list[str], values: np.ndarray) -> list[tuple[bytes, int]]:
    """Plaintext split into datagrams of whole lines up to UDP_DATAGRAM_BYTES: (bytes, points)."""
    out, cur, size = [], [], 0
    for n, v in zip(names, values.tolist()):
        line = f"{n} {v!r} {TS_PLACEHOLDER}\n".encode()
        if cur and size + len(line) > UDP_DATAGRAM_BYTES:
            out.append((b"".join(cur), len(cur)))
            cur, size = [], 0
        cur.append(line)
        size += len(line)
    if cur:
        out.append((b"".join(cur), len(cur)))
    return out


def marks(protocol: str, data: bytes) -> int:
    """Timestamp placeholders in a template: must equal its point count."""
    return data.count(PICKLE_TS) if protocol == "pickle" else data.count(b" %d\n" % TS_PLACEHOLDER)


def patch(protocol: str, data: bytes, ts: int) -> bytes:
    """A template with its placeholder timestamps set to `ts`."""
    if protocol == "pickle":
        return data.replace(PICKLE_TS, b"G" + struct.pack(">d", float(ts)))
    return data.replace(b" %d\n" % TS_PLACEHOLDER, b" %d\n" % ts)


def build_chunks(w: Workload, protocol: str, lo: int, hi: int, chunk_points: int) -> list[list[tuple[bytes, int]]]:
    """Per value variant, the (template, points) chunks covering series [lo, hi).

    Runs inside each sender process (spawned), which rebuilds the names from the workload:
    cheaper than shipping megabytes of templates through a pipe.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    names = series_names(w)
    table = value_table(w, names)
    out = []
    for v in range(w.variants):
        chunks: list[tuple[bytes, int]] = []
        for a in range(lo, hi, chunk_points):
            b = min(hi, a + chunk_points)
            if protocol == "udp":
                chunks += udp_datagrams(names[a:b], table[a:b, v])
                continue
            build = plaintext_lines if protocol == "plaintext" else pickle_frames
            data = build(names[a:b], table[a:b, v])
            if marks(protocol, data) != b - a:
                raise RuntimeError(f"template has {marks(protocol, data)} timestamp marks for {b - a} points")
            chunks.append((data, b - a))
        out.append(chunks)
    return out


@dataclass(frozen=True)
class Segment:
    """A stretch of rounds on the run's one timeline: round g is at base + interval * g."""
    name: str
    series: int
    first_round: int
    rounds: int
    rate: float | None               # offered points/s; None = as fast as the server takes it


def plan_timeline(now: float, interval: int, backfill_rounds: int, level_series: list[int],
                  level_rounds: int, speedup: float) -> tuple[int, list[Segment]]:
    """(base timestamp, segments): backfill first, then one segment per load level.

    The segments never overlap in time, so each is counted on its own window, and no round
    is ever ahead of the clock when it is sent: backfill goes out at once into the past,
    each level's round r leaves at least r * interval / speedup after the level starts, and
    the base is set back far enough for the last round of the last level.
    """
    segments = []
    g = 0
    if backfill_rounds:
        segments.append(Segment("backfill", level_series[0], 0, backfill_rounds, None))
        g = backfill_rounds
    for k, n in enumerate(level_series):
        segments.append(Segment(f"level {k + 1}", n, g, level_rounds, offered_rate(n, interval, speedup)))
        g += level_rounds
    live = g - backfill_rounds
    behind = interval * (backfill_rounds + max(0, live - 1) * (1.0 - 1.0 / speedup)) + interval
    t = int(now - behind)
    return t - t % interval, segments


# ---------------------------------------------------------------------------------- queries

QUERY_KINDS = ("single", "sum_glob", "max_points", "find")


def glob_over_instances(name: str) -> str:
    """The series' siblings across hosts (collectd) or endpoints (statsd): one segment a '*'."""
    parts = name.split(".")
    if parts[0] == "collectd" and len(parts) > 2:
        parts[1] = "*"
    elif len(parts) >= 3:
        parts[-2] = "*"
    else:
        parts[-1] = "*"
    return ".".join(parts)


def dashboard_queries(names: list[str], seed: int, per_kind: int) -> list[tuple[str, str, dict]]:
    """A dashboard's requests, interleaved by kind: (kind, path, params) for /render and find.

    single: one series over the last hour; sum_glob: sumSeries over one metric of every
    host (or endpoint); max_points: a host's sibling series with maxDataPoints=100 (a
    Grafana panel); find: a tree browse one and two levels down.  Tagged names are left
    out (their queries are tag expressions, not globs).
    """
    plain = [n for n in names if ";" not in n]
    if not plain:
        return []
    rng = np.random.default_rng([seed, 5])
    picks = rng.integers(0, len(plain), (per_kind, 4))
    out = []
    for k in range(per_kind):
        one, glob_src, panel_src, find_src = (plain[i] for i in picks[k])
        out.append(("single", "/render", {"target": one, "from": "-1h", "format": "json"}))
        out.append(("sum_glob", "/render", {"target": f"sumSeries({glob_over_instances(glob_src)})",
                                            "from": "-1h", "format": "json"}))
        panel = panel_src.rsplit(".", 1)[0] + ".*"
        out.append(("max_points", "/render", {"target": panel, "from": "-1h", "maxDataPoints": "100",
                                              "format": "json"}))
        depth = 1 + k % 2
        out.append(("find", "/metrics/find", {"query": ".".join(find_src.split(".")[:depth]) + ".*"}))
    return out
