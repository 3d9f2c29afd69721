"""Render benchmark: `strata serve` against graphite-web 1.1.10 (gunicorn) over whisper, on the
same data, request by request.

    python -m benchmarks.render_bench [--quick] [--json out.json] [--only strata|graphite]
                                      [--gw-workers 4] [--render-priority P] [--render-processes N]
                                      [--render-busy-share S] [--keep]
                                      [--phases render,tree,ingest] [--cases one_24h,dashboard]

What is measured, and how:

* Data.  1000 series `bench.hostNNN.<group>.<metric>` (100 hosts x cpu.{user,system,idle,
  iowait}, mem.{used,free}, net.{rx,tx}, disk.{reads,writes}; net and disk are counters),
  7 days: one point every 10 s over the last 24 h, one a minute before that, about 1 % of the
  points missing and a 2 h hole in every 97th series.  The same points are written to whisper
  files (archives 10s:1d,1m:8d, average, xFilesFactor 0.5: `whisper.create` + one
  `update_many` per file, sparse) and, with `tsdb.Store.write` and `maintain`, into a Strata
  data directory whose server reads the same storage-schemas.conf / storage-aggregation.conf.
  Before any timing, a few targets are fetched from both over fixed absolute ranges and
  compared value by value; a difference is reported (a benchmark over different data means
  nothing).
* Servers.  graphite-web 1.1.10 under gunicorn with graphite-web's documented command
  (docs/admin-webapp.rst: `--workers=4 --preload`, sync workers; `--gw-workers` changes it),
  DummyCache (graphite-web's default: no render or find cache), TIME_ZONE UTC, and FETCH_TIMEOUT
  / FIND_TIMEOUT and gunicorn's --timeout raised to 300 s so that slow answers are timed rather
  than turned into errors.  Strata: `strata serve` on its data directory, with its default
  settings (2 render processes, each evaluating one query at a time; `--render-priority`
  and `--render-processes` set render.priority and render.processes), timed once its
  writer is quiet: blocks fall due while the data set is written, and a server's start-up
  maintenance is not its steady state.
* Render and find cases.  Every request is a fresh TCP connection (gunicorn's sync workers do
  not keep connections alive), timed from connect to the last body byte, by one client in this
  process.  Both systems are warmed up with every case once, then each case alternates the two
  systems request by request with the same request text (which goes first alternates too), up
  to R repetitions or the case's time budget, whichever ends first (at least `min_reps`).
  Reported: p50 and p95 per system and ratio = graphite-web p50 / Strata p50.  Any non-200
  answer counts as an error and is reported.  Two floors: GET /version back to back, and
  after the client slept 10 ms (a server that was idle that long starts cold: on this VM
  that alone costs more than the back-to-back floor; a single-series request, alternating
  with graphite-web's slower answer, always starts so).
* Dashboard.  20 panels of typical Grafana targets (aliasByNode, sumSeries over globs,
  perSecond, nonNegativeDerivative, movingAverage, highestAverage, groupByNode ...;
  maxDataPoints=1500; from -6h, -24h or -7d), sent as POST form requests, 6 at a time as a
  browser does; the figure is the time until all 20 are done.
* Find on a large tree.  A collectd-shaped tree `collectd.hostNNNN.<plugin>.<type>` (50
  plugins x 10 types per host): Strata gets 1M names (one point each, written through
  `tsdb.Store` before `strata serve` starts).  For graphite-web the bench first times the
  creation of 100k tiny whisper files (1m:1h) and extends the tree to 1M only when ten times
  that fits the tree budget and the disk; the table says which size each system had.
  Queries: `*`, `collectd.host0150.*` and `collectd.*.cpu-0.*` (fan-out: 10 per host).
* Ingest under a dashboard storm.  On a copy of the Strata data directory, benchmarks.
  ingest_bench's plaintext senders (own processes, 100k series, as fast as the server takes
  them) run for `--ingest-seconds` alone, then again (fresh copy) while 8 client processes
  refresh the 20-panel dashboard without pause; `--ingest-rounds` such pairs (3), each run
  right after the other and in turn solo first and storm first.  The figure is the median
  of the pairs' storm/solo ratios: the machine's speed drifts by a third within one run,
  and a pair's two runs share its phase (the median storm rate over the median solo rate,
  which compares runs minutes apart, is reported beside it).  Stored points are counted as ingest_bench
  counts them: SIGTERM, then a seeded sample of the series is read back and compared value by
  value; sustained = stored / (server exit - first byte).  Reported: the two rates, their
  ratio (target >= 90 %), the dashboard refresh times during the storm, and the CPU the render
  process and the clients used meanwhile (the clients stand in for browsers on other machines;
  `--storm-client-nice` runs them at a lower priority to tell their share from the server's).

Every scratch file lives under /tmp/renderbench/ and is removed at the end (unless --keep);
every wait is bounded.  The machine's load is printed with the results: on a shared machine
the absolute figures are indicative, the ratios less so.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from strata.bench.targets import stop_process

try:        # the shared bench helpers are moving into strata.bench; use whichever is there
    from strata.bench import ingest as _ingest  # type: ignore
except ImportError:
    from benchmarks import ingest_bench as _ingest

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path("/tmp/renderbench")
GW_VENV = Path("/tmp/gw-venv")

HOSTS = 100
METRICS = ("cpu.user", "cpu.system", "cpu.idle", "cpu.iowait", "mem.used", "mem.free",
           "net.rx", "net.tx", "disk.reads", "disk.writes")
COUNTERS = {"net.rx", "net.tx", "disk.reads", "disk.writes"}
DAY = 86400
RAW_STEP, ROLL_STEP = 10, 60
HISTORY_DAYS = 7               # 2 with --quick
SEED = 20261121
NULL_FRACTION = 0.01
WHISPER_ARCHIVES = [(10, 8640), (60, 11520)]          # 10s:1d, 1m:8d
TREE_ARCHIVES = [(60, 60)]                            # 1m:1h, the find tree's tiny files
XFF = 0.0       # see AGGREGATION

SCHEMAS = """\
[collectd]
pattern = ^collectd\\.
retentions = 1m:1h

