"""Per-piece costs behind the end-to-end figures, measured in this process (CPU time).

    python -m benchmarks.microbench pickle-worker [--series 100000] [--shuffled]
    python -m benchmarks.microbench plaintext-worker [--series 100000] [--shuffled]
    python -m benchmarks.microbench pickle-parse [--series 100000]
    python -m benchmarks.microbench plaintext-parse
    python -m benchmarks.microbench name-memory [--names 1000000]
    python -m benchmarks.microbench store-write [--series 100000] [--creation-chunks 1]
    python -m benchmarks.microbench render [--data /tmp/renderbench] TARGET@FROM[@PARAM=VALUE] ...
    python -m benchmarks.microbench view-refresh [--data /tmp/renderbench]
    python -m benchmarks.microbench view-memory [--names 1000000]

* pickle-worker, plaintext-worker: ns per point of a parse worker's answer (parse + name
  cache) over protocol-2 pickle frames of 500 points, as the ingest bench sends them, or
  plaintext chunks of 1500 lines, names already known to the worker; `--shuffled` sends each
  round in a random order (no run of known names: the worst case).
* plaintext-parse: ns per line of `parse_plaintext` over 1500-line chunks sharing one
  timestamp, and with the last line's timestamp different.
* name-memory: bytes per name of the server's receivers' name ids (name_ids.LineNames) and
  of a parse worker's name cache, measured with tracemalloc.
* pickle-parse: ns per point of `parse_pickle` over the same frames, with the canonical-layout
  decoder (carbon_compat.pickle_elements) and without it, in alternated rounds.
* store-write: ns per point of `Store.write` in the steady state (one timestamp for every
  series per call, store ids known as a pickle worker's name table knows them); names
  created in `--creation-chunks` writes give a block that many head segments.
* render: CPU ms (min, p50 over 40) of `handlers.render` for each target and of taking its
  whole body (the part spent writing the body is shown apart), on a data set kept by
  `python -m benchmarks.render_bench --only strata --phases render --keep`; no HTTP.
* view-refresh: ms (min, p50 over 40) of a render process's catch-up with the writer
  (`StoreView.refresh`) on that data set, nothing having changed.
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


def _series_names(series: int) -> list[str]:
    return [f"servers.host-{i // 50:05d}.app.requests.m{i % 50:02d}" for i in range(series)]


def _points(series: int, seed: int | None) -> list[tuple[str, float, float]]:
    """One point per series, in series order or (seed) in a random order of the seed's."""
    names = _series_names(series)
    values = np.random.default_rng(1).random(series).tolist()
    order = range(series) if seed is None else np.random.default_rng([2, seed]).permutation(series).tolist()
    return [(names[i], 1.7e9, values[i]) for i in order]


def _frames(series: int, seed: int | None = None) -> list[bytes]:
    """Protocol-2 pickle frames of 500 points, as the ingest bench sends them."""
    points = [(n, (t, v)) for n, t, v in _points(series, seed)]
    return [pickle.dumps(points[a:a + 500], protocol=2) for a in range(0, series, 500)]


def _chunks(series: int, seed: int | None = None) -> list[bytes]:
    """Plaintext chunks of 1500 lines, about what one 64 KiB socket read holds."""
    lines = [f"{n} {v!r} {t:.0f}\n" for n, t, v in _points(series, seed)]
    return ["".join(lines[a:a + 1500]).encode() for a in range(0, series, 1500)]


def worker(series: int, protocol: str = "pickle", shuffled: bool = False) -> str:
    """ns per point of a parse worker's answer to `protocol`'s payloads, names known."""
    from carbon_compat.name_ids import BytesNameCache
    from carbon_compat.parse_worker import PICKLE, PLAINTEXT, answer
    kind, payloads = (PICKLE, _frames) if protocol == "pickle" else (PLAINTEXT, _chunks)
    cache = BytesNameCache(10 * series)
    for p in payloads(series):                          # the names become known, in series order
        answer(cache, 1, kind, p, 1.7e9, 500_000)
    rounds = [payloads(series, seed) for seed in range(5)] if shuffled else [payloads(series)] * 5
    started = time.process_time()
    for round_payloads in rounds:
        for p in round_payloads:
            answer(cache, 1, kind, p, 1.7e9, 500_000)
    per_point = (time.process_time() - started) / (5 * series)
    return (f"{protocol} worker{', shuffled' if shuffled else ''}: {per_point * 1e9:.0f} ns/point "
            f"({1 / per_point / 1e6:.2f}M points/s per core)")


