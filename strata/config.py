"""Strata's configuration: one typed, frozen object built from defaults, a TOML file and flags.

Precedence is flags > file > defaults.  Every limit the server enforces is a field here,
documented in the README's settings table; nothing else in the code reads settings from a
global.  Carbon's storage-schemas.conf and storage-aggregation.conf are named by path and
parsed by rollup.schemas, so an operator copies theirs over unchanged.
"""

from __future__ import annotations

import socket
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from rollup.schemas import (Aggregations, Schemas, default_aggregations, default_schemas,
                            load_aggregation, load_schemas)
from tsdb import StoreConfig


class ConfigFileError(ValueError):
    """The TOML file is unreadable, or names an unknown key or a value of the wrong type."""


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path = Path("./data")
    bind: str = "127.0.0.1"
    line_port: int = 2003          # plaintext TCP; 0 = off
    udp_port: int = 2003           # plaintext UDP; 0 = off
    pickle_port: int = 2004        # pickle TCP; 0 = off
    http_port: int = 8080          # render API (arrives with its issue); 0 = off


@dataclass(frozen=True)
class LimitsConfig:
    max_line_length: int = 16384           # carbon's LineOnlyReceiver.MAX_LENGTH
    max_pickle_frame: int = 1048576        # carbon's PICKLE_RECEIVER_MAX_LENGTH
    max_pickle_points: int = 500_000       # elements in one pickle frame
    max_connections: int = 4096
    idle_timeout: float = 600.0            # seconds a connection may stay silent
    max_pending_points: int = 500_000      # parsed but not yet stored; above it, sockets pause
    flush_interval: float = 0.1            # seconds between batches to the store (the kill -9 window)
    flush_points: int = 200_000            # a batch goes to the store as soon as it is this big
    shutdown_drain: float = 10.0           # on SIGTERM, read open connections until quiet, at most this long
    parse_workers: int = 1                 # processes that parse what the TCP receivers frame; 0 = in the server process
    parse_worker_names: int = 1_000_000    # distinct names each parse worker numbers before it starts afresh
    receiver_names: int = 1_000_000        # distinct names the server numbers for its receivers; 0 = off


@dataclass(frozen=True)
class StorageSettings:
    shards: int = 16
    block_buckets: int = 360
    seal_grace: int = 600
    max_future: int = 86400
    max_series: int = 50_000_000
    schemas_file: Path | None = None       # carbon storage-schemas.conf; None = 10s:6h,1m:7d,10m:5y
    aggregation_file: Path | None = None   # carbon storage-aggregation.conf; None = average, xff 0.5
    sync_interval: float = 1.0             # msync/fsync period: the power-loss window
    maintain_interval: float = 30.0        # how often to look for blocks to seal, fold, expire
    min_free_disk_mb: int = 512            # below this free space the writer holds batches (see README)
    read_cache_mb: int = 256               # decoded sealed rows kept for reads (per process reading)


@dataclass(frozen=True)
class RenderConfig:
    max_series: int = 10_000               # series one path expression may read
    max_points: int = 20_000_000           # values one /render response may hold
    timeout: float = 30.0                  # seconds a query may run before it is abandoned (503)
    threads: int = 4                       # queries at once in the server process (isolated = false only)
    tz: str = "UTC"                        # default time zone (graphite-web TIME_ZONE)
    isolated: bool = True                  # serve HTTP from a process of its own (false: in the server)
    processes: int = 2                     # render processes sharing the HTTP port (isolated only)
    priority: str = "idle"                 # that process's CPU priority: idle, low (nice 10) or normal
    refresh_interval: float = 0.5          # at most this stale, in seconds, is what that process reads
    busy_share: float = 0.25               # cores the render processes may use while the writer is busy; >= 2: no cap
    admin_token: str = ""                  # bearer token for /tags/delSeries; empty = refused (403)
    heap_keep_mb: int = 64                 # freed memory a render process keeps for its next query; 0 = libc default


