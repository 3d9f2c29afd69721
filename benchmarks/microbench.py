"""Per-piece costs behind the end-to-end figures, measured in this process (CPU time).

    python -m benchmarks.microbench pickle-worker [--series 100000]
    python -m benchmarks.microbench render [--data /tmp/renderbench] TARGET@FROM ...
    python -m benchmarks.microbench view-memory [--names 1000000]

* pickle-worker: ns per point of a pickle worker's answer (parse + name cache) over protocol-2
  frames of 500 points, as the ingest bench sends them, names already known to the worker.
* render: CPU ms (min, p50 over 40) of `handlers.render` for each target, on a data set kept by
  `python -m benchmarks.render_bench --only strata --phases render --keep`; no HTTP.
* view-memory: anonymous memory a render process's StoreView holds for N collectd-shaped
  names (what each of `render.processes` costs), measured in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def pickle_worker(series: int) -> str:
    from carbon_compat.pickle_worker import NameCache, answer
    names = [f"servers.host-{i // 50:05d}.app.requests.m{i % 50:02d}" for i in range(series)]
    values = np.random.default_rng(1).random(series).tolist()
    frames = [pickle.dumps([(n, (1.7e9, v)) for n, v in zip(names[a:a + 500], values[a:a + 500])],
                           protocol=2) for a in range(0, series, 500)]
    cache = NameCache(10 * series)
    for f in frames:                                    # the names become known
        answer(cache, 1, f, 1.7e9, 500_000)
    started = time.process_time()
    for _ in range(5):
        for f in frames:
            answer(cache, 1, f, 1.7e9, 500_000)
    per_point = (time.process_time() - started) / (5 * series)
    return f"pickle worker: {per_point * 1e9:.0f} ns/point ({1 / per_point / 1e6:.2f}M points/s per core)"


def render(data: Path, targets: list[str]) -> str:
    import zoneinfo
    from render_api import handlers
    from render_api.process import build_api
    from strata import config as cfgmod
    from tsdb.view import StoreView
    config = cfgmod.load(data / "conf" / "strata.toml", {"server": {"data_dir": str(data / "strata-data")}})
    store = StoreView.open(config.server.data_dir, config.store_config(), max_age=config.render.refresh_interval)
    api = build_api(store, config, None)
    utc, lines = zoneinfo.ZoneInfo("UTC"), []
    for spec in targets:
        target, _, frm = spec.partition("@")
        params = {"target": [target], "from": [frm or "-24h"], "format": ["json"]}
        handlers.render(params, api.reader, api.limits, time.time(), utc)       # warm
        times = []
        for _ in range(40):
            started = time.process_time()
            handlers.render(params, api.reader, api.limits, time.time(), utc)
            times.append(time.process_time() - started)
        times.sort()
        lines.append(f"{target} from {frm or '-24h'}: CPU min {times[0] * 1e3:.2f} ms, p50 {times[20] * 1e3:.2f} ms")
    store.close()
    return "\n".join(lines)


_VIEW_MEMORY = """
import sys
from pathlib import Path
from tsdb.view import StoreView
def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
before = anon()
view = StoreView.open(Path(sys.argv[1]))
print(anon() - before, len(view.index))
"""


def view_memory(names: int) -> str:
    from tsdb import Store, StoreConfig
    with tempfile.TemporaryDirectory() as tmp:
        all_names = [f"collectd.host{i // 500:04d}.p{i // 10 % 50:02d}.t{i % 10}" for i in range(names)]
        now = time.time()
        with Store.open(Path(tmp), StoreConfig()) as store:
            for a in range(0, names, 100_000):
                part = all_names[a:a + 100_000]
                store.write(part, np.full(len(part), now - 60.0), np.ones(len(part)))
        out = subprocess.run([sys.executable, "-c", _VIEW_MEMORY, tmp], capture_output=True, text=True,
                             check=True).stdout.split()
    held, count = int(out[0]), int(out[1])
    return f"StoreView of {count:,} names: {held / 2**20:.0f} MB anonymous memory, {held / count:.0f} B per name"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.microbench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="case", required=True)
    sub.add_parser("pickle-worker").add_argument("--series", type=int, default=100_000)
    r = sub.add_parser("render")
    r.add_argument("--data", type=Path, default=Path("/tmp/renderbench"))
    r.add_argument("targets", nargs="+", help="TARGET@FROM, e.g. 'sumSeries(bench.*.cpu.user)@-24h'")
    sub.add_parser("view-memory").add_argument("--names", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    if args.case == "pickle-worker":
        print(pickle_worker(args.series))
    elif args.case == "render":
        print(render(args.data, args.targets))
    else:
        print(view_memory(args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
