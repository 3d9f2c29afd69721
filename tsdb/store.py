"""The storage engine's public face: open a data directory, write batches, read series.

`Store` owns one data directory (an flock on LOCK keeps a second writer out).  A write maps
names to packed series ids, drops what cannot be stored (counted by reason), picks the
level each point enters at, and merges points into time-major head blocks with a handful
of numpy operations per (shard, block).  Reads follow whisper's fetch: the finest level
whose retention covers `from`, buckets on step boundaries in (from, until].  Coarse levels
beyond their fold watermark are folded from the finer level on the fly, so a point is
visible at every level as soon as it is written.

Maintenance (sealing ended blocks into lz4 series blobs, folding them into the next level,
dropping expired blocks) is planned by rollup.plan and run by `maintain()`, which the owner
calls on its own schedule (`due()` says when work is waiting).  Writes never wait for it:
until a block is folded its points simply keep going to the finer level, which cannot
expire before the fold, so reads are exact whenever maintenance runs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import mmh3
import numpy as np

from rollup import stats as st
from rollup.plan import BlockInfo, Expire, Lane, Seal, block_seconds, plan
from rollup.schemas import Aggregations, Level, Schemas, default_aggregations, default_schemas

from . import layout
from .errors import ConfigMismatch, CorruptFile, StoreClosed, StoreLocked
from .format import (LANES_MAGIC, META_MAGIC, STATE_MAGIC, HeadHeader, SealedHeader, dump_json,
                     load_json)
from .head import HeadSegment
from .index import NameLog, SeriesIndex, unpack_id, unpack_ids
from .names import InvalidName, normalize
from .readcache import NO_DATA, DecodedRows, pack, unpack
from .sealed import SealedBlock, publish_sealed, write_sealed

log = logging.getLogger("strata.tsdb")

SEAL_ROW_CHUNK = 4096
HEAD_MIN_ROWS = 64   # rows per head segment at least; small stores stay small
SEALED_CACHE = 128


@dataclass(frozen=True)
class StoreConfig:
    """Storage settings; every limit here is documented in the README's configuration table."""

    shards: int = 16
    schemas: Schemas = field(default_factory=default_schemas)
    aggregations: Aggregations = field(default_factory=default_aggregations)
    block_buckets: int = 360
    seal_grace: int = 600
    max_future: int = 86400
    max_series: int = 50_000_000
    sync_names: bool = True
    read_cache_bytes: int = 256 << 20


@dataclass(frozen=True)
class Series:
    """A read result: `values[i]` is the bucket starting at `start + i*step` (NaN = empty)."""

    name: str
    start: int
    step: int
    values: np.ndarray

    @property
    def end(self) -> int:
        return self.start + self.step * len(self.values)


@dataclass
class WriteResult:
    accepted: int = 0
    created: int = 0
    dropped: Counter = field(default_factory=Counter)
    # packed id of each point's series (-1: point dropped before its name was resolved,
    # -2: name rejected); a caller may hand these back as `known_ids` for the same names
    ids: np.ndarray | None = None


@dataclass
class _Run:
    """The values of one row group in back-to-back sealed blocks, side by side."""

    blocks: tuple               # ((block start, sealed generation), ...), oldest first
    values: np.ndarray          # [rows][len(blocks) * buckets per block]

    @property
    def nbytes(self) -> int:    # what the read cache counts
        return self.values.nbytes

    def position(self, blocks: tuple) -> int | None:
        """Index of `blocks[0]` here when all of `blocks` lie here in order, else None."""
        try:
            first = self.blocks.index(blocks[0])
        except ValueError:
            return None
        return first if self.blocks[first:first + len(blocks)] == blocks else None


class _Block:
    """What exists for one block: a sealed file and head segments, by generation.

    `heads` are the current generation's segments (rows from 0 up, the only ones written);
    `older` are heads of earlier generations waiting for a seal to absorb them (read-only:
    a seal in progress, or one interrupted by a crash or a shutdown).
    """

    __slots__ = ("sealed_gen", "heads", "older", "gen")

    def __init__(self) -> None:
        self.sealed_gen: int | None = None
        self.heads: list[HeadSegment] = []
        self.older: list[HeadSegment] = []
        self.gen = 0

    def unsealed(self) -> list[HeadSegment]:
        """Every head, oldest generation first (the order their data must merge in)."""
        return self.older + self.heads


class SealAborted(Exception):
    """A seal stopped early because the store is shutting down; it will run again."""


