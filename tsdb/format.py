"""Byte layouts of every Strata file, mirroring tsdb/FORMAT.md field by field.

Each binary file starts with an 8-byte magic and a u16 format version; `unpack_*` checks
both (an unknown version raises UnknownFormatVersion) and every other field (CorruptFile
names the file and the field).  JSON metadata files carry the same two facts as keys.
All integers are little-endian.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass

from .errors import CorruptFile, UnknownFormatVersion

PAGE = 4096
FORMAT_VERSION = 1

HEAD_MAGIC = b"STRHEAD\x00"
SEALED_MAGIC = b"STRSEAL\x00"
NAMELOG_MAGIC = b"STRNAMES"
META_MAGIC = "strata-tsdb"
LANES_MAGIC = "strata-lanes"
STATE_MAGIC = "strata-state"

# Compact bucket storage: `count` and `last` always, the four extras only where count >= 2,
# `slot` (raw-step offset of `last` within the bucket) only at rollup levels.
HEAD_COLUMNS = (("count", "<u4"), ("last", "<f8"), ("sum", "<f8"), ("min", "<f8"),
                ("max", "<f8"), ("sumsq", "<f8"), ("slot", "<u4"))

_HEAD = struct.Struct("<8sHHIqIIIIHHHHI")   # ... + crc32 of the preceding bytes
_SEALED = struct.Struct("<8sHHIqIIIHHHHI")
_NAMELOG_HEADER = struct.Struct("<8sHH4x")
NAMELOG_RECORD = struct.Struct("<IHHI")      # crc32, name length, lane, row; then the name
MAX_NAME_BYTES = 0xFFFF


def _round_page(n: int) -> int:
    return -(-n // PAGE) * PAGE


def _check_magic_version(path, magic: bytes, want: bytes, version: int) -> None:
    if magic != want:
        raise CorruptFile(path, f"bad magic {magic!r}, expected {want!r}")
    if version != FORMAT_VERSION:
        raise UnknownFormatVersion(path, version, FORMAT_VERSION)


def _crc_ok(path, body: bytes, crc: int, what: str) -> None:
    if zlib.crc32(body) != crc:
        raise CorruptFile(path, f"{what} checksum mismatch")


@dataclass(frozen=True)
class HeadHeader:
    """One head segment: rows [row_start, row_start+row_cap) of one block, time-major."""

    step: int
    block_start: int
    buckets: int
    row_start: int
    row_cap: int
    gen: int
    shard: int
    lane: int
    level: int

    def column_offsets(self) -> dict[str, tuple[int, str]]:
        """Byte offset and dtype of each column array; each starts on a page boundary."""
        offsets, pos = {}, PAGE
        for name, dtype in HEAD_COLUMNS:
            offsets[name] = (pos, dtype)
            pos += _round_page(self.buckets * self.row_cap * int(dtype[-1]))
        return offsets

    def file_size(self) -> int:
        name, dtype = HEAD_COLUMNS[-1]
        pos, _ = self.column_offsets()[name]
        return pos + _round_page(self.buckets * self.row_cap * int(dtype[-1]))


def pack_head(h: HeadHeader) -> bytes:
    body = _HEAD.pack(HEAD_MAGIC, FORMAT_VERSION, 0, h.step, h.block_start, h.buckets,
                      h.row_start, h.row_cap, h.gen, h.shard, h.lane, h.level, 0, 0)[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


def unpack_head(path, raw: bytes) -> HeadHeader:
    if len(raw) < _HEAD.size:
        raise CorruptFile(path, f"head header truncated ({len(raw)} bytes)")
    (magic, version, _flags, step, block_start, buckets, row_start, row_cap, gen,
     shard, lane, level, _pad, crc) = _HEAD.unpack_from(raw)
    _check_magic_version(path, magic, HEAD_MAGIC, version)
    _crc_ok(path, raw[:_HEAD.size - 4], crc, "head header")
    if step <= 0 or buckets <= 0 or row_cap <= 0:
        raise CorruptFile(path, f"head header has step={step} buckets={buckets} row_cap={row_cap}")
    return HeadHeader(step, block_start, buckets, row_start, row_cap, gen, shard, lane, level)


@dataclass(frozen=True)
class SealedHeader:
    """One sealed block: rows [0, rows) series-major, one compressed blob per row."""

    step: int
    block_start: int
    buckets: int
    rows: int
    gen: int
    shard: int
    lane: int
    level: int

    @property
    def index_offset(self) -> int:
        return _SEALED.size

    @property
    def data_offset(self) -> int:
        """Blobs start after (rows+1) u64 offsets and rows u32 checksums."""
        return _SEALED.size + 8 * (self.rows + 1) + 4 * self.rows


def pack_sealed(h: SealedHeader) -> bytes:
    body = _SEALED.pack(SEALED_MAGIC, FORMAT_VERSION, 0, h.step, h.block_start, h.buckets,
                        h.rows, h.gen, h.shard, h.lane, h.level, 0, 0)[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


def unpack_sealed(path, raw: bytes) -> SealedHeader:
    if len(raw) < _SEALED.size:
        raise CorruptFile(path, f"sealed header truncated ({len(raw)} bytes)")
    (magic, version, _flags, step, block_start, buckets, rows, gen, shard, lane, level,
     _pad, crc) = _SEALED.unpack_from(raw)
    _check_magic_version(path, magic, SEALED_MAGIC, version)
    _crc_ok(path, raw[:_SEALED.size - 4], crc, "sealed header")
    if step <= 0 or buckets <= 0:
        raise CorruptFile(path, f"sealed header has step={step} buckets={buckets}")
    return SealedHeader(step, block_start, buckets, rows, gen, shard, lane, level)


SEALED_HEADER_SIZE = _SEALED.size


NAMELOG_EVENTS_VERSION = 2     # a name log that may hold tag-index events (FORMAT.md 3.1)
NAMELOG_EVENT_LANE = 0xFFFF    # the lane field of a tag-index event record
NAMELOG_VERSION_OFFSET = 8


def pack_namelog_header(shard: int, version: int = FORMAT_VERSION) -> bytes:
    return _NAMELOG_HEADER.pack(NAMELOG_MAGIC, version, shard)


def unpack_namelog_header(path, raw: bytes) -> tuple[int, int]:
    """(shard, version) of a name log header; version 2 logs may hold tag-index events."""
    if len(raw) < _NAMELOG_HEADER.size:
        raise CorruptFile(path, "name log header truncated")
    magic, version, shard = _NAMELOG_HEADER.unpack_from(raw)
    if magic != NAMELOG_MAGIC:
        raise CorruptFile(path, f"bad magic {magic!r}, expected {NAMELOG_MAGIC!r}")
    if version not in (FORMAT_VERSION, NAMELOG_EVENTS_VERSION):
        raise UnknownFormatVersion(path, version, f"{FORMAT_VERSION} and {NAMELOG_EVENTS_VERSION}")
    return shard, version


NAMELOG_HEADER_SIZE = _NAMELOG_HEADER.size


def pack_name_record(lane: int, row: int, name: bytes) -> bytes:
    body = struct.pack("<HHI", len(name), lane, row) + name
    return struct.pack("<I", zlib.crc32(body)) + body


def unpack_name_records(raw: bytes, start: int):
    """Yield (lane, row, name, end offset) for each intact record; stop at a torn tail."""
    pos, size = start, len(raw)
    while pos + NAMELOG_RECORD.size <= size:
        crc, length, lane, row = NAMELOG_RECORD.unpack_from(raw, pos)
        end = pos + NAMELOG_RECORD.size + length
        if end > size or zlib.crc32(raw[pos + 4:end]) != crc:
            return
        yield lane, row, raw[pos + NAMELOG_RECORD.size:end].decode("utf-8"), end
        pos = end


def dump_json(magic: str, payload: dict) -> bytes:
    return json.dumps({"magic": magic, "format_version": FORMAT_VERSION, **payload},
                      indent=1, sort_keys=True).encode()


def load_json(path, raw: bytes, magic: str) -> dict:
    """The payload of a metadata JSON file, with magic and version checked."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptFile(path, f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("magic") != magic:
        raise CorruptFile(path, f"missing magic {magic!r}")
    if doc.get("format_version") != FORMAT_VERSION:
        raise UnknownFormatVersion(path, doc.get("format_version"), FORMAT_VERSION)
    return doc

