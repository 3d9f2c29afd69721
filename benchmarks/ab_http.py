"""Two checkouts of Strata served side by side, the same HTTP requests timed alternately.

    python -m benchmarks.ab_http --old /tmp/old [--data /tmp/renderbench] [--rounds 300] URL ...
    python -m benchmarks.ab_http --old /tmp/old --dashboard [--rounds 30]

What: `strata serve` from this tree and from `--old` (a `git worktree add` of an earlier
commit), each on its own copy of a data set kept by `python -m benchmarks.render_bench
--only strata --phases render --keep`; every URL (path and query string) or the render
bench's 20-panel dashboard is requested on a fresh connection, the two servers in turn
and in alternating order, and p50/p95 of each are printed with their ratio.
Why: on this shared machine the speed drifts by a third within minutes, so a change to
the HTTP path is only measurable against the old code in the same minutes.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent


def copy_data(data: Path, into: Path) -> Path:
    """A copy of the bench data set whose config file points at the copy."""
    shutil.copytree(data / "strata-data", into / "strata-data")
    shutil.copytree(data / "conf", into / "conf")
    conf = into / "conf" / "strata.toml"
    conf.write_text(conf.read_text().replace(str(data) + "/", str(into) + "/"))
    return into


def serve(tree: Path, data: Path, port: int, log: Path) -> subprocess.Popen:
    """`strata serve` of `tree` over `data` on `port` (no Carbon ports), once it answers."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.Popen([sys.executable, "-m", "strata.cli", "serve", "--config", str(data / "conf" / "strata.toml"),
                             "--data-dir", str(data / "strata-data"), "--http-port", str(port),
                             "--line-port", "0", "--udp-port", "0", "--pickle-port", "0"],
                            cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"strata serve of {tree} exited: see {log}")
        try:
            get(port, "/version")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"strata serve of {tree} did not answer in 120 s: see {log}")


def get(port: int, url: str) -> float:
    """Seconds from connect to the last byte of one GET on a fresh connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise SystemExit(f"GET {url} on port {port}: HTTP {resp.status} {body[:200]!r}")
    return time.perf_counter() - started


def alternated(call, ports: dict[str, int], rounds: int) -> dict[str, list[float]]:
    for port in ports.values():         # warm both: caches, the view's first refresh
        for _ in range(3):
            call(port)
    times = {name: [] for name in ports}
    names = list(ports)
    for k in range(rounds):
        for name in (names if k % 2 == 0 else names[::-1]):
            times[name].append(call(ports[name]))
    return times


def summary(label: str, times: dict[str, list[float]]) -> str:
    p50 = {name: float(np.percentile(t, 50)) * 1e3 for name, t in times.items()}
    p95 = {name: float(np.percentile(t, 95)) * 1e3 for name, t in times.items()}
    cells = "  ".join(f"{name} p50 {p50[name]:.2f} ms p95 {p95[name]:.2f} ms" for name in times)
    return f"{label}: {cells}  (old/new p50 {p50['old'] / p50['new']:.2f}x, n={len(times['new'])})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.ab_http", description=__doc__.split("\n\n")[2])
    ap.add_argument("--old", type=Path, required=True, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/renderbench"))
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--dashboard", action="store_true", help="time the render bench's 20-panel refresh")
    ap.add_argument("urls", nargs="*", help="path and query string, e.g. '/render?target=a.b&from=-24h'")
    args = ap.parse_args(argv)
    if not args.urls and not args.dashboard:
        ap.error("give URLs, --dashboard or both")
    work = Path(tempfile.mkdtemp(prefix="ab_http-"))
    procs = []
    try:
        ports = {"new": 18091, "old": 18092}
        for name, tree in (("new", HERE), ("old", args.old.resolve())):
            data = copy_data(args.data, work / name)
            procs.append(serve(tree, data, ports[name], work / f"{name}.log"))
        for url in args.urls:
            print(summary(url, alternated(lambda port: get(port, url), ports, args.rounds)), flush=True)
        if args.dashboard:
            print(summary("20-panel dashboard", dashboard_times(ports, args.rounds)), flush=True)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def dashboard_times(ports: dict[str, int], rounds: int) -> dict[str, list[float]]:
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.render_bench import BROWSER_PARALLEL, HISTORY_DAYS, refresh_dashboard
    with ThreadPoolExecutor(BROWSER_PARALLEL) as pool:
        def refresh(port: int) -> float:
            seconds, errors = refresh_dashboard(port, pool, 60, HISTORY_DAYS)
            if errors:
                raise SystemExit(f"{errors} dashboard panel(s) failed on port {port}")
            return seconds
        return alternated(refresh, ports, rounds)


if __name__ == "__main__":
    sys.exit(main())
