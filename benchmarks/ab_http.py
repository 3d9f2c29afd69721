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
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from benchmarks.render_bench import BROWSER_PARALLEL, HISTORY_DAYS, StrataHttp, call, refresh_dashboard

HERE = Path(__file__).resolve().parent.parent


def copy_data(data: Path, into: Path) -> Path:
    """A copy of the bench data set whose config file points at the copy."""
    shutil.copytree(data / "strata-data", into / "strata-data")
    shutil.copytree(data / "conf", into / "conf")
    conf = into / "conf" / "strata.toml"
    conf.write_text(conf.read_text().replace(str(data) + "/", str(into) + "/"))
    return into


def serve(tree: Path, data: Path, log: Path):
    """`strata serve` of `tree` over `data` (HTTP only), once it listens."""
    server = StrataHttp(data / "strata-data", data / "conf" / "strata.toml", log, tree=tree)
    if not server.wait_ready(120):
        server.stop()
        raise SystemExit(f"strata serve of {tree} did not start: see {log}")
    return server


def get(port: int, url: str) -> float:
    """Seconds from connect to the last byte of one GET of `url` on a fresh connection."""
    path, _, query = url.partition("?")
    reply = call(port, "GET", path, parse_qs(query, keep_blank_values=True), 60, keep=True)
    if reply.status != 200:
        raise SystemExit(f"GET {url} on port {port}: HTTP {reply.status} {reply.body[:200]!r}")
    return reply.seconds


def alternated(request, ports: dict[str, int], rounds: int) -> dict[str, list[float]]:
    for port in ports.values():         # warm both: caches, the view's first refresh
        for _ in range(3):
            request(port)
    times = {name: [] for name in ports}
    names = list(ports)
    for k in range(rounds):
        for name in (names if k % 2 == 0 else names[::-1]):
            times[name].append(request(ports[name]))
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
    servers = []
    try:
        for name, tree in (("new", HERE), ("old", args.old.resolve())):
            servers.append(serve(tree, copy_data(args.data, work / name), work / f"{name}.log"))
        ports = {"new": servers[0].http_port, "old": servers[1].http_port}
        for url in args.urls:
            print(summary(url, alternated(lambda port: get(port, url), ports, args.rounds)), flush=True)
        if args.dashboard:
            print(summary("20-panel dashboard", dashboard_times(ports, args.rounds)), flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def dashboard_times(ports: dict[str, int], rounds: int) -> dict[str, list[float]]:
    with ThreadPoolExecutor(BROWSER_PARALLEL) as pool:
        def refresh(port: int) -> float:
            seconds, errors = refresh_dashboard(port, pool, 60, HISTORY_DAYS)
            if errors:
                raise SystemExit(f"{errors} dashboard panel(s) failed on port {port}")
            return seconds
        return alternated(refresh, ports, rounds)


if __name__ == "__main__":
    sys.exit(main())
