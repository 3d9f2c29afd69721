"""A read-only view of a data directory that another process is writing.

Why: the render API runs in its own process (render_api.process) so that queries never
take the CPU or the GIL from ingestion; that process reads the store's files directly.
What: `StoreView` is a `Store` that takes no lock and never writes, unlinks or maintains.
`refresh()` catches up with the writer: it tails the name logs from where it stopped,
re-reads lanes and fold watermarks, and re-lists the block folders whose mtime moved,
reusing the head segments it has mapped already (it happens every `max_age` while queries
come in, so it must stay cheap).  Reads refresh first when the view is older than
`max_age` seconds, so a new series or point is visible within that bound.

Consistency: head segments are shared mappings, so points appear as they are written.
Files only appear by rename and a sealed file supersedes the heads it absorbed by
generation, so every listing is a state the writer's own crash recovery would accept.
Watermarks are read before the listing: a coarse head the writer filled before moving a
watermark is always in the listing that follows.  A file deleted between the listing and
a read (a re-seal or an expiry) makes that read refresh and retry once.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from . import layout
from .errors import StorageError
from .format import META_MAGIC, NAMELOG_HEADER_SIZE, load_json, unpack_name_records, unpack_namelog_header
from .head import HeadSegment
from .store import Store, StoreConfig

log = logging.getLogger("strata.tsdb.view")


# A file system stamps a directory's mtime from a clock that ticks every few milliseconds: a
# listing is only known to be complete for an mtime older than this when it was taken.
_SETTLED_NS = 50_000_000


def _settled_mtime(folder: Path) -> int | None:
    """The folder's mtime if no later change can share it, else None (list it each time)."""
    try:
        mtime = os.stat(folder).st_mtime_ns
    except FileNotFoundError:
        return None
    return mtime if time.time_ns() - mtime > _SETTLED_NS else None


class ReadOnlyStore(StorageError):
    """A write or maintenance call on a view."""


