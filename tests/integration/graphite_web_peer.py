"""graphite-web 1.1.10 as a real cluster frontend for tests/integration/test_cluster.py.

What: `graphite_web(...)` runs graphite-web under gunicorn from its own venv with
CLUSTER_SERVERS pointing at a Strata node, the remote finder as its only finder (no local
whisper data can leak into an answer) and everything it writes (SQLite database, logs,
storage) inside one temp directory.  Why a subprocess in a venv: graphite-web pins Django
3.0 and pyparsing, which must not meet the project's own environment; and only a real
HTTP hop shows what a frontend makes of Strata's pickle and msgpack bytes.

The venv is STRATA_GRAPHITE_WEB_VENV (default /opt/strata-peers/graphite-web, made by
.ci/run). Without it the tests skip, or fail under STRATA_REQUIRE_PEERS=1 (peers.py).
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.integration.conftest import free_port
from tests.integration.peers import PEERS_DIR, missing, running, wait_until

VENV_ENV = "STRATA_GRAPHITE_WEB_VENV"
GRAPHITE_WEB_VERSION = "1.1.10"    # keep in step with .ci/run
START_TIMEOUT = 60.0               # migrate + gunicorn boot on a busy 2-core machine

# Prints graphite-web's version and whether graphite-web's msgpack call works in the venv.
PROBE = """\
import importlib.metadata as m
try:
    import msgpack
    msgpack.unpackb(msgpack.packb([]), encoding='utf-8')
    ok = 'yes'
except ImportError:
    ok = 'yes'
except TypeError:
    ok = 'no'
print(m.version('graphite-web'), ok)
"""

# Values are formatted with repr() into a Python module graphite.settings imports.
SETTINGS = """\
SECRET_KEY = {secret!r}
ALLOWED_HOSTS = ['*']
TIME_ZONE = 'UTC'
STORAGE_DIR = {storage!r}
LOG_DIR = {logs!r}
INDEX_FILE = {index!r}
STANDARD_DIRS = []
CARBONLINK_HOSTS = []
# exceptions to stderr, which gunicorn writes into the peer's log file
LOG_FILE_EXCEPTION = '-'
LOG_FILE_INFO = '-'
STORAGE_FINDERS = ('graphite.finders.remote.RemoteFinder',)
CLUSTER_SERVERS = [{cluster!r}]
REMOTE_STORE_USE_POST = {use_post!r}
# a failed request must not bench the only backend for the rest of the test
REMOTE_RETRY_DELAY = 0
FIND_TIMEOUT = 10.0
FETCH_TIMEOUT = 10.0
MAX_FETCH_RETRIES = 1
REMOTE_BUFFER_SIZE = 1024 * 1024
FIND_CACHE_DURATION = 0
DEFAULT_CACHE_DURATION = 0
"""


@dataclass
class GraphiteWeb:
    url: str
    cluster_format: str
    use_post: bool
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def need_graphite_web() -> Path:
    """The venv holding graphite-web 1.1.10 and gunicorn, or a skip/failure naming how to
    make it."""
    venv = Path(os.environ.get(VENV_ENV, PEERS_DIR / "graphite-web"))
    hint = f"run the graphite-web step of .ci/run, or point {VENV_ENV} at a venv with " \
           f"graphite-web=={GRAPHITE_WEB_VERSION} and gunicorn"
    for exe in ("python", "gunicorn", "django-admin"):
        if not os.access(venv / "bin" / exe, os.X_OK):
            missing(f"graphite-web venv {venv} (no bin/{exe})", hint)
    found, msgpack_ok = subprocess.run(
        [str(venv / "bin" / "python"), "-c", PROBE], capture_output=True, text=True,
        timeout=60).stdout.split() or ("none", "")
    if found != GRAPHITE_WEB_VERSION:
        missing(f"graphite-web {GRAPHITE_WEB_VERSION} in {venv} (found {found})", hint)
    if msgpack_ok != "yes":
        # graphite-web 1.1.10 calls msgpack.unpackb(..., encoding='utf-8'), which msgpack >= 1.0
        # refuses; without msgpack installed it uses its bundled umsgpack
        missing(f"a graphite-web venv whose msgpack graphite-web can call ({venv} has msgpack >= 1.0)",
                f"pip uninstall msgpack in that venv, or {hint}")
    return venv


def write_settings(root: Path, cluster_server: str, use_post: bool) -> Path:
    """A settings module (imported by graphite.settings through GRAPHITE_SETTINGS_MODULE)
    in `root`/settings, with storage and logs under `root`; returns its directory."""
    storage, settings_dir = root / "storage", root / "settings"
    for d in (storage / "log", settings_dir):
        d.mkdir(parents=True, exist_ok=True)
    (settings_dir / "strata_cluster_settings.py").write_text(SETTINGS.format(
        secret=os.urandom(16).hex(), storage=str(storage), logs=str(storage / "log"),
        index=str(storage / "index"), cluster=cluster_server, use_post=use_post))
    return settings_dir


def peer_env(settings_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO_"))}
    env.update(PYTHONPATH=str(settings_dir), DJANGO_SETTINGS_MODULE="graphite.settings",
               GRAPHITE_SETTINGS_MODULE="strata_cluster_settings", PYTHONDONTWRITEBYTECODE="1")
    return env


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def graphite_web(root: Path, strata_http_port: int, cluster_format: str = "pickle",
                 use_post: bool = False) -> Iterator[GraphiteWeb]:
    """graphite-web serving on a free loopback port, its only cluster server the Strata
    HTTP API on `strata_http_port`, asking it for `cluster_format` (pickle or msgpack)
    over GET or, with `use_post`, multipart POST."""
    if cluster_format not in ("pickle", "msgpack"):
        raise ValueError(f"graphite-web's cluster formats are pickle and msgpack, not {cluster_format!r}")
    venv = need_graphite_web()
    root.mkdir(parents=True, exist_ok=True)
    cluster = f"127.0.0.1:{strata_http_port}?format={cluster_format}"
    env = peer_env(write_settings(root, cluster, use_post))
    log_path = root / "graphite-web.log"
    # treejson looks up a user profile and the tag database lives in SQLite: both need tables
    migrate = subprocess.run([str(venv / "bin" / "django-admin"), "migrate", "--run-syncdb",
                              "--verbosity", "0"], env=env, cwd=root, capture_output=True,
                             text=True, timeout=START_TIMEOUT)
    if migrate.returncode != 0:
        raise RuntimeError(f"graphite-web migrate failed:\n{migrate.stdout}{migrate.stderr}")
    port = free_port()
    args = [str(venv / "bin" / "gunicorn"), "graphite.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
            "--timeout", "60", "--error-logfile", "-", "--log-level", "warning"]
    with running(args, log_path, cwd=root, env=env) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(url + "/version"), "graphite-web to answer /version",
                   START_TIMEOUT, proc, log_path, interval=0.2)
        yield GraphiteWeb(url, cluster_format, use_post, log_path)
