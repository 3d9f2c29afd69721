"""Head segments: the writable, memory-mapped, time-major part of a block.

A head segment holds buckets x rows for a contiguous range of series rows of one block, in
the compact column form of tsdb/FORMAT.md (count and last always; sum, min, max, sumsq only
meaningful where count >= 2; slot only at rollup levels).  Time-major means all series of one bucket are adjacent, so a
batch of points for one timestamp writes one contiguous stretch per column.  Files are
created sparse (ftruncate), so columns never touched — the four extras, for a sender that
writes once per step — cost neither disk nor memory.

Writes land in the page cache through the mapping, so a killed process loses nothing it
has written; `flush()` (msync) bounds what a power loss can take.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from rollup import stats as st

from .errors import CorruptFile
from .format import PAGE, HeadHeader, pack_head, unpack_head
from .layout import fsync_dir


class HeadSegment:
    """An open head segment: its header and one numpy view per column over the mapping."""

    def __init__(self, path: Path, header: HeadHeader, fileno: int, mapping: mmap.mmap):
        self.path = path
        self.header = header
        self._fd = fileno
        self._mm = mapping
        shape = (header.buckets, header.row_cap)
        self.cols: dict[str, np.ndarray] = {}
        for name, (offset, dtype) in header.column_offsets().items():
            n = header.buckets * header.row_cap
            self.cols[name] = np.frombuffer(mapping, dtype=dtype, count=n, offset=offset).reshape(shape)
        self._flat = {name: a.reshape(-1) for name, a in self.cols.items()}

    @property
    def row_start(self) -> int:
        return self.header.row_start

    @property
    def row_end(self) -> int:
        return self.header.row_start + self.header.row_cap

    @classmethod
    def create(cls, path: Path, header: HeadHeader) -> "HeadSegment":
        """A new zeroed (sparse) segment, made visible only once complete (temp + rename)."""
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.ftruncate(fd, header.file_size())
            os.pwrite(fd, pack_head(header), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
        fsync_dir(path.parent)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path, readonly: bool = False) -> "HeadSegment":
        """Map an existing segment; `readonly` for a reader in another process (tsdb.view)."""
        fd = os.open(path, os.O_RDONLY if readonly else os.O_RDWR)
        try:
            header = unpack_head(path, os.pread(fd, PAGE, 0))
            size = os.fstat(fd).st_size
            if size != header.file_size():
                raise CorruptFile(path, f"size {size} does not match header ({header.file_size()})")
            prot = mmap.PROT_READ if readonly else mmap.PROT_READ | mmap.PROT_WRITE
            mapping = mmap.mmap(fd, size, mmap.MAP_SHARED, prot)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, header, fd, mapping)

    def cells(self, buckets: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Flat cell numbers of (bucket within block, absolute row) pairs."""
        return buckets * self.header.row_cap + (rows - self.header.row_start)

    def merge_values(self, cells: np.ndarray, values: np.ndarray, slots: np.ndarray | None) -> None:
        """Merge one new point into each of the distinct `cells`.  A cell's first point needs
        no statistics (count 1 and last say it all), the usual case of a write: only cells
        that had points get them."""
        count = self._flat["count"]
        fresh = count[cells] == 0
        if not fresh.all():
            rest = ~fresh
            self.merge_points(cells[rest], st.single_points(values[rest], None if slots is None else slots[rest]))
            cells, values = cells[fresh], values[fresh]
            slots = None if slots is None else slots[fresh]
        count[cells] = 1
        self._flat["last"][cells] = values
        if self._has_slots:
            self._flat["slot"][cells] = 0 if slots is None else slots

    def merge_points(self, cells: np.ndarray, new: st.Stats) -> None:
        """Merge new stats into distinct cells; `new` is later than what is stored."""
        count, last = self._flat["count"], self._flat["last"]
        old = count[cells]
        fresh = (old == 0) & (new.count == 1)
        if fresh.all():
            count[cells] = 1
            last[cells] = new.last
            if self._has_slots:
                self._flat["slot"][cells] = new.slot
            return
        if fresh.any():
            count[cells[fresh]] = 1
            last[cells[fresh]] = new.last[fresh]
            if self._has_slots:
                self._flat["slot"][cells[fresh]] = new.slot[fresh]
            rest = ~fresh
            cells, old, new = cells[rest], old[rest], new.take(rest)
        f = self._flat
        stored = st.from_compact(old, last[cells], f["sum"][cells], f["min"][cells], f["max"][cells],
                                 f["sumsq"][cells], f["slot"][cells] if self._has_slots else None)
        self._store(cells, st.merge(stored, new))

    @property
    def _has_slots(self) -> bool:
        """Rollup levels keep `slot`; at the raw level it is always 0 and never touched."""
        return self.header.level > 0

    def _store(self, cells: np.ndarray, s: st.Stats) -> None:
        self._flat["count"][cells] = s.count
        self._flat["last"][cells] = s.last
        if self._has_slots:
            self._flat["slot"][cells] = np.maximum(s.slot, 0)
        multi = s.count >= 2
        if multi.any():
            where = cells[multi]
            for name in ("sum", "min", "max", "sumsq"):
                self._flat[name][where] = getattr(s, name)[multi]

    def overwrite(self, bucket0: int, row0: int, s: st.Stats) -> None:
        """Write time-major stats into buckets from `bucket0`, rows from absolute `row0`.

        Only cells with data are written: the target buckets of a fold are empty until the
        fold (nothing else writes past the fold watermark), so skipping empty cells leaves
        the same bytes while keeping untouched pages sparse.
        """
        b, r = np.nonzero(s.count)
        if not len(b):
            return
        cells = (b + bucket0) * self.header.row_cap + (r + row0 - self.header.row_start)
        count = s.count[b, r]
        self._flat["count"][cells] = count
        self._flat["last"][cells] = s.last[b, r]
        self._flat["slot"][cells] = np.maximum(s.slot[b, r], 0)
        multi = count >= 2
        if multi.any():
            for name in ("sum", "min", "max", "sumsq"):
                self._flat[name][cells[multi]] = getattr(s, name)[b[multi], r[multi]]

    def read(self, rows: slice, buckets: slice = slice(None)) -> st.Stats:
        """Materialised stats, time-major [buckets][rows], for absolute rows in this segment."""
        r = slice(rows.start - self.header.row_start, rows.stop - self.header.row_start)
        c = self.cols
        return st.from_compact(c["count"][buckets, r], c["last"][buckets, r], c["sum"][buckets, r],
                               c["min"][buckets, r], c["max"][buckets, r], c["sumsq"][buckets, r],
                               c["slot"][buckets, r] if self._has_slots else None)

    def read_rows_at(self, rows: np.ndarray, b0: int, b1: int) -> tuple[np.ndarray, st.Stats] | None:
        """(positions in `rows`, series-major stats over buckets [b0, b1)) of the rows this
        segment holds, or None when it holds none of them or they have no points there."""
        held = self._held(rows, b0, b1)
        if held is None:
            return None
        idx, i, count = held
        c = self.cols
        got = st.from_compact(count, c["last"][b0:b1, i], c["sum"][b0:b1, i], c["min"][b0:b1, i],
                              c["max"][b0:b1, i], c["sumsq"][b0:b1, i],
                              c["slot"][b0:b1, i] if self._has_slots else None)
        return idx, got.transpose()

    def read_values_at(self, rows: np.ndarray, b0: int, b1: int, method: str, xff: float,
                       slots: int) -> tuple[np.ndarray, np.ndarray] | None:
        """`read_rows_at` reduced to `st.values` of one aggregate, series-major, reading only
        the columns that aggregate needs (the gathers dominate a head read)."""
        held = self._held(rows, b0, b1)
        if held is None:
            return None
        idx, i, count = held
        method = st.normalize_method(method)
        extras = {name: self.cols[name][b0:b1, i] for name in st.COLUMNS_FOR[method]}
        got = st.from_compact(count, self.cols["last"][b0:b1, i], extras.get("sum"), extras.get("min"),
                              extras.get("max"), extras.get("sumsq"))
        return idx, st.values(got, method, xff, slots).T

    def _held(self, rows: np.ndarray, b0: int, b1: int):
        """(positions in `rows`, their columns here, their counts over [b0, b1)) of the rows
        this segment holds, or None when it holds none of them or they have no points there."""
        idx = np.flatnonzero((rows >= self.header.row_start) & (rows < self.row_end))
        if idx.size == 0:
            return None
        i = rows[idx] - self.header.row_start
        count = self.cols["count"][b0:b1, i]
        return (idx, i, count) if count.any() else None

    def flush(self) -> None:
        self._mm.flush()

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        self.cols.clear()
        self._flat.clear()
        try:
            self._mm.close()
        except BufferError:
            pass  # a reader still holds a view; the mapping goes when it does
        os.close(self._fd)

    def delete(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
