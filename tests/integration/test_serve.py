"""`strata serve` end to end: real sockets in, the store read back after the process stops."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tests.integration.conftest import start_server
from tsdb import Store, StoreConfig

pytestmark = pytest.mark.integration


def stored(server, name: str, start: int, end: int) -> np.ndarray:
    with Store.open(server.data_dir, StoreConfig()) as store:
        got = store.read(name, start - 1, end, now=time.time())
        assert got is not None, f"{name} not stored"
        return got.values


def send_tcp(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(data)


def pickle_frame(points, protocol=2) -> bytes:
    payload = pickle.dumps(points, protocol=protocol)
    return struct.pack("!I", len(payload)) + payload


def recent() -> int:
    t = int(time.time()) - 600
    return t - t % 10


def test_plaintext_tcp_points_are_stored_and_bad_lines_skipped(server):
    t = recent()
    send_tcp(server.line_port, f"a.b.c 1.5 {t}\nnot a line\nx.y 2 {t}\r\n"
                               f"a.b.c nan {t + 10}\na.b.c 3 {t + 10}\n".encode())
    assert server.stop() == 0
    assert stored(server, "a.b.c", t, t + 10).tolist() == [1.5, 3.0]
    assert stored(server, "x.y", t, t).tolist() == [2.0]
    assert "rejected bad_" in server.log() and "'not a line'" in server.log()


def test_udp_datagrams_are_stored(server):
    t = recent()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(f"u.one 4 {t}\nu.two 5 {t}\n".encode(), ("127.0.0.1", server.udp_port))
    time.sleep(0.5)
    assert server.stop() == 0
    assert stored(server, "u.two", t, t).tolist() == [5.0]


def test_pickle_frames_including_statsd_shapes(server):
    # statsd's pickle backend sends values as strings and a connection per flush.
    t = recent()
    send_tcp(server.pickle_port, pickle_frame([("p.a", (t, 1.25)), ("p.b", (t, "7"))]) +
             pickle_frame([("p.c", (t + 10, 2))], protocol=0))
    assert server.stop() == 0
    assert stored(server, "p.b", t, t).tolist() == [7.0]
    assert stored(server, "p.c", t + 10, t + 10).tolist() == [2.0]


def test_hostile_pickle_is_never_executed_and_closes_only_its_connection(server, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    t = recent()
    with socket.create_connection(("127.0.0.1", server.pickle_port)) as bad:
        bad.sendall(pickle_frame([("evil", (t, Evil()))]))
        bad.settimeout(5)
        try:
            assert bad.recv(1) == b""              # the server closed this connection ...
        except ConnectionResetError:
            pass                                   # ... or aborted it (RST): closed either way
    send_tcp(server.pickle_port, pickle_frame([("good.after", (t, 1.0))]))
    assert server.stop() == 0
    assert not marker.exists()
    assert stored(server, "good.after", t, t).tolist() == [1.0]
    assert "hostile_pickle" in server.log()


@pytest.mark.parametrize("pending_limit", [None, 3000], ids=["free", "backpressure"])
def test_sigterm_under_load_loses_no_point(tmp_path, request, pending_limit):
    """Also with a pending limit so small that sockets are paused when SIGTERM comes: paused
    connections still hold data in the kernel and must be drained, not closed."""
    config = None if pending_limit is None else f"[limits]\nmax_pending_points = {pending_limit}\n"
    server = start_server(tmp_path, config=config)
    request.addfinalizer(lambda: server.proc.poll() is None and server.stop(signal.SIGKILL))
    t = recent() - 3000
    series, rounds, conns = 2000, 25, 4

    def sender(c):
        lines = []
        for r in range(rounds):
            lines += [f"load.c{c}.s{i} {r} {t + 10 * r}\n" for i in range(series)]
        send_tcp(server.line_port, "".join(lines).encode())

    threads = [threading.Thread(target=sender, args=(c,)) for c in range(conns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert server.stop(signal.SIGTERM) == 0      # right after the last sendall returned
    with Store.open(server.data_dir, StoreConfig()) as store:
        missing = 0
        for c in range(conns):
            for i in range(series):
                got = store.read(f"load.c{c}.s{i}", t - 1, t + 10 * (rounds - 1), now=time.time())
                missing += rounds - int(np.count_nonzero(~np.isnan(got.values))) if got else rounds
    assert missing == 0, f"{missing} of {series * rounds * conns} points lost"
    if pending_limit is not None:
        assert "ingestion paused" in server.log()


def worker_pids(server) -> list[int]:
    """The server's pickle worker processes (its children)."""
    pid = server.proc.pid
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def pickle_rounds(prefix: str, t: int, series: int, rounds: int, per_frame: int = 500) -> bytes:
    frames = []
    for r in range(rounds):
        pts = [(f"{prefix}.s{i}", (float(t + 10 * r), float(r))) for i in range(series)]
        frames += [pickle_frame(pts[k:k + per_frame]) for k in range(0, series, per_frame)]
    return b"".join(frames)