class StoreView(Store):
    """A refreshable read-only Store over a directory another process owns."""

    def __init__(self, root: Path, config: StoreConfig, shards: int, max_age: float):
        super().__init__(root, config, shards)
        self.max_age = max_age
        self._log_pos = [0] * shards
        self._mapped: dict[Path, HeadSegment] = {}
        self._reuse: dict[Path, HeadSegment] = {}
        self._previous_blocks: dict = {}
        self._stamps: dict[tuple[int, int, int], int] = {}
        self._relisted: list[Path] = []
        self._refreshed = float("-inf")
        self.writer = None              # set by the render process: forwards tag_series

    @classmethod
    def open(cls, path, config: StoreConfig | None = None, now: float | None = None,
             max_age: float = 0.5) -> "StoreView":
        root = Path(path)
        meta = layout.meta_path(root)
        doc = load_json(meta, meta.read_bytes(), META_MAGIC)
        view = cls(root, config or StoreConfig(), int(doc["shards"]), max_age)
        view.refresh()
        log.info("viewing %s: %d series, %d shards, %d lanes", root, len(view.index), view.shards,
                 len(view.lanes))
        return view

    # ----------------------------------------------------------------- catching up

    def maybe_refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._refreshed >= self.max_age:
                self.refresh()

    def catch_up_names(self) -> None:
        """Read what the writer appended to the name logs (new names, tag events) since the
        last look: a read of each log's tail, about as cheap as a stat.  Tag queries call it
        so that a tagSeries forwarded by another render process is seen at once."""
        with self._lock:
            self._check_open()
            for shard in range(self.shards):
                self._tail_names(shard)

    def refresh(self) -> None:
        """Catch up with the writer: new names, lanes, watermarks and block files."""
        with self._lock:
            self._check_open()
            self._load_lanes()
            previous, self._mapped = self._mapped, {}
            self._reuse = previous
            self._previous_blocks, self._blocks = self._blocks, {}
            self._relisted = []
            for shard in range(self.shards):
                self._tail_names(shard)
                for lane in self.lanes:
                    self._load_lane_files(shard, lane)
            for path, seg in previous.items():
                if path not in self._mapped:
                    seg.close()
            self._reuse, self._previous_blocks = {}, {}
            self._forget_unlisted_sealed()
            self._refreshed = time.monotonic()

    def _load_level_dir(self, shard: int, lane, level: int, folder: Path) -> None:
        # A directory's mtime changes whenever a file in it is created, renamed or removed, and
        # heads are written in place: a folder whose mtime has not moved lists as before.
        key = (shard, lane.id, level)
        stamp = _settled_mtime(folder)
        kept = self._previous_blocks.get(key)
        if kept is not None and stamp is not None and self._stamps.get(key) == stamp:
            self._blocks[key] = kept
            for blk in kept.values():
                for seg in (*blk.heads, *blk.older):
                    self._mapped[seg.path] = seg
            return
        self._stamps[key] = stamp
        self._relisted.append(folder)
        super()._load_level_dir(shard, lane, level, folder)

    def _forget_unlisted_sealed(self) -> None:
        """Close the sealed files of re-listed folders that are no longer listed there."""
        if not self._relisted:
            return
        folders = set(self._relisted)
        listed = set()
        for (sh, ln, lv), blocks in self._blocks.items():
            folder = layout.level_dir(self.root, sh, ln, lv)
            if folder in folders:
                listed.update(layout.sealed_path(folder, start, blk.sealed_gen)
                              for start, blk in blocks.items() if blk.sealed_gen is not None)
        for path in [p for p in self._sealed if p.parent in folders and p not in listed]:
            self._forget_sealed(path)

    def _tail_names(self, shard: int) -> None:
        path = layout.namelog_path(self.root, shard)
        try:
            with open(path, "rb") as f:
                f.seek(self._log_pos[shard])
                raw = f.read()
        except FileNotFoundError:
            return                      # the writer has not created this shard yet
        start = 0
        if self._log_pos[shard] == 0:
            if len(raw) < NAMELOG_HEADER_SIZE:
                return
            unpack_namelog_header(path, raw)
            start = NAMELOG_HEADER_SIZE
        records, end = [], start
        for lane, row, name, end in unpack_name_records(raw, start):
            records.append((lane, row, name))
        self.index.load(shard, records)
        self._log_pos[shard] += end     # a torn tail is an append in progress: read it next time

    def _open_head(self, path: Path) -> HeadSegment | None:
        seg = self._reuse.get(path)
        if seg is None:
            try:
                seg = HeadSegment.open(path, readonly=True)
            except FileNotFoundError:
                return None             # sealed or expired since the listing
        self._mapped[path] = seg
        return seg

    def _discard(self, path: Path) -> None:
        pass                            # the writer's to remove

    # ----------------------------------------------------------------- reading

    def read_many(self, names, from_, until, aggregate=None, now=None):
        self.maybe_refresh()
        try:
            return super().read_many(names, from_, until, aggregate, now)
        except FileNotFoundError:
            self.refresh()
            return super().read_many(names, from_, until, aggregate, now)

    def find(self, pattern: str):
        self.maybe_refresh()
        return super().find(pattern)

    def find_first_per_name(self, pattern: str):
        self.maybe_refresh()
        return super().find_first_per_name(pattern)

    def expand(self, pattern: str):
        self.maybe_refresh()
        return super().expand(pattern)

    # ----------------------------------------------------------------- forwarded

    def tag_series(self, names: list[str], delete: bool = False) -> int:
        """/tags/tagSeries and delSeries change the writer's index: sent to the writer
        through `self.writer` (a callable op, **args -> result), then caught up with."""
        if self.writer is None:
            raise ReadOnlyStore(f"{self.root} is open read-only and no writer link is set")
        changed = self.writer("tag_series", names=list(names), delete=delete)
        self.refresh()
        return changed

    # ----------------------------------------------------------------- refused

    def write(self, *args, **kwargs):
        raise ReadOnlyStore(f"{self.root} is open read-only")

    def maintain(self, *args, **kwargs):
        raise ReadOnlyStore(f"{self.root} is open read-only")

    def sync(self) -> None:
        pass                            # nothing written here

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            for seg in self._mapped.values():
                seg.close()
            for sb in self._sealed.values():
                sb.close()
            self._mapped.clear()
            self.closed = True