[default]
pattern = .*
retentions = 10s:1d,1m:8d
"""
# xFilesFactor 0: Strata applies xff against raw 10 s slots at read time (docs/compatibility.md),
# so the one-a-minute history written straight into the 1m level would read as null there
# while whisper, which applies it only when propagating, keeps it.  With 0 both hold the same.
AGGREGATION = """\
[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
"""

PLUGINS = ([f"cpu-{i}" for i in range(16)] + [f"disk-sd{c}" for c in "abcdefgh"]
           + [f"interface-eth{i}" for i in range(4)]
           + [f"df-{m}" for m in ("root", "boot", "var", "tmp", "home", "data", "logs", "srv")]
           + ["load", "memory", "swap", "processes", "entropy", "uptime", "users", "contextswitch",
              "irq", "tcpconns", "vmem", "conntrack", "ntpd", "nginx"])
TYPES = ("gauge-used", "gauge-free", "derive-read", "derive-write", "if_octets-rx", "if_octets-tx",
         "percent-user", "percent-system", "percent-idle", "count-total")
NAMES_PER_HOST = len(PLUGINS) * len(TYPES)            # 500

DASHBOARD = [
    ("aliasByNode(bench.host00*.cpu.user,1)", "-6h"),
    ("aliasByNode(bench.host00*.cpu.system,1)", "-6h"),
    ("sumSeries(bench.*.cpu.user)", "-24h"),
    ("averageSeries(bench.*.mem.used)", "-24h"),
    ("aliasByNode(perSecond(bench.host01*.net.rx),1)", "-6h"),
    ("aliasByNode(perSecond(bench.host01*.net.tx),1)", "-6h"),
    ("aliasByNode(nonNegativeDerivative(bench.host02*.disk.reads),1)", "-24h"),
    ("aliasByNode(nonNegativeDerivative(bench.host02*.disk.writes),1)", "-24h"),
    ("movingAverage(sumSeries(bench.*.cpu.iowait),10)", "-7d"),
    ("maxSeries(bench.*.cpu.iowait)", "-24h"),
    ("sumSeries(perSecond(bench.*.net.rx))", "-7d"),
    ("aliasByNode(highestAverage(bench.*.cpu.user,5),1)", "-24h"),
    ("aliasByNode(bench.host042.*.*,2,3)", "-6h"),
    ("aliasByNode(scale(bench.host03*.mem.free,0.001),1)", "-24h"),
    ("aliasByNode(movingAverage(bench.host04*.cpu.user,30),1)", "-24h"),
    ("sumSeries(nonNegativeDerivative(bench.*.disk.reads))", "-7d"),
    ("aliasByNode(bench.*.mem.used,1)", "-6h"),
    ("minSeries(bench.*.mem.free)", "-7d"),
    ("aliasByNode(sortByMaxima(bench.host05*.cpu.system),1)", "-24h"),
    ("groupByNode(bench.*.cpu.*,3,'sumSeries')", "-6h"),
]
DASHBOARD_MDP = 1500
BROWSER_PARALLEL = 6
STORM_CLIENTS = 8

log = _ingest.log
loadavg = _ingest.loadavg
free_port = _ingest.free_port


# ============================================================================ data set (pure)

def bench_names() -> list[str]:
    return [f"bench.host{h:03d}.{m}" for h in range(HOSTS) for m in METRICS]


def timestamps(now0: int, days: int) -> np.ndarray:
    """One point a minute for all but the last day, then every 10 s for the last 24 h, up to now0.

    No point sits at exactly now0 - 1 d: whisper's 8640-slot 10 s archive would put it in the
    slot of the point at now0, which overwrites it before the 1 m propagation reads it.
    """
    rolled = np.arange(now0 - days * DAY + ROLL_STEP, now0 - DAY, ROLL_STEP, dtype=np.int64)
    raw = np.arange(now0 - DAY + RAW_STEP, now0 + 1, RAW_STEP, dtype=np.int64)
    return np.concatenate([rolled, raw])


def series_values(i: int, ts: np.ndarray, now0: int) -> np.ndarray:
    """Deterministic values of series i at ts; NaN where the point is missing."""
    rng = np.random.default_rng(SEED + i)
    metric = METRICS[i % len(METRICS)]
    phase = rng.uniform(0, 2 * np.pi)
    if metric in COUNTERS:
        rate = 50 + 40 * np.sin(2 * np.pi * ts / DAY + phase) + rng.uniform(0, 20, len(ts))
        dt = np.diff(ts, prepend=ts[0] - RAW_STEP)
        vals = np.round(1e6 * (i + 1) + np.cumsum(rate * dt))
    else:
        level = rng.uniform(10, 60)
        vals = np.round(level + 0.5 * level * np.sin(2 * np.pi * ts / DAY + phase)
                        + rng.normal(0, 2, len(ts)), 2)
    vals[rng.random(len(ts)) < NULL_FRACTION] = np.nan
    if i % 97 == 7:                      # an outage: two hours with no points at all
        vals[(ts > now0 - 30 * 3600) & (ts <= now0 - 28 * 3600)] = np.nan
    return vals


def collectd_names(hosts: int) -> list[str]:
    return [f"collectd.host{h:04d}.{p}.{t}" for h in range(hosts) for p in PLUGINS for t in TYPES]


# ============================================================================ writers

def write_whisper_set(whisper_dir: str, now0: int, days: int) -> float:
    """Every bench series into its own whisper file (carbon's layout); returns seconds taken."""
    import whisper
    t = time.monotonic()
    ts = timestamps(now0, days)
    for i, name in enumerate(bench_names()):
        path = os.path.join(whisper_dir, *name.split(".")) + ".wsp"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        whisper.create(path, WHISPER_ARCHIVES, xFilesFactor=XFF, aggregationMethod="average", sparse=True)
        vals = series_values(i, ts, now0)
        keep = ~np.isnan(vals)
        whisper.update_many(path, list(zip(ts[keep].tolist(), vals[keep].tolist())), now=now0)
    return time.monotonic() - t


def _whisper_writer_main(whisper_dir: str, now0: int, days: int, out) -> None:
    try:
        out.put(("ok", write_whisper_set(whisper_dir, now0, days)))
    except Exception as exc:  # noqa: BLE001 - whatever it is, the parent reports it and stops
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def store_config(conf_dir: Path):
    from rollup.schemas import load_aggregation, load_schemas
    from tsdb import StoreConfig
    return StoreConfig(schemas=load_schemas(conf_dir / "storage-schemas.conf"),
                       aggregations=load_aggregation(conf_dir / "storage-aggregation.conf"))


class no_fsync:
    """fsync as a no-op inside this process while the data set is built: its durability is
    irrelevant (the page cache holds it for the servers), and on a shared disk the store's
    per-block fsyncs would make the set-up take minutes.  Only the set-up runs under it."""

    def __enter__(self):
        self.saved = os.fsync
        os.fsync = lambda fd: None
        return self

    def __exit__(self, *exc):
        os.fsync = self.saved


def write_strata_set(data_dir: Path, conf_dir: Path, now0: int, days: int, batch_series: int = 50) -> dict:
    """The bench series through Store.write (batches of whole series), then maintain() until
    nothing is due at now0, as a server that has run for a week would have them."""
    with no_fsync():
        return _write_strata_set(data_dir, conf_dir, now0, days, batch_series)


def _write_strata_set(data_dir: Path, conf_dir: Path, now0: int, days: int, batch_series: int) -> dict:
    from tsdb import Store
    t = time.monotonic()
    ts = timestamps(now0, days)
    names = bench_names()
    points = 0
    with Store.open(data_dir, store_config(conf_dir), now=now0) as store:
        for a in range(0, len(names), batch_series):
            cols_n, cols_t, cols_v = [], [], []
            for i in range(a, min(len(names), a + batch_series)):
                vals = series_values(i, ts, now0)
                keep = ~np.isnan(vals)
                cols_n.extend([names[i]] * int(keep.sum()))
                cols_t.append(ts[keep])
                cols_v.append(vals[keep])
            res = store.write(cols_n, np.concatenate(cols_t), np.concatenate(cols_v), now=now0)
            points += res.accepted
        t_write = time.monotonic() - t
        for _ in range(20):                       # bounded: each call seals what is due
            if store.due() > now0:
                break
            store.maintain(now0)
    return {"points": points, "write_s": t_write, "total_s": time.monotonic() - t}


def write_strata_tree(data_dir: Path, conf_dir: Path, hosts: int, now0: int) -> dict:
    """One point for every name of a collectd tree of `hosts` hosts (registers the names)."""
    from tsdb import Store
    t = time.monotonic()
    n = 0
    with no_fsync(), Store.open(data_dir, store_config(conf_dir), now=now0) as store:
        for a in range(0, hosts, 200):
            names = collectd_names(min(hosts, a + 200))[a * NAMES_PER_HOST:]
            store.write(names, np.full(len(names), now0 - 60, np.int64), np.ones(len(names)), now=now0)
            n += len(names)
    return {"names": n, "seconds": time.monotonic() - t}


def write_whisper_tree(whisper_dir: Path, h0: int, h1: int) -> float:
    """Tiny whisper files for hosts [h0, h1) of the collectd tree; returns seconds."""
    import whisper
    t = time.monotonic()
    for h in range(h0, h1):
        for p in PLUGINS:
            d = whisper_dir / "collectd" / f"host{h:04d}" / p
            d.mkdir(parents=True, exist_ok=True)
            for ty in TYPES:
                whisper.create(str(d / f"{ty}.wsp"), TREE_ARCHIVES, xFilesFactor=XFF,
                               aggregationMethod="average", sparse=True)
    return time.monotonic() - t


def free_gb(path: Path) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / 1e9


# ============================================================================ servers

class StrataHttp:
    """`strata serve` on a given data directory, with the bench's schema files."""

    def __init__(self, data_dir: Path, config_file: Path, log_path: Path, line: bool = False,
                 tree: Path = REPO):
        """`tree`: the checkout whose code serves (benchmarks.ab_http runs an older one too)."""
        self.data_dir, self.log_path = data_dir, log_path
        self.http_port = free_port()
        self.line_port = free_port() if line else 0
        cmd = [sys.executable, "-m", "strata.cli", "serve", "--config", str(config_file),
               "--data-dir", str(data_dir), "--bind", "127.0.0.1", "--line-port", str(self.line_port),
               "--udp-port", "0", "--pickle-port", "0", "--http-port", str(self.http_port)]
        env = dict(os.environ, PYTHONPATH=str(tree))
        with open(log_path, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=str(tree), env=env, stdout=out, stderr=subprocess.STDOUT)
        self.t_exit: float | None = None

    def wait_ready(self, timeout: float = 180) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            if "listening for graphite http" in self.log_path.read_text(errors="replace"):
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 120) -> float:
        stop_process(self.proc, timeout=timeout)
        self.t_exit = time.monotonic()
        return self.t_exit

    def summary(self) -> dict:
        m = re.search(r"stopped: (\d+) points received, (\d+) stored, (\d+) series created",
                      self.log_path.read_text(errors="replace"))
        return {"received": int(m[1]), "committed": int(m[2]), "created": int(m[3])} if m else {}

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-400:]


