"""Storage benchmarks of Strata's Store, side by side with whisper 1.1.10 in the same run.

    python -m benchmarks.store_bench [--quick] [--only NAME] [--json out.json] [--no-whisper]

Cases (NAME for --only):

  write  Store.write points/s at 100k (and, full run, 1M) series: the creation pass (first
         timestamp of every series) and the steady state (further timestamps, one timestamp
         for all series per batch, 100k points per call), against whisper.update_many on one
         file per metric (10s:1h,1m:1d, sparse); at 1M series whisper runs on a sample.
  read   Read latency p50/p95: 1 series x 24 h (the 1m level) and 100 series x 7 d, after
         loading 7.25 days of 10 s history (mixed corpus) with maintain() as time advances;
         whisper.fetch of the same series and ranges.  Also the disk both use for that data.
  disk   Sealed raw bytes per point per corpus kind (benchmarks.codec_corpus) and for the
         mixed corpus; total disk of the data directory vs whisper (default schema, sparse
         files: apparent and allocated bytes); seal+fold time per series-block.
  ram    Resident memory per series after creating the series (VmRSS, RssAnon, RssFile from
         /proc/self/status) and the Python heap per series (tracemalloc), each measured in a
         fresh subprocess.

Times are noisy on a shared machine, so every case runs the incumbent (whisper) in the same
run and reports ratios.  Every loop is bounded; all data lives in temp dirs under /tmp that
are removed at the end.  `now` is passed explicitly everywhere, so days of 10 s data are
simulated in seconds.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.codec_corpus import KINDS, corpus
from tsdb import Store, StoreConfig
from tsdb.format import SEALED_HEADER_SIZE, unpack_sealed

try:  # the incumbent; `pip install whisper==1.1.10` (the project's "bench" extra)
    import whisper
except ImportError:  # pragma: no cover - reported in the table instead
    whisper = None

STEP = 10
# Epoch aligned to every block length of the default schema (1 h, 6 h, 2.5 d), so block
# boundaries fall where the cases below expect them.
BASE = 1_700_136_000
CHUNK = 100_000                                   # points per Store.write call
MIXED_KINDS = KINDS[:5]                           # the mixed corpus: equal parts of these
WRITE_WHISPER_ARCHIVES = [(10, 360), (60, 1440)]  # 10s:1h,1m:1d
DEFAULT_WHISPER_ARCHIVES = [(10, 2160), (60, 10080), (600, 262800)]  # 10s:6h,1m:7d,10m:5y
TMP = "/tmp"

TARGETS = {
    "write_1m": 1.5e6,          # points/s through Store.write at 1M series (steady state)
    "sealed_mixed": 3.0,        # sealed raw bytes/point on the mixed corpus
    "ram_per_series": 300.0,    # bytes of resident memory per series
    "read_24h_ms": 2.0,         # 1 series x 24 h read, p50
}


@dataclass
class Row:
    case: str
    metric: str
    strata: float | None
    whisper: float | None = None
    unit: str = ""
    target: str = ""
    status: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.strata is None or not self.whisper:
            return None
        return self.strata / self.whisper


@dataclass
class Params:
    quick: bool
    write_sizes: tuple[int, ...]
    write_steady: int           # steady timestamps (fresh name strings)
    write_steady_interned: int  # steady timestamps reusing the creation str objects
    whisper_write_sample: dict  # series count -> whisper files written
    whisper_single: int         # whisper steady timestamps, one point per update_many
    whisper_batch: int          # points per update_many in the batched whisper pass
    read_series: int
    read_hours: int
    read_long_days: int        # range of the 100-series read
    read_reps_1: int
    read_reps_100: int
    disk_series: int
    disk_buckets: int
    ram_series: int
    details: dict = field(default_factory=dict)


def params(quick: bool) -> Params:
    if quick:
        return Params(quick=True, write_sizes=(100_000,), write_steady=5, write_steady_interned=3,
                      whisper_write_sample={100_000: 10_000}, whisper_single=2, whisper_batch=6,
                      read_series=100, read_hours=54, read_long_days=2, read_reps_1=200, read_reps_100=5,
                      disk_series=500, disk_buckets=720, ram_series=100_000)
    return Params(quick=False, write_sizes=(100_000, 1_000_000), write_steady=10, write_steady_interned=5,
                  whisper_write_sample={100_000: 100_000, 1_000_000: 20_000}, whisper_single=3,
                  whisper_batch=6, read_series=300, read_hours=174, read_long_days=7, read_reps_1=500,
                  read_reps_100=20,
                  disk_series=2000, disk_buckets=720, ram_series=1_000_000)


# --------------------------------------------------------------------------------------------- helpers

def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tmpdir(tag: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"strata-bench-{tag}-", dir=TMP))


def need_disk(gib: float) -> str | None:
    """None if /tmp has `gib` GiB free plus a 2 GiB margin, else why not."""
    free = shutil.disk_usage(TMP).free / 2**30
    if free < gib + 2:
        return f"skipped: {free:.1f} GiB free in {TMP}, need {gib + 2:.0f}"
    return None


def du(root: Path, pattern=None) -> tuple[int, int, int]:
    """(apparent bytes, allocated bytes = st_blocks*512, files) under root."""
    apparent = allocated = files = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if pattern is not None and not pattern(dirpath, name):
                continue
            st = os.lstat(os.path.join(dirpath, name))
            apparent += st.st_size
            allocated += st.st_blocks * 512
            files += 1
    return apparent, allocated, files


def breakdown(root: Path) -> dict[str, int]:
    """Allocated bytes of a data directory by kind of file: sealed/head per level, other."""
    out: dict[str, int] = {}
    for dirpath, _dirs, names in os.walk(root):
        level = os.path.basename(dirpath)
        for name in names:
            kind = ("sealed" if name.endswith(".sealed") else "head" if name.endswith(".head") else None)
            key = f"{kind} L{level[6:]}" if kind and level.startswith("level-") else "names+meta"
            out[key] = out.get(key, 0) + os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return dict(sorted(out.items()))


def describe(parts: dict[str, int], n: int) -> str:
    return ", ".join(f"{k} {v / n / 1024:.1f}" for k, v in parts.items() if v) + " KiB/series"


def disk_status(strata: int, preallocated: int, sparse: int) -> str:
    a = _status(strata < preallocated, f"{strata / preallocated - 1:+.0%}")
    b = _status(strata < sparse, f"{strata / sparse - 1:+.0%}")
    a = a if a != "met" else f"met ({strata / preallocated - 1:+.0%})"
    b = b if b != "met" else f"met ({strata / sparse - 1:+.0%})"
    return f"vs preallocated whisper: {a}; vs sparse whisper: {b}"


def proc_status() -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, RssShmem of this process in bytes."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                out[key] = int(rest.split()[0]) * 1024
    return out


def fresh(names: list[str]) -> list[str]:
    """New str objects equal to `names`, as a network receiver hands them over."""
    return [n.encode().decode() for n in names]


def write_name(i: int) -> str:
    return f"servers.host-{i // 100:05d}.app.requests.m{i % 100:02d}"


def whisper_path(root: Path, name: str) -> str:
    return os.path.join(root, *name.split(".")) + ".wsp"


def pct(xs, q) -> float:
    return float(np.percentile(np.asarray(xs), q))


def mixed_corpus(n: int, buckets: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Equal parts of the five mixed kinds; returns values[n, buckets] and each row's kind."""
    per = n // len(MIXED_KINDS)
    parts, kinds = [], []
    for kind in MIXED_KINDS:
        parts.append(corpus(kind, per, buckets, seed))
        kinds += [kind] * per
    return np.concatenate(parts), kinds


