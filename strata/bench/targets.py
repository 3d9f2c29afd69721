"""Servers under test: `strata serve` or carbon-cache 1.1.10 (+ graphite-web) spawned in a
temporary directory, or any endpoint given by address.

What: a `Target` names where Carbon traffic goes (host, plaintext/pickle/UDP ports), where
the Graphite render API answers, and, when the bench owns the server, its pid (CPU and
memory from /proc) and data directory (bytes on disk).  `spawn_strata` / `spawn_carbon`
start the server on free loopback ports and stop it afterwards; carbon-cache and
graphite-web come from PyPI into their own venv (created once, reused).  Why here: the
phases measure any Graphite-compatible stack the same way, through its public ports.

The bench sends only to the addresses given: `check_address` refuses anything but
loopback unless the operator passes --allow-remote.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import strata

log = logging.getLogger("strata.bench")

CARBON_VENV = Path("/tmp/strata-bench/carbon-venv")
CARBON_PACKAGES = ["carbon==1.1.10", "whisper==1.1.10"]
GRAPHITE_WEB_PACKAGES = ["graphite-web==1.1.10"]
PACKAGE_ROOT = Path(strata.__file__).resolve().parent.parent


class TargetError(Exception):
    """A target cannot be used: refused address, server that does not start, missing tool."""


# ---------------------------------------------------------------------------------- network

def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> bool:
    """Signal `proc` and wait up to `timeout`; kill it if it will not go.  True if it went
    by itself (or had already gone)."""
    if proc.poll() is not None:
        return True
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
        return False


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is loopback (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def check_address(host: str, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback(host):
        raise TargetError(f"refusing to send to {host}: not a loopback address "
                          f"(pass --allow-remote to load a server on another host)")


def parse_hostport(text: str, default_port: int) -> tuple[str, int]:
    """'host:port', 'host' or '[v6]:port' -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or str(default_port)
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, str(default_port)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TargetError(f"not a host:port: {text!r}")
    return host, int(port)


# ---------------------------------------------------------------------------------- target

@dataclass
class Target:
    """Where the bench sends and reads; `stop()` ends a spawned server (no-op for an address)."""
    name: str
    host: str
    line_port: int
    pickle_port: int
    udp_port: int
    render_url: str | None
    pid: int | None = None
    data_dir: Path | None = None
    web_pid: int | None = None
    kind: str = "address"            # strata | carbon | address
    server: object = None
    extra: dict = field(default_factory=dict)

    def port_for(self, protocol: str) -> int:
        return {"plaintext": self.line_port, "pickle": self.pickle_port, "udp": self.udp_port}[protocol]

    def stop(self) -> dict:
        return self.server.stop() if self.server is not None else {}

    def cleanup(self) -> None:
        if self.server is not None:
            self.server.cleanup()