GW_SETTINGS = """\
SECRET_KEY = "renderbench"
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {logdir!r}
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
FETCH_TIMEOUT = 300.0
FIND_TIMEOUT = 300.0
"""


class GraphiteWeb:
    """graphite-web 1.1.10 under gunicorn (sync workers) over one whisper directory."""

    def __init__(self, storage: Path, workers: int, log_path: Path):
        self.storage, self.log_path = storage, log_path
        self.port = free_port()
        conf = storage / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (storage / "log").mkdir(exist_ok=True)
        (conf / "rb_gw_settings.py").write_text(GW_SETTINGS.format(
            storage=str(storage), whisper=str(storage / "whisper") + "/", logdir=str(storage / "log")))
        self.env = dict(os.environ, PYTHONPATH=str(conf), GRAPHITE_SETTINGS_MODULE="rb_gw_settings",
                        DJANGO_SETTINGS_MODULE="graphite.settings")
        subprocess.run([str(GW_VENV / "bin" / "django-admin"), "migrate", "--run-syncdb", "-v", "0"],
                       env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=300)
        self.cmd = [str(GW_VENV / "bin" / "gunicorn"), "graphite.wsgi:application",
                    f"--workers={workers}", f"--bind=127.0.0.1:{self.port}", "--preload",
                    "--timeout=300", f"--log-file={log_path}"]
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, cwd=str(storage))

    def wait_ready(self, timeout: float = 120) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                if call(self.port, "GET", "/metrics/find", {"query": "*"}, 10).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        stop_process(self.proc)


def ensure_gw_venv() -> str | None:
    """None when graphite-web + gunicorn are usable, else why not."""
    if not (GW_VENV / "bin" / "gunicorn").exists() or not (GW_VENV / "bin" / "django-admin").exists():
        return (f"{GW_VENV} lacks graphite-web or gunicorn: python3 -m venv {GW_VENV} && "
                f"{GW_VENV}/bin/pip install graphite-web==1.1.10 whisper==1.1.10 msgpack gunicorn")
    return None


# ============================================================================ client

@dataclass
class Reply:
    status: int
    seconds: float
    nbytes: int
    body: bytes = b""


def call(port: int, method: str, path: str, params: dict, timeout: float, keep: bool = False) -> Reply:
    """One request on a fresh connection, timed from connect to the last body byte."""
    body = urlencode(params, doseq=True)
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if method == "GET":
            conn.request("GET", f"{path}?{body}")
        else:
            conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, time.perf_counter() - t, len(data), data if keep else b"")
    finally:
        conn.close()