class Store:
    """A data directory opened by its one writer."""

    def __init__(self, root: Path, config: StoreConfig, shards: int):
        self.root = root
        self.config = config
        self.shards = shards
        self.index = SeriesIndex()
        self.lanes: list[Lane] = []
        self._lane_by_levels: dict[tuple, int] = {}
        self._lane_by_rule: dict[str, Lane] = {}
        self._marks: dict[int, np.ndarray] = {}        # lane -> int64[shards, levels]
        self._blocks: dict[tuple[int, int, int], dict[int, _Block]] = {}
        self._logs: dict[int, NameLog] = {}
        self._sealed: OrderedDict[Path, SealedBlock] = OrderedDict()
        self._decoded = DecodedRows(config.read_cache_bytes)
        self._lock = threading.RLock()
        self._maintaining = threading.Lock()     # one maintain() at a time
        self._abort = threading.Event()
        self._lockfd: int | None = None
        self._next_due = -1
        self.closed = False

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(cls, path, config: StoreConfig | None = None, now: float | None = None) -> "Store":
        """Open (creating if needed) the data directory at `path` for writing."""
        config = config or StoreConfig()
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        lockfd = _acquire_lock(root)
        try:
            shards = _load_or_create_meta(root, config)
            store = cls(root, config, shards)
            store._lockfd = lockfd
            store._load(int(time.time() if now is None else now))
        except BaseException:
            os.close(lockfd)
            raise
        return store

    def _load(self, now: int) -> None:
        self._load_lanes()
        for shard in range(self.shards):
            layout.shard_dir(self.root, shard).mkdir(exist_ok=True)
            nl = NameLog(layout.namelog_path(self.root, shard), shard)
            self._logs[shard] = nl
            self.index.load(shard, nl.records)
            nl.records = []
            for lane in self.lanes:
                self._load_lane_files(shard, lane)
        # No maintenance here: after downtime it could take minutes, and reads and writes
        # are exact without it; the owner's maintain() catches up in the background.
        self._next_due = self._due_time()
        log.info("opened %s: %d series, %d shards, %d lanes", self.root, len(self.index),
                 self.shards, len(self.lanes))

    def _load_lanes(self) -> None:
        path = layout.lanes_path(self.root)
        if not path.exists():
            return
        doc = load_json(path, path.read_bytes(), LANES_MAGIC)
        for i, entry in enumerate(doc.get("lanes", [])):
            if i < len(self.lanes):
                continue             # known already (a view re-reading the file)
            try:
                levels = tuple(Level(int(s), int(p)) for s, p in entry["levels"])
                blocks = tuple(int(b) for b in entry["block_seconds"])
            except (KeyError, TypeError, ValueError) as exc:
                raise CorruptFile(path, f"lane {i}: {exc!r}") from None
            if entry.get("id") != i or len(blocks) != len(levels):
                raise CorruptFile(path, f"lane {i} is malformed")
            self._register_lane(Lane(i, levels, blocks))

    def _register_lane(self, lane: Lane) -> None:
        self.lanes.append(lane)
        self._lane_by_levels[tuple((lv.step, lv.points) for lv in lane.levels)] = lane.id
        self._marks[lane.id] = np.zeros((self.shards, len(lane.levels)), np.int64)

    def _load_lane_files(self, shard: int, lane: Lane) -> None:
        state = layout.state_path(self.root, shard, lane.id)
        if state.exists():
            doc = load_json(state, state.read_bytes(), STATE_MAGIC)
            marks = doc.get("folded_until")
            if not isinstance(marks, list) or len(marks) != len(lane.levels):
                raise CorruptFile(state, f"folded_until {marks!r} does not fit {len(lane.levels)} levels")
            self._marks[lane.id][shard] = marks
        for level in range(len(lane.levels)):
            folder = layout.level_dir(self.root, shard, lane.id, level)
            if folder.is_dir():
                self._load_level_dir(shard, lane, level, folder)

    def _load_level_dir(self, shard: int, lane: Lane, level: int, folder: Path) -> None:
        blocks = self._blocks.setdefault((shard, lane.id, level), {})
        heads: list[tuple[int, int, Path]] = []
        for name in sorted(os.listdir(folder)):     # names, not Paths: a view re-lists often
            if name.endswith(".tmp"):
                self._discard(folder / name)       # an unfinished write (from before a crash, for the writer)
            elif m := layout.SEALED_NAME.match(name):
                start, gen = int(m.group(1)), int(m.group(2))
                blk = blocks.setdefault(start, _Block())
                if blk.sealed_gen is not None and blk.sealed_gen > gen:
                    self._discard(folder / name)   # superseded by a later re-seal
                    continue
                if blk.sealed_gen is not None:
                    self._discard(layout.sealed_path(folder, start, blk.sealed_gen))
                blk.sealed_gen = gen
            elif m := layout.HEAD_NAME.match(name):
                heads.append((int(m.group(1)), int(m.group(2)), folder / name))
        for start, gen, path in heads:
            blk = blocks.setdefault(start, _Block())
            if blk.sealed_gen is not None and gen <= blk.sealed_gen:
                self._discard(path)  # already absorbed by the sealed file
                continue
            seg = self._open_head(path)
            if seg is None:
                continue
            blk.heads.append(seg)
            blk.gen = max(blk.gen, gen)
        for blk in blocks.values():
            current = [h for h in blk.heads if h.header.gen == blk.gen]
            blk.older = sorted((h for h in blk.heads if h.header.gen != blk.gen),
                               key=lambda h: (h.header.gen, h.row_start))
            blk.heads = sorted(current, key=lambda h: h.row_start)
            if blk.sealed_gen is not None and not blk.heads:
                blk.gen = max(blk.gen, blk.sealed_gen + 1)

    def _discard(self, path: Path) -> None:
        """A file the directory no longer needs: the writer removes it (a view leaves it)."""
        path.unlink(missing_ok=True)

    def _open_head(self, path: Path) -> HeadSegment | None:
        return HeadSegment.open(path)

    def maybe_refresh(self) -> None:
        """Nothing to do: the writer's own view is always current (see tsdb.view)."""

    # ----------------------------------------------------------------- lanes and names

    def _lane_for(self, name: str) -> Lane:
        rule = self.config.schemas.match(name)
        lane = self._lane_by_rule.get(rule.name)
        if lane is None:
            lane = self._lane_by_rule[rule.name] = self._lane_of_levels(rule.levels)
        return lane

    def _lane_of_levels(self, levels) -> Lane:
        key = tuple((lv.step, lv.points) for lv in levels)
        lane_id = self._lane_by_levels.get(key)
        if lane_id is None:
            lane = Lane(len(self.lanes), tuple(levels), block_seconds(tuple(levels), self.config.block_buckets))
            self._register_lane(lane)
            self._save_lanes()   # durable before any name log record refers to it
            return lane
        return self.lanes[lane_id]

    def _save_lanes(self) -> None:
        doc = {"lanes": [{"id": ln.id, "levels": [[lv.step, lv.points] for lv in ln.levels],
                          "block_seconds": list(ln.block_seconds)} for ln in self.lanes]}
        layout.write_atomic(layout.lanes_path(self.root), dump_json(LANES_MAGIC, doc))

    def _resolve(self, names, ids: np.ndarray, wanted: np.ndarray, result: WriteResult) -> None:
        """Fill ids of names not yet known (normalising, creating new series); -2 = rejected."""
        created: dict[int, list[tuple[int, int, str]]] = {}
        seen: dict[str, int] = {}
        todo = np.flatnonzero(wanted & (ids < 0))
        found = []
        for i in todo.tolist():
            raw = names[i]
            sid = seen.get(raw)
            if sid is None:
                sid = seen[raw] = self._resolve_one(raw, created, result)
            found.append(sid)
        ids[todo] = found
        for shard, records in created.items():
            self._logs[shard].append(records, sync=self.config.sync_names)

    def _resolve_one(self, raw, created, result: WriteResult) -> int:
        try:
            name = normalize(raw if isinstance(raw, str) else str(raw))
        except InvalidName as exc:
            result.dropped["invalid_name"] += 1
            log.debug("rejected name: %s", exc)
            return -2
        sid = self.index.id_of(name)
        if sid is not None:
            self.index.aliases[raw] = sid
            return sid
        if len(self.index) >= self.config.max_series:
            result.dropped["series_limit"] += 1
            return -2
        shard = mmh3.hash(name, signed=False) % self.shards
        lane = self._lane_for(name)
        sid = self.index.add(name, shard, lane.id)
        created.setdefault(shard, []).append((lane.id, unpack_id(sid)[2], name))
        result.created += 1
        return sid

    # ----------------------------------------------------------------- writing

    def write(self, names, timestamps, values, now: float | None = None,
              known_ids: np.ndarray | None = None) -> WriteResult:
        """Store a batch of points; returns how many were accepted and why others were not.

        `names[i]` (str), `timestamps[i]` (epoch seconds; fractions are truncated) and
        `values[i]` (float; NaN is dropped as carbon drops it) describe point i.  Points are
        applied in order, so of two points for one bucket the later one is `last`.

        `known_ids[i]`, when given, is the id an earlier `WriteResult.ids` of this store gave
        for `names[i]` (ids never change: names are never removed), or -1 where none is
        known: a receiver that keeps ids per name saves the lookup of every point's name.
        """
        now_i = self._now(now)
        result = WriteResult()
        ts = np.asarray(timestamps, dtype=np.float64).reshape(-1)
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        if not (len(names) == len(ts) == len(vals)):
            raise ValueError(f"names, timestamps and values differ in length "
                             f"({len(names)}, {len(ts)}, {len(vals)})")
        with self._lock:
            self._check_open()
            ok = _drop(result, ~np.isnan(vals), "nan_value", np.ones(len(vals), bool))
            ok = _drop(result, np.isfinite(ts), "bad_timestamp", ok)
            ok = _drop(result, ts >= 0, "negative_timestamp", ok)
            ok = _drop(result, ts <= now_i + self.config.max_future, "future_timestamp", ok)
            if known_ids is None:
                ids = self.index.lookup(names)
            else:
                ids = np.array(known_ids, dtype=np.int64)
                unknown = np.flatnonzero(ids < 0)
                if len(unknown):
                    ids[unknown] = self.index.lookup([names[i] for i in unknown.tolist()])
            if (ids[ok] < 0).any():
                self._resolve(names, ids, ok, result)
            result.ids = ids
            ok &= ids >= 0
            if not ok.all():
                ids, ts, vals = ids[ok], ts[ok], vals[ok]
            if len(ids):
                self._write_ids(ids, ts.astype(np.int64), vals, now_i, result)
        return result

    def _write_ids(self, ids, ts, vals, now: int, result: WriteResult) -> None:
        shard, lane, row = unpack_ids(ids)
        if lane.min() == lane.max():
            self._write_lane(self.lanes[int(lane[0])], shard, row, ts, vals, now, result)
            return
        for lane_id in np.unique(lane):
            m = lane == lane_id
            self._write_lane(self.lanes[int(lane_id)], shard[m], row[m], ts[m], vals[m], now, result)

    def _write_lane(self, lane: Lane, shard, row, ts, vals, now: int, result: WriteResult) -> None:
        entry = np.searchsorted(np.asarray(lane.retentions), now - ts, side="left")
        nlevels = len(lane.levels)
        fits = entry < nlevels
        if not fits.all():
            result.dropped["too_old"] += int((~fits).sum())
            shard, row, ts, vals, entry = shard[fits], row[fits], ts[fits], vals[fits], entry[fits]
        result.accepted += len(ts)
        if not len(ts):
            return
        marks = self._marks[lane.id]
        level = _write_levels(entry, ts, marks[shard])
        if not level.any():
            self._apply(lane, 0, shard, row, ts, vals)
        else:
            for j in np.unique(level):
                m = level == j
                self._apply(lane, int(j), shard[m], row[m], ts[m], vals[m])
        for k in range(1, nlevels):
            # Already folded past these points: merge them into level k directly.
            late = (level < k) & (ts < marks[shard, k])
            if late.any():
                self._apply(lane, k, shard[late], row[late], ts[late], vals[late])

    def _apply(self, lane: Lane, level: int, shard, row, ts, vals) -> None:
        step, span = lane.levels[level].step, lane.block_seconds[level]
        bucket_t = ts - ts % step
        block = bucket_t - bucket_t % span
        bidx = (bucket_t - block) // step
        # Raw-step offset of each point within its bucket: which raw bucket `last` came from.
        slots = (ts - bucket_t) // lane.levels[0].step if level else None
        one_block = block.min() == block.max()
        if one_block and shard.min() == shard.max():
            self._apply_block(lane, level, int(shard[0]), int(block[0]), row, bidx, vals, slots)
            return
        key = shard * 1 if one_block else shard * (1 << 32) + (block // span - block.min() // span)
        order = np.argsort(key.astype(np.uint16) if one_block else key, kind="stable")
        key_sorted = key[order]
        cuts = np.r_[0, np.flatnonzero(key_sorted[1:] != key_sorted[:-1]) + 1, len(order)]
        for a, b in zip(cuts[:-1], cuts[1:]):
            sel = order[a:b]
            self._apply_block(lane, level, int(shard[sel[0]]), int(block[sel[0]]), row[sel], bidx[sel],
                              vals[sel], None if slots is None else slots[sel])

    def _apply_block(self, lane: Lane, level: int, shard: int, start: int, row, bidx, vals, slots) -> None:
        blk = self._block(shard, lane, level, start)
        self._cover_rows(blk, shard, lane, level, start, int(row.max()))
        if len(blk.heads) == 1:
            self._merge_into(blk.heads[0], row, bidx, vals, slots)
            return
        # heads cover consecutive row ranges in order: one searchsorted and one stable sort
        # group the points by segment, whatever the number of segments.  Points already in
        # row order (a sender repeating its names in the order they were created) need no sort.
        which = np.searchsorted(np.array([h.row_start for h in blk.heads]), row, side="right") - 1
        order = None
        if not (which[1:] >= which[:-1]).all():
            order = np.argsort(which.astype(np.int32), kind="stable")
            which = which[order]
        cuts = np.r_[0, np.flatnonzero(which[1:] != which[:-1]) + 1, len(which)]
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
            sel = slice(a, b) if order is None else order[a:b]
            self._merge_into(blk.heads[int(which[a])], row[sel], bidx[sel], vals[sel],
                             None if slots is None else slots[sel])

    @staticmethod
    def _merge_into(seg: HeadSegment, row, bidx, vals, slots) -> None:
        cells = seg.cells(bidx, row)
        if _distinct(cells, seg.header.row_cap):
            seg.merge_values(cells, vals, slots)
        else:
            ucells, s = st.of_points(cells, vals, slots)
            seg.merge_points(ucells, s)

    def _block(self, shard: int, lane: Lane, level: int, start: int) -> _Block:
        blocks = self._blocks.setdefault((shard, lane.id, level), {})
        blk = blocks.get(start)
        if blk is None:
            blk = blocks[start] = _Block()
            if level == 0:
                self._next_due = min(self._next_due, start + lane.block_seconds[0] + self.config.seal_grace)
        return blk

    def _cover_rows(self, blk: _Block, shard: int, lane: Lane, level: int, start: int, max_row: int) -> None:
        """Create head segments until rows up to `max_row` have a home in this block."""
        while not blk.heads or max_row >= blk.heads[-1].row_end:
            first = blk.heads[-1].row_end if blk.heads else 0
            known = self.index.rows(shard, lane.id)
            need = max(max_row, known - 1) - first + 1
            cap = _round_up(max(need + need // 8, first // 4, HEAD_MIN_ROWS), HEAD_MIN_ROWS)
            header = HeadHeader(lane.levels[level].step, start, lane.buckets(level), first, cap,
                                blk.gen, shard, lane.id, level)
            folder = layout.level_dir(self.root, shard, lane.id, level)
            folder.mkdir(parents=True, exist_ok=True)
            blk.heads.append(HeadSegment.create(layout.head_path(folder, start, blk.gen, first), header))

    # ----------------------------------------------------------------- reading

    def read(self, name: str, from_: int, until: int, aggregate: str | None = None,
             now: float | None = None) -> Series | None:
        """whisper.fetch semantics: None when the name is unknown or the range is outside retention."""
        return self.read_many([name], from_, until, aggregate, now)[0]

    def read_many(self, names, from_: int, until: int, aggregate: str | None = None,
                  now: float | None = None) -> list[Series | None]:
        """`read` of many names over one frame, in their order.

        Series of one (lane, shard) are read together: one fancy-indexed slice per head
        segment and one pass over the sealed blocks, then one `values` per method.
        """
        now_i = self._now(now)
        from_, until = int(from_), int(until)
        if from_ > until:
            raise ValueError(f"invalid time interval: from ({from_}) is after until ({until})")
        keys = [_normalized(name) for name in names]
        out: list[Series | None] = [None] * len(keys)
        with self._lock:
            self._check_open()
            for (lane_id, shard), members in self._group_by_lane_shard(keys).items():
                lane = self.lanes[lane_id]
                frame = _frame(lane, from_, until, now_i)
                if frame is None:
                    continue
                level, start, end = frame
                step = lane.levels[level].step
                for (method, xff), group in self._by_method(keys, members, level, aggregate).items():
                    rows = np.fromiter((row for _, row in group), np.int64, len(group))
                    values = self._rows_values(shard, lane, level, rows, start, end, method, xff)
                    for k, (i, _) in enumerate(group):
                        out[i] = Series(keys[i], start, step, values[k])
        return out

    def _group_by_lane_shard(self, keys) -> dict[tuple[int, int], list[tuple[int, int]]]:
        """(lane, shard) -> [(position in keys, row)] for every known key."""
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        id_of = self.index.id_of
        for i, key in enumerate(keys):
            sid = id_of(key) if key is not None else None
            if sid is not None:
                shard, lane_id, row = unpack_id(sid)
                groups.setdefault((lane_id, shard), []).append((i, row))
        return groups

    def _by_method(self, keys, members, level: int, aggregate: str | None) -> dict:
        """(method, xFilesFactor) -> the members read with it."""
        groups: dict[tuple[str, float], list[tuple[int, int]]] = {}
        for member in members:
            groups.setdefault(self._method(keys[member[0]], level, aggregate), []).append(member)
        return groups

    def _method(self, name: str, level: int, aggregate: str | None) -> tuple[str, float]:
        if aggregate is not None:
            method = st.normalize_method(aggregate)
        else:
            method = "last" if level == 0 else self.config.aggregations.match(name).method
        xff = 0.0 if level == 0 else self.config.aggregations.match(name).xff
        return method, xff

    def read_stats(self, name: str, level: int, start: int, end: int) -> st.Stats | None:
        """Raw bucket stats of one series at one level over [start, end) (step-aligned)."""
        sid = self.index.id_of(normalize(name))
        if sid is None:
            return None
        with self._lock:
            self._check_open()
            shard, lane_id, row = unpack_id(sid)
            stats = self._rows_stats(shard, self.lanes[lane_id], level, np.array([row]), start, end)
            return stats.take(0)

    def _rows_stats(self, shard: int, lane: Lane, level: int, rows: np.ndarray, a: int, b: int) -> st.Stats:
        """Series-major stats [len(rows)][buckets] over [a, b): stored below the level's fold
        watermark, folded on the fly from the finer level above it."""
        mark = int(self._marks[lane.id][shard, level]) if level > 0 else b
        parts = []
        if a < min(b, mark):
            parts.append(self._stored_rows(shard, lane, level, rows, a, min(b, mark)))
        if b > max(a, mark):
            fine = self._rows_stats(shard, lane, level - 1, rows, max(a, mark), b)
            parts.append(st.fold(fine, lane.fold_factor(level), axis=1, raw_per_bucket=lane.raw_steps(level - 1)))
        return st.concat(parts, axis=1)

    def _rows_values(self, shard: int, lane: Lane, level: int, rows: np.ndarray, a: int, b: int,
                     method: str, xff: float) -> np.ndarray:
        """`st.values` of `_rows_stats` over [a, b), float64 [len(rows)][buckets], taking
        whole sealed blocks from the decoded-values cache (a value depends on its bucket
        alone, so values can be computed per block and laid side by side)."""
        slots = lane.levels[level].step // lane.levels[0].step
        mark = int(self._marks[lane.id][shard, level]) if level > 0 else b
        parts = []
        if a < min(b, mark):
            parts.append(self._stored_values(shard, lane, level, rows, a, min(b, mark), method, xff, slots))
        if b > max(a, mark):
            parts.append(st.values(self._rows_stats(shard, lane, level, rows, max(a, mark), b),
                                   method, xff, slots))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def _stored_values(self, shard, lane, level, rows, a, b, method, xff, slots) -> np.ndarray:
        out = np.full((len(rows), (b - a) // lane.levels[level].step), np.nan)
        key = (method, xff, slots, rows.tobytes())
        spans = list(self._block_spans(shard, lane, level, a, b))
        done = self._sealed_run_values(shard, lane, level, rows, key, spans, out)
        for start, blk, o0, o1, b0 in spans[done:]:
            b1 = b0 + o1 - o0
            unsealed = blk.unsealed()
            if blk.sealed_gen is None and len(unsealed) == 1:
                got = unsealed[0].read_values_at(rows, b0, b1, method, xff, slots)
                if got is not None:
                    out[got[0], o0:o1] = got[1]
            elif unsealed or blk.sealed_gen is None:
                got = st.empty((len(rows), b1 - b0))
                self._block_rows(shard, lane, level, start, blk, rows, b0, b1, got)
                out[:, o0:o1] = st.values(got, method, xff, slots)
            else:
                self._sealed_values(shard, lane, level, start, blk.sealed_gen, rows, key, out[:, o0:o1], b0)
        return out

    def _sealed_run_values(self, shard, lane, level, rows, key: tuple, spans: list, out) -> int:
        """Copy the leading run of sealed-only, back-to-back blocks of `spans` into `out` from
        the group's run entry; returns how many spans it covered (0 or >= 2).

        A dashboard's "-24h" reads the same 23 sealed raw blocks on every refresh until the
        next seal: one entry saves a cache lookup and a copy per block and shard group.  A
        group keeps one run entry (the values of its blocks, once): a new run copies the
        blocks it shares with the old one and decodes only the others."""
        run = 0
        while run < len(spans) and not spans[run][1].unsealed() and spans[run][1].sealed_gen is not None \
                and (run == 0 or spans[run][0] == spans[run - 1][0] + lane.block_seconds[level]):
            run += 1
        if run < 2:
            return 0
        blocks = tuple((start, blk.sealed_gen) for start, blk, *_ in spans[:run])
        width = lane.buckets(level)
        path = (shard, lane.id, level, "run")
        cached = self._decoded.get(path, key)
        first = cached.position(blocks) if cached is not None else None
        if first is None:
            cached = self._run_of(shard, lane, level, rows, key, blocks, cached)
            self._decoded.put(path, key, cached)
            first = 0
        o0, b0, o1 = spans[0][2], spans[0][4], spans[run - 1][3]
        at = first * width + b0
        out[:, o0:o1] = cached.values[:, at:at + o1 - o0]
        return run

    def _run_of(self, shard, lane, level, rows, key: tuple, blocks: tuple, old: _Run | None) -> _Run:
        width = lane.buckets(level)
        values = np.empty((len(rows), width * len(blocks)))
        had = {block: k for k, block in enumerate(old.blocks)} if old is not None else {}
        for k, (start, gen) in enumerate(blocks):
            into = values[:, k * width:(k + 1) * width]
            if (start, gen) in had:
                j = had[(start, gen)]
                into[:] = old.values[:, j * width:(j + 1) * width]
            else:
                self._sealed_values(shard, lane, level, start, gen, rows, key, into, 0, keep=False)
        return _Run(blocks, values)

    def _sealed_values(self, shard, lane, level, start, gen, rows: np.ndarray, key: tuple,
                       into: np.ndarray, b0: int, keep: bool = True) -> None:
        """Copy the values of `rows` in one sealed block, from bucket b0 on, into `into`.

        `key` is (method, xff, slots, the rows' bytes): the whole group's block of values
        is one cache entry (unless not `keep`), as a dashboard re-reads the same group
        every refresh."""
        path = (shard, lane.id, level, start, gen)
        got = self._decoded.get(path, key)
        if got is None:
            got = np.full((len(rows), lane.buckets(level)), np.nan)
            # The decoded rows are not kept: at 7 columns they cost 7 times the values, and
            # a big group would push its own values out of the cache.
            sealed = self._sealed_rows(shard, lane, level, start, gen, rows, keep=False)
            if sealed is not None:
                idx, stats = sealed
                got[idx] = st.values(stats, *key[:3])
            if keep:
                self._decoded.put(path, key, got)
        into[:] = got[:, b0:b0 + into.shape[1]]

    def _stored_rows(self, shard: int, lane: Lane, level: int, rows: np.ndarray, a: int, b: int) -> st.Stats:
        out = st.empty((len(rows), (b - a) // lane.levels[level].step))
        for start, blk, o0, o1, b0 in self._block_spans(shard, lane, level, a, b):
            self._block_rows(shard, lane, level, start, blk, rows, b0, b0 + o1 - o0,
                             out.take((slice(None), slice(o0, o1))))
        return out

    def _block_spans(self, shard: int, lane: Lane, level: int, a: int, b: int):
        """(block start, block, output buckets [o0, o1), first block bucket b0) of every
        stored block overlapping [a, b), oldest first."""
        step, span = lane.levels[level].step, lane.block_seconds[level]
        blocks = self._blocks.get((shard, lane.id, level), {})
        t = a
        while t < b:
            start = t - t % span
            end = min(b, start + span)
            blk = blocks.get(start)
            if blk is not None:
                yield start, blk, (t - a) // step, (end - a) // step, (t - start) // step
            t = end

    def _block_rows(self, shard, lane, level, start, blk: _Block, rows: np.ndarray, b0: int, b1: int,
                    into: st.Stats) -> None:
        """Merge one block's buckets [b0, b1) of `rows` into `into` (empty views of the output)."""
        filled = np.zeros(len(rows), bool)
        if blk.sealed_gen is not None:
            sealed = self._sealed_rows(shard, lane, level, start, blk.sealed_gen, rows)
            if sealed is not None:
                idx, got = sealed
                _merge_at(into, idx, got.take((slice(None), slice(b0, b1))), filled)
        for seg in blk.unsealed():
            head = seg.read_rows_at(rows, b0, b1)
            if head is not None:
                idx, got = head
                _merge_at(into, idx, got, filled)

    def _sealed_rows(self, shard, lane, level, start, gen, rows: np.ndarray,
                     keep: bool = True) -> tuple[np.ndarray, st.Stats] | None:
        """(positions in `rows`, their whole-block stats) for the rows with data in a sealed
        block, decoding only those not in the decoded-row cache (and adding them to it
        when `keep`)."""
        path = (shard, lane.id, level, start, gen)
        cached = [self._decoded.get(path, r) for r in rows.tolist()]
        missing = [i for i, got in enumerate(cached) if got is None]
        if missing:
            wanted = rows[missing]
            for i in missing:
                cached[i] = NO_DATA
            decoded = self._sealed_block(shard, lane, level, start, gen).read_rows_at(wanted, 0, lane.buckets(level))
            if decoded is not None:
                for k, packed in zip(decoded[0].tolist(), pack(decoded[1])):
                    cached[missing[k]] = packed
            if keep:
                for i in missing:
                    self._decoded.put(path, int(rows[i]), cached[i])
        present = [i for i, got in enumerate(cached) if got is not NO_DATA]
        if not present:
            return None
        return np.asarray(present), unpack(np.stack([cached[i] for i in present]))

    def _sealed_block(self, shard, lane, level, start, gen) -> SealedBlock:
        path = layout.sealed_path(layout.level_dir(self.root, shard, lane.id, level), start, gen)
        sb = self._sealed.get(path)
        if sb is None:
            sb = self._sealed[path] = SealedBlock(path)
            if len(self._sealed) > SEALED_CACHE:
                self._sealed.popitem(last=False)[1].close()
        else:
            self._sealed.move_to_end(path)
        return sb

    def find(self, pattern: str) -> list[tuple[str, bool]]:
        """Graphite find over plain paths: (path, is_leaf) in /metrics/find order."""
        with self._lock:
            return self.index.trie.find(pattern)

    def find_first_per_name(self, pattern: str) -> list[tuple[str, bool]]:
        """`find` reduced to the first match of each node name, in the same order."""
        with self._lock:
            return self.index.trie.first_per_name(pattern)

    def expand(self, pattern: str) -> list[str]:
        """Leaf paths matching a glob, sorted by path (render-time expansion)."""
        with self._lock:
            return self.index.trie.expand(pattern)

    def tag_series(self, names: list[str], delete: bool = False) -> int:
        """graphite's /tags/tagSeries: create normalised `names` without points and list them
        in the tag index; with `delete`, /tags/delSeries: unlist them (their data stays).
        Persisted as name-log events (FORMAT.md 3.1); returns how many changed."""
        with self._lock:
            self._check_open()
            if not delete:
                ids = self.index.lookup(names)
                self._resolve(names, ids, ids < 0, WriteResult())
            return self.index.set_listed(names, not delete, self._logs, self.config.sync_names)

    def __contains__(self, name: str) -> bool:
        try:
            return self.index.id_of(normalize(name)) is not None
        except InvalidName:
            return False

    def __len__(self) -> int:
        return len(self.index)

    # ----------------------------------------------------------------- maintenance

    def due(self) -> int:
        """The earliest time at which `maintain()` has a block to seal or expire."""
        with self._lock:
            return self._next_due

    def maintain(self, now: float | None = None) -> Counter:
        """Seal ended blocks, fold them into coarser levels, drop expired ones.

        Safe to call from a thread other than the writer's: a seal encodes without holding
        the store lock, so writes and reads go on meanwhile (see `_seal`).
        """
        with self._maintaining:
            with self._lock:
                self._check_open()
            return self._maintain(self._now(now))

    def abort_maintenance(self) -> None:
        """Make a running `maintain()` stop at its next chunk (for a prompt shutdown)."""
        self._abort.set()

    def _maintain(self, now: int) -> Counter:
        done: Counter = Counter()
        self._abort.clear()
        try:
            for lane in self.lanes:
                for shard in range(self.shards):
                    # A fold can fill coarse heads that are complete at once: plan again,
                    # at most once per level, so they are sealed in this pass too.
                    for _ in lane.levels:
                        with self._lock:
                            jobs = self._plan(shard, lane, now)
                        if not jobs:
                            break
                        self._run_jobs(shard, lane, jobs, done)
        except SealAborted:
            log.info("maintenance interrupted by shutdown; it resumes on the next start")
        with self._lock:
            self._next_due = self._due_time()
        if done:
            log.info("maintenance: %s", ", ".join(f"{k}={v}" for k, v in sorted(done.items())))
        return done

    def _run_jobs(self, shard: int, lane: Lane, jobs: list, done: Counter) -> None:
        for job in jobs:
            if isinstance(job, Seal):
                self._seal(shard, lane, job)
                done["sealed"] += 1
            else:
                with self._lock:
                    self._expire(shard, lane, job)
                done["expired"] += 1

    def _plan(self, shard: int, lane: Lane, now: int) -> list:
        infos = [BlockInfo(lv, start, blk.sealed_gen is not None, bool(blk.heads or blk.older))
                 for lv in range(len(lane.levels))
                 for start, blk in self._blocks.get((shard, lane.id, lv), {}).items()]
        if not infos:
            return []
        jobs, _ = plan(lane, infos, self._marks[lane.id][shard].tolist(), now, self.config.seal_grace)
        return jobs

    def _due_time(self) -> int:
        due = 2 ** 62
        for (shard, lane_id, level), blocks in self._blocks.items():
            lane = self.lanes[lane_id]
            for start, blk in blocks.items():
                end = start + lane.block_seconds[level]
                if blk.heads or blk.older:
                    if level == 0:
                        due = min(due, end + self.config.seal_grace)
                    elif end <= self._marks[lane_id][shard, level]:
                        due = min(due, end)     # filled by a fold that has passed its end
                due = min(due, end + lane.levels[level].retention)
        return due

    def _seal(self, shard: int, lane: Lane, job: Seal) -> None:
        """Rewrite a block's heads into a sealed file, folding it into the next level if asked.

        1. Under the lock, the block's heads become read-only (`older`) and the block moves
           to a new generation: writes arriving meanwhile create fresh heads.
        2. Without the lock, rows are read, folded into the next level and encoded into a
           temporary file.
        3. Under the lock, what arrived during step 2 is folded in too, the watermark is
           saved, the file is published and the absorbed heads are deleted.
        """
        level = job.level
        folder = layout.level_dir(self.root, shard, lane.id, level)
        with self._lock:
            blk = self._blocks[(shard, lane.id, level)][job.start]
            absorbing = blk.unsealed()
            blk.older, blk.heads = absorbing, []
            gen = max([h.header.gen for h in absorbing] + [blk.sealed_gen or 0])
            blk.gen = gen + 1
            rows = self.index.rows(shard, lane.id)
            old_gen = blk.sealed_gen
        header = SealedHeader(lane.levels[level].step, job.start, lane.buckets(level), rows,
                              gen, shard, lane.id, level)
        old = None if old_gen is None else SealedBlock(layout.sealed_path(folder, job.start, old_gen))
        path = layout.sealed_path(folder, job.start, gen)
        try:
            chunks = self._seal_chunks(shard, lane, job, old, absorbing, rows)
            tmp = write_sealed(path, header, chunks)
        finally:
            if old is not None:
                old.close()
        with self._lock:
            if job.fold:
                self._fold_late_heads(shard, lane, job, blk.heads)
                self._marks[lane.id][shard, level + 1] = job.start + lane.block_seconds[level]
                self._save_marks(shard, lane)
            publish_sealed(tmp, path)
            self._forget_sealed(path)       # a re-seal may reuse the generation's name
            self._decoded.drop((shard, lane.id, level, job.start, gen))
            if old_gen is not None:
                self._decoded.drop((shard, lane.id, level, job.start, old_gen))
            if old_gen is not None and old_gen != gen:
                self._forget_sealed(layout.sealed_path(folder, job.start, old_gen))
                layout.sealed_path(folder, job.start, old_gen).unlink(missing_ok=True)
            for seg in absorbing:
                seg.delete()
            blk.older = [h for h in blk.older if h not in absorbing]
            blk.sealed_gen = gen

    def _seal_chunks(self, shard, lane: Lane, job: Seal, old: SealedBlock | None, heads, rows: int):
        """Series-major stats of the block, SEAL_ROW_CHUNK rows at a time, folding each."""
        buckets = lane.buckets(job.level)
        for r0 in range(0, rows, SEAL_ROW_CHUNK):
            if self._abort.is_set():
                raise SealAborted()
            r1 = min(rows, r0 + SEAL_ROW_CHUNK)
            chunk = old.read_rows(r0, r1) if old is not None else st.empty((r1 - r0, buckets))
            chunk = _merge_heads(chunk, heads, r0, r1)
            if job.fold:
                with self._lock:
                    self._fold_into(shard, lane, job.level + 1, job.start, r0, chunk)
            yield chunk

    def _fold_late_heads(self, shard, lane: Lane, job: Seal, heads) -> None:
        """Merge into level+1 what was written to the block while it was being sealed."""
        if not heads:
            return
        rows = self.index.rows(shard, lane.id)
        buckets = lane.buckets(job.level)
        for r0 in range(0, rows, SEAL_ROW_CHUNK):
            r1 = min(rows, r0 + SEAL_ROW_CHUNK)
            chunk = _merge_heads(st.empty((r1 - r0, buckets)), heads, r0, r1)
            if chunk.count.any():
                self._fold_into(shard, lane, job.level + 1, job.start, r0, chunk, merge=True)
        coarse_start = job.start - job.start % lane.block_seconds[job.level + 1]
        for seg in self._blocks[(shard, lane.id, job.level + 1)][coarse_start].heads:
            seg.flush()

    def _fold_into(self, shard, lane: Lane, level: int, fine_start: int, r0: int, fine: st.Stats,
                   merge: bool = False) -> None:
        coarse = st.fold(fine, lane.fold_factor(level), axis=1, raw_per_bucket=lane.raw_steps(level - 1))
        span, step = lane.block_seconds[level], lane.levels[level].step
        start = fine_start - fine_start % span
        b0 = (fine_start - start) // step
        blk = self._block(shard, lane, level, start)
        r1 = r0 + len(coarse)
        if r1 > r0:
            self._cover_rows(blk, shard, lane, level, start, r1 - 1)
        for seg in blk.heads:
            lo, hi = max(r0, seg.row_start), min(r1, seg.row_end)
            if lo >= hi:
                continue
            part = coarse.take(slice(lo - r0, hi - r0)).transpose()
            if merge:
                b, r = np.nonzero(part.count)
                seg.merge_points(seg.cells(b + b0, r + lo), part.take((b, r)))
            else:
                seg.overwrite(b0, lo, part)

    def _expire(self, shard: int, lane: Lane, job: Expire) -> None:
        blocks = self._blocks[(shard, lane.id, job.level)]
        blk = blocks.pop(job.start)
        folder = layout.level_dir(self.root, shard, lane.id, job.level)
        for seg in blk.unsealed():
            seg.delete()
        if blk.sealed_gen is not None:
            self._decoded.drop((shard, lane.id, job.level, job.start, blk.sealed_gen))
            path = layout.sealed_path(folder, job.start, blk.sealed_gen)
            self._forget_sealed(path)
            path.unlink(missing_ok=True)

    def _forget_sealed(self, path: Path) -> None:
        sb = self._sealed.pop(path, None)
        if sb is not None:
            sb.close()

    def _save_marks(self, shard: int, lane: Lane) -> None:
        path = layout.state_path(self.root, shard, lane.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"folded_until": [int(x) for x in self._marks[lane.id][shard]]}
        layout.write_atomic(path, dump_json(STATE_MAGIC, doc))

    # ----------------------------------------------------------------- durability

    def sync(self) -> None:
        """fsync every head segment and name log: the power-loss bound.

        fsync writes back the pages dirtied through the shared mappings (on Linux the
        mapping is the page cache).  It runs on duplicated descriptors outside the store
        lock and releases the GIL, so writers and the reactor go on meanwhile; msync
        (mmap.flush) would hold the GIL for the whole write-back.
        """
        with self._lock:
            self._check_open()
            fds = [os.dup(seg.fileno()) for blocks in self._blocks.values()
                   for blk in blocks.values() for seg in blk.heads]
            fds += [os.dup(nl.fileno()) for nl in self._logs.values()]
        try:
            for fd in fds:
                os.fsync(fd)
        finally:
            for fd in fds:
                os.close(fd)

    def close(self) -> None:
        """Flush everything and release the data directory."""
        with self._lock:
            if self.closed:
                return
            self.sync()
            for blocks in self._blocks.values():
                for blk in blocks.values():
                    for seg in blk.unsealed():
                        seg.close()
            for sb in self._sealed.values():
                sb.close()
            for nl in self._logs.values():
                nl.close()
            self.closed = True
            if self._lockfd is not None:
                os.close(self._lockfd)
                self._lockfd = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_open(self) -> None:
        if self.closed:
            raise StoreClosed(f"store {self.root} is closed")

    @staticmethod
    def _now(now: float | None) -> int:
        return int(time.time() if now is None else now)


# --------------------------------------------------------------------- helpers

def _normalized(name: str) -> str | None:
    try:
        return normalize(name)
    except InvalidName:
        return None


def _frame(lane: Lane, from_: int, until: int, now: int) -> tuple[int, int, int] | None:
    """(level, first bucket, end) of a whisper-style fetch over (from, until], or None when
    the range lies outside the lane's retention: the finest level whose retention covers
    `from`, buckets on step boundaries."""
    oldest = now - lane.levels[-1].retention
    if from_ > now or until < oldest:
        return None
    from_, until = max(from_, oldest), min(until, now)
    level = next(j for j, lv in enumerate(lane.levels) if lv.retention >= now - from_)
    step = lane.levels[level].step
    start = from_ - from_ % step + step
    end = until - until % step + step
    if start == end:
        end += step
    return level, start, end


def _merge_at(into: st.Stats, idx: np.ndarray, later: st.Stats, filled: np.ndarray) -> None:
    """Merge `later` into rows `idx` of `into` in place; rows not yet `filled` (still
    empty) take it as it is.  Marks `idx` filled."""
    if filled[idx].any():
        later = st.merge(into.take(idx), later)
    for dst, src in zip(into.arrays(), later.arrays()):
        dst[idx] = src
    filled[idx] = True


def _merge_heads(chunk: st.Stats, heads, r0: int, r1: int) -> st.Stats:
    """`chunk` (series-major rows [r0, r1)) merged with the heads' rows, heads in order."""
    for seg in heads:
        lo, hi = max(r0, seg.row_start), min(r1, seg.row_end)
        if lo >= hi:
            continue
        merged = st.merge(chunk.take(slice(lo - r0, hi - r0)), seg.read(slice(lo, hi)).transpose())
        for dst, src in zip(chunk.arrays(), merged.arrays()):
            dst[lo - r0:hi - r0] = src
    return chunk


def _drop(result: WriteResult, keep: np.ndarray, reason: str, ok: np.ndarray) -> np.ndarray:
    """`ok & keep`, counting points newly dropped under `reason`."""
    lost = ok & ~keep
    if lost.any():
        result.dropped[reason] += int(lost.sum())
        return ok & keep
    return ok


def _write_levels(entry: np.ndarray, ts: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """The level each point is written at.

    A point enters the finest level whose retention covers its age; but while that level
    has not yet been folded past the point's time, the point goes to the finer level below,
    whose fold will carry it up.  So no level ever receives a direct write beyond its fold
    watermark, and folds can overwrite.
    """
    level = entry.copy()
    for j in range(marks.shape[1] - 1, 0, -1):
        m = (level == j) & (ts >= marks[:, j])
        if m.any():
            level[m] = j - 1
    return level


def _distinct(cells: np.ndarray, row_cap: int) -> bool:
    """Whether no cell occurs twice, without sorting when the batch spans few buckets."""
    lo, hi = int(cells.min()), int(cells.max())
    if hi - lo < 8 * len(cells) + 4 * row_cap:
        return int(np.bincount(cells - lo).max()) <= 1
    return len(np.unique(cells)) == len(cells)


def _round_up(n: int, k: int) -> int:
    return -(-n // k) * k


def _acquire_lock(root: Path) -> int:
    fd = os.open(layout.lock_path(root), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown process"
        os.close(fd)
        raise StoreLocked(root, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
    return fd


def _load_or_create_meta(root: Path, config: StoreConfig) -> int:
    """The shard count recorded in the data directory (written on first open)."""
    path = layout.meta_path(root)
    if path.exists():
        doc = load_json(path, path.read_bytes(), META_MAGIC)
        shards = doc.get("shards")
        if not isinstance(shards, int) or not 1 <= shards <= 4096:
            raise CorruptFile(path, f"shards={shards!r}")
        if shards != config.shards:
            log.warning("data directory %s has %d shards; ignoring configured %d", root, shards, config.shards)
        return shards
    if not 1 <= config.shards <= 4096:
        raise ConfigMismatch(f"shards must be 1..4096, got {config.shards}")
    layout.write_atomic(path, dump_json(META_MAGIC, {"shards": config.shards, "created": int(time.time())}))
    return config.shards