def pickle_parse(series: int, rounds: int = 6) -> str:
    from carbon_compat import parsers
    frames = _frames(series)
    decoder = parsers.canonical_frame
    costs: dict[str, list[float]] = {"with the decoder": [], "unpickled": []}
    try:
        for _ in range(rounds):
            for label in costs:
                parsers.canonical_frame = decoder if label == "with the decoder" else (lambda _p: None)
                started = time.process_time()
                for f in frames:
                    parsers.parse_pickle(f, 1.7e9)
                costs[label].append((time.process_time() - started) / series * 1e9)
    finally:
        parsers.canonical_frame = decoder
    return "parse_pickle: " + ", ".join(
        f"{label} {sorted(v)[len(v) // 2]:.0f} ns/point (rounds {' '.join(f'{x:.0f}' for x in v)})"
        for label, v in costs.items())


def plaintext_parse(lines: int = 1500, chunks: int = 400) -> str:
    """ns per line of parse_plaintext over chunks of `lines` lines as a sender writes them: one
    timestamp for the chunk, and (worst case for the shared-timestamp check) the last differs."""
    from carbon_compat.parsers import parse_plaintext
    names = _series_names(lines)
    out = []
    for label, last in (("one timestamp", 0), ("last timestamp differs", 10)):
        data = b"".join(b"%s %d.25 %d\n" % (n.encode(), i % 997, 1_700_000_000 + last * (i == lines - 1))
                        for i, n in enumerate(names))
        costs = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(chunks):
                parse_plaintext(data, 1.7e9)
            costs.append((time.process_time() - started) / (chunks * lines) * 1e9)
        out.append(f"{label} {min(costs):.0f} ns/line")
    return "parse_plaintext (min of 5): " + ", ".join(out)


def name_memory(names: int = 1_000_000) -> str:
    """Bytes per name held by the server's receivers' name ids (LineNames, whose str objects
    the store's index holds anyway) and by a pickle worker's cache (its own strs included)."""
    import tracemalloc
    from carbon_compat.name_ids import BytesNameCache, LineNames
    from carbon_compat.parsers import Batch
    listed = _series_names(names)
    tracemalloc.start()
    line_names = LineNames(names)
    line_names.batch(Batch(listed, np.zeros(names), np.zeros(names)))
    receivers = tracemalloc.get_traced_memory()[0] / names
    tracemalloc.stop()
    del line_names
    tracemalloc.start()
    worker_names = _series_names(names)
    cache = BytesNameCache(names)
    cache.resolve(worker_names)
    del worker_names
    worker = tracemalloc.get_traced_memory()[0] / names
    tracemalloc.stop()
    return (f"name ids of {names:,} names ({len(listed[0])}-byte names, tracemalloc): receivers "
            f"{receivers:.0f} B/name, pickle worker {worker:.0f} B/name ({cache.capacity:,} capacity)")