def count_missing(server, prefixes, series: int, t: int, rounds: int) -> int:
    missing = 0
    with Store.open(server.data_dir, StoreConfig()) as store:
        for prefix in prefixes:
            for i in range(series):
                got = store.read(f"{prefix}.s{i}", t - 1, t + 10 * (rounds - 1), now=time.time())
                missing += rounds - int(np.count_nonzero(~np.isnan(got.values))) if got else rounds
    return missing


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "worker"])
@pytest.mark.parametrize("pending_limit", [None, 3000], ids=["free", "backpressure"])
def test_sigterm_under_pickle_load_loses_no_point(tmp_path, request, workers, pending_limit):
    config = f"[limits]\nparse_workers = {workers}\n"
    if pending_limit is not None:
        config += f"max_pending_points = {pending_limit}\n"
    server = start_server(tmp_path, config=config)
    request.addfinalizer(lambda: server.proc.poll() is None and server.stop(signal.SIGKILL))
    t = recent() - 3000
    series, rounds, conns = 2000, 25, 4
    if workers:
        wait_for(lambda: len(worker_pids(server)) == workers)
    threads = [threading.Thread(target=send_tcp, args=(server.pickle_port, pickle_rounds(f"pl.c{c}", t, series, rounds)))
               for c in range(conns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert server.stop(signal.SIGTERM) == 0      # right after the last sendall returned
    assert count_missing(server, [f"pl.c{c}" for c in range(conns)], series, t, rounds) == 0
    assert "died" not in server.log()
    if pending_limit is not None:
        assert "ingestion paused" in server.log()


def test_sigkill_of_the_server_with_a_pickle_worker_loses_at_most_the_window_and_no_worker_lingers(server):
    t = recent() - 3000
    series = 1000
    wait_for(lambda: len(worker_pids(server)) == 1)
    worker = worker_pids(server)[0]
    sent_at: list[float] = []
    stop = threading.Event()

    def sender():
        with socket.create_connection(("127.0.0.1", server.pickle_port)) as s:
            for r in range(300):
                if stop.is_set():
                    return
                s.sendall(pickle_rounds("pk", t + 10 * r, series, 1))
                sent_at.append(time.monotonic())
                time.sleep(1 / 20)

    th = threading.Thread(target=sender)
    th.start()
    time.sleep(3)
    killed_at = time.monotonic()
    server.stop(signal.SIGKILL)
    stop.set()
    th.join()
    wait_for(lambda: not os.path.exists(f"/proc/{worker}") or
             open(f"/proc/{worker}/stat").read().split()[2] == "Z", timeout=10)
    safe = [r for r, at in enumerate(sent_at) if at < killed_at - 1.0]   # sent >= 1 s before the kill
    assert len(safe) > 20
    with Store.open(server.data_dir, StoreConfig()) as store:
        for i in range(0, series, 37):
            got = store.read(f"pk.s{i}", t - 1, t + 10 * safe[-1], now=time.time())
            assert got is not None
            assert np.count_nonzero(~np.isnan(got.values)) == len(safe), i


def test_killed_pickle_worker_is_restarted_and_ingest_goes_on(server):
    t = recent() - 3000
    wait_for(lambda: len(worker_pids(server)) == 1)
    first = worker_pids(server)[0]
    send_tcp(server.pickle_port, pickle_rounds("before", t, 100, 2))
    time.sleep(0.5)     # answered first: the frame a worker is parsing when it dies is dropped by design
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: "restarting parse worker 0" in server.log())
    wait_for(lambda: worker_pids(server) not in ([], [first]))
    send_tcp(server.pickle_port, pickle_rounds("after", t, 100, 2))
    assert server.stop() == 0
    assert "parse worker pid %d died (signal 9)" % first in server.log()
    assert count_missing(server, ["before", "after"], 100, t, 2) == 0


def test_pickle_worker_killed_under_load_costs_at_most_its_frames_connection(server):
    t = recent() - 3000
    series, rounds, conns = 1000, 40, 3
    wait_for(lambda: len(worker_pids(server)) == 1)
    closed = [False] * conns

    def sender(c):
        try:
            with socket.create_connection(("127.0.0.1", server.pickle_port)) as s:
                for r in range(rounds):
                    s.sendall(pickle_rounds(f"wk.c{c}", t + 10 * r, series, 1))
                    time.sleep(0.02)
        except OSError:
            closed[c] = True

    threads = [threading.Thread(target=sender, args=(c,)) for c in range(conns)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    os.kill(worker_pids(server)[0], signal.SIGKILL)
    for th in threads:
        th.join()
    assert server.stop() == 0
    log_text = server.log()
    assert "died (signal 9)" in log_text
    assert sum(closed) <= 1
    kept = [f"wk.c{c}" for c in range(conns) if not closed[c] and f"wk.c{c}" not in log_text]
    assert count_missing(server, kept, series, t, rounds) == 0


def test_sigkill_loses_at_most_the_flush_window(server):
    t = recent() - 3000
    series, rate_rounds = 1000, 20            # 1000 points per round, 20 rounds/s = 20k points/s
    sent_at: list[float] = []
    stop = threading.Event()

    def sender():
        with socket.create_connection(("127.0.0.1", server.line_port)) as s:
            for r in range(300):
                if stop.is_set():
                    return
                s.sendall("".join(f"kill.s{i} {r} {t + 10 * r}\n" for i in range(series)).encode())
                sent_at.append(time.monotonic())
                time.sleep(1 / rate_rounds)

    th = threading.Thread(target=sender)
    th.start()
    time.sleep(3)
    killed_at = time.monotonic()
    server.stop(signal.SIGKILL)
    stop.set()
    th.join()
    safe = [r for r, at in enumerate(sent_at) if at < killed_at - 1.0]   # sent >= 1 s before the kill
    assert len(safe) > 20
    with Store.open(server.data_dir, StoreConfig()) as store:
        for i in range(0, series, 37):
            got = store.read(f"kill.s{i}", t - 1, t + 10 * safe[-1], now=time.time())
            assert got is not None
            assert np.count_nonzero(~np.isnan(got.values)) == len(safe), i


def test_self_metrics_use_carbon_names(tmp_path):
    srv = start_server(tmp_path, config="[metrics]\ninterval = 0.3\nprefix = \"carbon.agents.test-a\"\n")
    try:
        send_tcp(srv.line_port, f"m.x 1 {recent()}\n".encode())
        time.sleep(1.2)
    finally:
        assert srv.stop() == 0
    with Store.open(srv.data_dir, StoreConfig()) as store:
        names = set(store.expand("carbon.agents.test-a.*")) | set(store.expand("carbon.agents.test-a.*.*"))
        got = store.read("carbon.agents.test-a.metricsReceived", time.time() - 60, time.time(),
                         aggregate="sum", now=time.time())
    assert {"carbon.agents.test-a.metricsReceived", "carbon.agents.test-a.committedPoints",
            "carbon.agents.test-a.cache.size", "carbon.agents.test-a.activeConnections"} <= names
    assert np.nansum(got.values) == 1.0


def test_second_server_on_the_same_data_dir_refuses_to_start(server, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "strata.cli", "serve", "--data-dir", str(server.data_dir),
                           "--line-port", "0", "--udp-port", "0", "--pickle-port", "0", "--http-port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "locked by another writer" in proc.stderr


def test_unknown_config_key_is_a_clear_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[limits]\nmax_line_lenght = 5\n")
    proc = subprocess.run([sys.executable, "-m", "strata.cli", "serve", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "[limits] unknown key 'max_line_lenght'" in proc.stderr


def test_low_disk_holds_writes_and_shutdown_spends_the_reserve(tmp_path, request):
    # A reserve larger than any disk: the writer holds every batch (a store into a sparse
    # memory map on a full filesystem would be a SIGBUS); SIGTERM still writes them all.
    server = start_server(tmp_path, config="[storage]\nmin_free_disk_mb = 1000000000\n")
    request.addfinalizer(lambda: server.proc.poll() is None and server.stop(signal.SIGKILL))
    t = recent()
    send_tcp(server.line_port, f"held.a 1 {t}\nheld.b 2 {t}\n".encode())
    deadline = time.monotonic() + 10
    while "disk space low" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "holding writes (2 points pending)" in server.log()
    assert server.stop() == 0
    assert stored(server, "held.a", t, t).tolist() == [1.0]
    assert stored(server, "held.b", t, t).tolist() == [2.0]
    assert "writing pending points into the reserve" in server.log()
