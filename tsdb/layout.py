"""Every file and folder of a data directory, named in one place.

    <data>/strata.json                      data directory metadata (shard count)
    <data>/lanes.json                       retention schemas in use, with block lengths
    <data>/LOCK                             held (flock) by the one writer
    <data>/shard-NNN/names.log              append-only name log of the shard
    <data>/shard-NNN/lane-L/state.json      fold watermarks of the shard's lane
    <data>/shard-NNN/lane-L/level-J/<start>.g<gen>.sealed
    <data>/shard-NNN/lane-L/level-J/<start>.g<gen>.r<row_start>.head

<start> is the block's first timestamp (epoch seconds); <gen> counts re-seals of a block:
a head of generation g holds writes not yet in a sealed file of generation < g.  Temporary files end in .tmp and
are removed on open: a file becomes visible only by rename, once complete.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

HEAD_NAME = re.compile(r"^(\d+)\.g(\d+)\.r(\d+)\.head$")
SEALED_NAME = re.compile(r"^(\d+)\.g(\d+)\.sealed$")


def meta_path(root: Path) -> Path:
    return root / "strata.json"


def lanes_path(root: Path) -> Path:
    return root / "lanes.json"


def lock_path(root: Path) -> Path:
    return root / "LOCK"


def shard_dir(root: Path, shard: int) -> Path:
    return root / f"shard-{shard:03d}"


def namelog_path(root: Path, shard: int) -> Path:
    return shard_dir(root, shard) / "names.log"


def lane_dir(root: Path, shard: int, lane: int) -> Path:
    return shard_dir(root, shard) / f"lane-{lane}"


def state_path(root: Path, shard: int, lane: int) -> Path:
    return lane_dir(root, shard, lane) / "state.json"


def level_dir(root: Path, shard: int, lane: int, level: int) -> Path:
    return lane_dir(root, shard, lane) / f"level-{level}"


def sealed_path(level_root: Path, start: int, gen: int) -> Path:
    return level_root / f"{start}.g{gen}.sealed"


def head_path(level_root: Path, start: int, gen: int, row_start: int) -> Path:
    return level_root / f"{start}.g{gen}.r{row_start}.head"


def fsync_dir(path: Path) -> None:
    """Make a rename or create in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
