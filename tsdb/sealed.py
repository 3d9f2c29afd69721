"""Sealed blocks: immutable, series-major, one lz4-compressed blob per series.

A block that no longer takes regular writes is rewritten from its head into this form so
that reading one series reads and decompresses only that series' bytes (two small preads
for its index entry, one for its blob).  Files are written to a temporary name, fsynced and
renamed, so a crash leaves the previous file or the new one.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from rollup import stats as st

from . import codec
from .errors import CorruptFile
from .format import SEALED_HEADER_SIZE, SealedHeader, pack_sealed, unpack_sealed
from .layout import fsync_dir


def write_sealed(path: Path, header: SealedHeader, row_chunks) -> Path:
    """Write a sealed block under a temporary name next to `path`; returns that name.

    `row_chunks` yields series-major Stats chunks ([rows][buckets]) that together cover
    rows [0, header.rows) in order.  The data is fsynced; `publish_sealed` makes it visible.
    """
    tmp = path.with_name(path.name + ".tmp")
    offsets = np.zeros(header.rows + 1, np.uint64)
    crcs = np.zeros(header.rows, np.uint32)
    try:
        with open(tmp, "wb") as f:
            f.write(pack_sealed(header))
            f.seek(header.data_offset)
            row, pos = 0, 0
            for chunk in row_chunks:
                for i in range(len(chunk)):
                    blob = codec.encode_block(chunk.count[i], chunk.last[i], chunk.sum[i], chunk.min[i],
                                              chunk.max[i], chunk.sumsq[i], np.maximum(chunk.slot[i], 0))
                    if blob:
                        f.write(blob)
                        crcs[row] = zlib.crc32(blob)
                    pos += len(blob)
                    row += 1
                    offsets[row] = pos
            if row != header.rows:
                raise ValueError(f"sealed block got {row} rows, header says {header.rows}")
            f.seek(header.index_offset)
            f.write(offsets.astype("<u8").tobytes())
            f.write(crcs.astype("<u4").tobytes())
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def publish_sealed(tmp: Path, path: Path) -> None:
    """Atomically make a written sealed block visible under its final name."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


class SealedBlock:
    """A sealed block opened for reading."""

    def __init__(self, path: Path):
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self.size = os.fstat(self._fd).st_size
            self.header = unpack_sealed(path, os.pread(self._fd, SEALED_HEADER_SIZE, 0))
            if self.size < self.header.data_offset:
                raise CorruptFile(path, f"file ends at {self.size}, before its data ({self.header.data_offset})")
        except BaseException:
            os.close(self._fd)
            raise

    def _entry(self, row: int) -> tuple[int, int, int]:
        h = self.header
        raw = os.pread(self._fd, 16, h.index_offset + 8 * row)
        start, end = struct.unpack("<QQ", raw)
        (crc,) = struct.unpack("<I", os.pread(self._fd, 4, h.index_offset + 8 * (h.rows + 1) + 4 * row))
        if start > end or h.data_offset + end > self.size:
            raise CorruptFile(self.path, f"row {row} index entry [{start}, {end}) outside the file")
        return start, end, crc

    def _decode(self, row: int, blob: bytes, crc: int) -> st.Stats:
        if zlib.crc32(blob) != crc:
            raise CorruptFile(self.path, f"row {row} checksum mismatch")
        try:
            cols = codec.decode_block(blob, self.header.buckets, with_slot=True)
        except codec.CodecError as exc:
            raise CorruptFile(self.path, f"row {row}: {exc}") from None
        return st.from_compact(*cols)

    def read_rows_at(self, rows: np.ndarray, b0: int, b1: int) -> tuple[np.ndarray, st.Stats] | None:
        """(positions in `rows`, series-major stats over buckets [b0, b1)) of the rows with
        data in this block, or None when none has any."""
        h = self.header
        idx = np.flatnonzero(rows < h.rows)
        if idx.size == 0:
            return None
        entries = [self._entry(int(rows[i])) for i in idx]
        keep = [k for k, (start, end, _) in enumerate(entries) if end > start]
        if not keep:
            return None
        out = st.empty((len(keep), b1 - b0))
        for k, e in enumerate(keep):
            start, end, crc = entries[e]
            blob = os.pread(self._fd, end - start, h.data_offset + start)
            got = self._decode(int(rows[idx[e]]), blob, crc)
            for dst, src in zip(out.arrays(), got.arrays()):
                dst[k] = src[b0:b1]
        return idx[keep], out

    def read_rows(self, row0: int, row1: int) -> st.Stats:
        """Series-major stats for rows [row0, row1), reading the index and data once."""
        h = self.header
        out = st.empty((row1 - row0, h.buckets))
        hi = min(row1, h.rows)
        if hi <= row0:
            return out
        raw = os.pread(self._fd, 8 * (hi - row0 + 1), h.index_offset + 8 * row0)
        offs = np.frombuffer(raw, "<u8").astype(np.int64)
        raw = os.pread(self._fd, 4 * (hi - row0), h.index_offset + 8 * (h.rows + 1) + 4 * row0)
        crcs = np.frombuffer(raw, "<u4")
        if (np.diff(offs) < 0).any() or h.data_offset + offs[-1] > self.size:
            raise CorruptFile(self.path, f"index entries for rows [{row0}, {hi}) are out of order or outside the file")
        data = os.pread(self._fd, int(offs[-1] - offs[0]), h.data_offset + int(offs[0]))
        base = int(offs[0])
        for i in np.flatnonzero(np.diff(offs)):
            blob = data[offs[i] - base:offs[i + 1] - base]
            s = self._decode(row0 + int(i), blob, int(crcs[i]))
            for dst, src in zip(out.arrays(), s.arrays()):
                dst[i] = src
        return out

    def close(self) -> None:
        os.close(self._fd)
