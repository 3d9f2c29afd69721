"""The `strata` command: one entry point, one subcommand per operator task.

`strata inspect DATA_DIR` summarises a data directory (series, lanes, files, bytes) without
taking the writer's lock, so it is safe next to a running server.  `serve`, `bench` and
the importers arrive with their issues.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strata", description="Graphite-compatible time-series store")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="summarise a data directory")
    p.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(inspect(args.data_dir), indent=2))
    except (OSError, StorageError) as exc:
        print(f"strata: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
