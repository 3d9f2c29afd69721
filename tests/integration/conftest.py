"""Fixtures that run `strata serve` as a real subprocess on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


@dataclass
class Server:
    proc: subprocess.Popen
    data_dir: Path
    line_port: int
    udp_port: int
    pickle_port: int
    log_path: Path

    def stop(self, sig=signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text()


def start_server(tmp_path: Path, *extra: str, config: str | None = None) -> Server:
    data = tmp_path / "data"
    ports = dict(line=free_port(), udp=free_port(socket.SOCK_DGRAM), pickle=free_port())
    args = [sys.executable, "-m", "strata.cli", "serve", "--data-dir", str(data),
            "--line-port", str(ports["line"]), "--udp-port", str(ports["udp"]),
            "--pickle-port", str(ports["pickle"]), "--http-port", "0", *extra]
    if config is not None:
        cfg = tmp_path / "strata.toml"
        cfg.write_text(config)
        args += ["--config", str(cfg)]
    log_path = tmp_path / "server.log"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(args, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)
    server = Server(proc, data, ports["line"], ports["udp"], ports["pickle"], log_path)
    try:
        wait_for_port(ports["line"])
        wait_for_port(ports["pickle"])
    except TimeoutError:
        server.stop(signal.SIGKILL)
        raise AssertionError("strata serve did not start:\n" + server.log())
    return server


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path)
    yield srv
    if srv.proc.poll() is None:
        srv.stop(signal.SIGKILL)