def address_target(name: str, carbon: str, render_url: str | None, allow_remote: bool,
                   pickle_port: int | None = None, udp_port: int | None = None,
                   pid: int | None = None, data_dir: Path | None = None) -> Target:
    host, line = parse_hostport(carbon, 2003)
    check_address(host, allow_remote)
    if render_url:
        u = urllib.parse.urlsplit(render_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise TargetError(f"render URL must be http(s)://host[:port], got {render_url!r}")
        check_address(u.hostname, allow_remote)
    return Target(name, host, line, pickle_port or 2004, udp_port or line, render_url.rstrip("/") if render_url else None,
                  pid=pid, data_dir=data_dir)


# ---------------------------------------------------------------------------------- strata

class StrataServer:
    """`strata serve` in a temporary directory on free loopback ports."""

    def __init__(self, tag: str, config_text: str | None = None, tmp: str = "/tmp",
                 prefix: str = "strata-bench-", http: bool = True, udp: bool = True,
                 cwd: Path | None = None, pythonpath: Path = PACKAGE_ROOT,
                 files: dict[str, str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix=f"{prefix}{tag}-", dir=tmp))
        for fname, text in (files or {}).items():      # config_text may name them as {dir}/fname
            (self.dir / fname).write_text(text)
        self.data = self.dir / "data"
        self.line_port, self.pickle_port = free_port(), free_port()
        self.udp_port = free_port(socket.SOCK_DGRAM) if udp else 0
        self.http_port = free_port() if http else 0
        self.log_path = self.dir / "serve.log"
        cmd = [sys.executable, "-m", "strata.cli", "serve", "--data-dir", str(self.data),
               "--bind", "127.0.0.1", "--line-port", str(self.line_port), "--udp-port", str(self.udp_port),
               "--pickle-port", str(self.pickle_port), "--http-port", str(self.http_port)]
        if config_text:
            (self.dir / "strata.toml").write_text(config_text.replace("{dir}", str(self.dir)))
            cmd += ["--config", str(self.dir / "strata.toml")]
        env = dict(os.environ, PYTHONPATH=str(pythonpath))
        with open(self.log_path, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=str(cwd or self.dir), env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.t_exit = None

    def wait_ready(self, timeout: float = 60) -> bool:
        want = ["listening for carbon pickle tcp", "listening for carbon plaintext tcp"]
        if self.http_port:
            want.append("listening for graphite http")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            text = self.log_path.read_text(errors="replace")
            if all(w in text for w in want):
                return True
            time.sleep(0.1)
        return False

    def stop(self, sig=signal.SIGTERM, timeout: float = 180) -> float:
        """Signal, wait for exit; returns the monotonic exit time."""
        stop_process(self.proc, sig, timeout)
        self.t_exit = time.monotonic()
        return self.t_exit

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class _SpawnedStrata:
    def __init__(self, srv: StrataServer):
        self.srv = srv

    def stop(self) -> dict:
        t = time.monotonic()
        self.srv.stop()
        return {"stop_s": time.monotonic() - t, "exit_code": self.srv.proc.returncode}

    def cleanup(self) -> None:
        self.srv.cleanup()


def spawn_strata(name: str, schemas: str, tmp: str) -> Target:
    srv = StrataServer(name, config_text='[storage]\nschemas_file = "{dir}/storage-schemas.conf"\n',
                       tmp=tmp, files={"storage-schemas.conf": schemas})
    if not srv.wait_ready():
        text = srv.log_text()[-600:]
        srv.cleanup()
        raise TargetError(f"strata serve did not start:\n{text}")
    return Target(name, "127.0.0.1", srv.line_port, srv.pickle_port, srv.udp_port,
                  f"http://127.0.0.1:{srv.http_port}", pid=srv.proc.pid, data_dir=srv.data,
                  kind="strata", server=_SpawnedStrata(srv), extra={"schemas": schemas})


# ---------------------------------------------------------------------------------- carbon

def ensure_carbon_venv(web: bool = False, venv: Path = CARBON_VENV, say=None) -> tuple[Path | None, str]:
    """(python of a venv with carbon 1.1.10 + whisper [+ graphite-web 1.1.10], why not)."""
    py = venv / "bin" / "python"
    script = venv / "bin" / "carbon-cache.py"
    need = []
    if not (py.exists() and script.exists()):
        need += CARBON_PACKAGES
    if web and not (venv / "bin" / "django-admin").exists():
        need += GRAPHITE_WEB_PACKAGES
    if not need:
        return py, ""
    (say or log.info)(f"installing {' '.join(need)} into {venv} (one time)")
    try:
        venv.parent.mkdir(parents=True, exist_ok=True)
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *need],
                       check=True, timeout=600, stdout=subprocess.DEVNULL)
    except Exception as exc:
        return None, f"carbon venv setup failed: {exc}"
    return py, ""


CARBON_CONF = """[cache]
STORAGE_DIR = {root}/storage
LOCAL_DATA_DIR = {root}/storage/whisper
LOG_DIR = {root}/storage/log
PID_DIR = {root}/storage
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line}
ENABLE_UDP_LISTENER = {udp_on}
UDP_RECEIVER_INTERFACE = 127.0.0.1
UDP_RECEIVER_PORT = {udp}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query}
LOG_LISTENER_CONNECTIONS = False
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
LOG_CACHE_QUEUE_SORTS = False
CACHE_WRITE_STRATEGY = sorted
WHISPER_SPARSE_CREATE = True
WHISPER_AUTOFLUSH = False
WHISPER_FALLOCATE_CREATE = False
ENABLE_TAGS = False
USE_FLOW_CONTROL = True
CARBON_METRIC_INTERVAL = 10
"""

GRAPHITE_SETTINGS = """SECRET_KEY = 'strata-bench-local-only'
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
TIME_ZONE = 'UTC'
STORAGE_DIR = '{root}/storage'
WHISPER_DIR = '{root}/storage/whisper'
STANDARD_DIRS = [WHISPER_DIR]
LOG_DIR = '{root}/storage/log/webapp'
INDEX_FILE = '{root}/storage/index'
CARBONLINK_HOSTS = ['127.0.0.1:{query}']
"""