def wait_quiet(pid: int, busy_pct: float = 5.0, timeout: float = 180.0) -> float:
    """Seconds until process `pid` uses under `busy_pct` % of a core over a second (at most
    `timeout`): the server seals what fell due while the data set was written, and timing
    renders meanwhile would measure its start-up, not its steady state."""
    mon = _ingest.ProcMonitor(pid)
    t0 = time.monotonic()
    last = mon.sample()
    while last is not None and time.monotonic() - t0 < timeout:
        time.sleep(1.0)
        now = mon.sample()
        if now is None or 100.0 * (now[1] - last[1]) / (now[0] - last[0]) < busy_pct:
            break
        last = now
    return time.monotonic() - t0


def safe_call(port: int, method: str, path: str, params: dict, timeout: float) -> Reply:
    try:
        return call(port, method, path, params, timeout)
    except (OSError, http.client.HTTPException) as exc:
        return Reply(-1, timeout if isinstance(exc, TimeoutError) else 0.0, 0, str(exc).encode())


def dashboard_requests(days: int) -> list[dict]:
    """The panels as Grafana POSTs them; the longest range is the data set's history."""
    return [{"target": t, "from": f.replace("-7d", f"-{days}d"), "until": "now", "format": "json",
             "maxDataPoints": DASHBOARD_MDP} for t, f in DASHBOARD]


def refresh_dashboard(port: int, pool: ThreadPoolExecutor, timeout: float, days: int) -> tuple[float, int]:
    """All 20 panels, BROWSER_PARALLEL at a time: (seconds until the last is done, errors)."""
    t = time.perf_counter()
    replies = list(pool.map(lambda p: safe_call(port, "POST", "/render", p, timeout),
                            dashboard_requests(days)))
    return time.perf_counter() - t, sum(r.status != 200 for r in replies)


# ============================================================================ cases

@dataclass
class Case:
    key: str
    label: str
    path: str
    params: dict
    reps: int = 30
    budget: float = 40.0          # seconds for the whole case, both systems
    min_reps: int = 5
    ratio_target: float | None = None
    p50_target_ms: float | None = None
    dashboard: bool = False
    warm: bool = True
    days: int = HISTORY_DAYS
    pause: float = 0.0            # seconds of sleep before each request (the client's own, not timed)


def render_cases(quick: bool, days: int) -> list[Case]:
    q = 0.25 if quick else 1.0
    r = lambda full: max(3, int(full * q))
    js = {"format": "json"}
    d = f"-{days}d"
    cases = [
        Case("floor", "HTTP floor: GET /version", "/version", {}, r(30), 10 * q, 5),
        Case("floor_cold", "HTTP floor after 10 ms idle", "/version", {}, r(30), 10 * q, 5, pause=0.01),
        Case("one_24h", "1 series x 24 h", "/render",
             {"target": "bench.host042.cpu.user", "from": "-24h", **js}, r(30), 30 * q, 5, 4.0, 2.0),
        Case("sum100_24h", "sumSeries(100 series) x 24 h", "/render",
             {"target": "sumSeries(bench.*.cpu.user)", "from": "-24h", **js}, r(30), 40 * q, 5, 10.0, 10.0),
        Case("sum100_7d_mdp", f"sumSeries(100 series) x {days} d, mdp=1000", "/render",
             {"target": "sumSeries(bench.*.cpu.user)", "from": d, "maxDataPoints": 1000, **js},
             r(30), 40 * q, 5, 10.0),
        Case("am100_24h", "aliasByNode(movingAverage(100 series,10),1) x 24 h", "/render",
             {"target": "aliasByNode(movingAverage(bench.*.cpu.user,10),1)", "from": "-24h", **js},
             r(20), 40 * q, 3, 10.0),
        Case("all1000_7d_mdp", f"1000 series x {days} d, mdp=1000", "/render",
             {"target": "bench.*.*.*", "from": d, "maxDataPoints": 1000, **js},
             r(10), 60 * q, 2, 10.0),
        Case("all1000_7d", f"1000 series x {days} d ({days * 1440 * 1000 / 1e6:.2f}M points)", "/render",
             {"target": "bench.*.*.*", "from": d, **js}, r(5), 100 * q, 1, 10.0, 100.0, warm=False),
        Case("find_top", "find bench.*", "/metrics/find", {"query": "bench.*"}, r(30), 20 * q, 5),
        Case("find_deep", "find bench.*.cpu.*", "/metrics/find", {"query": "bench.*.cpu.*"},
             r(30), 20 * q, 5),
        Case("dashboard", "20-panel dashboard refresh (6 parallel POSTs)", "", {}, r(10), 60 * q, 2,
             10.0, dashboard=True),
    ]
    for c in cases:
        c.days = days
    return cases


def tree_cases(quick: bool) -> list[Case]:
    q = 0.25 if quick else 1.0
    r = lambda full: max(3, int(full * q))
    return [
        Case("tree_top", "find * (collectd tree)", "/metrics/find", {"query": "*"}, r(30), 20 * q, 5),
        Case("tree_host", "find collectd.host0150.*", "/metrics/find", {"query": "collectd.host0150.*"},
             r(30), 20 * q, 5, None, 20.0),
        Case("tree_fan", "find collectd.*.cpu-0.* (10 per host)", "/metrics/find",
             {"query": "collectd.*.cpu-0.*"}, r(20), 60 * q, 2, None, 20.0),
    ]


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    nbytes: int = 0

    def pct(self, q: float) -> float | None:
        return float(np.percentile(self.seconds, q)) if self.seconds else None


def one_request(case: Case, port: int, pool: ThreadPoolExecutor | None, timeout: float) -> tuple[float, str | None, int]:
    if case.dashboard:
        s, errs = refresh_dashboard(port, pool, timeout, case.days)
        return s, (f"{errs} panel(s) failed" if errs else None), 0
    rep = safe_call(port, "GET", case.path, case.params, timeout)
    err = None if rep.status == 200 else f"HTTP {rep.status} {rep.body[:120]!r}"
    return rep.seconds, err, rep.nbytes


def time_case(case: Case, ports: dict[str, int], timeout: float) -> dict[str, Timing]:
    """Alternate the systems request by request until reps or the budget runs out."""
    out = {name: Timing() for name in ports}
    names = list(ports)
    pool = ThreadPoolExecutor(BROWSER_PARALLEL) if case.dashboard else None
    end = time.monotonic() + case.budget
    try:
        for rep in range(case.reps):
            for name in (names if rep % 2 == 0 else names[::-1]):
                time.sleep(case.pause)
                s, err, nbytes = one_request(case, ports[name], pool, timeout)
                if err:
                    out[name].errors.append(err)
                else:
                    out[name].seconds.append(s)
                    out[name].nbytes = nbytes
            if rep + 1 >= case.min_reps and time.monotonic() > end:
                break
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def warm_up(cases: list[Case], ports: dict[str, int], timeout: float, days: int) -> list[str]:
    problems = []
    pool = ThreadPoolExecutor(BROWSER_PARALLEL)
    try:
        for case in cases:
            if not case.warm:
                continue
            for name, port in ports.items():
                _, err, _ = one_request(case, port, pool, timeout)
                if err:
                    problems.append(f"warm-up {case.key} on {name}: {err}")
        for params in dashboard_requests(days):      # every panel must answer 200 on both
            for name, port in ports.items():
                rep = safe_call(port, "POST", "/render", params, timeout)
                if rep.status != 200:
                    problems.append(f"panel {params['target']} on {name}: HTTP {rep.status}")
    finally:
        pool.shutdown()
    return problems


