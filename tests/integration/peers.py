"""Helpers for tests/integration/test_peers.py: run real Carbon senders against `strata serve`.

The peers are outside programs (collectd, Etsy statsd, carbon-c-relay).  A developer without
one gets a skip naming the package to install; CI sets STRATA_REQUIRE_PEERS=1 (see .ci/run),
which turns every such skip into a failure so that CI cannot pass by silently skipping.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tsdb import Store, StoreConfig

REQUIRE_ENV = "STRATA_REQUIRE_PEERS"
PEERS_DIR = Path(os.environ.get("STRATA_PEERS_DIR", "/opt/strata-peers"))
STATSD_VERSION = "0.9.0"   # keep in step with .ci/run


def missing(what: str, hint: str):
    """Skip (developer machine) or fail (CI, STRATA_REQUIRE_PEERS=1): `what` is not installed."""
    reason = f"{what} is not installed ({hint})"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 forbids skipping peer tests", pytrace=False)
    pytest.skip(reason)


def need_binary(name: str, hint: str, extra_dirs=("/usr/sbin", "/sbin")) -> str:
    path = shutil.which(name) or next(
        (str(Path(d) / name) for d in extra_dirs if os.access(Path(d) / name, os.X_OK)), None)
    return path or missing(name, hint)


def need_collectd() -> str:
    hint = "apt-get install --no-install-recommends collectd-core"
    binary = need_binary("collectd", hint)
    for plugin in ("write_graphite", "unixsock"):
        if not Path(f"/usr/lib/collectd/{plugin}.so").exists():
            missing(f"collectd plugin {plugin}.so", hint)
    return binary


def need_statsd() -> tuple[str, Path]:
    """(node binary, statsd package directory) of Etsy statsd STATSD_VERSION."""
    node = need_binary("node", "apt-get install nodejs")
    pkg = Path(os.environ.get("STRATA_STATSD_DIR", PEERS_DIR / "node_modules" / "statsd"))
    hint = f"npm install --prefix {PEERS_DIR} statsd@{STATSD_VERSION}"
    if not (pkg / "stats.js").exists():
        missing(f"statsd in {pkg}", hint)
    version = json.loads((pkg / "package.json").read_text())["version"]
    if version != STATSD_VERSION:
        missing(f"statsd {STATSD_VERSION} in {pkg} (found {version})", hint)
    return node, pkg


# ------------------------------------------------------------------------------- processes


@contextmanager
def running(args: list[str], log_path: Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Run a peer in the foreground; whatever happens, it is stopped on exit (SIGTERM, then KILL)."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM and wait (peers flush or drain on SIGTERM); SIGKILL if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(timeout)


def wait_until(check, what: str, timeout: float, proc: subprocess.Popen | None = None,
               log_path: Path | None = None, interval: float = 0.05):
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"peer exited with {proc.returncode} while waiting for {what}:\n"
                        + (log_path.read_text(errors="replace") if log_path else ""), pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}"
                        + (":\n" + log_path.read_text(errors="replace") if log_path else ""),
                        pytrace=False)
        time.sleep(interval)


def tcp_accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def send_tcp(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)


def send_udp(port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, ("127.0.0.1", port))


def recent() -> int:
    """A 10 s bucket boundary ten minutes ago: inside the raw retention, never in the future."""
    t = int(time.time()) - 600
    return t - t % 10


# ------------------------------------------------------------------------------- the store


def stored(data_dir: Path, start: int, end: int, extra_names=(), aggregate: str | None = None,
           ) -> tuple[dict[str, dict[int, float]], int]:
    """Every plain series in the store (plus `extra_names`, e.g. tagged ones, if present) as
    {name: {bucket_start: value}} over (start - 1, end], NaN buckets left out; and the
    store's total series count, so a caller can prove no other series exists.

    Only call after the server stopped (a second opener of a data directory is refused)."""
    out: dict[str, dict[int, float]] = {}
    with Store.open(data_dir, StoreConfig()) as store:
        names = list(store.expand("**")) + [n for n in extra_names if n in store]
        for name in names:
            series = store.read(name, start - 1, end, aggregate=aggregate, now=time.time())
            if series is None:
                out[name] = {}
                continue
            out[series.name] = {series.start + i * series.step: float(v)
                                for i, v in enumerate(series.values) if not math.isnan(v)}
        total = len(store)
    return out, total