@dataclass(frozen=True)
class MetricsConfig:
    interval: float = 10.0                 # self-metrics period; 0 = off
    prefix: str = ""                       # default carbon.agents.<host>-a


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    storage: StorageSettings = field(default_factory=StorageSettings)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    render: RenderConfig = field(default_factory=RenderConfig)

    def metrics_prefix(self) -> str:
        """carbon's self-metric prefix: carbon.agents.<hostname with . as _>-a."""
        if self.metrics.prefix:
            return self.metrics.prefix
        return f"carbon.agents.{socket.gethostname().replace('.', '_')}-a"

    def store_config(self) -> StoreConfig:
        s = self.storage
        schemas: Schemas = load_schemas(s.schemas_file) if s.schemas_file else default_schemas()
        aggregations: Aggregations = (load_aggregation(s.aggregation_file) if s.aggregation_file
                                      else default_aggregations())
        return StoreConfig(shards=s.shards, schemas=schemas, aggregations=aggregations,
                           block_buckets=s.block_buckets, seal_grace=s.seal_grace,
                           max_future=s.max_future, max_series=s.max_series,
                           read_cache_bytes=s.read_cache_mb << 20)


RENDER_PRIORITIES = ("idle", "low", "normal")

SECTIONS = {"server": ServerConfig, "limits": LimitsConfig, "storage": StorageSettings,
            "metrics": MetricsConfig, "render": RenderConfig}


def load(path: Path | None = None, overrides: dict[str, dict] | None = None) -> Config:
    """Defaults, then the TOML file at `path`, then `overrides` ({section: {key: value}})."""
    doc = _read_toml(path) if path else {}
    for section, values in (overrides or {}).items():
        doc.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    base = Config()
    problems: list[str] = []
    parts = {}
    for section, cls in SECTIONS.items():
        parts[section] = _section(cls, getattr(base, section), doc.pop(section, {}), section, problems, path)
    for extra in doc:
        problems.append(f"{path}: unknown section [{extra}]")
    _check_tz(parts["render"].tz, path, problems)
    if parts["render"].priority not in RENDER_PRIORITIES:
        problems.append(f"{path}: [render] priority = {parts['render'].priority!r}: expected one of "
                        f"{', '.join(RENDER_PRIORITIES)}")
    for name in ("processes", "threads"):
        if getattr(parts["render"], name) < 1:
            problems.append(f"{path}: [render] {name} = {getattr(parts['render'], name)!r}: must be at least 1")
    if not parts["render"].busy_share > 0:
        problems.append(f"{path}: [render] busy_share = {parts['render'].busy_share!r}: must be above 0")
    if problems:
        raise ConfigFileError("\n".join(problems))
    return Config(**parts)


def _check_tz(name: str, path, problems: list[str]) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{path}: [render] tz = {name!r} is not a known time zone")


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigFileError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: {exc}") from None


# Settings that changed their name: a config file naming the old one is told the new one.
RENAMED = {("limits", "pickle_workers"): "parse_workers",
           ("limits", "pickle_worker_names"): "parse_worker_names"}


def _section(cls, default, values, section: str, problems: list[str], path):
    if not isinstance(values, dict):
        problems.append(f"{path}: [{section}] must be a table")
        return default
    known = {f.name: f for f in fields(cls)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            hint = f" (renamed {RENAMED[section, key]!r})" if (section, key) in RENAMED else ""
            problems.append(f"{path}: [{section}] unknown key {key!r}{hint}")
            continue
        coerced = _coerce(getattr(default, key), value, known[key].type)
        if coerced is _BAD:
            problems.append(f"{path}: [{section}] {key} = {value!r} has the wrong type")
        else:
            changes[key] = coerced
    return replace(default, **changes)


_BAD = object()


def _coerce(default, value, annotation: str):
    if "Path" in str(annotation):
        return Path(value) if isinstance(value, (str, Path)) else _BAD
    if isinstance(default, bool):
        return value if isinstance(value, bool) else _BAD
    if isinstance(default, int):
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else _BAD
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        return float(value) if ok else _BAD
    if isinstance(default, str):
        return value if isinstance(value, str) else _BAD
    return value
