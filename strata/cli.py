"""The `strata` command: one entry point, one subcommand per operator task.

`strata serve` runs the Carbon listeners and the store with embedded defaults (data in
./data, 127.0.0.1, ports 2003 tcp+udp and 2004); a TOML file and flags override them.
`strata inspect DATA_DIR` summarises a data directory (series, lanes, files, bytes) without
taking the writer's lock, so it is safe next to a running server.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

import logging

from tsdb import layout
from tsdb.errors import StorageError
from tsdb.format import LANES_MAGIC, META_MAGIC, load_json


def inspect(root: Path) -> dict:
    """Facts about a data directory, read from its metadata and file names only."""
    meta = load_json(layout.meta_path(root), layout.meta_path(root).read_bytes(), META_MAGIC)
    lanes_file = layout.lanes_path(root)
    lanes = load_json(lanes_file, lanes_file.read_bytes(), LANES_MAGIC)["lanes"] if lanes_file.exists() else []
    files = {"head": 0, "sealed": 0}
    allocated = apparent = 0
    for path in root.rglob("*"):
        if path.is_file():
            st = path.stat()
            allocated += st.st_blocks * 512
            apparent += st.st_size
            if path.suffix in (".head", ".sealed"):
                files[path.suffix[1:]] += 1
    return {"shards": meta["shards"], "lanes": lanes, "files": files,
            "bytes_allocated": allocated, "bytes_apparent": apparent}


def setup_logging(level: str = "INFO") -> None:
    """One line per event on stderr, Twisted's log routed through the same handler."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    from twisted.logger import STDLibLogObserver, globalLogBeginner
    globalLogBeginner.beginLoggingTo([STDLibLogObserver(name="twisted")], redirectStandardIO=False)


def serve(args) -> int:
    from strata import config as cfgmod
    overrides = {"server": {"data_dir": args.data_dir, "bind": args.bind, "line_port": args.line_port,
                            "udp_port": args.udp_port, "pickle_port": args.pickle_port,
                            "http_port": args.http_port}}
    try:
        config = cfgmod.load(args.config, overrides)
    except (cfgmod.ConfigFileError, ValueError, OSError) as exc:
        print(f"strata: configuration error:\n{exc}", file=sys.stderr)
        return 2
    setup_logging(args.log_level)
    from twisted.internet import reactor
    from carbon_compat.service import CarbonService

    def on_signal(signum, frame):
        logging.getLogger("strata.serve").info("received %s", signal.Signals(signum).name)
        reactor.callFromThread(reactor.stop)
    # Installed before anything listens: a SIGTERM that arrives before the reactor runs
    # still gets the clean shutdown (Twisted's own handlers come only with reactor.run).
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service = CarbonService(config, reactor)
    try:
        service.start()
        if config.server.http_port:
            _start_http(service, config, reactor, args, overrides)
    except (OSError, StorageError) as exc:
        logging.getLogger("strata.serve").error("cannot start: %s", exc)
        if service.ingest is not None:
            service.ingest.stop()
        if service.store is not None:
            service.store.close()
        return 1
    reactor.run(installSignalHandlers=False)
    return 0


def _start_http(service, config, reactor, args, overrides: dict) -> None:
    """The Graphite HTTP API, in its own process unless render.isolated is false; stopped
    first at shutdown."""
    from render_api.process import CpuGovernor, RenderProcess, bind_http, build_api
    from render_api.http import make_site
    log = logging.getLogger("strata.serve")
    if config.render.isolated:
        sock, n = bind_http(config), config.render.processes
        governor = CpuGovernor(reactor, config.render.busy_share)      # one share for all of them
        children = [RenderProcess(sock, args.config, overrides, reactor, service.store, governor,
                                  args.log_level) for _ in range(n)]   # they accept from one socket
        governor.start()
        for child in children:
            child.start()
        log.info("listening for graphite http on %s:%d (%d render process%s)", config.server.bind,
                 children[0].port, n, "es" if n > 1 else "")
        service.stop_hooks += [governor.stop] + [child.stop for child in children]
        return
    api = build_api(service.store, config, reactor)
    api.start()
    port = reactor.listenTCP(config.server.http_port, make_site(api), interface=config.server.bind)
    log.info("listening for graphite http on %s:%d", config.server.bind, port.getHost().port)
    service.stop_hooks.append(lambda: (port.stopListening(), api.stop()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strata", description="Graphite-compatible time-series store")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the Carbon listeners and the store")
    p.add_argument("--config", type=Path, help="TOML configuration file")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--bind", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--line-port", type=int, help="plaintext TCP port (default 2003; 0 = off)")
    p.add_argument("--udp-port", type=int, help="plaintext UDP port (default 2003; 0 = off)")
    p.add_argument("--pickle-port", type=int, help="pickle TCP port (default 2004; 0 = off)")
    p.add_argument("--http-port", type=int, help="render API port (default 8080; 0 = off)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p = sub.add_parser("inspect", help="summarise a data directory")
    p.add_argument("data_dir", type=Path)
    from strata.bench import cli as bench_cli
    bench_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "bench":
        return bench_cli.main(args)
    try:
        print(json.dumps(inspect(args.data_dir), indent=2))
    except (OSError, StorageError) as exc:
        print(f"strata: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