def points_of(values: np.ndarray, names: list[str], t0: int, b0: int, b1: int):
    """Time-major (names, timestamps, values) of buckets [b0, b1) of values[n, buckets]."""
    n = len(names)
    block = values[:, b0:b1]
    ts = np.repeat(t0 + STEP * np.arange(b0, b1, dtype=np.int64), n).astype(np.float64)
    return names * (b1 - b0), ts, block.T.reshape(-1)


def whisper_create(path: str, archives, made_dirs: set) -> None:
    d = os.path.dirname(path)
    if d not in made_dirs:
        os.makedirs(d, exist_ok=True)
        made_dirs.add(d)
    whisper.create(path, archives, 0.5, "average", sparse=True)


# --------------------------------------------------------------------------------------------- write

def case_write(p: Params) -> list[Row]:
    rows: list[Row] = []
    for n in p.write_sizes:
        why = need_disk(3.0 if n <= 100_000 else 6.0)
        if why:
            rows.append(Row("write", f"{n:,} series", None, note=why))
            continue
        s = strata_write(n, p)
        w = whisper_write(p.whisper_write_sample.get(n, min(n, 20_000)), p) if whisper else None
        p.details[f"write_{n}"] = {"strata": s, "whisper": w}
        sample = "" if w is None or w["files"] == n else f"whisper on a {w['files']:,}-file sample"
        label = f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
        target = status = ""
        if n == 1_000_000:
            target = ">= 1.5M pts/s"
            status = _status(s["steady_pps"] >= TARGETS["write_1m"],
                             f"{s['steady_pps'] / TARGETS['write_1m'] - 1:+.0%}")
        rows.append(Row("write", f"{label} series: creation pass (pts/s)", s["create_pps"],
                        w and w["create_pps"], "pts/s",
                        note=f"strata {s['create_s']:.2f} s; whisper = create + first update_many"
                             + (f"; {sample}" if sample else "")))
        per_ts = sorted(s["steady_s"])
        rows.append(Row("write", f"{label} series: steady, fresh names (pts/s)", s["steady_pps"],
                        w and w["single_pps"], "pts/s", target, status,
                        note=f"median of {p.write_steady} timestamps (per timestamp min/median/max "
                             f"{per_ts[0]:.3f}/{float(np.median(per_ts)):.3f}/{per_ts[-1]:.3f} s; the first "
                             f"one opens a new block); mean {s['steady_mean_pps'] / 1e6:.2f}M pts/s; "
                             f"whisper 1 point/update_many"))
        rows.append(Row("write", f"{label} series: steady vs whisper batched (pts/s)",
                        s["steady_pps"], w and w["batch_pps"], "pts/s",
                        note=f"strata as above; whisper {p.whisper_batch} points/update_many (carbon cache backlog)"))
        rows.append(Row("write", f"{label} series: steady, interned names (pts/s)",
                        s["steady_interned_pps"], None, "pts/s",
                        note="the creation pass's str objects again: dict lookups hit by identity"))
        rows.append(Row("write", f"{label} series: reopen, name-log replay (s)", s["reopen_s"], None, "s",
                        note="Store.open of the data directory just written"))
    return rows