def store_write(series: int, creation_chunks: int = 1, batches: int = 12) -> str:
    from tsdb import Store, StoreConfig
    names = _series_names(series)
    now = 1_700_000_000
    chunk = -(-series // creation_chunks)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp), StoreConfig(), now=now) as store:
        ids = np.concatenate([store.write(names[a:a + chunk], np.full(len(names[a:a + chunk]), now - 3000.0),
                                          np.ones(len(names[a:a + chunk])), now=now).ids
                              for a in range(0, series, chunk)])
        heads = max(len(b.heads) for blocks in store._blocks.values() for b in blocks.values())
        rng, costs = np.random.default_rng(2), []
        for k in range(batches):
            started = time.process_time()
            store.write(names, np.full(series, now - 2990.0 + 10 * k), rng.random(series), now=now,
                        known_ids=ids)
            costs.append((time.process_time() - started) / series * 1e9)
    costs.sort()
    return (f"Store.write: {costs[len(costs) // 2]:.0f} ns/point (median of {batches} writes of {series:,} "
            f"points; up to {heads} head segments per block)")


def view_refresh(data: Path) -> str:
    from strata import config as cfgmod
    from tsdb.view import StoreView
    config = cfgmod.load(data / "conf" / "strata.toml", {"server": {"data_dir": str(data / "strata-data")}})
    view = StoreView.open(config.server.data_dir, config.store_config())
    times = []
    for _ in range(40):
        started = time.perf_counter()
        view.refresh()
        times.append(time.perf_counter() - started)
    view.close()
    times.sort()
    return f"StoreView.refresh: min {times[0] * 1e3:.2f} ms, p50 {times[20] * 1e3:.2f} ms"


def render(data: Path, targets: list[str]) -> str:
    import zoneinfo
    from render_api import handlers
    from render_api.process import build_api
    from strata import config as cfgmod
    from strata.heap import keep_freed_memory
    from tsdb.view import StoreView
    config = cfgmod.load(data / "conf" / "strata.toml", {"server": {"data_dir": str(data / "strata-data")}})
    keep_freed_memory(config.render.heap_keep_mb << 20)       # as a render process does
    store = StoreView.open(config.server.data_dir, config.store_config(), max_age=config.render.refresh_interval)
    api = build_api(store, config, None)
    utc, lines = zoneinfo.ZoneInfo("UTC"), []
    for spec in targets:
        target, _, rest = spec.partition("@")
        frm, *extra = rest.split("@") if rest else ["-24h"]
        params = {"target": [target], "from": [frm], "format": ["json"]}
        params.update({k: [v] for k, _, v in (e.partition("=") for e in extra)})
        handlers.render(params, api.reader, api.limits, time.time(), utc).content       # warm
        times, bodies = [], []
        for _ in range(40):
            started = time.process_time()
            response = handlers.render(params, api.reader, api.limits, time.time(), utc)
            evaluated = time.process_time()
            response.content            # the body is written as it is taken
            times.append(time.process_time() - started)
            bodies.append(time.process_time() - evaluated)
        times.sort()
        bodies.sort()
        lines.append(f"{spec}: CPU min {times[0] * 1e3:.2f} ms, p50 {times[20] * 1e3:.2f} ms "
                     f"(writing the body: p50 {bodies[20] * 1e3:.2f} ms)")
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
    sub.add_parser("plaintext-parse")
    sub.add_parser("name-memory").add_argument("--names", type=int, default=1_000_000)
    for name in ("pickle-worker", "plaintext-worker"):
        w = sub.add_parser(name)
        w.add_argument("--series", type=int, default=100_000)
        w.add_argument("--shuffled", action="store_true", help="every round in a random order of its own")
    sub.add_parser("pickle-parse").add_argument("--series", type=int, default=100_000)
    w = sub.add_parser("store-write")
    w.add_argument("--series", type=int, default=100_000)
    w.add_argument("--creation-chunks", type=int, default=1)
    r = sub.add_parser("render")
    r.add_argument("--data", type=Path, default=Path("/tmp/renderbench"))
    r.add_argument("targets", nargs="+",
                   help="TARGET@FROM[@PARAM=VALUE...], e.g. 'bench.*.*.*@-7d@maxDataPoints=1000'")
    sub.add_parser("view-refresh").add_argument("--data", type=Path, default=Path("/tmp/renderbench"))
    sub.add_parser("view-memory").add_argument("--names", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    if args.case == "plaintext-parse":
        print(plaintext_parse())
    elif args.case == "name-memory":
        print(name_memory(args.names))
    elif args.case in ("pickle-worker", "plaintext-worker"):
        print(worker(args.series, args.case.split("-")[0], args.shuffled))
    elif args.case == "pickle-parse":
        print(pickle_parse(args.series))
    elif args.case == "store-write":
        print(store_write(args.series, args.creation_chunks))
    elif args.case == "render":
        print(render(args.data, args.targets))
    elif args.case == "view-refresh":
        print(view_refresh(args.data))
    else:
        print(view_memory(args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