def panel_times(ports: dict[str, int], days: int, timeout: float) -> list[dict]:
    """Each dashboard panel alone, once per system (after the warm-up): where the time goes."""
    out = []
    for params in dashboard_requests(days):
        row = {"target": params["target"], "from": params["from"]}
        for name, port in ports.items():
            rep = safe_call(port, "POST", "/render", params, timeout)
            row[name] = rep.seconds if rep.status == 200 else None
        out.append(row)
    return out


# ============================================================================ same data check

def verify_same_data(ports: dict[str, int], now0: int, days: int) -> dict:
    """Fetch fixed absolute ranges from both systems and compare every datapoint."""
    old = now0 - (days - 1) * DAY
    checks = [("bench.host007.cpu.user", now0 - 20 * 3600, now0, {}),
              ("bench.host003.net.rx", old, old + DAY // 2, {}),
              ("sumSeries(bench.*.cpu.user)", old, now0, {"maxDataPoints": 1000}),
              ("perSecond(bench.host011.disk.reads)", now0 - 12 * 3600, now0, {})]
    out = {"checked_points": 0, "mismatches": 0, "details": []}
    for target, a, b, extra in checks:
        params = {"target": target, "from": a, "until": b, "format": "json", **extra}
        got = {}
        for name, port in ports.items():
            rep = call(port, "GET", "/render", params, 120, keep=True)
            if rep.status != 200:
                out["details"].append(f"{target} on {name}: HTTP {rep.status}")
                out["mismatches"] += 1
                continue
            got[name] = {s["target"]: {t: v for v, t in s["datapoints"]} for s in json.loads(rep.body)}
        if len(got) != 2:
            continue
        sa, sb = got.values()
        if set(sa) != set(sb):
            out["details"].append(f"{target}: series names differ: {sorted(sa)} vs {sorted(sb)}")
            out["mismatches"] += 1
            continue
        for key in sa:
            pa, pb = sa[key], sb[key]
            bad = sorted(t for t in set(pa) | set(pb) if not _same(pa.get(t, "absent"), pb.get(t, "absent")))
            out["checked_points"] += len(pa)
            out["mismatches"] += len(bad)
            nonnull = sum(v is not None for v in pa.values())
            shown = ", ".join(f"t={t}: {pa.get(t, 'absent')} vs {pb.get(t, 'absent')}" for t in bad[:3])
            out["details"].append(f"{key} [{a}, {b}]: {len(pa)} points ({nonnull} non-null), {len(bad)} differ"
                                  + (f" ({shown})" if bad else ""))
    return out


def _same(x, y) -> bool:
    if x is None or y is None or isinstance(x, str) or isinstance(y, str):
        return x == y
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


# ============================================================================ ingest storm

def _storm_client_main(port: int, stop, out, timeout: float, days: int, nice: int = 0) -> None:
    """One browser tab refreshing the dashboard without pause until told to stop."""
    os.nice(nice)
    times, errors, wall0 = [], 0, time.monotonic()
    with ThreadPoolExecutor(BROWSER_PARALLEL) as pool:
        for _ in range(100000):                      # bounded; `stop` ends it long before
            if stop.is_set():
                break
            t = time.monotonic()
            s, errs = refresh_dashboard(port, pool, timeout, days)
            times.append((t, t + s))
            errors += errs
    out.put({"times": times, "errors": errors, "cpu_s": time.process_time(),
             "wall_s": time.monotonic() - wall0})


def _pcts(values) -> str:
    return "+".join(f"{v:.0f}%" for v in values if v is not None) if values else "-"


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (a `strata serve`'s parse workers and render processes)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def child_role(pid: int) -> str:
    """"parse worker" or "render" (a render process runs the server's own command line)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "gone"
    return "parse worker" if b"carbon_compat.parse_worker" in cmdline else "render"


def _children_cpu(children: dict | None) -> str:
    """`children`: {role: [cpu %, ...]} as "parse worker 66%, render 11%+5%"."""
    return ", ".join(f"{role} {_pcts(v)}" for role, v in (children or {}).items()) or "children -"


def ingest_run(base_dir: Path, config_file: Path, work: Path, series: int, seconds: float,
               storm: bool, sample: int, days: int, client_nice: int = 0) -> dict:
    """Max-rate plaintext ingest into a copy of the bench data directory; with `storm`, 8
    dashboard clients refresh without pause during it.  Counted as ingest_bench counts."""
    tag = "storm" if storm else "solo"
    data = work / f"ingest-{tag}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(base_dir, data)
    srv = StrataHttp(data, config_file, work / f"serve-ingest-{tag}.log", line=True)
    out: dict = {"mode": tag, "series": series}
    clients, stop, results, mon, run = [], None, None, None, None
    try:
        if not srv.wait_ready():
            out["error"] = "server did not start: " + srv.tail()
            return out
        ctx = mp.get_context("spawn")
        base, rounds = _ingest.strata_rounds_base(series, None, seconds)
        run = _ingest.LoadRun(_ingest.Load("plaintext", srv.line_port, series, base, 0, rounds, None,
                                           seconds, 2))
        if not run.ok:
            out["error"] = "senders did not get ready"
            return out
        if storm:
            stop, results = ctx.Event(), ctx.Queue()
            clients = [ctx.Process(target=_storm_client_main,
                                   args=(srv.http_port, stop, results, 120.0, days, client_nice),
                                   daemon=True) for _ in range(STORM_CLIENTS)]
            for c in clients:
                c.start()
            time.sleep(3.0)                           # the storm is on before the first byte
        mon = _ingest.ProcMonitor(srv.proc.pid)
        mon.start()
        children = child_pids(srv.proc.pid)
        roles = [child_role(pid) for pid in children]
        helpers = [_ingest.ProcMonitor(pid) for pid in children]
        for h in helpers:
            h.start()
        load0 = loadavg()
        t0 = run.go()
        run.wait(seconds + 300)
        t_sent = time.monotonic()
        storm_times, storm_errors, client_cpu = [], 0, []
        if storm:
            stop.set()
            for _ in clients:
                try:
                    r = results.get(timeout=180)
                except queue.Empty:
                    break
                # every refresh that overlapped the ingest window
                storm_times += [b - a for a, b in r["times"] if b >= t0 and a <= t_sent]
                storm_errors += r["errors"]
                client_cpu.append(100.0 * r["cpu_s"] / max(r["wall_s"], 1e-9))
        helper_cpu: dict[str, list] = {}
        for role, h in zip(roles, helpers):
            helper_cpu.setdefault(role, []).append(h.window(t0, t_sent)["cpu_pct"])
        for h in helpers:
            h.stop()
        t_exit = srv.stop()
        mon.stop()
        win = mon.window(t0, t_exit)
        counted = _ingest.count_strata(data, run, sample)
        stored = run.sent * counted["fraction"]
        out.update({"sent": run.sent, "stored": stored, "stored_rate": stored / (t_exit - t0),
                    "t_store_s": t_exit - t0, "cpu_pct": win["cpu_pct"], "server_log": srv.summary(),
                    "sample_read": counted["sample_read"], "sample_expected": counted["sample_expected"],
                    "value_mismatches": counted["value_mismatches"], "sender_errors": run.errors(),
                    "loadavg_start": load0, "loadavg_end": loadavg(),
                    "server_children_cpu_pct": helper_cpu})
        if storm:
            out.update({"refreshes": len(storm_times), "refresh_errors": storm_errors,
                        "clients_cpu_pct": sum(client_cpu), "client_nice": client_nice,
                        "refresh_p50": float(np.percentile(storm_times, 50)) if storm_times else None,
                        "refresh_p95": float(np.percentile(storm_times, 95)) if storm_times else None})
        return out
    finally:
        if stop is not None:
            stop.set()
        for c in clients:
            c.join(timeout=30)
            if c.is_alive():
                c.kill()
        if mon is not None and mon.is_alive():
            mon.stop()
        if run is not None and out.get("error"):
            run.abort()
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


# ============================================================================ report

@dataclass
class Row:
    key: str
    label: str
    strata: dict = field(default_factory=dict)
    graphite: dict = field(default_factory=dict)
    ratio: float | None = None
    target: str = "-"
    status: str = "-"
    note: str = ""


def summarize(t: Timing | None) -> dict:
    if t is None:
        return {}
    return {"n": len(t.seconds), "p50": t.pct(50), "p95": t.pct(95), "errors": t.errors[:5],
            "n_errors": len(t.errors), "bytes": t.nbytes, "seconds": t.seconds}


def verdict(case: Case, s: dict, ratio: float | None) -> tuple[str, str]:
    parts, missed = [], []
    if case.ratio_target:
        parts.append(f">= {case.ratio_target:g}x")
        if ratio is None:
            missed.append("ratio not measured")
        elif ratio < case.ratio_target:
            missed.append(f"{ratio:.1f}x")
    if case.p50_target_ms:
        parts.append(f"p50 <= {case.p50_target_ms:g} ms")
        p50 = s.get("p50")
        if p50 is None:
            missed.append("p50 not measured")
        elif p50 * 1e3 > case.p50_target_ms:
            missed.append(f"p50 {p50 * 1e3:.1f} ms")
    if not parts:
        return "-", "-"
    if s.get("n_errors"):
        missed.append(f"{s['n_errors']} errors")
    return ", ".join(parts), ("MISSED: " + "; ".join(missed)) if missed else "met"


def make_row(case: Case, timings: dict[str, Timing], sizes: str = "") -> Row:
    s, g = summarize(timings.get("strata")), summarize(timings.get("graphite"))
    ratio = g["p50"] / s["p50"] if s.get("p50") and g.get("p50") else None
    target, status = verdict(case, s, ratio)
    row = Row(case.key, case.label + sizes, s, g, ratio, target, status)
    row.note = "; ".join(f"{name}: n={d['n']}, {d['bytes']} B/answer"
                         + (f", {d['n_errors']} errors e.g. {d['errors'][0]}" if d.get("n_errors") else "")
                         for name, d in (("strata", s), ("graphite-web", g)) if d)
    return row


def ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 1e3:.1f}" if x * 1e3 < 100 else f"{x * 1e3:.0f}"


def table(rows: list[Row]) -> str:
    head = ["case", "strata p50/p95 ms", "graphite-web p50/p95 ms", "ratio", "target", "status"]
    body = [[r.label, f"{ms(r.strata.get('p50'))} / {ms(r.strata.get('p95'))}" if r.strata else "-",
             f"{ms(r.graphite.get('p50'))} / {ms(r.graphite.get('p95'))}" if r.graphite else "-",
             f"{r.ratio:.1f}x" if r.ratio else "-", r.target, r.status] for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in body]
    return "\n".join(lines)


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, check=False,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, check=False,
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        dirty = [d[3:] for d in dirty if d.strip()]
        return f"{head}" + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else " (clean)")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(gw_workers: int, render: dict) -> str:
    import numpy
    strata = ", ".join(f"render.{k} {v}" for k, v in render.items()) or "defaults"
    return (f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, numpy "
            f"{numpy.__version__}; git {git_state()}; graphite-web 1.1.10 under gunicorn, "
            f"{gw_workers} sync workers (--preload, docs/admin-webapp.rst); strata serve {strata}"
            + ("" if "processes" in render else " (2 render processes)"))


# ============================================================================ main

def storm_row(runs: dict[str, list[dict]], series: int) -> Row:
    """The storm's table row: the median of the pairs' storm/solo stored-rate ratios."""
    row = Row("ingest_storm", f"ingest, {series // 1000}k series plaintext, during {STORM_CLIENTS} "
              f"dashboard clients", target=">= 90% of solo")
    failed = [r.get("error") for rs in runs.values() for r in rs if not r.get("stored_rate")]
    if failed:
        row.status, row.note = "error", "; ".join(str(e) for e in failed)
        return row
    solo, storm = ([r["stored_rate"] for r in runs[k]] for k in ("solo", "storm"))
    frac = float(np.median([b / a for a, b in zip(solo, storm)]))
    of_medians = float(np.median(storm) / np.median(solo))
    row.ratio = frac
    row.status = "met" if frac >= 0.9 else f"MISSED: {100 * frac:.0f}%"
    rates = lambda rs: ", ".join(_ingest.fmt_rate(r) for r in rs)
    last = runs["storm"][-1]
    times = [r["refresh_p50"] for r in runs["storm"] if r.get("refresh_p50")]
    pairs = ", ".join(f"{100 * b / a:.0f}%" for a, b in zip(solo, storm))
    row.note = (f"solo {rates(solo)} pts/s stored, storm {rates(storm)} (in pairs): median pair "
                f"{100 * frac:.0f}% of solo (pair by pair {pairs}; median storm over median solo "
                f"{100 * of_medians:.0f}%); dashboard refresh during the storm p50 "
                f"{ms(float(np.median(times)) if times else None)} ms ({sum(r.get('refreshes', 0) for r in runs['storm'])} "
                f"refreshes, {sum(r.get('refresh_errors', 0) for r in runs['storm'])} panel errors); "
                f"CPU in the last storm: server {last['cpu_pct']:.0f}%, "
                f"{_children_cpu(last.get('server_children_cpu_pct'))}, the 8 clients (nice {last.get('client_nice')}) "
                f"{last.get('clients_cpu_pct', 0):.0f}%; samples read back "
                f"{sum(r['sample_read'] for rs in runs.values() for r in rs)}/"
                f"{sum(r['sample_expected'] for rs in runs.values() for r in rs)}, wrong values "
                f"{sum(r['value_mismatches'] for rs in runs.values() for r in rs)}")
    return row


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.render_settings = {k: v for k, v in (("priority", args.render_priority),
                                                  ("processes", args.render_processes),
                                                  ("busy_share", args.render_busy_share)) if v is not None}
        self.systems = ["strata", "graphite"] if not args.only else [args.only]
        self.work = SCRATCH
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.record: dict = {"quick": self.quick, "systems": self.systems, "cases": {}}
        self.procs: list = []

    # -- set-up
    def prepare(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        conf = self.work / "conf"
        conf.mkdir(exist_ok=True)
        (conf / "storage-schemas.conf").write_text(SCHEMAS)
        (conf / "storage-aggregation.conf").write_text(AGGREGATION)
        render = "".join(f"{k} = {json.dumps(v)}\n" for k, v in self.render_settings.items())
        render = f"\n[render]\n{render}" if render else ""
        (conf / "strata.toml").write_text(
            f'[storage]\nschemas_file = "{conf}/storage-schemas.conf"\n'
            f'aggregation_file = "{conf}/storage-aggregation.conf"\n' + render)
        self.conf = conf
        self.now0 = int(time.time()) // ROLL_STEP * ROLL_STEP
        self.days = 2 if self.quick else HISTORY_DAYS

    def build_data(self) -> None:
        log(f"writing the data set: {HOSTS * len(METRICS)} series x {self.days} d "
            f"({len(timestamps(self.now0, self.days))} timestamps each), free {free_gb(self.work):.0f} GB")
        wq, wp = None, None
        if "graphite" in self.systems:
            ctx = mp.get_context("spawn")
            wq = ctx.Queue()
            wp = ctx.Process(target=_whisper_writer_main,
                             args=(str(self.work / "gw" / "whisper"), self.now0, self.days, wq), daemon=True)
            wp.start()
        if "strata" in self.systems:
            st = write_strata_set(self.work / "strata-data", self.conf, self.now0, self.days)
            self.notes.append(f"strata data set: {st['points']:,} points, Store.write {st['write_s']:.1f} s, "
                              f"with maintain (sealing, folding) {st['total_s']:.1f} s")
            log(self.notes[-1])
        if wp is not None:
            status, value = wq.get(timeout=1800)
            wp.join(timeout=60)
            if status != "ok":
                raise RuntimeError(f"whisper writer failed: {value}")
            self.notes.append(f"whisper data set: {HOSTS * len(METRICS)} files written in {value:.1f} s")
            log(self.notes[-1])

    def start_servers(self, strata_dir: Path | None, gw_storage: Path | None, tag: str) -> dict[str, int]:
        ports = {}
        self.servers = []
        if strata_dir is not None:
            t = time.monotonic()
            srv = StrataHttp(strata_dir, self.conf / "strata.toml", self.work / f"serve-{tag}.log")
            self.servers.append(srv)
            if not srv.wait_ready():
                raise RuntimeError(f"strata serve did not start: {srv.tail()}")
            ports["strata"] = srv.http_port
            ready = time.monotonic() - t
            quiet = wait_quiet(srv.proc.pid)
            self.notes.append(f"strata serve ({tag}) ready in {ready:.1f} s, its writer quiet "
                              f"(start-up maintenance done) {quiet:.1f} s later")
        if gw_storage is not None:
            t = time.monotonic()
            gw = GraphiteWeb(gw_storage, self.args.gw_workers, self.work / f"gunicorn-{tag}.log")
            self.servers.append(gw)
            if not gw.wait_ready():
                raise RuntimeError(f"graphite-web did not start (see {gw.log_path})")
            ports["graphite"] = gw.port
            self.notes.append(f"graphite-web ({tag}) ready in {time.monotonic() - t:.1f} s")
        return ports

    def stop_servers(self) -> None:
        for srv in self.servers:
            srv.stop()
        self.servers = []

    # -- phases
    def render_phase(self) -> None:
        ports = self.start_servers(self.work / "strata-data" if "strata" in self.systems else None,
                                   self.work / "gw" if "graphite" in self.systems else None, "render")
        try:
            if len(ports) == 2:
                same = verify_same_data(ports, self.now0, self.days)
                self.record["same_data"] = same
                self.notes.append(f"same data: {same['checked_points']} datapoints compared, "
                                  f"{same['mismatches']} differ ({'; '.join(same['details'])})")
                log(self.notes[-1])
            cases = [c for c in render_cases(self.quick, self.days)
                     if not self.args.cases or c.key in self.args.cases.split(",")]
            problems = warm_up(cases, ports, 300, self.days)
            self.notes += problems
            panels = panel_times(ports, self.days, 300)
            self.record["panels"] = panels
            slow = sorted(panels, key=lambda p: -(p.get("strata") or p.get("graphite") or 0))[:5]
            self.notes.append("slowest dashboard panels alone (strata / graphite-web ms): " + "; ".join(
                f"{p['target']} {p['from']}: {ms(p.get('strata'))} / {ms(p.get('graphite'))}" for p in slow))
            for case in cases:
                log(f"case {case.label} (load {loadavg()})")
                timings = time_case(case, ports, 300)
                self.rows.append(make_row(case, timings))
                self.record["cases"][case.key] = asdict(self.rows[-1])
                log(f"  -> {table([self.rows[-1]]).splitlines()[-1]}")
        finally:
            self.stop_servers()

    def tree_phase(self) -> None:
        full_hosts = 200 if self.quick else 2000           # x 500 names: 100k / 1M
        strata_dir = gw_storage = None
        sizes = {}
        if "strata" in self.systems:
            st = write_strata_tree(self.work / "strata-tree", self.conf, full_hosts, self.now0)
            strata_dir = self.work / "strata-tree"
            sizes["strata"] = st["names"]
            self.notes.append(f"strata find tree: {st['names']:,} names registered in {st['seconds']:.1f} s")
            log(self.notes[-1])
        if "graphite" in self.systems:
            gw_storage = self.work / "gw-tree"
            wdir = gw_storage / "whisper"
            step = 200                                      # hosts: 100k files
            t100k = write_whisper_tree(wdir, 0, step)
            hosts = step
            projected = t100k * full_hosts / step
            room = free_gb(self.work) - 4.5 * (full_hosts - step) / 1000 * 1.0
            if full_hosts > step and projected <= self.args.tree_budget and room > 10:
                hosts = full_hosts
                t_rest = write_whisper_tree(wdir, step, full_hosts)
                decision = (f"100k files took {t100k:.1f} s; projected {projected:.0f} s for "
                            f"{full_hosts * NAMES_PER_HOST:,} <= budget {self.args.tree_budget:.0f} s, "
                            f"so the tree was extended (+{t_rest:.1f} s)")
            else:
                decision = (f"100k files took {t100k:.1f} s; projected {projected:.0f} s for "
                            f"{full_hosts * NAMES_PER_HOST:,} files (budget {self.args.tree_budget:.0f} s,"
                            f" free disk {free_gb(self.work):.0f} GB): kept at 100k")
            sizes["graphite"] = hosts * NAMES_PER_HOST
            self.notes.append(f"graphite-web find tree: {decision}")
            log(self.notes[-1])
        ports = self.start_servers(strata_dir, gw_storage, "tree")
        try:
            cases = tree_cases(self.quick)
            self.notes += warm_up_find(cases, ports)
            label = " [" + ", ".join(f"{'graphite-web' if k == 'graphite' else k} {v / 1e3:.0f}k names"
                                     for k, v in sizes.items()) + "]"
            for case in cases:
                log(f"case {case.label} (load {loadavg()})")
                timings = time_case(case, ports, 300)
                self.rows.append(make_row(case, timings, label))
                self.record["cases"][case.key] = asdict(self.rows[-1])
                log(f"  -> {table([self.rows[-1]]).splitlines()[-1]}")
            self.record["tree_sizes"] = sizes
        finally:
            self.stop_servers()
            shutil.rmtree(self.work / "strata-tree", ignore_errors=True)
            if gw_storage is not None:
                t = time.monotonic()
                shutil.rmtree(gw_storage, ignore_errors=True)
                log(f"removed the whisper tree in {time.monotonic() - t:.0f} s")

    def ingest_phase(self) -> None:
        secs = self.args.ingest_seconds or (8.0 if self.quick else 20.0)
        rounds = self.args.ingest_rounds or (1 if self.quick else 3)
        series = 100_000
        runs: dict[str, list[dict]] = {"solo": [], "storm": []}
        for k in range(rounds):               # pairs, in turn solo first and storm first
            for storm in ((False, True) if k % 2 == 0 else (True, False)):
                log(f"ingest {'during the dashboard storm' if storm else 'solo'} ({k + 1}/{rounds}): "
                    f"{series:,} series, {secs:.0f} s (load {loadavg()})")
                r = ingest_run(self.work / "strata-data", self.conf / "strata.toml", self.work, series,
                               secs, storm, 2000, self.days, self.args.storm_client_nice)
                runs["storm" if storm else "solo"].append(r)
                log(f"  -> {json.dumps({k: v for k, v in r.items() if k not in ('sender_errors',)}, default=str)}")
        self.record["ingest"] = runs
        self.rows.append(storm_row(runs, series))

    def run(self) -> int:
        t_start = time.monotonic()
        load_start = loadavg()
        if "graphite" in self.systems and (why := ensure_gw_venv()):
            print(f"render_bench: {why}", file=sys.stderr)
            return 2
        self.prepare()
        env = environment(self.args.gw_workers, self.render_settings)
        try:
            self.build_data()
            if "render" in self.args.phases:
                self.render_phase()
            if "tree" in self.args.phases:
                self.tree_phase()
            if "ingest" in self.args.phases and "strata" in self.systems:
                self.ingest_phase()
        finally:
            for srv in getattr(self, "servers", []):
                srv.stop()
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        elapsed = time.monotonic() - t_start
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        print(f"Strata render benchmark ({'quick' if self.quick else 'full'} run), {stamp}, {env}; "
              f"load avg {load_start} -> {loadavg()}; {elapsed:.0f} s")
        print("ratio = graphite-web p50 / strata p50 (higher is better); every request a fresh "
              "connection, systems alternated request by request")
        print(table(self.rows))
        print("\nnotes:")
        for r in self.rows:
            if r.note:
                print(f"  {r.label}: {r.note}")
        for n in self.notes:
            print(f"  {n}")
        if self.args.json:
            self.record.update({"environment": env, "loadavg_start": load_start, "loadavg_end": loadavg(),
                                "elapsed_s": elapsed, "rows": [asdict(r) for r in self.rows],
                                "notes": self.notes})
            Path(self.args.json).write_text(json.dumps(self.record, indent=1, default=str))
        return 0


def warm_up_find(cases: list[Case], ports: dict[str, int]) -> list[str]:
    problems = []
    for case in cases:
        for name, port in ports.items():
            rep = safe_call(port, "GET", case.path, case.params, 300)
            if rep.status != 200:
                problems.append(f"warm-up {case.key} on {name}: HTTP {rep.status}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short run (< 3 min): fewer repetitions, 100k-name tree")
    p.add_argument("--json", help="write every timing to this file")
    p.add_argument("--only", choices=["strata", "graphite"], help="run one system only")
    p.add_argument("--gw-workers", type=int, default=4, help="gunicorn sync workers (graphite-web's docs: 4)")
    p.add_argument("--tree-budget", type=float, default=240.0,
                   help="seconds graphite-web's 1M-file tree may take to create (else it stays at 100k)")
    p.add_argument("--ingest-seconds", type=float, help="seconds per ingest run (20; 8 with --quick)")
    p.add_argument("--phases", default="render,tree,ingest",
                   help="comma-separated subset of render,tree,ingest (ingest is Strata only)")
    p.add_argument("--render-priority", choices=["idle", "low", "normal"],
                   help="strata's render.priority (default: the server's, idle)")
    p.add_argument("--render-processes", type=int, help="strata's render.processes (default: the server's, 2)")
    p.add_argument("--render-busy-share", type=float,
                   help="strata's render.busy_share (default: the server's, 0.25)")
    p.add_argument("--ingest-rounds", type=int, help="solo/storm pairs, alternated (3; 1 with --quick)")
    p.add_argument("--storm-client-nice", type=int, default=0,
                   help="nice value of the 8 dashboard clients of the ingest storm (default 0)")
    p.add_argument("--cases", help="comma-separated render case keys to run (default: all), e.g. one_24h,dashboard")
    p.add_argument("--keep", action="store_true", help=f"keep {SCRATCH} afterwards")
    args = p.parse_args(argv)
    if SCRATCH.exists() and any(SCRATCH.iterdir()):
        shutil.rmtree(SCRATCH, ignore_errors=True)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