class CarbonServer:
    """carbon-cache 1.1.10 (whisper) in a temporary directory; optionally graphite-web 1.1.10
    (Django's runserver, threaded) reading the same whisper files and the cache through
    CARBONLINK, as a production carbon + graphite-web pair does."""

    def __init__(self, py: Path, retention: str = "10s:1h,1m:1d", tmp: str = "/tmp",
                 prefix: str = "strata-bench-carbon-", web: bool = False, udp: bool = False):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp))
        self.line_port, self.pickle_port, self.query_port = free_port(), free_port(), free_port()
        self.udp_port = free_port(socket.SOCK_DGRAM) if udp else 0
        conf = self.dir / "conf"
        conf.mkdir()
        (conf / "carbon.conf").write_text(CARBON_CONF.format(
            root=self.dir, line=self.line_port, pickle=self.pickle_port, query=self.query_port,
            udp_on=bool(udp), udp=self.udp_port or 2003))
        (conf / "storage-schemas.conf").write_text(
            f"[carbon]\npattern = ^carbon\\.\nretentions = 10s:1h\n\n"
            f"[default]\npattern = .*\nretentions = {retention}\n")
        (conf / "storage-aggregation.conf").write_text(
            "[default]\npattern = .*\nxFilesFactor = 0.5\naggregationMethod = average\n")
        self.whisper_dir = self.dir / "storage" / "whisper"
        self.whisper_dir.mkdir(parents=True)
        env = dict(os.environ, GRAPHITE_ROOT=str(self.dir))
        env.pop("PYTHONPATH", None)
        self.log_path = self.dir / "carbon.log"
        with open(self.log_path, "w") as out:
            self.proc = subprocess.Popen([str(py), str(py.parent / "carbon-cache.py"), "--config",
                                          str(conf / "carbon.conf"), "--nodaemon", "start"],
                                         cwd=str(self.dir), env=env, stdout=out, stderr=subprocess.STDOUT)
        self.web = None
        self.http_port = 0
        if web:
            self._start_web(py, env)

    def _start_web(self, py: Path, env: dict) -> None:
        webconf = self.dir / "webconf"
        webconf.mkdir()
        (self.dir / "storage" / "log" / "webapp").mkdir(parents=True, exist_ok=True)
        (webconf / "bench_graphite_settings.py").write_text(
            GRAPHITE_SETTINGS.format(root=self.dir, query=self.query_port))
        wenv = dict(env, PYTHONPATH=str(webconf), DJANGO_SETTINGS_MODULE="graphite.settings",
                    GRAPHITE_SETTINGS_MODULE="bench_graphite_settings")
        admin = str(py.parent / "django-admin")
        self.web_log = self.dir / "graphite-web.log"
        with open(self.web_log, "w") as out:
            subprocess.run([str(py), admin, "migrate", "--run-syncdb", "-v", "0"], env=wenv, cwd=str(self.dir),
                           stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False)
            self.http_port = free_port()
            self.web = subprocess.Popen([str(py), admin, "runserver", "--noreload",
                                         f"127.0.0.1:{self.http_port}"], env=wenv, cwd=str(self.dir),
                                        stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self) -> bool:
        ok = wait_port(self.line_port, 60) and wait_port(self.pickle_port, 10)
        if ok and self.web is not None:
            ok = wait_port(self.http_port, 60)
        return ok

    def path(self, name: str) -> str:
        return os.path.join(self.whisper_dir, *name.split(".")) + ".wsp"

    def stop(self, timeout: float) -> tuple[float, bool]:
        t = time.monotonic()
        if self.web is not None:
            stop_process(self.web, timeout=30)
        clean = stop_process(self.proc, timeout=timeout)
        return time.monotonic() - t, clean

    def cleanup(self) -> None:
        for p in (self.web, self.proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class _SpawnedCarbon:
    def __init__(self, srv: CarbonServer):
        self.srv = srv

    def stop(self) -> dict:
        s, clean = self.srv.stop(120)
        return {"stop_s": s, "clean": clean}

    def cleanup(self) -> None:
        self.srv.cleanup()


def spawn_carbon(name: str, retention: str, tmp: str, udp: bool = True, say=None) -> Target:
    py, why = ensure_carbon_venv(web=True, say=say)
    if py is None:
        raise TargetError(why)
    srv = CarbonServer(py, retention=retention, tmp=tmp, web=True, udp=udp)
    if not srv.wait_ready():
        text = srv.log_path.read_text(errors="replace")[-400:]
        web = srv.web_log.read_text(errors="replace")[-400:] if srv.web is not None else ""
        srv.cleanup()
        raise TargetError(f"carbon-cache or graphite-web did not start:\n{text}\n{web}")
    return Target(name, "127.0.0.1", srv.line_port, srv.pickle_port, srv.udp_port,
                  f"http://127.0.0.1:{srv.http_port}", pid=srv.proc.pid, data_dir=srv.whisper_dir,
                  web_pid=srv.web.pid, kind="carbon", server=_SpawnedCarbon(srv))


def whisper_count(paths: list[str], t_from: int, t_until: int) -> int:
    """Non-empty slots in [t_from, t_until] over whisper files (a missing file counts 0)."""
    import whisper
    total = 0
    now = int(time.time())
    for p in paths:
        try:
            _info, vals = whisper.fetch(p, t_from - 1, t_until, now=now)
        except (OSError, whisper.WhisperException, ValueError, struct.error):
            continue
        total += sum(v is not None for v in vals)
    return total


def disk_usage(root: Path) -> dict:
    """Bytes a directory holds on disk (allocated blocks) and as file sizes (apparent)."""
    allocated = apparent = files = 0
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            try:
                st = os.stat(os.path.join(dirpath, n))
            except OSError:
                continue
            allocated += st.st_blocks * 512
            apparent += st.st_size
            files += 1
    return {"allocated": allocated, "apparent": apparent, "files": files}