def strata_write(n: int, p: Params) -> dict:
    """Creation pass at the last timestamp of one block, steady state in the next block.

    The steady timestamps stay inside the next block's seal grace, so no maintenance runs
    during them (sealing is measured by the disk case); a fresh block also has one head
    segment per shard, as after the first hour of a long-running store.
    """
    root = tmpdir("write")
    rng = np.random.default_rng(1)
    t_create = BASE + 3600 - STEP
    steady_ts = [BASE + 3600 + STEP * k for k in range(p.write_steady + p.write_steady_interned)]
    out: dict = {"series": n}
    try:
        store = Store.open(root, StoreConfig(), now=t_create)
        names = [write_name(i) for i in range(n)]
        t_wall = t_cpu = 0.0
        created = accepted = 0
        for c in range(0, n, CHUNK):
            batch = names[c:c + CHUNK]
            ts, vals = np.full(len(batch), float(t_create)), rng.random(len(batch)) * 100
            w0, c0 = time.perf_counter(), time.process_time()
            res = store.write(batch, ts, vals, now=t_create)
            t_wall += time.perf_counter() - w0
            t_cpu += time.process_time() - c0
            created += res.created
            accepted += res.accepted
        if created != n or accepted != n:
            raise AssertionError(f"creation pass: created {created}, accepted {accepted}, expected {n}")
        out.update(create_s=t_wall, create_pps=n / t_wall, create_cpu_pps=n / t_cpu)
        log(f"strata write {n:,}: creation {t_wall:.2f} s ({n / t_wall:,.0f} series/s)")

        def one_timestamp(batch_names: list[str], ts_value: int) -> tuple[float, float]:
            vals = rng.random(n) * 100
            ts = np.full(CHUNK, float(ts_value))
            wall = cpu = 0.0
            for c in range(0, n, CHUNK):
                batch = batch_names[c:c + CHUNK]
                w0, c0 = time.perf_counter(), time.process_time()
                res = store.write(batch, ts[:len(batch)], vals[c:c + CHUNK], now=ts_value)
                wall += time.perf_counter() - w0
                cpu += time.process_time() - c0
                if res.accepted != min(CHUNK, n - c) or res.created:
                    raise AssertionError(f"steady write at {ts_value}: {res}")
            return wall, cpu

        walls, cpus = [], []
        for ts_value in steady_ts[:p.write_steady]:
            wall, cpu = one_timestamp(fresh(names), ts_value)
            walls.append(wall)
            cpus.append(cpu)
        out.update(steady_s=walls, steady_pps=n / float(np.median(walls)),
                   steady_mean_pps=n * len(walls) / sum(walls), steady_cpu_pps=n * len(cpus) / sum(cpus))
        iwalls = [one_timestamp(names, ts_value)[0] for ts_value in steady_ts[p.write_steady:]]
        out.update(steady_interned_s=iwalls, steady_interned_pps=n / float(np.median(iwalls)))
        log(f"strata write {n:,}: steady {out['steady_pps']:,.0f} pts/s (fresh names), "
            f"{out['steady_interned_pps']:,.0f} pts/s (interned); per timestamp {[round(w, 3) for w in walls]}")
        out["disk_apparent"], out["disk_allocated"], _ = du(root)
        store.close()
        w0 = time.perf_counter()
        store = Store.open(root, StoreConfig(), now=steady_ts[-1])
        out["reopen_s"] = time.perf_counter() - w0
        if len(store) != n:
            raise AssertionError(f"reopened store has {len(store)} series, expected {n}")
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def whisper_write(n: int, p: Params) -> dict:
    """The same points into one whisper file per metric (carbon's directory layout)."""
    root = tmpdir("write-wsp")
    rng = np.random.default_rng(1)
    t_create = BASE + 3600 - STEP
    out: dict = {"files": n}
    try:
        paths = [whisper_path(root, write_name(i)) for i in range(n)]
        made: set = set()
        vals = (rng.random(n) * 100).tolist()
        t0 = time.perf_counter()
        for path, v in zip(paths, vals):
            whisper_create(path, WRITE_WHISPER_ARCHIVES, made)
            whisper.update_many(path, [(t_create, v)], now=t_create)
        t = time.perf_counter() - t0
        out.update(create_s=t, create_pps=n / t)
        walls = []
        for k in range(p.whisper_single):
            ts = BASE + 3600 + STEP * k
            vals = (rng.random(n) * 100).tolist()
            t0 = time.perf_counter()
            for path, v in zip(paths, vals):
                whisper.update_many(path, [(ts, v)], now=ts)
            walls.append(time.perf_counter() - t0)
        out.update(single_s=walls, single_pps=n / float(np.median(walls)))
        k0 = p.whisper_single
        tss = [BASE + 3600 + STEP * (k0 + j) for j in range(p.whisper_batch)]
        vals = rng.random((n, p.whisper_batch)) * 100
        t0 = time.perf_counter()
        for path, row in zip(paths, vals.tolist()):
            whisper.update_many(path, list(zip(tss, row)), now=tss[-1])
        t = time.perf_counter() - t0
        out.update(batch_s=t, batch_pps=n * p.whisper_batch / t)
        out["disk_apparent"], out["disk_allocated"], _ = du(root)
        log(f"whisper write {n:,} files: create {out['create_pps']:,.0f}/s, single {out['single_pps']:,.0f} "
            f"pts/s, batch {out['batch_pps']:,.0f} pts/s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------------- read

def case_read(p: Params) -> list[Row]:
    why = need_disk(2.0)
    if why:
        return [Row("read", "read latency", None, note=why)]
    n, hours = p.read_series, p.read_hours
    buckets = hours * 360
    values, kinds = mixed_corpus(n, buckets, seed=7)
    names = [f"bench.{kind}.s{i:05d}" for i, kind in enumerate(kinds)]
    t0 = BASE
    end = t0 + hours * 3600             # `now` for every read
    root, wroot = tmpdir("read"), tmpdir("read-wsp")
    d: dict = {"series": n, "hours": hours, "points": int((~np.isnan(values)).sum())}
    rows: list[Row] = []
    try:
        # ---- load: one write per simulated hour (all series x 360 timestamps), maintain first
        store = Store.open(root, StoreConfig(), now=t0)
        write_s = maint_s = 0.0
        maint = {"sealed": 0, "expired": 0}
        for h in range(hours):
            now = t0 + (h + 1) * 3600
            w0 = time.perf_counter()
            done = store.maintain(now=now)
            maint_s += time.perf_counter() - w0
            for k in maint:
                maint[k] += done.get(k, 0)
            batch = points_of(values, names, t0, h * 360, (h + 1) * 360)
            w0 = time.perf_counter()
            store.write(*batch, now=now)
            write_s += time.perf_counter() - w0
        w0 = time.perf_counter()
        done = store.maintain(now=end)
        maint_s += time.perf_counter() - w0
        d.update(strata_write_s=write_s, strata_maintain_s=maint_s, strata_maint_jobs=maint)
        log(f"read: strata loaded {d['points']:,} points in {write_s:.1f} s + maintain {maint_s:.1f} s {maint}")
        wsp = None
        if whisper:
            made: set = set()
            paths = [whisper_path(wroot, name) for name in names]
            for path in paths:
                whisper_create(path, DEFAULT_WHISPER_ARCHIVES, made)
            w0 = time.perf_counter()
            stamps = (t0 + STEP * np.arange(buckets)).tolist()
            for path, row in zip(paths, values):
                ok = ~np.isnan(row)
                for h in range(hours):
                    sl = slice(h * 360, (h + 1) * 360)
                    pts = [(t, v) for t, v, o in zip(stamps[sl], row[sl].tolist(), ok[sl].tolist()) if o]
                    if pts:
                        whisper.update_many(path, pts, now=t0 + (h + 1) * 3600)
            d["whisper_write_s"] = time.perf_counter() - w0
            log(f"read: whisper loaded in {d['whisper_write_s']:.1f} s")
            wsp = dict(zip(names, paths))
        rows.append(Row("read", f"load {n} series x {hours / 24:.2f} d, hourly batches (pts/s)",
                        d["points"] / (write_s + maint_s), wsp and d["points"] / d["whisper_write_s"], "pts/s",
                        note=f"strata incl. maintain ({maint_s:.1f} s of {write_s + maint_s:.1f} s); "
                             f"whisper: 1 update_many of 360 pts per series-hour"))

        # ---- 1 series x 24 h
        lat_s, lat_w = [], []
        mismatch = compared = 0
        for r in range(p.read_reps_1):
            name = names[(r * 37) % n]
            w0 = time.perf_counter()
            series = store.read(name, end - 86400, end, now=end)
            lat_s.append(time.perf_counter() - w0)
            if wsp:
                w0 = time.perf_counter()
                fetched = whisper.fetch(wsp[name], end - 86400, end, now=end)
                lat_w.append(time.perf_counter() - w0)
                if r < n:
                    mm, cc = compare(series, fetched)
                    mismatch, compared = mismatch + mm, compared + cc
        d.update(read1_strata=lat_s, read1_whisper=lat_w, read1_mismatch=mismatch, read1_compared=compared)
        p50 = pct(lat_s, 50) * 1e3
        rows.append(Row("read", "1 series x 24 h, p50 (ms)", p50, (pct(lat_w, 50) * 1e3 if lat_w else None), "ms",
                        "< 2 ms", _status(p50 < TARGETS["read_24h_ms"], f"{p50 / TARGETS['read_24h_ms'] - 1:+.0%}"),
                        note=f"{p.read_reps_1} reads over {min(n, p.read_reps_1)} series; 1m level, 1440 buckets"))
        rows.append(Row("read", "1 series x 24 h, p95 (ms)", pct(lat_s, 95) * 1e3,
                        (pct(lat_w, 95) * 1e3 if lat_w else None), "ms",
                        note=(f"strata vs whisper values: {mismatch} of {compared} buckets differ"
                              if wsp else "")))

        # ---- 100 series x 7 d (2 d in a quick run)
        days = p.read_long_days
        group = names[:100] if n >= 100 else names
        lat_s, lat_w = [], []
        mismatch = compared = 0
        for r in range(p.read_reps_100):
            w0 = time.perf_counter()
            got = store.read_many(group, end - days * 86400, end, now=end)
            lat_s.append(time.perf_counter() - w0)
            if wsp:
                w0 = time.perf_counter()
                fetched = [whisper.fetch(wsp[name], end - days * 86400, end, now=end) for name in group]
                lat_w.append(time.perf_counter() - w0)
                if r == 0:
                    for a, b in zip(got, fetched):
                        mm, cc = compare(a, b)
                        mismatch, compared = mismatch + mm, compared + cc
        d.update(read100_strata=lat_s, read100_whisper=lat_w, read100_mismatch=mismatch, read100_compared=compared)
        rows.append(Row("read", f"{len(group)} series x {days} d, p50 (ms)", pct(lat_s, 50) * 1e3,
                        (pct(lat_w, 50) * 1e3 if lat_w else None), "ms",
                        note=f"{p.read_reps_100} repetitions; 1m level, {days * 1440} buckets per series"))
        rows.append(Row("read", f"{len(group)} series x {days} d, p95 (ms)", pct(lat_s, 95) * 1e3,
                        (pct(lat_w, 95) * 1e3 if lat_w else None), "ms",
                        note=(f"strata vs whisper values: {mismatch} of {compared} buckets differ"
                              if wsp else "")))
        store.close()

        # ---- disk after 7 days of history
        sa, sb, sf = du(root)
        parts = breakdown(root)
        d.update(strata_disk=(sa, sb, sf), strata_breakdown=parts)
        sealed = sum(v for k, v in parts.items() if k.startswith("sealed"))
        note = (f"{n} series, {hours / 24:.2f} d of 10 s data; strata {sf} files: {describe(parts, n)} "
                f"(heads hold >= 64 rows per shard, level and block)")
        if wsp:
            wa, wb, wf = du(wroot)
            d.update(whisper_disk=(wa, wb, wf))
            rows.append(Row("disk", f"total, {hours / 24:.2f} d history: allocated (KiB/series)",
                            sb / n / 1024, wb / n / 1024, "KiB", "below whisper", disk_status(sb, wa, wb),
                            note=note + "; whisper sparse files, allocated = st_blocks*512"))
            rows.append(Row("disk", f"total, {hours / 24:.2f} d history: apparent (KiB/series)",
                            sa / n / 1024, wa / n / 1024, "KiB",
                            note="whisper apparent = what a preallocated (non-sparse) whisper allocates"))
        else:
            wb = None
            rows.append(Row("disk", f"total, {hours / 24:.2f} d history: allocated (KiB/series)",
                            sb / n / 1024, None, "KiB", note=note))
        rows.append(Row("disk", f"sealed files only (all levels), {hours / 24:.2f} d (KiB/series)",
                        sealed / n / 1024, wb and wb / n / 1024, "KiB",
                        note="the part of strata's disk that grows with history; heads are bounded per series"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(wroot, ignore_errors=True)
    p.details["read"] = d
    return rows


def compare(series, fetched) -> tuple[int, int]:
    """(buckets that differ, buckets compared) between a Store.read and a whisper.fetch."""
    if series is None or fetched is None:
        return (0, 0) if series is None and fetched is None else (1, 1)
    (w_from, _w_until, w_step), w_vals = fetched
    if (w_from, w_step) != (series.start, series.step):
        return len(w_vals), len(w_vals)
    a = series.values
    b = np.array([np.nan if v is None else v for v in w_vals], dtype=np.float64)
    m = min(len(a), len(b))
    if len(a) != len(b):
        extra = abs(len(a) - len(b))
    else:
        extra = 0
    a, b = a[:m], b[:m]
    same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=0)
    return int((~same).sum()) + extra, m + extra


# --------------------------------------------------------------------------------------------- disk

def case_disk(p: Params) -> list[Row]:
    why = need_disk(2.0)
    if why:
        return [Row("disk", "bytes per point", None, note=why)]
    rows: list[Row] = []
    n, buckets = p.disk_series, p.disk_buckets
    per_kind: dict = {}
    for kind in list(KINDS) + ["mixed"]:
        if kind == "mixed":
            values, _ = mixed_corpus(n, buckets, seed=3)
        else:
            values = corpus(kind, n, buckets, seed=3)
        r = seal_corpus(kind, values, with_whisper=(kind == "mixed" and whisper is not None))
        per_kind[kind] = r
        log(f"disk {kind}: {r['sealed_bpp']:.3f} B/pt sealed ({r['blob_bpp']:.3f} in blobs), "
            f"seal {r['seal_us_per_series_block']:.0f} us/series-block")
    p.details["disk"] = per_kind
    for kind, r in per_kind.items():
        target = status = ""
        if kind == "mixed":
            target = "<= 3 B/pt"
            status = _status(r["sealed_bpp"] <= TARGETS["sealed_mixed"],
                             f"{r['sealed_bpp'] / TARGETS['sealed_mixed'] - 1:+.0%}")
        label = "mixed (5 kinds)" if kind == "mixed" else kind
        rows.append(Row("disk", f"sealed raw, {label} (B/pt)", r["sealed_bpp"], None, "B/pt", target, status,
                        note=f"blobs only {r['blob_bpp']:.3f}; {r['points']:,} pts; "
                             f"seal+fold {r['seal_us_per_series_block']:.0f} us/series-block"))
    m = per_kind["mixed"]
    us = m["seal_us_per_series_block"]
    rows.append(Row("disk", "seal+fold of a 1 h raw block, mixed (us/series)", us, None, "us",
                    note=f"maintain() time / (series x raw blocks sealed), {n} series; x 1M series = "
                         f"~{us:.0f} s per hourly seal (upper bound: per-shard fixed costs amortise at larger "
                         f"counts), run by maintain(), off the write path"))
    if "whisper_apparent" in m:
        rows.append(Row("disk", f"total, {buckets * STEP / 3600:g} h mixed: allocated (B/pt)",
                        m["dir_allocated"] / m["points"], m["whisper_allocated"] / m["points"], "B/pt",
                        "below whisper",
                        disk_status(m["dir_allocated"], m["whisper_apparent"], m["whisper_allocated"]),
                        note=f"{n} series, default schema both sides; whisper sparse, preallocated would be "
                             f"{m['whisper_apparent'] / n / 2**20:.2f} MiB/series; strata {describe(m['breakdown'], n)}"))
        rows.append(Row("disk", f"total, {buckets * STEP / 3600:g} h mixed: apparent (B/pt)",
                        m["dir_apparent"] / m["points"], m["whisper_apparent"] / m["points"], "B/pt",
                        note="strata heads are sparse too: apparent > allocated"))
    return rows


def seal_corpus(kind: str, values: np.ndarray, with_whisper: bool) -> dict:
    """Write values[n, buckets] (from a block boundary), seal, measure sealed bytes."""
    n, buckets = values.shape
    names = [f"bench.{kind}.s{i:05d}" for i in range(n)]
    t0 = BASE
    per_call = max(1, CHUNK // n)
    root = tmpdir("disk")
    out: dict = {"series": n, "buckets": buckets}
    try:
        store = Store.open(root, StoreConfig(), now=t0)
        seal_s = 0.0
        sealed = 0
        accepted = 0
        for b0 in range(0, buckets, per_call):
            b1 = min(buckets, b0 + per_call)
            now = t0 + STEP * (b1 - 1)
            w0 = time.perf_counter()
            sealed += store.maintain(now=now).get("sealed", 0)
            seal_s += time.perf_counter() - w0
            res = store.write(*points_of(values, names, t0, b0, b1), now=now)
            accepted += res.accepted
        final = t0 + STEP * buckets + 600 + STEP   # past the last block's end plus seal grace
        w0 = time.perf_counter()
        sealed += store.maintain(now=final).get("sealed", 0)
        seal_s += time.perf_counter() - w0
        store.close()
        expected = int((~np.isnan(values)).sum())
        if accepted != expected:
            raise AssertionError(f"{kind}: accepted {accepted} of {expected} points")
        level0 = lambda dirpath, name: name.endswith(".sealed") and os.path.basename(dirpath) == "level-0"
        sealed_bytes, _, sealed_files = du(root, level0)
        blob_bytes = 0
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if level0(dirpath, name):
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as f:
                        header = unpack_sealed(path, f.read(SEALED_HEADER_SIZE))
                    blob_bytes += os.path.getsize(path) - header.data_offset
        l0_blocks = -(-buckets // 360)
        out.update(points=accepted, sealed_bytes=sealed_bytes, sealed_files=sealed_files,
                   sealed_bpp=sealed_bytes / accepted, blob_bpp=blob_bytes / accepted,
                   seal_s=seal_s, seal_jobs=sealed,
                   seal_us_per_series_block=seal_s / (n * l0_blocks) * 1e6)
        out["dir_apparent"], out["dir_allocated"], out["dir_files"] = du(root)
        out["breakdown"] = breakdown(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if with_whisper:
        wroot = tmpdir("disk-wsp")
        try:
            made: set = set()
            stamps = (t0 + STEP * np.arange(buckets)).tolist()
            for name, row in zip(names, values):
                path = whisper_path(wroot, name)
                whisper_create(path, DEFAULT_WHISPER_ARCHIVES, made)
                ok = ~np.isnan(row)
                for h0 in range(0, buckets, 360):
                    sl = slice(h0, min(buckets, h0 + 360))
                    pts = [(t, v) for t, v, o in zip(stamps[sl], row[sl].tolist(), ok[sl].tolist()) if o]
                    if pts:
                        whisper.update_many(path, pts, now=t0 + STEP * sl.stop)
            out["whisper_apparent"], out["whisper_allocated"], _ = du(wroot)
        finally:
            shutil.rmtree(wroot, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------------- ram

def case_ram(p: Params) -> list[Row]:
    why = need_disk(2.0)
    if why:
        return [Row("ram", "RAM per series", None, note=why)]
    n = p.ram_series
    rss = ram_subprocess(n, "rss")
    heap = ram_subprocess(n, "tracemalloc")
    p.details["ram"] = {"rss": rss, "tracemalloc": heap}
    per = rss["VmRSS"] / n
    rows = [
        Row("ram", f"VmRSS growth per series ({n:,} series)", per, None, "B", "<= 300 B",
            _status(per <= TARGETS["ram_per_series"], f"{per / TARGETS['ram_per_series'] - 1:+.0%}"),
            note=f"RssAnon {rss['RssAnon'] / n:.0f} B + RssFile {rss['RssFile'] / n:.0f} B (mapped head "
                 f"pages = page cache); names generated fresh, held only by the store"),
        Row("ram", f"Python heap per series (tracemalloc, {n:,})", heap["traced"] / n, None, "B",
            note="top sites: " + "; ".join(f"{s['where']} {s['bytes'] / n:.0f} B" for s in heap["top"][:4])),
    ]
    return rows


def ram_subprocess(n: int, mode: str) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.store_bench", "--ram-child", str(n), "--ram-mode", mode]
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(f"ram child ({mode}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _site(filename: str, lineno: int) -> str:
    name = Path(filename).name
    if name == "store_bench.py":
        return "name strings"
    return f"{name}:{lineno}"


def ram_child(n: int, mode: str) -> dict:
    """Create n series in a fresh process; report memory growth (run by case_ram)."""
    import tracemalloc
    root = tmpdir("ram")
    rng = np.random.default_rng(2)
    t_create = BASE + 3600 - STEP
    try:
        store = Store.open(root, StoreConfig(), now=t_create)
        # warm up code paths and numpy caches with a series that is counted out below
        store.write(["warmup.series"], [t_create], [1.0], now=t_create)
        gc.collect()
        if mode == "tracemalloc":
            tracemalloc.start()
            snap0 = tracemalloc.take_snapshot()
            base_traced = tracemalloc.get_traced_memory()[0]
        base = proc_status()
        w0 = time.perf_counter()
        for c in range(0, n, CHUNK):
            batch = [write_name(i) for i in range(c, min(n, c + CHUNK))]   # held only by the store
            res = store.write(batch, np.full(len(batch), float(t_create)), rng.random(len(batch)), now=t_create)
            assert res.created == len(batch), res
            del batch, res
        elapsed = time.perf_counter() - w0
        gc.collect()
        after = proc_status()
        out = {k: after[k] - base[k] for k in after}
        out.update(series=n, create_s=elapsed, mode=mode)
        if mode == "tracemalloc":
            out["traced"] = tracemalloc.get_traced_memory()[0] - base_traced
            stats = tracemalloc.take_snapshot().compare_to(snap0, "lineno")
            out["top"] = [{"where": _site(s.traceback[0].filename, s.traceback[0].lineno),
                           "bytes": s.size_diff} for s in stats[:8]]
            tracemalloc.stop()
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------------- report

CASES = {"write": case_write, "read": case_read, "disk": case_disk, "ram": case_ram}


def _status(ok: bool, miss: str) -> str:
    return "met" if ok else f"MISSED ({miss})"


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.0f}k"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def table(rows: list[Row]) -> str:
    head = ("case", "metric", "strata", "whisper", "ratio", "target", "status")
    body = [(r.case, r.metric, _fmt(r.strata), _fmt(r.whisper),
             "-" if r.ratio is None else f"{r.ratio:.2f}x", r.target or "-", r.status or "-") for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) if i < 5 else c.ljust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    out = [line(head), line(["-" * w for w in widths])] + [line(b) for b in body]
    notes = [f"  {r.case}/{r.metric}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", "notes:"] + notes if notes else []))


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    import lz4
    return {"cpus": os.cpu_count(), "mem_gib": round(mem / 2**30, 1), "python": platform.python_version(),
            "numpy": np.__version__, "lz4": lz4.version.version,
            "whisper": getattr(whisper, "__version__", "1.1.10") if whisper else None,
            "platform": platform.platform(), "loadavg_start": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Strata storage benchmarks (side by side with whisper).")
    ap.add_argument("--quick", action="store_true", help="reduced run (100k series), under ~2 minutes")
    ap.add_argument("--only", choices=sorted(CASES), action="append",
                    help="run only this case (repeatable)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-whisper", action="store_true",
                    help="skip the whisper side (e.g. to profile the store alone)")
    ap.add_argument("--ram-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ram-mode", default="rss", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.ram_child:
        print(json.dumps(ram_child(args.ram_child, args.ram_mode)))
        return 0
    if args.no_whisper:
        global whisper
        whisper = None
    p = params(args.quick)
    info = machine()
    started = time.perf_counter()
    log(f"store_bench {'quick' if p.quick else 'full'}: {info['cpus']} cpus, load {info['loadavg_start']}")
    if whisper is None:
        log("whisper is off (--no-whisper) or not installed (pip install whisper==1.1.10): "
            "whisper columns stay empty")
    rows: list[Row] = []
    timings = {}
    for name in args.only or list(CASES):
        w0 = time.perf_counter()
        log(f"case {name} ...")
        rows += CASES[name](p)
        timings[name] = time.perf_counter() - w0
        log(f"case {name} done in {timings[name]:.0f} s")
    info["loadavg_end"] = os.getloadavg()
    total = time.perf_counter() - started
    print(f"Strata store benchmarks ({'quick' if p.quick else 'full'} run), "
          f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {info['cpus']} cores, {info['mem_gib']} GiB, "
          f"Python {info['python']}, numpy {info['numpy']}; load avg {info['loadavg_start'][0]:.2f} -> "
          f"{info['loadavg_end'][0]:.2f}; {total:.0f} s")
    print("ratio = strata / whisper (higher is better for pts/s, lower for ms, B, KiB)")
    print(table(rows))
    if args.json:
        doc = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "mode": "quick" if p.quick else "full",
               "machine": info, "seconds": total, "case_seconds": timings,
               "results": [dict(asdict(r), ratio=r.ratio) for r in rows], "details": p.details}
        Path(args.json).write_text(json.dumps(doc, indent=1, default=_json_default))
    return 0


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


if __name__ == "__main__":
    sys.exit(main())
