"""Tag index benchmark: seriesByTag and autocomplete at 1M tagged series, tagged vs plain
ingest end to end, and graphite-web 1.1.10's default TagDB side by side.

    python -m benchmarks.tags_bench [--series 1000000] [--repeat 50] [--ingest-series 100000]
                                    [--ingest-rounds 10] [--gw-series 10000] [--skip-ingest]
                                    [--skip-graphite-web] [--json out.json]

* Index: `--series` tagged names are added straight to a SeriesIndex (tsdb/index.py, the
  structure the store rebuilds at start-up), not sent over the wire.  Names: 20 metrics
  (name=cpu.user ...) x series/20 hosts web-0..; each host sits in one of 5 dcs.  Reported:
  build time and memory growth (VmRSS) per series.
* Queries (tsdb/tagquery.py, the code /render and /tags run): seriesByTag('name=cpu.user',
  'dc=eu','host=~web-1.*'), and /tags/autoComplete/values for host, with the editor's chosen
  expressions (name=cpu.user, dc=eu) and a valuePrefix, and without.  `cold` is the first
  run after the index was built (regex evaluated over the values); p50/p95 are over
  `--repeat` runs after it (regex results cached per pattern, as a refreshing dashboard sees).
* Ingest: `strata serve` is spawned (benchmarks/ingest_bench.StrataServer); one sender
  process sends `--ingest-rounds` rounds of `--ingest-series` names over plaintext as fast as
  the server reads, then SIGTERM; stored points / (exit - first byte), the drain included,
  once with plain names and once with tagged names of similar length.
* graphite-web: its LocalDatabaseTagDB on sqlite (the default TAGDB), in-process under
  /tmp/gw-venv, fed `--gw-series` names of the same shape through tag_multi_series; the same
  queries are timed through `_find_series` / `auto_complete_values` (no result cache), and
  Strata's index is timed at the same size for the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
METRICS = ["cpu.user", "cpu.system", "cpu.iowait", "cpu.idle", "mem.free", "mem.used",
           "disk.read", "disk.write", "net.in", "net.out", "load.1", "load.5", "load.15",
           "proc.count", "proc.threads", "fs.used", "fs.free", "swap.in", "swap.out", "ctx.switches"]
DCS = ["eu", "us", "ap", "sa", "af"]
QUERY = ["name=cpu.user", "dc=eu", "host=~web-1.*"]
EDITOR_EXPRS = ["name=cpu.user", "dc=eu"]


def tagged_name(i: int, hosts: int) -> str:
    host = i % hosts
    return f"{METRICS[i // hosts]};dc={DCS[host % 5]};host=web-{host}"


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def build_index(n: int):
    from tsdb.index import SeriesIndex
    hosts = n // len(METRICS)
    index = SeriesIndex()
    names = [tagged_name(i, hosts) for i in range(hosts * len(METRICS))]
    before = rss()
    t = time.perf_counter()
    for i, name in enumerate(names):
        index.add(name, i % 16, 0)
    elapsed = time.perf_counter() - t
    return index, {"series": len(names), "build_s": elapsed,
                   "rss_bytes_per_series": (rss() - before) / len(names)}


def timings(fn, repeat: int) -> dict:
    import numpy as np     # not at the top: graphite-web's venv imports this module without it
    t = time.perf_counter()
    first = fn()
    cold = time.perf_counter() - t
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return {"cold_ms": cold * 1e3, "p50_ms": float(np.percentile(runs, 50)) * 1e3,
            "p95_ms": float(np.percentile(runs, 95)) * 1e3, "results": len(first)}


def query_bench(index, repeat: int) -> dict:
    from tsdb import tagquery
    tags = index.tags
    return {
        "seriesByTag": timings(lambda: tagquery.find_series(tags, QUERY), repeat),
        "autoComplete/values with exprs": timings(
            lambda: tagquery.autocomplete_values(tags, EDITOR_EXPRS, "host", "web-12", 10000), repeat),
        "autoComplete/values no exprs": timings(
            lambda: tagquery.autocomplete_values(tags, [], "host", "web-12", 100), repeat),
        "autoComplete/tags with exprs": timings(
            lambda: tagquery.autocomplete_tags(tags, EDITOR_EXPRS, "", 10000), repeat),
    }


# --------------------------------------------------------------------------- ingest

def _sender(port: int, payloads: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        for data in payloads:
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)          # the server closes once it has read everything


def ingest(kind: str, nseries: int, rounds: int) -> dict:
    import multiprocessing as mp

    from benchmarks.ingest_bench import StrataServer
    hosts = max(1, nseries // len(METRICS))
    if kind == "tagged":
        names = [tagged_name(i, hosts) for i in range(hosts * len(METRICS))]
    else:    # the same information as a dotted path, about as long
        names = [n.replace(";dc=", ".").replace(";host=", ".") for n in
                 (tagged_name(i, hosts) for i in range(hosts * len(METRICS)))]
    base = int(time.time()) - 10 * rounds - 60
    payloads = []
    for r in range(rounds):
        ts = base + 10 * r
        payloads.append("".join(f"{n} {i % 97}.5 {ts}\n" for i, n in enumerate(names)).encode())
    srv = StrataServer(f"tags-{kind}")
    try:
        if not srv.wait_ready():
            return {"error": srv.log_text()[-300:]}
        proc = mp.get_context("spawn").Process(target=_sender, args=(srv.line_port, payloads))
        t0 = time.monotonic()
        proc.start()
        proc.join(600)
        t_exit = srv.stop()
        summary = srv.summary()
        stored = summary.get("committed", 0)
        return {"names": len(names), "points_sent": len(names) * rounds, "stored": stored,
                "created": summary.get("created"), "seconds": t_exit - t0,
                "stored_per_s": stored / (t_exit - t0)}
    finally:
        srv.cleanup()


# ----------------------------------------------------------------------- graphite-web

GW_SCRIPT = textwrap.dedent("""
    import atexit, json, shutil, sys, tempfile, time
    sys.path.insert(0, {repo!r})
    from tests.golden.record import setup_graphite
    root = tempfile.mkdtemp(prefix="strata-tags-bench-gw-")
    atexit.register(shutil.rmtree, root, True)
    setup_graphite(root)
    from graphite.storage import STORE
    from benchmarks.tags_bench import tagged_name, METRICS, QUERY, EDITOR_EXPRS
    db = STORE.tagdb
    n = {n}
    hosts = n // len(METRICS)
    names = [tagged_name(i, hosts) for i in range(hosts * len(METRICS))]
    t = time.perf_counter()
    for k in range(0, len(names), 500):
        db.tag_multi_series(names[k:k + 500])
    build = time.perf_counter() - t
    def timed(fn, repeat):
        out = []
        for _ in range(repeat):
            t = time.perf_counter(); r = fn(); out.append(time.perf_counter() - t)
        out.sort()
        return {{"p50_ms": out[len(out) // 2] * 1e3, "p95_ms": out[int(len(out) * .95)] * 1e3,
                "results": len(r)}}
    print(json.dumps({{"series": len(names), "build_s": build,
        "seriesByTag": timed(lambda: db._find_series(QUERY), {repeat}),
        "autoComplete/values with exprs": timed(
            lambda: db.auto_complete_values(EDITOR_EXPRS, "host", "web-12", 10000), {repeat}),
        "autoComplete/values no exprs": timed(
            lambda: db.auto_complete_values([], "host", "web-12", 100), {repeat})}}))
""")


def graphite_web(n: int, repeat: int) -> dict:
    python = Path("/tmp/gw-venv/bin/python")
    if not python.exists():
        return {"error": "no /tmp/gw-venv (see tests/golden/record.py)"}
    out = subprocess.run([str(python), "-c", GW_SCRIPT.format(repo=str(REPO), n=n, repeat=repeat)],
                         cwd=str(REPO), capture_output=True, text=True, timeout=900)
    if out.returncode:
        return {"error": out.stderr[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--ingest-series", type=int, default=100_000)
    ap.add_argument("--ingest-rounds", type=int, default=10)
    ap.add_argument("--gw-series", type=int, default=10_000)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-graphite-web", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    report: dict = {}
    index, report["index"] = build_index(args.series)
    report["queries"] = query_bench(index, args.repeat)
    del index
    print(json.dumps(report, indent=1), flush=True)
    if not args.skip_graphite_web:
        small, _ = build_index(args.gw_series)
        report["strata_at_gw_size"] = query_bench(small, args.repeat)
        report["graphite_web"] = graphite_web(args.gw_series, max(5, args.repeat // 5))
        print(json.dumps({k: report[k] for k in ("strata_at_gw_size", "graphite_web")}, indent=1),
              flush=True)
    if not args.skip_ingest:
        report["ingest"] = {kind: ingest(kind, args.ingest_series, args.ingest_rounds)
                            for kind in ("plain", "tagged")}
        plain, tagged = (report["ingest"][k].get("stored_per_s") for k in ("plain", "tagged"))
        if plain and tagged:
            report["ingest"]["tagged_vs_plain"] = tagged / plain
        print(json.dumps(report["ingest"], indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
